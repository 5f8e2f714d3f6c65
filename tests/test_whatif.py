"""What-if on margins: the new unit cost, margin and restoring price checked against the costing
by hand; moves taken from a material's own history or, when that is short, from its linked index;
sensitivity in margin points per 10 %; mistakes get a clear error."""

from __future__ import annotations

import json
import math
import statistics
from datetime import date, datetime, timedelta, timezone

from monitor import display
from tests.conftest import FIXTURES, days_between, store_history, supplywatch, write_config

MATERIALS = """
- id: coconut-oil
  name: Coconut oil
  unit: kg
  indexes: [coconut-pink-sheet]
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/coconut", pack: 50 lb}
- id: lye
  name: Lye
  unit: lb
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/lye", pack: 2 kg}
- id: bottle
  name: Bottle
  unit: each
  offers:
    - {supplier: corner, url: "http://127.0.0.1:9/bottle", pack: 12 each}
- id: wick
  name: Wick
  unit: each
  offers:
    - {supplier: corner, url: "http://127.0.0.1:9/wick", pack: 100 each}
"""

PRODUCTS = """
indexes:
  - {id: coconut-pink-sheet, name: the World Bank coconut oil price, source: worldbank, series: COCONUT_OIL}
products:
  - id: soap
    name: Soap bar
    yield: 12 bars
    price: 6.00
    target_margin: 40
    recipe:
      coconut-oil: 2.5 kg
      lye: 0.38 kg
      bottle: 12 each
  - id: candle
    name: Candle
    yield: 10 candles
    price: 9.00
    recipe:
      wick: 10 each
"""


def _recent(days: int = 10) -> list[str]:
    return days_between((date.today() - timedelta(days=days)).isoformat(), (date.today() - timedelta(days=1)).isoformat())


def soap_shop(tmp_path, coconut=None):
    path = write_config(tmp_path, MATERIALS, extra=PRODUCTS)
    recent = _recent()
    store_history(path, {"coconut-oil@acme": coconut or [(d, 95.0) for d in recent], "lye@acme": [(d, 9.0) for d in recent],
                         "bottle@corner": [(d, 6.0) for d in recent], "wick@corner": [(d, 12.0) for d in recent]})
    return path


def run_json(tmp_path, *args):
    result = supplywatch(*args, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_whatif_gives_new_cost_margin_and_the_price_that_restores_the_target(tmp_path):
    soap_shop(tmp_path)
    cost = run_json(tmp_path, "cost", "soap")
    lines = {line["material"]: line["cost"] for line in cost["lines"]}
    found = run_json(tmp_path, "whatif", "coconut-oil", "+20%", "--and", "lye", "-5%")

    assert [(m["material"], m["percent"], m["source"]) for m in found["moves"]] == [("coconut-oil", 20.0, "given"), ("lye", -5.0, "given")]
    (soap,) = found["products"]  # the candle uses neither
    new_cost = (lines["coconut-oil"] * 1.20 + lines["lye"] * 0.95 + lines["bottle"]) / 12
    assert math.isclose(soap["unit_cost_now"], cost["unit_cost"], abs_tol=1e-4)
    assert math.isclose(soap["unit_cost_new"], new_cost, abs_tol=1e-4)
    assert math.isclose(soap["margin_new"], (6.00 - new_cost) / 6.00 * 100, abs_tol=0.01)
    assert math.isclose(soap["price_for_target"], new_cost / 0.60, abs_tol=0.01)
    assert soap["below_target"] is (soap["margin_new"] < 40)

    text = supplywatch("whatif", "coconut-oil", "+400%", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    worse = (lines["coconut-oil"] * 5 + lines["lye"] + lines["bottle"]) / 12
    assert f"BELOW TARGET; sell at ${worse / 0.6:,.2f} per bar to get 40% back" in text.stdout
    assert "Candle" not in text.stdout


def test_scenario_is_the_percentile_of_the_materials_own_moves(tmp_path):
    """A price that doubles every year, seen every five days for three and a half years: every
    12-month move is +100 %, so its 95th percentile is too."""
    first = date.today() - timedelta(days=1280)
    coconut = [((first + timedelta(days=k)).isoformat(), round(40 * 2 ** (k / 365), 6)) for k in range(0, 1280, 5)]
    soap_shop(tmp_path, coconut=coconut)
    store_history(tmp_path / "supplywatch.yml", {"coconut-oil@acme": [(d, coconut[-1][1]) for d in _recent()]})
    found = run_json(tmp_path, "whatif", "coconut-oil", "--scenario", "p95-12m")
    (move,) = found["moves"]
    assert math.isclose(move["percent"], 100.0, abs_tol=0.01)
    assert move["source"].startswith("95th percentile of its 12-month moves, own prices")
    longer = supplywatch("whatif", "coconut-oil", "--scenario", "p95-3y", cwd=tmp_path)
    assert longer.returncode == 2  # bad input, nothing written (README's exit codes), as a typo in any command
    assert "a percentile needs 24 moves over 3 years" in longer.stderr and len(longer.stderr.strip().splitlines()) == 1
    assert "Its history is long enough for p95-12m (--scenario p95-12m)" in longer.stderr


def test_scenario_falls_back_to_the_linked_index_and_says_why(tmp_path):
    soap_shop(tmp_path)
    without = supplywatch("whatif", "lye", "--scenario", "p95-12m", cwd=tmp_path)
    assert without.returncode == 2
    today = date.today()
    first, last = (display.day_of_year(today - timedelta(days=n), today) for n in (10, 1))
    assert f"Lye: too little history for p95-12m: its own prices cover 9 days ({first} to {last})" in without.stderr
    assert "a percentile needs 24 moves over 12 months" in without.stderr and len(without.stderr.strip().splitlines()) == 1
    assert "link a public index to it" in without.stderr

    workbook = FIXTURES / "series" / "pinksheet-monthly.csv"
    assert supplywatch("index", "load", "coconut-pink-sheet", str(workbook), cwd=tmp_path).returncode == 0
    found = run_json(tmp_path, "whatif", "coconut-oil", "--scenario", "p95-12m")
    (move,) = found["moves"]
    assert f"of the World Bank coconut oil price, Jan 1960 to Oct 2025 (its own prices cover 9 days ({first} to {last}))" in move["source"]
    values = [float(r.split(",")[1]) for r in workbook.read_text().splitlines()[1:]]
    moves = [math.log(b / a) for a, b in zip(values, values[12:])]
    expected = (math.exp(statistics.quantiles(moves, n=100, method="inclusive")[94]) - 1) * 100
    assert math.isclose(move["percent"], expected, abs_tol=0.01)


def test_sensitivity_is_margin_points_per_ten_percent_of_each_input(tmp_path):
    soap_shop(tmp_path)
    cost = run_json(tmp_path, "cost", "soap")
    result = supplywatch("whatif", "--sensitivity", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    points = {line["material"]: 0.1 * line["cost"] / 12 / 6.00 * 100 for line in cost["lines"]}
    assert (f"Soap bar: Coconut oil {points['coconut-oil']:.1f} points, Bottle {points['bottle']:.1f} points, Lye {points['lye']:.1f} points\n") in result.stdout


def test_a_move_that_is_not_a_percent_or_an_unknown_material_is_a_clear_error(tmp_path):
    soap_shop(tmp_path)
    bad = supplywatch("whatif", "coconut-oil", "20", cwd=tmp_path)
    # A typo is bad input: exit 2 like every other command's (it was 1, which the README gives a run that finished with gaps).
    assert bad.returncode == 2 and "'20' is not a move: write it as +20% or -5%" in bad.stderr
    unknown = supplywatch("whatif", "olive-oil", "+5%", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown material 'olive-oil'" in unknown.stderr
    scenario = supplywatch("whatif", "coconut-oil", "--scenario", "worst", cwd=tmp_path)
    assert scenario.returncode == 2 and "'worst' is not a scenario" in scenario.stderr


def test_whatif_says_a_products_unit_as_a_person_reads_it_not_as_written_in_the_config(tmp_path):
    path = write_config(tmp_path, MATERIALS, extra=PRODUCTS.replace("yield: 10 candles", "yield: 4 floz"))
    recent = _recent()
    store_history(path, {"wick@corner": [(d, 12.0) for d in recent]})
    text = supplywatch("whatif", "wick", "+50%", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    today = datetime.now(timezone.utc).date()
    assert text.stdout.splitlines() == [
        f"What if Wick +50% (the latest prices, {today.day} {today:%b %Y}):",
        "  Candle: cost $0.30 -> $0.45 per fl oz; margin 96.7% -> 95.0%; $13.50 per fl oz keeps today's margin"]  # 'floz' in the config
