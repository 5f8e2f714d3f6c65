"""``supplywatch probe``, the owner's way in: one JSON object per page in order, the locale and
currency it read, every price-like text of a page without structured data, the owner's --price kept."""

import json
from pathlib import Path

from tests.conftest import supplywatch

RULES = Path(__file__).resolve().parent / "fixtures" / "rules"


def probe_json(*args: str, cwd: Path) -> list[dict]:
    result = supplywatch("probe", "--json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_json_gives_one_object_per_page_in_order_served_and_saved(tmp_path, sites):
    shop = sites()
    first = shop.set("hobelbank", (RULES / "de-plain-no-structured-data.html").read_bytes())
    second = str(RULES / "pt-microdata-comma-content.html")
    third = shop.set("cimdi", (RULES / "lv-stale-structured-price.html").read_bytes())
    pages = probe_json(first, second, third, cwd=tmp_path)
    assert [p["target"] for p in pages] == [first, second, third]
    for page in pages:
        assert {"price", "currency", "in_stock", "pack", "method", "status", "candidates", "locale"} <= set(page)
    assert (pages[0]["price"], pages[0]["currency"], pages[0]["method"], pages[0]["status"], pages[0]["in_stock"]) == (
        "1089.50", "EUR", "visible", "ok", True)
    assert (pages[1]["price"], pages[1]["method"]) == ("26.00", "microdata")
    assert (pages[2]["price"], pages[2]["disputed"]) == ("110.00", [{"method": "microdata", "price": "219.99"}])


def test_without_locale_the_page_tells_and_probe_says_which(tmp_path, sites):
    shop = sites()
    url = shop.set("hobelbank", (RULES / "de-plain-no-structured-data.html").read_bytes())
    (page,) = probe_json(url, cwd=tmp_path)
    assert page["price"] == "1089.50"  # not 1.0895
    assert page["locale"]["decimal_separator"] == "," and page["locale"]["name"] == "de_DE"
    text = supplywatch("probe", url, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    # The language in words, with the code the config's locale: takes (a bare "de_DE" read as jargon).
    assert "Numbers read as: German in Germany (de_DE), a decimal comma" in text.stdout and "Currency: EUR" in text.stdout


def test_locale_option_overrides_for_numbers_the_page_leaves_open(tmp_path):
    page = tmp_path / "oak.html"
    page.write_text("<html><body><h1>Oak board</h1><span class='price'>1.299 €</span><button>Add to cart</button></body></html>")
    (unknown,) = probe_json(str(page), cwd=tmp_path)
    assert (unknown["status"], unknown["price"]) == ("missing", None) and "could be 1299 or 1.299" in unknown["error"]
    (german,) = probe_json(str(page), "--locale", "de_DE", cwd=tmp_path)
    assert german["price"] == "1299" and german["locale"]["source"] == "given"
    bad = supplywatch("probe", str(page), "--locale", "xx_NOPE", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown locale" in bad.stderr


def test_a_page_without_structured_data_lists_every_price_like_text_with_where_it_sits(tmp_path):
    result = supplywatch("probe", str(RULES / "plain-two-prices-no-buybox.html"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = result.stdout.split("Prices shown on the page, and where they sit:")[1].split("Numbers read as")[0]
    for price in ("$14.50", "$17.25", "$21.00"):
        assert shown.count(price) == 1  # each once, never twice
    assert 'price: "css:div.boards p:nth-of-type(2) b::text"' in shown and "Not chosen (missing)" in result.stdout


def test_price_selector_is_kept_in_the_config_snippet(tmp_path):
    result = supplywatch("probe", str(RULES / "plain-two-prices-no-buybox.html"), "--price", "css:div.boards p:nth-of-type(2) b::text",
                         "--supplier", "haven", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    snippet = result.stdout.split("Config to paste under the material's offers:")[1]
    assert 'price: "css:div.boards p:nth-of-type(2) b::text"' in snippet and "supplier: haven" in snippet
    assert "Chosen: 17.25" in result.stdout


def test_the_same_offer_told_twice_is_listed_once(tmp_path):
    offer = {"@type": "Offer", "sku": "LY-2", "price": "9.50", "priceCurrency": "USD"}
    data = {"@context": "https://schema.org", "@type": "Product", "name": "Lye 2 lb", "offers": [offer, offer]}
    page = tmp_path / "lye.html"
    page.write_text(f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>Lye 2 lb</h1></body></html>')
    result = supplywatch("probe", str(page), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("json-ld     9.50 USD") == 1
    (parsed,) = probe_json(str(page), cwd=tmp_path)
    assert len(parsed["candidates"]) == 1


def test_a_page_that_cannot_be_fetched_is_an_error_object_and_exit_1(tmp_path, sites):
    shop = sites()
    good = shop.set("lye", (RULES / "jsonld-itempage-mainentity.html").read_bytes())
    missing = shop.url("gone")
    result = supplywatch("probe", "--json", good, missing, cwd=tmp_path)
    assert result.returncode == 1
    pages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["status"] for p in pages] == ["ok", "error"] and "404" in pages[1]["error"]


SOIL = ('<html><head><meta property="og:title" content="Potting soil 25 kg bag">'
        '<meta property="product:price:amount" content="23.00"><meta property="product:price:currency" content="USD"></head></html>')


def test_unit_prices_are_money_per_unit_and_a_pack_that_cannot_be_priced_in_the_unit_is_not_pasted(tmp_path, sites):
    url = sites().set("soil", SOIL)
    per_kg = supplywatch("probe", url, "--unit", "kg", cwd=tmp_path)
    assert per_kg.returncode == 0, per_kg.stderr
    assert "      known as: potting soil 25 kg bag; pack: 25 kg; stock not stated  = $0.92/kg\n" in per_kg.stdout  # not "ids: ..." nor "= 0.9200 per kg"
    assert "\n    pack: 25 kg\n" in per_kg.stdout
    each = supplywatch("probe", url, "--unit", "each", cwd=tmp_path)
    assert each.returncode == 0, each.stderr
    # pasted as "pack: 25 kg" into a material priced each, every night's price would be held back as suspect
    assert "\n    pack: 25 kg" not in each.stdout
    # counted each, the bag's 25 kg is what one bag weighs: one price buys one bag, as the night reads it too
    assert "\n    pack: 1 each " in each.stdout, each.stdout


def test_a_pack_that_cannot_be_priced_in_the_unit_is_said_just_above_the_config_to_paste(tmp_path, sites):
    url = sites().set("soil", SOIL)
    per_litre = supplywatch("probe", url, "--unit", "L", cwd=tmp_path)
    assert per_litre.returncode == 0, per_litre.stderr
    assert ("Stated by: opengraph\nPack: the page says 25 kg, which cannot be priced per L (25 kg cannot be converted to L"
            in per_litre.stdout), per_litre.stdout
    assert "held back as suspect\n\nConfig to paste under the material's offers:\n" in per_litre.stdout
    assert "\n    pack: 1 L            # the page says 25 kg: say what one price buys\n" in per_litre.stdout


NO_PACK = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", '
           '"name": "Black walnut 8/4 FAS", "offers": {"@type": "Offer", "price": "17.50", "priceCurrency": "USD"}}'
           '</script></head><body><h1>Black walnut 8/4 FAS</h1></body></html>')


def test_the_config_probe_prints_for_a_page_without_a_pack_passes_check(tmp_path, sites):
    """`probe URL --unit kg` on a page that states no pack printed `pack: 1 each` to paste, which
    `check` rejects under a material priced per kg (README walk): it prints the unit asked for, and
    without --unit a commented line, as the run reads a pack left out."""
    url = sites().set("walnut", NO_PACK)
    for unit in ("board_foot", None):
        probed = supplywatch("probe", url, "--supplier", "acme", *(["--unit", unit] if unit else []), cwd=tmp_path)
        assert probed.returncode == 0, probed.stderr
        pasted = probed.stdout.split("Config to paste under the material's offers:\n", 1)[1]
        assert "1 each" not in pasted
        offer = "\n".join("      " + line[2:] for line in pasted.rstrip().splitlines())
        (tmp_path / "supplywatch.yml").write_text(
            "currency: USD\ncrawl: {contact: owner@shop.test}\nsuppliers: [{id: acme, name: Acme Lumber, currency: USD}]\n"
            "materials:\n  - id: walnut\n    name: Walnut\n    unit: board_foot\n    offers:\n" + offer + "\n", encoding="utf-8")
        checked = supplywatch("check", cwd=tmp_path)
        assert checked.returncode == 0, (tmp_path / "supplywatch.yml").read_text() + checked.stderr
