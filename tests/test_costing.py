"""Products: a recipe priced every night from the offers, checked to the cent against hand
arithmetic (lb vs kg, gal vs L, each), exact history when the cheapest supplier changes, no alert
on a partial sum, and a margin alert that fires once and resolves once."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from tests.conftest import product_page, supplywatch, write_config

MATERIALS = """
- id: coconut-oil
  name: Coconut oil
  unit: kg
  offers:
    - {{supplier: acme, url: "{coconut}", pack: 50 lb}}
- id: lye
  name: Lye
  unit: lb
  offers:
    - {{supplier: acme, url: "{lye}", pack: 2 kg}}
- id: fragrance
  name: Fragrance oil
  unit: L
  offers:
    - {{supplier: berger, url: "{fragrance}", pack: 1 gal, price: "css:.preis::text"}}
- id: bottle
  name: Bottle
  unit: each
  offers:
    - {{supplier: acme, url: "{bottle}", pack: 12 each}}
"""

SOAP = """
products:
  - id: soap
    name: Soap bar
    yield: 12 bars
    price: 6.00
    target_margin: 40
    recipe:
      coconut-oil: 2.5 kg
      lye: 0.38 kg
      fragrance: 250 ml
      bottle: 12 each
"""


def soap_shop(tmp_path, sites, fragrance_price: str | None = "30,00 €"):
    acme, berger = sites(), sites()
    urls = {
        "coconut": acme.set("coconut", product_page("95.00")), "lye": acme.set("lye", product_page("9.00")),
        "fragrance": berger.set("duft", product_page(fragrance_price, markup="plain")), "bottle": acme.set("bottle", product_page("6.00")),
    }
    write_config(tmp_path, MATERIALS.format(**urls), extra=SOAP)
    return acme, berger


def cost_json(tmp_path, *args: str, exit_code: int = 0) -> dict:
    result = supplywatch("cost", "soap", "--json", *args, cwd=tmp_path)
    assert result.returncode == exit_code, result.stderr
    return json.loads(result.stdout)


def test_batch_cost_to_the_cent_with_lb_kg_gal_l_and_each(tmp_path, sites):
    soap_shop(tmp_path, sites)
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    cost = cost_json(tmp_path)

    # By hand: 1 lb = 0.45359237 kg, 1 gal = 3.785411784 L, EUR 1.10 per the config.
    coconut = 2.5 * 95.00 / (50 * 0.45359237)            # 2.5 kg at $95 per 50 lb bag     = 10.47
    lye = (0.38 / 0.45359237) * 9.00 / (2 / 0.45359237)  # 0.38 kg of a $/lb material        =  1.71
    fragrance = 0.25 * 30.00 * 1.10 / 3.785411784        # 250 ml at EUR 30 per gallon        =  2.18
    bottles = 12 * 6.00 / 12                              # 12 of a $6 case of 12              =  6.00
    lines = {line["material"]: line for line in cost["lines"]}
    assert [round(lines[m]["cost"], 2) for m in ("coconut-oil", "lye", "fragrance", "bottle")] == [10.47, 1.71, 2.18, 6.00]
    for material, expected in (("coconut-oil", coconut), ("lye", lye), ("fragrance", fragrance), ("bottle", bottles)):
        assert lines[material]["cost"] == pytest.approx(expected, abs=0.005)
        assert lines[material]["quantity"] * lines[material]["unit_price"] == pytest.approx(lines[material]["cost"], abs=0.005)
    assert lines["lye"]["unit"] == "lb" and lines["lye"]["as_written"] == "0.38 kg"
    assert lines["fragrance"]["supplier"] == "berger"
    assert cost["batch_cost"] == pytest.approx(20.36, abs=0.005)
    assert cost["unit_cost"] == pytest.approx((coconut + lye + fragrance + bottles) / 12, abs=0.00005)
    assert cost["margin_percent"] == pytest.approx((6.00 - cost["unit_cost"]) / 6.00 * 100, abs=0.01)
    assert (cost["product"], cost["currency"], cost["complete"]) == ("soap", "USD", True)

    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    (stored,) = db.query("SELECT * FROM product_costs")
    assert stored["batch_cost"] == pytest.approx(cost["batch_cost"], abs=1e-4) and stored["complete"] == 1
    assert db["product_cost_lines"].count == 4

    table = supplywatch("cost", "soap", cwd=tmp_path).stdout
    assert "Soap bar" in table and "Batch cost $20.36" in table and "margin 71.7% (target 40%)" in table


def test_history_stays_exact_when_the_cheapest_supplier_changes(tmp_path, sites):
    acme, berger = sites(), sites()
    materials = f"""
    - id: lye
      name: Lye
      unit: kg
      offers:
        - {{supplier: acme, url: "{acme.set('lye', product_page('10.00'))}", pack: 1 kg}}
        - {{supplier: corner, url: "{berger.set('lye', product_page('12.00'))}", pack: 1 kg}}
    """
    write_config(tmp_path, materials, extra="products:\n  - {id: soap, name: Soap, yield: 10, recipe: {lye: 2 kg}}\n")
    for day, acme_price, corner_price in (("2026-03-01", "10.00", "12.00"), ("2026-03-02", "10.00", "12.00"),
                                          ("2026-03-03", "11.50", "9.00"), ("2026-03-04", "11.50", "9.00")):
        assert supplywatch("add-price", "lye@acme", acme_price, "--date", day, cwd=tmp_path).returncode in (0, 1)
        assert supplywatch("add-price", "lye@corner", corner_price, "--date", day, cwd=tmp_path).returncode in (0, 1)

    early, late = cost_json(tmp_path, "--at", "2026-03-02"), cost_json(tmp_path, "--at", "2026-03-04")
    assert (early["lines"][0]["supplier"], early["batch_cost"]) == ("acme", 20.0)
    assert (late["lines"][0]["supplier"], late["batch_cost"]) == ("corner", 18.0)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    # Each day is costed once (a second costing at the same moment replaces the first), and each
    # day keeps the supplier that was cheapest then.
    stored = [(r["costed_at"][:10], r["supplier_id"], r["cost"]) for r in db.query(
        "SELECT l.costed_at, l.supplier_id, l.cost FROM product_cost_lines l JOIN product_costs c ON c.id = l.cost_id ORDER BY l.costed_at")]
    assert stored == [("2026-03-01", "acme", 20.0), ("2026-03-02", "acme", 20.0),
                      ("2026-03-03", "corner", 18.0), ("2026-03-04", "corner", 18.0)]


def test_a_line_without_a_price_makes_the_cost_incomplete_and_alerts_nothing(tmp_path, sites, sink):
    soap_shop(tmp_path, sites, fragrance_price=None)  # the fragrance page lost its price
    config = (tmp_path / "supplywatch.yml").read_text().replace("urls: []", f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    # A cost limit the partial sum ($1.51 a bar) is far below: it must not fire on it.
    config = config.replace("    target_margin: 40\n", "    target_margin: 90\n    rules: [{kind: threshold, below: 2.00, confirm: 1}]\n")
    (tmp_path / "supplywatch.yml").write_text(config)
    for _ in range(2):
        assert supplywatch("run", cwd=tmp_path).returncode == 1  # one page without a price
    cost = cost_json(tmp_path, exit_code=1)  # incomplete: exit 1, as `run` with a gap
    assert cost["complete"] is False and cost["missing"] == ["fragrance"]
    assert cost["margin_percent"] is None
    fragrance = next(line for line in cost["lines"] if line["material"] == "fragrance")
    assert fragrance["cost"] is None and fragrance["unit_price"] is None  # never 0
    table = supplywatch("cost", "soap", cwd=tmp_path)
    assert table.returncode == 1 and "INCOMPLETE" in table.stdout
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM alerts WHERE product_id IS NOT NULL").fetchone()[0] == 0
    assert not [m for m in sink.messages if "Soap bar" in m["message"]]
    assert db.execute("SELECT complete FROM product_costs").fetchall() == [(0,), (0,)]


def test_margin_alert_fires_once_and_resolves_once(tmp_path, sites, sink):
    acme, _ = soap_shop(tmp_path, sites)
    config = (tmp_path / "supplywatch.yml").read_text().replace("urls: []", f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    (tmp_path / "supplywatch.yml").write_text(config.replace("target_margin: 40", "target_margin: 60"))
    # Coconut oil per 50 lb bag, night after night: margin 71.7 % -> below 60 % (two nights) -> back.
    for price in ("95.00", "190.00", "200.00", "95.00", "95.00"):
        acme.set("coconut", product_page(price))
        assert supplywatch("run", cwd=tmp_path).returncode == 0
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    (alert,) = db.query("SELECT * FROM alerts WHERE kind = 'margin'")
    assert alert["product_id"] == "soap" and alert["state"] == "resolved" and alert["severity"] == "critical"
    pushed = [m for m in sink.messages if "below your target of 60%" in m["message"]]
    assert len(pushed) == 1 and "margin down to" in pushed[0]["title"] and pushed[0]["type"] == "failure"
    assert "reprice now" in pushed[0]["message"] and "mostly Coconut oil +100% at Acme Lumber" in pushed[0]["message"]
    resolved = [m for m in sink.messages if "margin back to" in m["message"]]
    assert len(resolved) == 1


def test_a_recipe_line_that_cannot_convert_is_a_config_error_naming_the_line(tmp_path, sites):
    soap_shop(tmp_path, sites)
    path = tmp_path / "supplywatch.yml"
    path.write_text(path.read_text().replace("lye: 0.38 kg", "lye: 0.38 L"))
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "products[0].recipe.lye" in result.stderr and "cannot be converted to lb" in result.stderr
    assert not (tmp_path / "supplywatch.db").exists()


def test_a_product_getting_cheaper_to_make_is_told_as_info_never_as_a_warning_or_a_push(tmp_path, sites, sink):
    acme, _ = soap_shop(tmp_path, sites)
    config = (tmp_path / "supplywatch.yml").read_text().replace("urls: []", f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    # Even a rule that rings the phone for a big move: a fall in what a bar costs is good news.
    (tmp_path / "supplywatch.yml").write_text(config.replace("target_margin: 40\n", "target_margin: 40\n    rules: [{kind: change, percent: 5, baseline: previous, confirm: 1, critical_percent: 10}]\n"))
    for price in ("95.00", "95.00", "60.00"):  # coconut oil per 50 lb bag: the bar's cost falls about 18 %
        acme.set("coconut", product_page(price))
        assert supplywatch("run", cwd=tmp_path).returncode == 0
    told = [line.strip() for m in sink.messages for line in m["message"].splitlines() if "Soap bar cost down" in line]
    assert len(told) == 1 and told[0].startswith("[INFO] Soap bar cost down "), told
    assert "mostly Coconut oil -37% at Acme Lumber" in told[0]
    assert not [m for m in sink.messages if m["type"] == "failure"]  # nothing rang the phone
    # A rise of the same size still warns, and rings the phone past critical_percent.
    acme.set("coconut", product_page("95.00"))
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    pushed = [m for m in sink.messages if m["type"] == "failure"]
    assert len(pushed) == 1 and pushed[0]["message"].startswith("Soap bar cost up ")


def test_several_runs_on_one_day_measure_the_cost_move_from_the_days_first_costing_and_say_so(tmp_path, sites, sink):
    acme, _ = soap_shop(tmp_path, sites)
    config = (tmp_path / "supplywatch.yml").read_text().replace("urls: []", f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    (tmp_path / "supplywatch.yml").write_text(config.replace("target_margin: 40\n", "target_margin: 40\n    rules: [{kind: change, percent: 5, baseline: previous, confirm: 1}]\n"))
    for price in ("95.00", "120.00", "150.00"):  # an owner trying the config: three runs within minutes
        acme.set("coconut", product_page(price))
        assert supplywatch("run", cwd=tmp_path).returncode == 0
    told = [line.strip() for m in sink.messages for line in m["message"].splitlines() if "Soap bar cost up" in line]
    assert len(told) == 2 and all("since it was first costed, mostly Coconut oil" in line for line in told), told
    assert "since the last costing" not in "\n".join(m["message"] for m in sink.messages)
    assert "mostly Coconut oil +58% at Acme Lumber" in told[1]  # $95.00 -> $150.00 a bag: from the first costing, as it says
