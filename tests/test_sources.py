"""Sources beyond one product page, end to end: shop JSON endpoints, price lists, exchange rates,
landed cost, quantity breaks, packs read from the page, manual prices and the probe command."""

import io
import json

import pytest
import sqlite_utils
from openpyxl import Workbook

from tests.conftest import FIXTURES, supplywatch, write_config

SHOPIFY_JS = {
    "id": 7001, "title": "Refined coconut oil 76°", "handle": "coconut-oil-76",
    "variants": [
        {"id": 4101, "title": "7 lb pail", "sku": "CO76-7", "price": 2899, "compare_at_price": 3199, "available": True, "weight": 3175},
        {"id": 4102, "title": "50 lb box", "sku": "CO76-50", "price": 13900, "compare_at_price": None, "available": False, "weight": 22680},
    ],
}


def observations(directory):
    db = sqlite_utils.Database(directory / "supplywatch.db")
    return {r["offer_id"]: r for r in db.query("SELECT * FROM observations ORDER BY id")}


def test_shopify_variant_and_woocommerce_store_api(tmp_path, sites):
    shop = sites()
    shop.set("coconut-oil-76.js", json.dumps(SHOPIFY_JS))
    woo = {"id": 55, "name": "Sodium hydroxide (lye) 25 kg bag", "sku": "NAOH-25", "is_in_stock": True,
           "prices": {"price": "6450", "regular_price": "6450", "sale_price": "6450", "currency_code": "USD", "currency_minor_unit": 2}}
    shop.set("wp-json/wc/store/v1/products/55", json.dumps(woo))
    write_config(tmp_path, f"""
    - id: coconut-oil
      name: Coconut oil
      unit: lb
      offers:
        - {{supplier: acme, url: "{shop.url('coconut-oil-76')}", platform: shopify, variant: CO76-50, id: co-50}}
        - {{supplier: acme, url: "{shop.url('coconut-oil-76')}", platform: shopify, variant: 7 lb pail, id: co-7}}
    - id: lye
      name: Lye
      unit: kg
      offers:
        - {{supplier: acme, url: "{shop.url('wp-json/wc/store/v1/products/55')}"}}
    """)
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # every page gave its price
    rows = observations(tmp_path)
    assert (rows["co-50"]["price"], rows["co-50"]["pack"], rows["co-50"]["unit_price"], rows["co-50"]["in_stock"]) == (139.0, "50 lb", 2.78, 0)
    assert (rows["co-7"]["price"], rows["co-7"]["list_price"], rows["co-7"]["unit_price"]) == (28.99, 31.99, pytest.approx(4.141429))
    assert (rows["lye@acme"]["method"], rows["lye@acme"]["pack"], rows["lye@acme"]["unit_price"]) == ("woocommerce", "25 kg", 2.58)
    assert len(shop.requests("coconut-oil-76.js")) == 1  # two offers of one product, one request


def test_price_lists_in_html_csv_and_xlsx(tmp_path, sites):
    lists = sites()
    lists.set("prices.html", """<html><body><h1>Price list November</h1><table class="prices">
      <tr><th>Item</th><th>Size</th><th>Price</th></tr>
      <tr><td>Olive oil pomace, SKU OL-P</td><td>4 gal</td><td>$86.00</td></tr>
      <tr><td>Shea butter refined, SKU SB-R</td><td>55 lb</td><td>$203.50</td></tr></table></body></html>""")
    lists.set("prices.csv", "sku;description;size;price\nBEES-Y;Beeswax yellow pellets;1 lb;8,40\nBEES-W;Beeswax white;1 lb;9,10\n")
    book = Workbook()
    book.active.append(["Code", "Article", "Unit price EUR"])
    book.active.append(["CAST-1", "Castor oil 1 L bottle", 7.25])
    data = io.BytesIO()
    book.save(data)
    lists.set("prices.xlsx", data.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    write_config(tmp_path, f"""
    - id: shea
      name: Shea butter
      unit: lb
      offers:
        - supplier: acme
          url: "{lists.url('prices.html')}"
          list: {{rows: "css:table.prices tr", match: SB-R, price: "css:td:nth-child(3)::text", pack: "css:td:nth-child(2)::text"}}
    - id: beeswax
      name: Beeswax
      unit: lb
      offers:
        - {{supplier: berger, url: "{lists.url('prices.csv')}", list: {{match: BEES-W, key: sku, price: price, pack: size}}}}
    - id: castor
      name: Castor oil
      unit: L
      offers:
        - {{supplier: berger, url: "{lists.url('prices.xlsx')}", list: {{match: CAST-1, key: Code, price: Unit price EUR}}}}
    """)
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # every page gave its price
    rows = observations(tmp_path)
    assert (rows["shea@acme"]["price"], rows["shea@acme"]["pack"], rows["shea@acme"]["unit_price"]) == (203.5, "55 lb", 3.7)
    assert (rows["beeswax@berger"]["price"], rows["beeswax@berger"]["method"]) == (9.10, "csv")  # de_DE: 9,10
    assert (rows["castor@berger"]["price"], rows["castor@berger"]["pack"], rows["castor@berger"]["unit_price"]) == (7.25, "1 L", 7.975)


def test_exchange_rates_from_the_ecb_feed_and_landed_cost(tmp_path, sites):
    feed, shop = sites(), sites()
    feed.set("eurofxref-daily.xml", (FIXTURES / "eurofxref-daily.xml").read_text())
    shop.set("lye", '<html><head><meta property="product:price:amount" content="40.00"><meta property="product:price:currency" content="GBP"></head><body><h1>Lye 25 kg</h1></body></html>')
    write_config(tmp_path, f"""
    - id: lye
      name: Lye
      unit: kg
      offers: [{{supplier: uk, url: "{shop.url('lye')}", order_quantity: 2}}]
    """, suppliers_yaml="- {id: uk, name: UK Soap Supplies, currency: GBP, locale: en_GB, shipping: {flat: 12.00, per_unit: 0.10, free_over: 100}, fees_percent: 2}",
        extra=f'rates_feed: "{feed.url("eurofxref-daily.xml")}"\ncompare: landed\n')
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    row = observations(tmp_path)["lye@uk"]
    rate = 1.0523 / 0.83410
    assert row["fx_rate"] == pytest.approx(rate) and row["pack"] == "25 kg" and row["pack_source"] == "page"
    assert row["unit_price"] == pytest.approx(40 / 25 * rate, abs=1e-6)
    # £40 + 2 % fees + £0.10/kg freight + £12 flat spread over 2 bags (order £80 < £100 free-shipping line)
    assert row["landed_unit_price"] == pytest.approx((40 * 1.02 + 0.10 * 25 + 12 / 2) / 25 * rate, abs=1e-6)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM exchange_rates WHERE date = '2026-11-20'").fetchone()[0] == 11


def test_quantity_breaks_are_stored_and_order_quantity_picks_the_tier(tmp_path, sites):
    shop = sites()
    offer = {"@type": "Offer", "priceCurrency": "USD", "price": "3.20", "priceSpecification": [
        {"@type": "UnitPriceSpecification", "price": "3.20", "eligibleQuantity": {"minValue": 1, "maxValue": 9}},
        {"@type": "UnitPriceSpecification", "price": "2.95", "eligibleQuantity": {"minValue": 10, "maxValue": 49}},
        {"@type": "UnitPriceSpecification", "price": "2.70", "eligibleQuantity": {"minValue": 50}}]}
    page = f'<html><head><script type="application/ld+json">{json.dumps({"@type": "Product", "name": "Amber bottle 4 oz", "offers": offer})}</script></head><body></body></html>'
    url = shop.set("bottle", page)
    write_config(tmp_path, f"""
    - id: bottle
      name: Amber bottle 4 oz
      unit: each
      offers:
        - {{supplier: acme, url: "{url}", id: bottle-single}}
        - {{supplier: acme, url: "{url}", id: bottle-case, order_quantity: 24}}
    """)
    # Counted each, the title's "4 oz" is what one bottle holds, not what the price buys: both priced
    # (it was taken as the pack and every price held back, '4 oz cannot be converted to each').
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    rows = observations(tmp_path)
    assert (rows["bottle-single"]["price"], rows["bottle-case"]["price"]) == (3.2, 2.95)
    assert (rows["bottle-single"]["unit_price"], rows["bottle-case"]["unit_price"]) == (3.2, 2.95)
    assert json.loads(rows["bottle-case"]["tiers"])[2] == {"min": "50", "max": None, "price": "2.70"}


def test_ambiguous_page_and_changed_pack_are_never_taken_as_prices(tmp_path, sites):
    shop = sites()
    two = {"@type": "Product", "name": "Titebond III", "offers": [
        {"@type": "Offer", "name": "1 gallon", "price": "36.00", "priceCurrency": "USD"},
        {"@type": "Offer", "name": "5 gallon pail", "price": "150.00", "priceCurrency": "USD"}]}
    shop.set("glue", f'<html><head><script type="application/ld+json">{json.dumps(two)}</script></head></html>')
    shop.set("oil", '<html><head><meta property="og:title" content="Olive oil 4 gal"><meta property="product:price:amount" content="80.00"></head></html>')
    write_config(tmp_path, f"""
    - id: glue
      name: Glue
      unit: gal
      offers: [{{supplier: acme, url: "{shop.url('glue')}"}}]
    - id: oil
      name: Olive oil
      unit: gal
      offers: [{{supplier: acme, url: "{shop.url('oil')}"}}]
    """)
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # partial: a page gave no valid price tonight
    shop.set("oil", '<html><head><meta property="og:title" content="Olive oil 3.5 gal"><meta property="product:price:amount" content="80.00"></head></html>')
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # partial: a page gave no valid price tonight
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    glue = list(db.query("SELECT status, price, error FROM observations WHERE offer_id = 'glue@acme'"))
    assert {r["status"] for r in glue} == {"ambiguous"} and glue[0]["price"] is None and "variant" in glue[0]["error"]
    oil = [r["status"] for r in db.query("SELECT status FROM observations WHERE offer_id = 'oil@acme' ORDER BY id")]
    # 4 gal became 3.5 gal for the same price: held as suspect, looked at again at once, and
    # confirmed, so the higher unit price (shrinkflation) counts from tonight.
    assert oil == ["ok", "suspect", "ok"]
    last = next(db.query("SELECT pack, unit_price FROM observations WHERE offer_id = 'oil@acme' ORDER BY fetched_at DESC"))
    assert (last["pack"], last["unit_price"]) == ("3.5 gal", pytest.approx(80 / 3.5))


def test_add_price_records_a_quote_that_joins_history_and_rules(tmp_path):
    write_config(tmp_path, """
    - id: walnut
      name: Walnut
      unit: board_foot
      offers: [{supplier: acme, url: "http://127.0.0.1:9/walnut", pack: 100 board_foot}]
      rules: [{kind: threshold, above: 20, confirm: 1}]
    """)
    result = supplywatch("add-price", "walnut@acme", "2150", "--date", "2026-11-03", "--note", "phone, Jim", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "above your limit of $20.00" in result.stdout  # the digest printed with no notify URL
    (row,) = observations(tmp_path).values()
    assert (row["method"], row["unit_price"], row["note"], row["fetched_at"]) == ("manual", 21.5, "phone, Jim", "2026-11-03T12:00:00+00:00")
    # a typo in what the owner typed is invalid input: exit 2 and nothing written, as the README says
    for typed in (("walnut@nobody", "1"), ("walnut@acme", "0"), ("walnut@acme", "abc")):
        refused = supplywatch("add-price", *typed, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stderr.startswith("Error: "), (typed, refused.returncode, refused.stderr)
    assert len(observations(tmp_path)) == 1


def test_probe_shows_every_price_and_a_config_snippet(tmp_path, sites):
    shop = sites()
    url = shop.set("coconut-oil-76.js", json.dumps(SHOPIFY_JS))
    result = supplywatch("probe", url, "--unit", "lb", "--supplier", "soapco", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "139.00" in result.stdout and "28.99" in result.stdout and "  = 2.78/lb" in result.stdout
    assert "ambiguous" in result.stdout and "supplier: soapco" in result.stdout and "variant:" in result.stdout
    assert "probe@supplywatch.invalid" in shop.requests("coconut-oil-76.js")[0].headers["User-Agent"]


def test_litres_priced_per_kg_need_a_density_and_say_so(tmp_path, sites):
    shop = sites()
    url = shop.set("olive", '<html><head><meta property="og:title" content="Olive oil pomace 5 L"><meta property="product:price:amount" content="23.00"></head></html>')
    materials = f"""
    - id: olive
      name: Olive oil
      unit: kg
      offers: [{{supplier: acme, url: "{url}", id: plain}}]
    - id: olive-dense
      name: Olive oil
      unit: kg
      density: 0.92 kg/L
      offers: [{{supplier: acme, url: "{url}", id: dense}}]
    """
    write_config(tmp_path, materials)
    result = supplywatch("run", cwd=tmp_path)
    rows = observations(tmp_path)
    assert rows["plain"]["status"] == "suspect" and "without a density" in rows["plain"]["error"]
    assert "without a density" in result.stdout  # the digest tells the owner
    assert (rows["dense"]["status"], rows["dense"]["unit_price"]) == ("ok", 5.0)
