"""Order size on a real crawl: pack sizes, a quantity break read from the page, a free-shipping
threshold and a minimum order, ranked by delivered cost per unit; shelf life and a cash limit
leave options out and say why; when the cash covers no full order, the most it buys at each supplier."""

from __future__ import annotations

import json

from tests.conftest import supplywatch, write_config


def tiered_page(name: str, base: str, tiers: list[tuple[int, int | None, str]]) -> str:
    specs = [{"@type": "UnitPriceSpecification", "price": price, "priceCurrency": "USD",
              "eligibleQuantity": {"@type": "QuantitativeValue", "minValue": low, **({"maxValue": high} if high else {})}}
             for low, high, price in tiers]
    data = {"@context": "https://schema.org", "@type": "Product", "name": name,
            "offers": {"@type": "Offer", "price": base, "priceCurrency": "USD", "availability": "https://schema.org/InStock",
                       "priceSpecification": specs}}
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>{name}</h1></body></html>'


def shop(tmp_path, sites):
    site = sites()
    jug = site.set("jug", tiered_page("Coconut oil, 7 lb jug", "30.00", []))
    pail = site.set("pail", tiered_page("Coconut oil, 25 lb pail", "52.00", [(1, 3, "52.00"), (4, None, "47.00")]))
    write_config(tmp_path, f"""
    - id: coconut-oil
      name: Coconut oil
      unit: lb
      weekly_usage: 20 lb
      shelf_life_days: 100
      offers:
        - {{supplier: acme, url: "{jug}", pack: 7 lb}}
        - {{supplier: bulk, url: "{pail}", pack: 25 lb}}
    """, suppliers_yaml="""
    - {id: acme, name: Acme Soap Supply, currency: USD, locale: en_US, shipping: {flat: 15, free_over: 200}}
    - {id: bulk, name: Bulk Naturals, currency: USD, locale: en_US, shipping: {flat: 40, free_over: 500}, minimum_order: 400}
    """)
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_purchases_are_ranked_by_delivered_cost_with_breaks_free_shipping_and_minimum_orders(tmp_path, sites):
    shop(tmp_path, sites)
    result = supplywatch("order", "coconut-oil", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    # 8 weeks at 20 lb = 160 lb. Bulk: 7 pails (175 lb) at the 4+ price of $47 = $329, under its $400 minimum;
    # 9 pails = $423 + $40 shipping; 11 pails = $517, free shipping. Acme: 23 jugs = $690, free shipping.
    assert plan["needed"] == 160
    ranked = [(o["supplier"], o["packs"], o["total"], round(o["landed_per_unit"], 4)) for o in plan["options"]]
    assert ranked == [("Bulk Naturals", 11, 517.0, round(517 / 275, 4)), ("Bulk Naturals", 9, 463.0, round(463 / 225, 4)),
                      ("Acme Soap Supply", 23, 690.0, round(690 / 161, 4))]
    assert plan["options"][0]["why"] == ["price break from 4", "free shipping over $500.00"]
    assert "7 x 25 lb from Bulk Naturals: under its minimum order of $400.00" in plan["left_out"]

    text = supplywatch("order", "coconut-oil", cwd=tmp_path)
    assert ("1. 11 x 25 lb from Bulk Naturals (price break from 4, free shipping over $500.00): $1.88/lb delivered, $517.00 in all; "
            "$2.41/lb less than 23 x 7 lb from Acme Soap Supply") in text.stdout, text.stdout


def test_shelf_life_and_a_cash_limit_leave_options_out_and_say_why(tmp_path, sites):
    shop(tmp_path, sites)
    result = supplywatch("order", "coconut-oil", "--weeks", "4", "--cash", "480", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    # 4 weeks = 80 lb. 100 days of shelf life at 20 lb a week = 285.7 lb at most; cash: $480.
    assert [(o["supplier"], o["packs"]) for o in plan["options"]] == [("Bulk Naturals", 9), ("Acme Soap Supply", 12)]
    assert "11 x 25 lb from Bulk Naturals: $517.00 is over your cash limit of $480.00" in plan["left_out"]
    assert plan["within_cash"] == []
    tight = supplywatch("order", "coconut-oil", "--cash", "100", cwd=tmp_path)
    assert tight.returncode == 0 and "No purchase fits." in tight.stdout
    # What $100 buys instead: 2 jugs and $15 shipping ($75; 3 jugs would be $105); Bulk's minimum is $400.
    assert ("  Within your cash limit of $100.00: 2 x 7 lb from Acme Soap Supply: $5.36/lb delivered, $75.00 in all "
            "(14 lb, 0.7 weeks of use)") in tight.stdout
    assert len([line for line in tight.stdout.splitlines() if line.startswith("  Within your cash limit")]) == 1
