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


# A wrong price is worse than a missing one: the buy box refuses when it cannot single one out.

def test_prices_on_a_page_without_a_heading_or_add_to_cart_stay_missing():
    found = extract("tw-listing-no-heading.html")  # "售價 NT$99" and "會員價 NT$89", no h1, no cart button
    assert (found.status, found.price) == ("missing", None)
    assert "no product title (h1) or add-to-cart control" in found.error
    assert {p.amount for p in found.visible} == {Decimal("99"), Decimal("89")}


def test_a_title_and_an_add_to_cart_beside_different_prices_stay_missing():
    found = extract("hr-title-and-cart-disagree.html")
    assert (found.status, found.price) == ("missing", None)
    assert "sit beside different prices" in found.error and "129,00 kn" in found.error and "169,00 kn" in found.error


def test_three_prices_beside_the_title_are_not_sure_enough():
    found = extract("hr-many-prices-in-buy-box.html")  # three models listed under one heading
    assert (found.status, found.price) == ("missing", None)
    assert "not sure enough (0.4)" in found.error and "2 other price(s)" in found.error


def test_one_other_price_beside_the_title_still_lets_the_first_one_through():
    found = extract("two-prices-beside-the-title.html")  # "$200 2 bids" then "Reserve $350.00 not met"
    assert (found.status, found.price, found.method) == ("ok", Decimal("200"), "visible")


def test_sizes_at_different_prices_with_only_a_from_price_shown_stay_ambiguous():
    found = extract("ie-sizes-from-price.html")  # "From €62.95" is a lower bound, not the price of every size
    assert (found.status, found.price) == ("ambiguous", None)
    assert "2 different prices in json-ld" in found.error and "variant:" in found.error
    assert extract("ie-sizes-from-price.html", variant="WB-44").price == Decimal("62.95")
    shows_another = page("ie-sizes-from-price.html").replace("From €62.95".encode(), "€59.00".encode())
    assert extract_price(shows_another, "https://shop.example/boots").status == "ambiguous"  # the buy box names none of them


def test_a_variant_the_page_does_not_offer_names_the_offers_it_has():
    found = extract("jsonld-size-prices.html", variant="AP-XXL")
    assert (found.status, found.price) == ("missing", None)
    assert "'AP-XXL' not found" in found.error and "ap-s" in found.error and "ap-xl" in found.error


# Where the buy box is, and what is not in it.

def test_the_product_heading_is_the_one_named_like_the_page_not_the_logo_heading():
    found = extract("nested-headings.html")  # <h1>Hive Supplies</h1> in the masthead, then the product's <h1>
    assert (found.status, found.price, found.method, found.pack) == ("ok", Decimal("14.75"), "visible", "1 kg")


def test_prices_in_the_labels_of_a_variant_picker_are_not_the_price():
    found = extract("size-picker-labels.html")  # "Grade 2 $54.00" first in the page, in a <label>
    assert (found.status, found.price) == ("ok", Decimal("71.00"))
    assert {p.amount for p in found.visible if p.excluded == "in an option of a size or variant picker"} >= {Decimal("54.00")}


def test_the_cart_total_in_the_site_banner_is_not_the_price():
    found = extract("header-banner-cart.html")  # <header role="banner"> with "Cart total: A$ 48.20"; the product's own <header> holds its h1
    assert (found.status, found.price, found.currency) == ("ok", Decimal("6.95"), "AUD")
    assert {p.amount: p.excluded for p in found.visible}[Decimal("48.20")] == "in the page's header"


# The page's own product among several in its data.

def test_an_event_with_offers_is_what_the_page_sells():
    found = extract("cl-event-tickets.html")  # schema.org Event: tickets at $3.340 (Chilean pesos, no decimals)
    assert (found.status, found.price, found.currency, found.in_stock) == ("ok", Decimal("3340"), "CLP", True)


def test_the_product_whose_url_is_the_pages_canonical_is_the_pages_own():
    found = extract_price(page("jsonld-own-product-by-url.html"), "https://timber.example/p/pine-shelf-18mm?ref=home")
    assert (found.status, found.price) == ("ok", Decimal("16.50"))
    without_canonical = page("jsonld-own-product-by-url.html").replace(b'<link rel="canonical" href="https://timber.example/p/pine-shelf-18mm">', b"")
    assert extract_price(without_canonical, "https://timber.example/p/oak-shelf-18mm").price == Decimal("39.00")
    assert extract_price(without_canonical, "https://timber.example/shelves").status == "ambiguous"


def test_the_product_whose_sku_is_in_the_address_is_the_pages_own():
    assert extract_price(page("jsonld-own-product-by-sku.html"), "https://seifen.example/shop?sku=KO-1180").price == Decimal("12.40")
    assert extract_price(page("jsonld-own-product-by-sku.html"), "https://seifen.example/shop/nl-5021").price == Decimal("18.90")
    assert extract_price(page("jsonld-own-product-by-sku.html"), "https://seifen.example/shop").status == "ambiguous"


# Prices stated only in a price specification.

def test_quantity_breaks_without_an_offer_price_give_the_first_break_and_every_tier():
    found = extract("jsonld-quantity-breaks-only.html")
    assert (found.status, found.price, found.currency) == ("ok", Decimal("18.00"), "USD")
    assert [(t.min_quantity, t.price) for t in found.tiers] == [(Decimal(1), Decimal("18.00")), (Decimal(10), Decimal("16.20"))]


def test_a_price_specification_without_an_offer_price_gives_the_current_price_and_the_list_price():
    found = extract("jsonld-price-specification-only.html")
    assert (found.status, found.price, found.list_price, found.in_stock) == ("ok", Decimal("31.95"), Decimal("38.00"), True)


def test_goodrelations_type_and_quantity_node_names_the_product():
    found = extract("goodrelations-type-and-quantity.html", unit="kg")
    assert (found.price, found.currency, found.method, found.pack) == (Decimal("89.00"), "EUR", "rdfa", "10 kg")


# Sources that disagree.

def test_a_second_structured_source_with_another_price_is_recorded_as_disputing():
    found = extract("jsonld-and-microdata-disagree.html")  # JSON-LD 36.00, microdata 39.50, the page shows $36.00
    assert (found.price, found.method) == (Decimal("36.00"), "json-ld")
    assert "visible" in found.agreed and [(d.method, d.price) for d in found.disputed] == [("microdata", Decimal("39.50"))]


def test_a_data_price_the_page_shows_as_current_is_kept_beside_another_shown_price_and_both_disputes_recorded():
    found = extract("data-price-shown-beside-another.html")  # JSON-LD 99.00; og and the first price shown 129.00 (the kit)
    assert (found.price, found.method) == (Decimal("99.00"), "json-ld")
    assert {(d.method, d.price) for d in found.disputed} == {("opengraph", Decimal("129.00")), ("visible", Decimal("129.00"))}


# How numbers are written.

def test_cents_in_their_own_element_continue_the_amount_an_owners_selector_reads():
    found = extract("selector-split-cents.html", selector="css:.prix ::text")  # "12" "<sup>,50 €</sup>", the struck 14,90 € dropped
    assert (found.status, found.price, found.method) == ("ok", Decimal("12.50"), "css")


def test_a_page_without_a_language_in_yen_reads_whole_amounts():
    found = extract("jp-yen-no-language.html")  # 1,280円: yen have no decimals
    assert (found.price, found.currency) == (Decimal("1280"), "JPY")
    assert (found.locale.decimal, found.locale.source) == ("", "currency")


def test_when_the_page_numbers_disagree_its_language_decides():
    found = extract("de-mixed-number-shapes.html")  # "519,60 €/l" and "Versandkosten 4.90 €": no majority; lang de-DE
    assert (found.price, found.locale.source) == (Decimal("1299"), "lang")


@pytest.mark.parametrize("text, decimal, amount", [
    ("1.234.567 Ft", None, Decimal("1234567")),  # repeated marks group thousands in any locale
    ("₹1,23,456", None, Decimal("123456")),  # Indian grouping
    ("1.234,56 €", None, Decimal("1234.56")),
    ("1,234.56", ",", Decimal("1234.56")),  # the shape wins over the locale
    ("1.23.45", None, None),  # no locale writes this
    ("1,234,56", None, None),
    ("12.345,678.9", None, None),
])
def test_number_shapes(text, decimal, amount):
    assert read_number(text, decimal).amount == amount


# Shop platforms' JSON.

def test_a_shopify_variant_without_a_price_is_left_out_not_read_as_zero():
    product = {"id": 1, "title": "Soy wax flakes", "handle": "soy-wax", "variants": [
        {"id": 11, "title": "10 lb", "price": None, "available": False},
        {"id": 12, "title": "50 lb", "price": "0", "available": True},
        {"id": 13, "title": "5 lb", "sku": "SW-5", "price": 2899, "available": True}]}
    found = extract_price(json.dumps(product), "https://shop.example/products/soy-wax.js")
    assert (found.status, found.price, found.pack, found.method) == ("ok", Decimal("28.99"), "5 lb", "shopify")


def test_a_woocommerce_product_without_a_price_is_missing():
    product = {"id": 55, "name": "Lye 25 kg", "prices": {"price": "", "currency_code": "USD", "currency_minor_unit": 2}}
    found = extract_price(json.dumps(product), "https://shop.example/wp-json/wc/store/v1/products/55")
    assert (found.status, found.price) == ("missing", None)


# Currencies that would change the amount.

def test_a_retired_currency_code_of_a_redenominated_money_is_reported_not_mapped():
    found = extract_price(jsonld({"price": "1250000", "priceCurrency": "TRL"}, "Türk kahvesi 1 kg"), "https://shop.example/kahve")
    assert found.price == Decimal("1250000") and found.currency is None
    assert "retired code (now TRY, at a different value)" in found.currency_note


def test_a_machine_written_number_groups_thousands_with_a_comma_and_reads_a_point_as_decimal():
    assert machine_number("1,299") == Decimal("1299") and machine_number("1,299 €") == Decimal("1299")
    assert machine_number("1.299") == Decimal("1.299") and machine_number("26,00 €") == Decimal("26.00")


def test_a_product_weight_given_as_a_quantitative_value_is_the_pack():
    data = {"@context": "https://schema.org", "@type": "Product", "name": "Cold-pressed walnut oil",
            "weight": {"@type": "QuantitativeValue", "value": "2.5", "unitCode": "KGM"},
            "offers": {"@type": "Offer", "price": "41.00", "priceCurrency": "EUR"}}
    html = f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>Cold-pressed walnut oil</h1></body></html>'
    assert extract_price(html, "https://shop.example/walnut-oil", unit="kg").pack == "2.5 kg"


# Terminal escapes are not numbers: "\x1b[2J" (clear the screen) holds no price 2, wherever it is read.

CLEAR_SCREEN = "\x1b[2J"


@pytest.mark.parametrize("source, body, url, options", [
    ("buy box", f'<html><body><h1>Lye</h1><span class="price">{CLEAR_SCREEN}</span><button>Add to cart</button></body></html>', "https://shop.example/lye", {}),
    ("buy box beside a currency", f'<html><body><h1>Lye</h1><span class="price">€ {CLEAR_SCREEN}</span><button>Add to cart</button></body></html>', "https://shop.example/lye", {}),
    ("owner's selector", f'<html><body><h1>Lye</h1><span class="price">{CLEAR_SCREEN}</span></body></html>', "https://shop.example/lye", {"selector": "css:.price::text"}),
    ("json-ld", jsonld({"price": CLEAR_SCREEN, "priceCurrency": "EUR"}), "https://shop.example/lye", {}),
    ("amazon", f'<html><body><div id="dp"><span id="productTitle">Lye</span><div id="corePrice_feature_div"><span class="a-offscreen">{CLEAR_SCREEN} €</span></div></div></body></html>', "https://shop.example/dp/B01", {}),
    ("shopify", json.dumps({"handle": "lye", "variants": [{"id": 1, "title": "2 kg", "price": CLEAR_SCREEN}]}), "https://shop.example/products/lye.js", {}),
    ("csv price list", f"sku,price\nLYE-2,{CLEAR_SCREEN}\n", "https://shop.example/prices.csv", {"price_list": {"match": "LYE-2", "key": "sku", "price": "price"}}),
    ("html price list", f"<table><tr><td>LYE-2</td><td>{CLEAR_SCREEN}</td></tr></table>", "https://shop.example/prices", {"price_list": {"rows": "css:tr", "match": "LYE-2", "price": "css:td:nth-child(2)::text"}}),
])
def test_a_terminal_escape_sequence_is_never_read_as_a_price(source, body, url, options):
    found = extract_price(body, url, **options)
    assert found.price is None and found.status == "missing", source
    assert read_number(CLEAR_SCREEN, ".").amount is None and read_number("\x9b2J", None).amount is None


def test_a_price_wrapped_in_colour_escapes_is_read_without_them():
    html = '<html lang="de"><body><h1>Natronlauge 1 l</h1><span class="price">\x1b[31m12,50 €\x1b[0m</span><button>In den Warenkorb</button></body></html>'
    found = extract_price(html, "https://shop.example/natronlauge")
    assert (found.status, found.price, found.currency) == ("ok", Decimal("12.50"), "EUR")
