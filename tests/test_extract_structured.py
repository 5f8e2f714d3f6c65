"""Structured data that states something other than a number where a price belongs (an object, a
list, ``true``, ``"1e9"``, ``"NaN"``, a currency code) is never read as a price: the offer is
either given its true price or none, with the reason, whatever shape the data takes."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from typing import Any

import sqlite_utils
from hypothesis import HealthCheck, given, settings, strategies as st

from spiders.extract import extract_price
from spiders.numbers import machine_reading
from tests.conftest import product_page, supplywatch, write_config

URL = "http://127.0.0.1/p/walnut"
TRUE = Decimal("12.50")

# Values that are not a price, whatever digits they hold.
_NOT_NUMBERS = st.one_of(
    st.just(True), st.just(False), st.sampled_from(["", " ", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e9", "1E3", "2.5e1",
                                                    "-5", "-12.50", "−3", "0", "0.00", "USD", "EUR", "€", "1e400", "10" * 12,
                                                    "2 for 10", "9.99 - 19.99", "12.50/15.00", "null", "true", "{}", "[]"]),
    st.sampled_from([0, -1, -12.5, 1e22, 1e300, 10**30, float("nan"), float("inf"), float("-inf")]),
)


def _numbers_inside(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects and lists that hold numbers (1, "2"...) but are not one: ``{"a": 1}``, ``[1, 2]``."""
    return st.one_of(
        st.dictionaries(st.sampled_from(["a", "value", "amount", "price", "@type", "@id"]), children, min_size=1, max_size=3)
        .filter(lambda d: "@value" not in d),
        st.lists(children, min_size=2, max_size=3).filter(lambda items: len({json.dumps(i, sort_keys=True) for i in items}) > 1),
        st.just([]), st.just({}),
    )


HOSTILE = st.recursive(st.one_of(_NOT_NUMBERS, st.integers(1, 99), st.sampled_from(["1", "7.5", "99"])), _numbers_inside,
                       max_leaves=6).filter(lambda v: machine_reading(v).amount is None)
# Where a price can be stated in JSON-LD, and what the hostile value replaces.
PLACES = ["price", "lowPrice", "spec", "aggregate-both", "nested-offer"]


def _offer(place: str, value: Any) -> dict[str, Any]:
    if place == "price":
        return {"@type": "Offer", "price": value, "priceCurrency": "USD"}
    if place == "lowPrice":
        return {"@type": "AggregateOffer", "lowPrice": value, "highPrice": "99.00", "priceCurrency": "USD"}
    if place == "aggregate-both":
        return {"@type": "AggregateOffer", "lowPrice": value, "highPrice": value, "priceCurrency": value}
    if place == "spec":
        return {"@type": "Offer", "priceSpecification": {"@type": "UnitPriceSpecification", "price": value, "priceCurrency": "USD"}}
    return {"@type": "AggregateOffer", "offers": [{"@type": "Offer", "price": value}], "lowPrice": value}


def _page(offer: dict[str, Any], witness: str = "") -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": "Walnut board", "offers": offer}
    return (f'<html><head><script type="application/ld+json">{json.dumps(data)}</script>{witness}</head>'
            f"<body><h1>Walnut board</h1></body></html>")


def _microdata(value: Any) -> str:
    """A microdata offer whose price is stated ``value`` (a list: the property written once per item)."""
    values = value if isinstance(value, list) else [value]
    props = "".join(f'<meta itemprop="price" content="{html.escape(json.dumps(v) if not isinstance(v, str) else v)}">' for v in values)
    return (f'<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Walnut board</span>'
            f'<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">{props}'
            f'<meta itemprop="priceCurrency" content="USD"></div></div>')


FAST = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(HOSTILE, st.sampled_from(PLACES))
def test_a_jsonld_price_that_is_not_a_number_gives_no_price_and_says_why(value, place):
    found = extract_price(_page(_offer(place, value)), URL)
    assert found.price is None and found.status == "missing" and found.error, (value, place, found)


@FAST
@given(HOSTILE, st.sampled_from(PLACES), st.sampled_from(["opengraph", "microdata"]))
def test_after_a_jsonld_price_that_is_not_one_the_next_source_gives_the_true_price(value, place, source):
    witness = ('<meta property="og:title" content="Walnut board"><meta property="product:price:amount" content="12.50">'
               '<meta property="product:price:currency" content="USD">') if source == "opengraph" else ""
    page = _page(_offer(place, value), witness)
    if source == "microdata":
        page = page.replace("</body>", _microdata("12.50") + "</body>")
    found = extract_price(page, URL)
    assert (found.status, found.price, found.method) == ("ok", TRUE, source), (value, place, found)


def _as_text(value: Any) -> str:
    """What a page's attribute holds when a shop writes ``value`` into it."""
    return value if isinstance(value, str) else json.dumps(value)


@FAST
@given(HOSTILE.map(_as_text).filter(lambda text: machine_reading(text).amount is None), st.sampled_from(["microdata", "opengraph"]))
def test_a_microdata_or_opengraph_price_that_is_not_a_number_gives_no_price_and_says_why(text, source):
    stated = html.escape(text)
    page = (f"<html><body><h1>Walnut board</h1>{_microdata(text)}</body></html>" if source == "microdata" else
            f'<html><head><meta property="og:title" content="Walnut board"><meta property="product:price:amount" content="{stated}">'
            f'</head><body><h1>Walnut board</h1></body></html>')
    found = extract_price(page, URL)
    assert found.price is None and found.error, (text, found)


def test_a_microdata_price_stated_twice_is_read_when_both_agree_and_refused_when_they_differ():
    def page(*prices: str) -> str:
        return f"<html><body><h1>Walnut board</h1>{_microdata(list(prices))}</body></html>"

    assert extract_price(page("12.50", "12.50"), URL).price == TRUE
    found = extract_price(page("12.50", "1"), URL)
    assert found.price is None and "list of 2" in found.error


# The true price in every shape a machine legitimately writes it.
TRUE_SHAPES = st.sampled_from([
    12.5, "12.50", "12.5", " 12.50 ", "+12.50", "$12.50", "12.50 USD", "USD 12.50", ["12.50"], [12.5, "12.50"],
    {"@value": "12.50"}, {"@value": 12.5, "@type": "http://www.w3.org/2001/XMLSchema#decimal"},
])


@settings(max_examples=30, derandomize=True, deadline=None)
@given(TRUE_SHAPES, st.sampled_from(["price", "lowPrice", "spec", "nested-offer"]))
def test_a_jsonld_price_written_as_a_number_a_numeric_text_or_a_value_object_is_the_true_price(value, place):
    found = extract_price(_page(_offer(place, value)), URL)
    assert (found.status, found.price) == ("ok", TRUE), (value, place, found)


def test_an_aggregate_offer_whose_lowest_price_is_above_its_highest_is_not_a_price():
    found = extract_price(_page({"@type": "AggregateOffer", "lowPrice": "120.00", "highPrice": "12.00", "priceCurrency": "USD"}), URL)
    assert found.price is None and "above its highest" in found.error


def test_each_reason_names_what_the_data_stated():
    reasons = {
        True: "yes or no", "1e9": "exponent", "NaN": "not a number", "-5": "negative", "": "empty", "USD": "no number",
        "2 for 10": "2 numbers", (1, 2): "list of 2", "{}": "object", '{"a": 1}': "more than a number",
    }
    for value, words in reasons.items():
        stated: Any = list(value) if isinstance(value, tuple) else {} if value == "{}" else value
        found = extract_price(_page(_offer("price", stated)), URL)
        assert found.price is None and words in found.error, (value, found.error)


def test_shopify_and_woocommerce_prices_that_are_not_numbers_are_left_out(tmp_path):
    from spiders.platforms import json_candidates

    for bad in (True, {"amount": 1250}, [1250, 999], "1e3", "NaN", "-1250", ""):
        shopify = {"handle": "walnut", "variants": [{"id": 1, "title": "Default Title", "price": bad}]}
        woo = {"id": 1, "name": "Walnut", "prices": {"price": bad, "currency_code": "USD", "currency_minor_unit": 2}}
        assert json_candidates(shopify) == [] and json_candidates(woo) == [], bad
    page = '<div class="product-info-main"><span data-price-type="finalPrice" data-price-amount="1e3">$1,000</span></div><h1>Walnut</h1>'
    assert extract_price(page, URL).method != "magento"


def test_a_night_stores_no_price_for_data_that_is_not_one_and_the_true_price_where_a_source_gives_it(tmp_path, sites):
    """Through a real crawl: each hostile shape is that offer's error, never a price; a page whose
    JSON-LD price is an object but whose OpenGraph states the price is stored at that price."""
    acme, corner = sites(), sites()
    hostile = {"object": {"a": 1}, "list": [1, 2], "boolean": True, "exponent": "1e9", "code": "USD", "negative": "-12.50"}
    lines = [f'        - {{supplier: acme, id: {name}, url: "{acme.set(name, _page(_offer("price", value)))}"}}'
             for name, value in hostile.items()]
    witness = ('<meta property="og:title" content="Walnut board"><meta property="product:price:amount" content="12.50">'
               '<meta property="product:price:currency" content="USD">')
    lines.append(f'        - {{supplier: acme, id: rescued, url: "{acme.set("rescued", _page(_offer("price", {"a": 1}), witness))}"}}')
    write_config(tmp_path, "\n".join([
        "    - id: walnut", "      name: Walnut", "      unit: board_foot", "      offers:", *lines,
        f'        - {{supplier: corner, id: healthy, url: "{corner.set("walnut", product_page("12.00"))}"}}',
    ]), suppliers_yaml="""
    - {id: acme, name: Acme Lumber, currency: USD, locale: en_US}
    - {id: corner, name: Corner Shop, currency: USD, locale: en_US}
""")
    result = supplywatch("run", cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr[-3000:]  # partial: some offers gave no price, nothing crashed
    rows = {r["offer_id"]: r for r in sqlite_utils.Database(tmp_path / "supplywatch.db").query("SELECT * FROM observations")}
    assert (rows["healthy"]["status"], rows["healthy"]["price"]) == ("ok", 12.0)
    assert (rows["rescued"]["status"], rows["rescued"]["price"], rows["rescued"]["method"]) == ("ok", 12.5, "opengraph")
    for name in hostile:
        assert rows[name]["price"] is None and rows[name]["status"] in ("error", "missing"), (name, rows[name])
        assert "price cannot be used" in rows[name]["error"], (name, rows[name]["error"])


def test_a_quantity_break_from_a_value_that_is_not_a_number_is_no_break():
    breaks = [{"@type": "UnitPriceSpecification", "price": "12.50", "priceCurrency": "USD", "eligibleQuantity": {"minValue": 1}},
              {"@type": "UnitPriceSpecification", "price": "1.00", "priceCurrency": "USD", "eligibleQuantity": {"minValue": {"a": 5}}},
              {"@type": "UnitPriceSpecification", "price": "2.00", "priceCurrency": "USD", "eligibleQuantity": {"minValue": True}}]
    found = extract_price(_page({"@type": "Offer", "priceSpecification": breaks}), URL, quantity=Decimal(1))
    assert (found.status, found.price, found.tiers) == ("ok", TRUE, ())


def test_a_woocommerce_minor_unit_that_is_not_a_count_of_digits_gives_no_price():
    from spiders.platforms import json_candidates

    for minor in (True, 2.5, "two", -1, [2]):
        assert json_candidates({"id": 1, "name": "Walnut", "prices": {"price": "1250", "currency_minor_unit": minor}}) == [], minor
    assert json_candidates({"id": 1, "name": "Walnut", "prices": {"price": "1250", "currency_minor_unit": "2"}})[0].price == TRUE


def test_a_reference_quantity_that_is_not_a_number_is_no_pack():
    from spiders.packs import pack_from_reference

    for value in (True, "1e9", [1, 2], {"a": 1}, "NaN", 0, -3):
        assert pack_from_reference({"value": value, "unitCode": "KGM"}) is None, value
    assert pack_from_reference({"value": "0,75", "unitCode": "LTR"}) == "0.75 L" and pack_from_reference({"unitCode": "C62"}) == "1 each"


def test_a_goodrelations_price_in_rdfa_that_is_not_a_number_gives_no_price_from_it():
    from pathlib import Path

    page = (Path(__file__).parent / "fixtures" / "rules" / "goodrelations-offering.html").read_text(encoding="utf-8")
    tag = '<span property="gr:hasCurrencyValue" datatype="xsd:float">64.50</span>'
    assert tag in page
    untyped = tag.replace(' datatype="xsd:float"', "")  # typed, rdflib makes "1e9" a float before we see it (as JSON's 1e9)
    for written, stated in [(t, s) for t in (tag, untyped) for s in ("true", "NaN", '{"a": 1}', "-64.50", "USD")] + [(untyped, "1e9")]:
        found = extract_price(page.replace(tag, written.replace("64.50", html.escape(stated))), "https://shop.example/lye")
        assert found.method != "rdfa" and found.price is None and "its rdfa price cannot be used" in found.error, (stated, found)
    twice = tag + tag.replace("64.50", "6.45")  # two different values of one property: not one price
    assert extract_price(page.replace(tag, twice), "https://shop.example/lye").method != "rdfa"
