"""Stock and usage: counts and purchases add up in the material's unit, usage comes from a weekly
figure and the products' weekly plans, the reorder date follows the lead time; the phone rings once
when the order date comes and the alert clears after a purchase; the to-do list reaches the digest
when something is new or a week has passed, not every night."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlite_utils

from tests.conftest import days_between, store_history, supplywatch, write_config

SUPPLIERS = """
- {id: acme, name: Acme Soap Supply, currency: USD, locale: en_US, lead_time_days: 10}
- {id: corner, name: Corner Shop, currency: USD, locale: en_US}
"""
MATERIALS = """
- id: lye
  name: Lye
  unit: lb
  weekly_usage: 7 lb
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/lye", pack: 2 kg}
    - {supplier: corner, url: "http://127.0.0.1:9/lye2", pack: 1 lb}
"""
PRODUCTS = """
products:
  - id: soap
    name: Soap bar
    yield: 40 bars
    weekly_plan: 80 bars
    recipe:
      lye: 0.38 kg
"""
LB = 0.45359237


def shop(tmp_path, notify_yaml="urls: []", start=None, end=None):
    path = write_config(tmp_path, MATERIALS, suppliers_yaml=SUPPLIERS, notify_yaml=notify_yaml, extra=PRODUCTS)
    end = end or (date.today() - timedelta(days=1)).isoformat()
    start = start or (date.fromisoformat(end) - timedelta(days=9)).isoformat()
    store_history(path, {"lye@acme": [(d, 9.00) for d in days_between(start, end)], "lye@corner": [(d, 6.00) for d in days_between(start, end)]})
    return path


def test_a_purchase_told_after_a_count_of_the_same_moment_adds_to_it(tmp_path):
    """The owner counts, then books the delivery that came in that morning, both with the same
    --date (or within the same second): the purchase is on top of the count, never lost."""
    shop(tmp_path)
    day = (date.today() - timedelta(days=1)).isoformat()
    counted = supplywatch("stock", "lye", "12", "kg", "--date", day, cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    noon = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    before = datetime.now(timezone.utc)
    bought = supplywatch("bought", "lye", "2", "x", "25", "lb", "--price", "96.50", "--supplier", "acme", "--date", day, cwd=tmp_path)
    after = datetime.now(timezone.utc)
    assert bought.returncode == 0, bought.stderr
    daily = (7 + 2 * 0.38 / LB) / 7
    # The use since noon of that day, to this moment (the hour of the day the test runs at, not "a day").
    said = {f"({12 / LB + 50 - daily * (moment - noon).total_seconds() / 86400:,.0f} lb)" for moment in (before, after)}
    assert any(s in bought.stdout for s in said), (said, bought.stdout)


def test_counts_and_purchases_add_up_and_the_reorder_date_follows_usage_and_lead_time(tmp_path):
    shop(tmp_path)
    counted = supplywatch("stock", "lye", "12", "kg", cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    bought = supplywatch("bought", "lye", "2", "x", "25", "lb", "--price", "96.50", "--supplier", "acme", cwd=tmp_path)
    assert bought.returncode == 0, bought.stderr

    on_hand = 12 / LB + 50
    daily = (7 + 2 * 0.38 / LB) / 7  # 7 lb a week, and two 40-bar batches of 0.38 kg each
    runway = on_hand / daily
    lead = 10  # Acme (the cheapest per lb: $9 for 2 kg) says 10 days; 7 days of safety stock
    due = date.today() + timedelta(days=int(runway - lead - 7))
    assert "Bought 50 lb of Lye from Acme Soap Supply for $96.50 ($1.93/lb)." in bought.stdout
    assert (f"Lye: {runway:.0f} days left ({on_hand:,.0f} lb), lead time 10 days: order by {due.day} {due:%b}"
            + ("" if due.year == date.today().year else f" {due.year}")) in bought.stdout
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    rows = list(db.query("SELECT kind, quantity, unit, as_written, price, supplier_id FROM stock_events ORDER BY id"))
    assert [(r["kind"], round(r["quantity"], 4), r["unit"], r["as_written"]) for r in rows] == [
        ("count", round(12 / LB, 4), "lb", "12 kg"), ("bought", 50.0, "lb", "50 lb")]
    assert rows[1]["price"] == 96.50 and rows[1]["supplier_id"] == "acme"

    listed = supplywatch("stock", cwd=tmp_path)
    assert listed.returncode == 0
    assert "prices: in range at Acme Soap Supply, in range at Corner Shop" in listed.stdout


def test_a_quantity_that_does_not_convert_is_refused_and_nothing_is_written(tmp_path):
    shop(tmp_path)
    result = supplywatch("stock", "lye", "2", "L", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot be converted to lb" in result.stderr and "Lye is counted in lb" in result.stderr
    assert sqlite_utils.Database(tmp_path / "supplywatch.db")["stock_events"].count == 0
    unknown = supplywatch("bought", "soda-ash", "5", "kg", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown material 'soda-ash'" in unknown.stderr


def test_usage_and_plans_that_do_not_convert_are_config_errors_naming_the_key(tmp_path):
    write_config(tmp_path, MATERIALS.replace("weekly_usage: 7 lb", "weekly_usage: 3 L"), suppliers_yaml=SUPPLIERS,
                 extra=PRODUCTS.replace("weekly_plan: 80 bars", "weekly_plan: 3 crates"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "materials[0].weekly_usage: 3 L cannot be converted to lb" in result.stderr
    assert "products[0].weekly_plan: '3 crates' counts crate; write it in batches ('3 batches') or in the unit of its yield ('40 bars')" in result.stderr


def test_the_phone_rings_once_when_the_order_date_comes_and_the_alert_clears_after_buying(tmp_path, sink, phone):
    notify = f'urls:\n  - url: "{phone.url}"\n    tags: [phone]\n  - url: "{sink.url}"\n    tags: [digest]'
    start = "2026-03-01"
    shop(tmp_path, notify, start=start, end="2026-03-31")
    daily = (7 + 2 * 0.38 / LB) / 7

    def night(day: str) -> list[dict]:
        sink.messages.clear()
        phone.messages.clear()
        result = supplywatch("add-price", "lye@corner", "6.00", "--date", day, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return list(sink.messages)

    # 20 days of stock on Mar 10: order by Mar 13 (lead 10 + safety 7): on the list, not on the phone.
    assert supplywatch("stock", "lye", f"{20 * daily + 0.001:.4f}", "lb", "--date", "2026-03-10", cwd=tmp_path).returncode == 0
    told = night("2026-03-10")
    assert phone.messages == []
    digest = "\n".join(m["message"] for m in told if m["title"].startswith("supplywatch, "))
    assert "To do this week:\n  Lye: 20 days left" in digest and "order by 13 Mar" in digest
    assert "order by 13 Mar; 11 x 2 kg from Acme Soap Supply covers 8 weeks: $99.00 ($2.04/lb delivered)" in digest  # 36 days' use: 44.6 lb
    assert "To do this week" not in "\n".join(m["message"] for m in night("2026-03-11"))  # nothing new: not repeated
    assert phone.messages == []

    night("2026-03-14")  # the order date has passed: the phone, once
    (push,) = phone.messages
    assert "Lye: 16 days left" in push["message"]
    assert "order today, it arrives with 6 days' stock left; cheapest now Acme Soap Supply at $2.04/lb" in push["message"]
    night("2026-03-15")
    assert phone.messages == []
    assert "To do this week:\n  NOW: Lye" in "\n".join(m["message"] for m in night("2026-03-22"))  # a week later: the list again
    assert phone.messages == []

    assert supplywatch("bought", "lye", "100", "lb", "--date", "2026-03-23", cwd=tmp_path).returncode == 0
    told = "\n".join(m["message"] for m in night("2026-03-23"))
    assert "[RESOLVED] Lye: stock covers the lead time again" in told

    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    stock_part = status.stdout.split("Stock and buying (23 Mar 2026):\n")[1]
    assert stock_part.startswith("  Lye: ") and " days left, order by " in stock_part.splitlines()[0]
    assert stock_part.splitlines()[1] == "    prices: in range at Acme Soap Supply, in range at Corner Shop"


def test_stock_counted_in_one_unit_is_the_same_stock_after_the_owner_switches_the_unit(tmp_path):
    """Counted as 12 kg while Lye was priced per lb (stored as 26.46 lb), then the owner switches the
    material to kg: the stock is still 12 kg, not 26.46 kg, and not 26.46 lb read as kg."""
    shop(tmp_path)
    counted = supplywatch("stock", "lye", "12", "kg", cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    write_config(tmp_path, MATERIALS.replace("unit: lb", "unit: kg"), suppliers_yaml=SUPPLIERS, extra=PRODUCTS)
    listed = supplywatch("stock", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "(12 kg)" in listed.stdout, listed.stdout


def test_a_supplier_with_too_few_prices_is_not_called_in_range(tmp_path):
    """Two nights of prices give no 90-day median: the stock list says so instead of "in range"."""
    end = (date.today() - timedelta(days=1)).isoformat()
    shop(tmp_path, start=(date.today() - timedelta(days=2)).isoformat(), end=end)
    listed = supplywatch("stock", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "prices: too few yet at Acme Soap Supply, too few yet at Corner Shop" in listed.stdout, listed.stdout


def test_a_price_per_gram_keeps_its_digits_on_the_phone_and_the_to_do_list(tmp_path, sink, phone):
    """Hops bought by the pound and used by the gram cost $0.032/g: the phone said "$0.03/g" (2
    decimals, 6 % off; every hop read the same) while `supplywatch stock` and the pages said $0.032."""
    notify = f'urls:\n  - url: "{phone.url}"\n    tags: [phone]\n  - url: "{sink.url}"\n    tags: [digest]'
    path = write_config(tmp_path, """
    - id: cascade
      name: Cascade hops
      unit: g
      weekly_usage: 1200 g
      offers:
        - {supplier: acme, url: "http://127.0.0.1:9/cascade", pack: 1 lb}
    """, suppliers_yaml="- {id: acme, name: Yakima Hops, currency: USD, lead_time_days: 4}", notify_yaml=notify)
    end = date.today() - timedelta(days=1)
    store_history(path, {"cascade@acme": [(d, 14.50) for d in days_between((end - timedelta(days=9)).isoformat(), end.isoformat())]})
    assert supplywatch("stock", "cascade", "2.5", "lb", cwd=tmp_path).returncode == 0  # 1,134 g: 7 days, under 4 + 7
    night = supplywatch("add-price", "cascade@acme", "14.50", cwd=tmp_path)
    assert night.returncode == 0, night.stderr
    (push,) = [m["message"] for m in phone.messages if "Cascade" in m["message"]]
    assert "cheapest now Yakima Hops at $0.032/g" in push, push  # $14.50 / 453.6 g
    digest = "\n".join(m["message"] for m in sink.messages)
    assert "($0.032/g delivered)" in digest, digest
