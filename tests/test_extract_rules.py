"""Each zero-configuration extraction rule, proved on a small page shaped like the real shops it
was learnt from (tests/fixtures/rules/). No locale is given unless the test says so: the page tells."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from spiders import packs
from spiders.currencies import iso_code
from spiders.extract import extract_price
from spiders.numbers import machine_number, read_number

RULES = Path(__file__).resolve().parent / "fixtures" / "rules"


def page(name: str) -> bytes:
    return (RULES / name).read_bytes()


def extract(name: str, **options) -> object:
    return extract_price(page(name), f"https://shop.example/{name}", **options)


def jsonld(offer: dict, name: str = "Walnut board") -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": name, "offers": {"@type": "Offer", **offer}}
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>{name}</h1></body></html>'


# Numbers: machines' attributes as machines write them, people's text with the page's locale.

def test_machine_attribute_with_a_decimal_comma_is_not_read_a_hundred_times_too_high():
    found = extract("pt-microdata-comma-content.html")
    assert (found.status, found.price, found.currency, found.method) == ("ok", Decimal("26.00"), "EUR", "microdata")


def test_human_text_is_read_with_the_locale_the_page_declares():
    found = extract("de-plain-no-structured-data.html")
    assert (found.status, found.price, found.method) == ("ok", Decimal("1089.50"), "visible")
    assert found.locale is not None and found.locale.decimal == ","


def test_a_number_whose_shape_contradicts_the_page_language_is_read_by_its_shape():
    found = extract("si-dot-decimal-on-comma-locale.html")  # lang sl-SI writes 12,40 but the shop prints 12.40€
    assert (found.status, found.price) == ("ok", Decimal("12.40"))


def test_a_number_that_fits_two_readings_on_a_page_without_clues_is_refused():
    html = "<html><body><h1>Oak board</h1><span class='price'>1.299 €</span><button>Add to cart</button></body></html>"
    found = extract_price(html, "https://shop.example/oak")
    assert found.price is None and found.status == "missing"
    assert read_number("1.299 €", None).why and "1299 or 1.299" in read_number("1.299 €", None).why
    assert extract_price(html, "https://shop.example/oak", locale="de_DE").price == Decimal("1299")


def test_the_locale_given_is_an_override_for_ambiguous_numbers_only():
    html = "<html lang='en'><body><h1>Oak board</h1><span class='price'>1.299 €</span><button>Add to cart</button></body></html>"
    assert extract_price(html, "https://shop.example/oak").price == Decimal("1.299")  # an English page: a decimal point
    assert extract_price(html, "https://shop.example/oak", locale="de_DE").price == Decimal("1299")


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "1e400", "1e22", "100000000000000000000000", "0", "0.00", "-5", "", "abc"])
def test_numbers_that_are_not_finite_and_sane_are_never_prices(value):
    found = extract_price(jsonld({"price": value, "priceCurrency": "USD"}), "https://shop.example/x")
    assert found.price is None and found.status == "missing"


def test_a_json_number_that_is_not_finite_is_never_a_price():
    assert machine_number(float("nan")) is None and machine_number(float("inf")) is None and machine_number(1e300) is None
    assert machine_number(12.5) == Decimal("12.5")


@settings(max_examples=300, derandomize=True)
@given(st.text(alphabet="0123456789.,' €$-eE\u00a0", max_size=24), st.sampled_from([None, ".", ",", ""]))
def test_a_reading_is_a_sane_price_or_nothing(text, decimal):
    amount = read_number(text, decimal).amount
    assert amount is None or (amount.is_finite() and Decimal(0) < amount < Decimal("1e22"))


# The page's own product.

def test_jsonld_product_nested_as_the_main_entity_of_an_item_page():
    found = extract("jsonld-itempage-mainentity.html")
    assert (found.price, found.currency, found.method, found.in_stock) == (Decimal("34.95"), "GBP", "json-ld", True)


def test_aggregate_offer_low_price_when_its_offers_are_only_links():
    found = extract("jsonld-aggregate-url-offers.html")
    assert (found.status, found.price, found.method) == ("ok", Decimal("21.40"), "json-ld")


def test_related_products_in_a_microdata_carousel_are_not_this_pages_prices():
    found = extract("microdata-carousel.html")
    assert (found.status, found.price, found.method) == ("ok", Decimal("18.90"), "microdata")
    assert found.in_stock is True


def test_a_sale_offer_beside_its_list_offer_is_chosen_by_what_the_buy_box_shows():
    found = extract("it-two-offers-sale.html")
    assert (found.status, found.price) == ("ok", Decimal("17.10"))
    assert "visible" in found.agreed


def test_sizes_at_different_prices_are_chosen_by_the_buy_box_when_they_buy_the_same_quantity():
    found = extract("jsonld-size-prices.html")
    assert (found.status, found.price, found.in_stock) == ("ok", Decimal("74.95"), True)
    assert extract("jsonld-size-prices.html", variant="AP-XL").price == Decimal("99.99")


def test_a_category_page_stays_ambiguous():
    found = extract_price((Path(__file__).parent / "fixtures" / "pages" / "us-category-page.html").read_bytes(), "https://shop.example/oils")
    assert found.status == "ambiguous" and found.price is None


# The last-resort visible source.

def test_without_structured_data_the_price_beside_the_title_and_add_to_cart_is_read():
    found = extract("de-plain-no-structured-data.html")
    assert (found.price, found.method, found.in_stock) == (Decimal("1089.50"), "visible", True)
    texts = {p.text: p for p in found.visible}
    assert texts["24,90 €"].excluded == "in a block of other products"  # the accessories slider
    assert texts["1.089,50 €"].excluded is None


def test_prices_that_no_buy_box_singles_out_stay_missing_with_every_candidate_listed():
    found = extract("plain-two-prices-no-buybox.html")
    assert found.status == "missing" and found.price is None and "do not single one out" in found.error
    assert {p.amount for p in found.visible} == {Decimal("14.50"), Decimal("17.25"), Decimal("21.00")}


def test_amazon_buy_box_price_not_the_carousel():
    found = extract("amazon-buybox.html")
    assert (found.price, found.currency, found.method, found.in_stock) == (Decimal("12.49"), "EUR", "amazon", True)


def test_an_unavailable_amazon_page_has_no_price_and_says_out_of_stock():
    found = extract("amazon-unavailable.html")
    assert found.price is None and found.in_stock is False


# A first price whose sources disagree.

def test_a_stale_structured_price_shown_struck_through_gives_way_to_the_buy_box_and_is_recorded():
    found = extract("lv-stale-structured-price.html")
    assert (found.price, found.method) == (Decimal("110.00"), "visible")
    assert [(d.method, d.price) for d in found.disputed] == [("microdata", Decimal("219.99"))]
    assert found.agreed == ("visible",)


def test_sources_that_agree_are_recorded():
    found = extract("microdata-carousel.html")
    assert found.disputed == () and found.agreed[0] == "microdata"


# Availability from what the page says.

def test_availability_label_in_a_description_block_says_out_of_stock():
    found = extract("stock-label-in-description.html")
    assert (found.price, found.in_stock) == (Decimal("18.75"), False)


def test_in_stock_between_dashes_says_in_stock():
    found = extract("stock-dashes.html")
    assert (found.price, found.in_stock) == (Decimal("14.20"), True)


def test_a_sold_out_size_and_an_image_placeholder_do_not_make_the_product_sold_out():
    found = extract("stock-size-picker.html")
    assert (found.price, found.in_stock) == (Decimal("89.50"), True)


def test_amazon_and_german_stock_lines():
    assert extract("amazon-buybox.html").in_stock is True  # "Auf Lager."
    assert extract("de-plain-no-structured-data.html").in_stock is True  # "Auf Lager, Lieferzeit 3-5 Werktage"


# What one price buys.

def test_the_size_stated_in_the_buy_box_is_the_pack():
    assert extract("de-inhalt-buybox.html").pack == "0.75 L"


def test_a_microdata_weight_written_as_text_is_the_pack():
    assert extract("microdata-weight-string.html").pack == "200 mL"


def test_sold_per_package_of_six():
    assert extract("us-sold-per-package.html", unit="each").pack == "6 each"


def test_ten_rolls_of_ten_metres_per_package_is_a_hundred_metres():
    assert extract("tape-rolls-per-package.html", unit="m").pack == "100 m"
    assert packs.packs_in_text("Masking tape 24 mm x 10 m, 10 rolls per package")[0] == "100 m"


def test_an_appliance_capacity_in_the_title_is_not_a_pack():
    found = extract("pt-oven-capacity.html")
    assert (found.price, found.pack) == (Decimal("109.00"), None)


def test_the_product_name_is_the_whole_heading_not_its_first_badge():
    html = ('<html><head><script type="application/ld+json">{"@type":"Product","offers":{"@type":"Offer","price":"9.00"}}</script>'
            '</head><body><h1><span class="badge">New</span> <span>Lye 2 kg</span></h1></body></html>')
    assert extract_price(html, "https://shop.example/lye").pack == "2 kg"


# Currencies.

def test_a_retired_but_common_currency_code_is_mapped():
    found = extract("jsonld-retired-rur-code.html")
    assert (found.price, found.currency, found.currency_note) == (Decimal("1490"), "RUB", None)


def test_a_currency_code_that_is_not_one_is_reported_not_passed_on():
    found = extract("jsonld-unknown-currency-code.html")
    assert found.price == Decimal("420.00") and found.currency is None
    assert "UAN" in found.currency_note and "not an ISO 4217 code" in found.currency_note
    assert iso_code("eur").code == "EUR" and iso_code("€").code == "EUR" and iso_code("$").code is None


# GoodRelations.

def test_goodrelations_offering_in_rdfa():
    found = extract("goodrelations-offering.html", unit="kg")
    assert (found.price, found.currency, found.method, found.pack) == (Decimal("64.50"), "USD", "rdfa", "25 kg")


# More of how pages write prices.

def test_a_currency_without_decimals_groups_thousands_with_its_comma():
    found = extract("kr-won-whole-amounts.html")  # no lang: 원 says won, which has no decimals
    assert (found.price, found.currency, found.method) == (Decimal("30000"), "KRW", "visible")


def test_a_page_whose_prices_all_have_three_digits_after_a_dot_groups_thousands_with_it():
    found = extract("ar-thousands-dots.html")
    assert (found.price, found.method) == (Decimal("3499"), "visible")


def test_cents_set_apart_in_a_superscript_are_cents():
    found = extract("ca-split-cents.html")
    assert (found.price, found.currency) == (Decimal("229.99"), None)  # "$" alone does not say which dollar


def test_instalments_and_shipping_beside_the_price_are_not_the_price():
    found = extract("de-instalment-beside-price.html")
    assert (found.price, found.method) == (Decimal("56.74"), "visible")
    labelled = {p.amount: p.excluded for p in found.visible}
    assert "mtl" in labelled[Decimal("5.05")] and "Versand" in labelled[Decimal("5.95")]


def test_an_add_to_cart_control_holding_both_stock_labels_says_nothing_about_stock():
    found = extract("pl-switched-stock-labels.html")
    assert (found.price, found.in_stock) == (Decimal("32"), None)


def test_amazon_without_a_buy_box_winner_reads_the_lowest_offer_and_says_so():
    found = extract("amazon-no-buy-box-winner.html")
    assert (found.price, found.method) == (Decimal("99.12"), "amazon")
    assert found.raw.startswith("no seller holds the buy box")
