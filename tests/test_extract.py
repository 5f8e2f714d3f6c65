"""Every extraction path, on pages shaped like real supplier pages."""

import json
from decimal import Decimal

from spiders.extract import extract_price, parse_number
from tests.conftest import product_page

URL = "http://127.0.0.1/p/x"


def jsonld(data: object) -> str:
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body></body></html>'


def test_jsonld_graph_with_breadcrumbs_and_offer_list():
    page = jsonld({"@context": "https://schema.org", "@graph": [
        {"@type": "BreadcrumbList", "itemListElement": []},
        {"@type": "Organization", "name": "Acme"},
        {"@type": "Product", "name": "Walnut", "offers": [{"@type": "Offer", "price": "1,299.00", "priceCurrency": "USD"}]},
    ]})
    found = extract_price(page, URL)
    assert (found.price, found.currency, found.method) == (Decimal("1299.00"), "USD", "json-ld")


def test_jsonld_numeric_price_and_aggregate_offer():
    assert extract_price(jsonld({"@type": "Product", "offers": {"@type": "Offer", "price": 14.2}}), URL).price == Decimal("14.2")
    aggregate = {"@type": "Product", "offers": {"@type": "AggregateOffer", "lowPrice": "9.50", "highPrice": "12", "priceCurrency": "USD"}}
    assert extract_price(jsonld(aggregate), URL).price == Decimal("9.50")


def test_jsonld_out_of_stock_is_read():
    found = extract_price(product_page("10.00", in_stock=False), URL)
    assert found.price == Decimal("10.00") and found.in_stock is False


def test_microdata_content_attribute_beats_visible_text():
    page = ('<div itemscope itemtype="https://schema.org/Product"><div itemprop="offers" itemscope '
            'itemtype="https://schema.org/Offer"><span itemprop="price" content="1234.50">$1,234.50 (was $1,400)</span>'
            '<meta itemprop="priceCurrency" content="USD"></div></div>')
    found = extract_price(page, URL)
    assert (found.price, found.method) == (Decimal("1234.50"), "microdata")


def test_opengraph_product_price():
    found = extract_price(product_page("22.75", markup="opengraph"), URL)
    assert (found.price, found.currency, found.method) == (Decimal("22.75"), "USD", "opengraph")


def test_css_selector_with_european_number_format():
    page = '<html><body><span class="preis">1.234,56 €</span><p>Versand ab 49,00 €</p></body></html>'
    found = extract_price(page, URL, selector="css:.preis::text", locale="de_DE")
    assert (found.price, found.currency, found.method) == (Decimal("1234.56"), "EUR", "css")


def test_xpath_selector():
    page = '<html><body><table><tr><td>Price</td><td id="p">$0.125/lb</td></tr></table></body></html>'
    found = extract_price(page, URL, selector="xpath://td[@id='p']/text()", locale="en_US")
    assert found.price == Decimal("0.125")


def test_own_selector_wins_over_structured_data():
    page = product_page("99.00").replace("<h1>Walnut</h1>", '<h1>Walnut</h1><b class="member">$88.00</b>')
    assert extract_price(page, URL, selector="css:.member::text").price == Decimal("88.00")


def test_page_without_price_gives_none_not_zero():
    for page in (product_page(None), product_page(None, markup="microdata"), "<html><body>Free shipping over $50</body></html>"):
        found = extract_price(page, URL)
        assert found.price is None and found.error


def test_selector_that_matches_nothing_is_an_error_not_zero():
    found = extract_price(product_page(None, markup="plain"), URL, selector="css:.preis::text", locale="de_DE")
    assert found.price is None and "matched no price" in found.error


def test_several_prices_without_variant_are_ambiguous_and_variant_chooses():
    page = jsonld({"@type": "Product", "offers": [
        {"@type": "Offer", "sku": "TB3-1G", "name": "1 gallon", "price": "36.00", "priceCurrency": "USD"},
        {"@type": "Offer", "sku": "TB3-5G", "name": "5 gallon pail", "price": "150.00", "priceCurrency": "USD"},
    ]})
    assert extract_price(page, URL).price is None
    assert extract_price(page, URL, variant="TB3-5G").price == Decimal("150.00")
    assert extract_price(page, URL, variant="5 gallon pail").price == Decimal("150.00")


def test_locale_decides_the_decimal_separator():
    assert parse_number("1.299,00 €", "de_DE").amount == Decimal("1299.00")
    assert parse_number("$1,299.00", "en_US").amount == Decimal("1299.00")
    assert parse_number("1,299", "en_US").amount == Decimal("1299")
