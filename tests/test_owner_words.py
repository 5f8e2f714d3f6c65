"""What an owner reads, said once and the same everywhere: the exit code of an incomplete cost, the
currency of a purchase and of an order, the order-by words of the stock page, a move that rounds to
nothing, a span of weeks, and a rule whose numbers changed. Real CLI, real SQLite, real Datasette,
supplier sites and an Apprise sink on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlite_utils

from monitor import display, pipeline, serve
from tests.conftest import SupplierSite, days_between, product_page, store_history, supplywatch, write_config
from tests.test_config_changes import Owner

SUPPLIERS = """
- {id: acme, name: Acme Lumber, currency: USD, locale: en_US, lead_time_days: 5}
- {id: berger, name: Holz Berger, currency: EUR, locale: de_DE, lead_time_days: 5}
"""
MATERIALS = """
- id: walnut
  name: Black walnut
  unit: board_foot
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/walnut"}
    - {supplier: berger, url: "http://127.0.0.1:9/nuss", pack: 10 board_foot}
- id: oil
  name: Danish oil
  unit: qt
  offers: [{supplier: acme, url: "http://127.0.0.1:9/oil"}]
"""
TABLE = """
products:
  - {id: table, name: Side table, yield: 1 table, price: 520, weekly_plan: 2 tables, recipe: {walnut: 12 board_foot, oil: 0.25 qt}}
"""


def shop(tmp_path, oil: bool):
    path = write_config(tmp_path, MATERIALS, suppliers_yaml=SUPPLIERS, extra=TABLE)
    end = (date.today() - timedelta(days=1)).isoformat()
    start = (date.today() - timedelta(days=10)).isoformat()
    prices = {"walnut@acme": [(d, 18.00) for d in days_between(start, end)],
              "walnut@berger": [(d, 150.00) for d in days_between(start, end)]}
    if oil:
        prices["oil@acme"] = [(d, 12.00) for d in days_between(start, end)]
    store_history(path, prices)
    return path


def test_cost_exits_1_when_a_line_has_no_valid_price_and_0_once_every_line_has_one(tmp_path):
    shop(tmp_path, oil=False)
    gap = supplywatch("cost", "table", cwd=tmp_path)
    assert gap.returncode == pipeline.EXIT_PARTIAL, gap.stdout + gap.stderr
    assert "Danish oil" in gap.stdout and "INCOMPLETE" in gap.stdout
    as_json = supplywatch("cost", "table", "--json", cwd=tmp_path)
    assert as_json.returncode == pipeline.EXIT_PARTIAL and '"complete": false' in as_json.stdout
    assert "1 when the cost is incomplete" in " ".join(supplywatch("cost", "--help", cwd=tmp_path).stdout.split())
    whole = tmp_path / "whole"
    whole.mkdir()
    shop(whole, oil=True)
    full = supplywatch("cost", "table", cwd=whole)
    assert full.returncode == pipeline.EXIT_OK, full.stdout + full.stderr
    assert "Batch cost $201.00" in full.stdout and "margin 61.3%" in full.stdout


def test_a_purchase_from_a_euro_supplier_is_read_in_euros_and_says_what_it_came_to_in_dollars(tmp_path):
    shop(tmp_path, oil=True)
    bought = supplywatch("bought", "walnut", "40", "board_foot", "--supplier", "berger", "--price", "120", cwd=tmp_path)
    assert bought.returncode == 0, bought.stderr
    assert bought.stdout.startswith("Bought 40 bd ft of Black walnut from Holz Berger for €120.00 (in euros, Holz Berger's currency: "
                                    "$132.00 at $1.10 per euro; €3.00/bd ft).")
    told = supplywatch("bought", "walnut", "40", "board_foot", "--supplier", "berger", "--price", "132", "--currency", "usd", cwd=tmp_path)
    assert told.returncode == 0, told.stderr
    assert "for $132.00 (in US dollars, as you said, not Holz Berger's euros; $3.30/bd ft)." in told.stdout
    rows = list(sqlite_utils.Database(tmp_path / "supplywatch.db").query("SELECT price, currency, unit_price FROM stock_events ORDER BY id"))
    assert [(r["price"], r["currency"], r["unit_price"]) for r in rows] == [(120.0, "EUR", 3.0), (132.0, "USD", 3.3)]


def test_an_order_from_a_euro_supplier_gives_its_total_in_euros_then_in_dollars(tmp_path):
    shop(tmp_path, oil=True)
    result = supplywatch("order", "walnut", "--quantity", "20 board_foot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    berger = next(line for line in result.stdout.splitlines() if "Holz Berger" in line and "delivered" in line)
    assert "2 x 10 bd ft from Holz Berger: $16.50/bd ft delivered, €300.00 in all (about $330.00)" in berger, berger
    assert "20 bd ft from Acme Lumber: $18.00/bd ft delivered, $360.00 in all" in result.stdout


def test_the_stock_page_says_order_today_as_the_terminal_does_once_the_order_by_day_has_come(tmp_path):
    shop(tmp_path, oil=True)
    counted_on = (date.today() - timedelta(days=5)).isoformat()  # 24 bd ft a week: 45 bd ft last 13 days; 5 lead, 7 safety
    counted = supplywatch("stock", "walnut", "45", "board_foot", "--date", counted_on, cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    from monitor import config as config_module
    from monitor.decisions import nightly

    config = config_module.load(tmp_path / "supplywatch.yml")
    night = date.today().isoformat() + "T00:00:01+00:00"  # tonight's run, as cron starts it
    nightly.evaluate(db, config, None, night)
    (row,) = db.query("SELECT reorder_by FROM material_outlook WHERE material_id = 'walnut'")
    assert date.fromisoformat(row["reorder_by"]) < date.today()  # the night's order-by day had come and gone
    terminal = supplywatch("stock", cwd=tmp_path)
    assert terminal.returncode == 0, terminal.stderr
    # The terminal counts to this moment, the page to the night: both say "order today", neither a day gone by.
    assert "lead time 5 days: order today, it arrives with " in terminal.stdout.splitlines()[0], terminal.stdout
    ds = serve.app(tmp_path / "supplywatch.db", currency="USD")
    import asyncio

    async def fetch() -> list[dict]:
        response = await ds.client.get("/supplywatch/stock_and_buying.json?_shape=array")
        assert response.status_code == 200
        return response.json()

    page = {r["Material"]: r for r in asyncio.run(fetch())}
    assert page["Black walnut"]["When to order"] == "order today, it arrives with 4 days' stock left", page["Black walnut"]
    assert page["Black walnut"]["Lasts"] == "9 days"  # 45 bd ft counted 4.5 days before the night, 24 a week
    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0 and "Black walnut: 9 days left, order today, it arrives with 4 days' stock left" in status.stdout


def test_a_move_that_rounds_to_nothing_has_no_sign_and_a_span_of_whole_weeks_reads_in_weeks():
    assert [display.change(-0.04), display.signed_percent(-0.4), display.signed_percent(0.4, 1), display.change(3.21)] == \
        ["0%", "0%", "+0.4%", "+3.2%"]
    assert [display.percent(68), display.percent(-0.01), display.percent(52.64)] == ["68.0%", "0.0%", "52.6%"]
    assert [display.span(56), display.weeks(8), display.span(10), display.span(1), display.weeks(1.5)] == \
        ["8 weeks", "8 weeks", "10 days", "1 day", "1.5 weeks"]


def test_changing_a_rules_numbers_closes_its_alert_as_changed_not_as_no_longer_watched(tmp_path, sites, sink):
    owner = Owner(tmp_path, sites, sink)
    pushes, lines = owner.night()
    assert "[WARNING] Black walnut at Acme Lumber: $16.40/bd ft is above your limit of $15.00/bd ft" in pushes + lines or pushes
    owner.walnut_rules = "[{kind: threshold, above: 16, confirm: 1}]"
    pushes, lines = owner.night()
    closed = [line for line in lines if line.startswith("[CLOSED]")]
    assert closed and all("still watched, but its price limit rule was changed in the config" in line for line in closed), lines
    assert not any("no longer watched" in line for line in lines), lines
    title = sink.messages[-1]["title"] if sink.messages[-1]["title"].startswith("supplywatch, ") else \
        next(m["title"] for m in reversed(sink.messages) if m["title"].startswith("supplywatch, "))
    assert "closed by a config change" in title and "no longer watched" not in title, title



def walnut_and_glue(sites: Callable[[], SupplierSite]) -> tuple[SupplierSite, str]:
    """One supplier on 127.0.0.1 selling walnut at $16.00/bd ft and glue at $40.00 a gallon."""
    acme = sites()
    walnut, glue = acme.set("walnut", product_page("16.00")), acme.set("glue", product_page("40.00"))
    return acme, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{walnut}"}}]
    - id: glue
      name: Wood glue
      unit: gal
      offers: [{{supplier: acme, url: "{glue}", pack: 1 gal}}]
    """


def test_editing_a_recipe_is_told_as_a_recipe_change_never_as_a_price_move(tmp_path, sites, sink):
    _, materials = walnut_and_glue(sites)
    product = """
products:
  - id: table
    name: Side table
    yield: 1 table
    price: 400
    target_margin: 50
    recipe: {{walnut: {walnut}, glue: 12 floz}}
"""
    notify = f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]'
    for _ in range(3):  # three nights at the same prices: a cost history, no move
        write_config(tmp_path, materials, notify_yaml=notify, extra=product.format(walnut="10 board_foot"))
        night = supplywatch("run", cwd=tmp_path)
        assert night.returncode == 0, night.stdout + night.stderr
    before = len(sink.messages)
    write_config(tmp_path, materials, notify_yaml=notify, extra=product.format(walnut="12.5 board_foot"))  # the owner edits the recipe
    night = supplywatch("run", cwd=tmp_path)
    assert night.returncode == 0, night.stdout + night.stderr
    told = "\n".join(m["title"] + "\n" + m["message"] for m in sink.messages[before:])
    # $160 + $3.75 -> $200 + $3.75: the margin fell under the target (that is news), because the recipe changed.
    assert "Side table: margin 49.1%, below your target of 50%: reprice now" in told, told
    assert "the recipe changed: Black walnut 10 bd ft -> 12.5 bd ft (not a price move)" in told, told
    assert "cost up" not in told, told  # no "Side table cost up 24.4% against its 30-day median": no price moved
    cost = supplywatch("cost", "table", cwd=tmp_path)
    assert cost.returncode == 0 and "Batch cost $203.75" in cost.stdout, cost.stdout


HOPS = """
- id: hops
  name: Cascade hops
  unit: g
  offers: [{supplier: yakima, url: "http://127.0.0.1:9/cascade", pack: 1 lb}]
"""
ALE = """
products:
  - {id: ale, name: Pale ale, yield: 1 batch, price: 400, weekly_plan: 2 batch, recipe: {hops: 450 g}}
"""


def test_the_stock_page_names_the_purchase_as_the_to_do_does_when_the_supplier_sells_in_another_unit(tmp_path):
    path = write_config(tmp_path, HOPS, suppliers_yaml="- {id: yakima, name: Yakima Hops, currency: USD, lead_time_days: 3}", extra=ALE)
    end = (date.today() - timedelta(days=1)).isoformat()
    store_history(path, {"hops@yakima": [(d, 14.00) for d in days_between((date.today() - timedelta(days=90)).isoformat(), end)]})
    counted_on = (date.today() - timedelta(days=1)).isoformat()  # 900 g a week: gone in 4 days, 3 days' lead
    counted = supplywatch("stock", "hops", "500", "g", "--date", counted_on, cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    from monitor import config as config_module
    from monitor.decisions import nightly

    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    tonight = nightly.evaluate(db, config_module.load(path), None, date.today().isoformat() + "T00:00:01+00:00")
    (to_do,) = [i.message for i in tonight.to_do if i.material_id == "hops"]
    ds = serve.app(tmp_path / "supplywatch.db", currency="USD")
    import asyncio

    async def fetch() -> list[dict]:
        response = await ds.client.get("/supplywatch/stock_and_buying.json?_shape=array")
        assert response.status_code == 200
        return response.json()

    (row,) = asyncio.run(fetch())
    # Sold by the pound, counted in grams: the page names the pounds and the supplier, as the to-do does, not "2,722 g".
    assert row["Buy"].endswith(" lb from Yakima Hops") and row["Buy"] in to_do, (row, to_do)
    # 3.4 days left, 3 days' lead: not "0 days' stock left"; a small price keeps its digits in the call's reason too.
    assert "order today, it arrives as the last of the stock is used" in to_do and "at its 90-day low ($0.031/g)" in to_do, to_do


def test_a_price_move_on_the_night_an_input_is_added_to_the_recipe_still_rings_as_a_cost_rise(tmp_path, sites, sink):
    acme, materials = walnut_and_glue(sites)
    product = """
products:
  - id: table
    name: Side table
    yield: 1 table
    recipe: {recipe}
"""
    notify = f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]'
    for _ in range(3):  # three nights at the same prices, walnut alone
        write_config(tmp_path, materials, notify_yaml=notify, extra=product.format(recipe="{walnut: 10 board_foot}"))
        night = supplywatch("run", cwd=tmp_path)
        assert night.returncode == 0, night.stdout + night.stderr
    before = len(sink.messages)
    acme.set("walnut", product_page("20.00"))  # walnut up 25 % the night the owner adds glue to the recipe
    write_config(tmp_path, materials, notify_yaml=notify, extra=product.format(recipe="{walnut: 10 board_foot, glue: 12 floz}"))
    night = supplywatch("run", cwd=tmp_path)
    assert night.returncode == 0, night.stdout + night.stderr
    told = "\n".join(m["title"] + "\n" + m["message"] for m in sink.messages[before:])
    # $160 -> $200 of walnut on tonight's recipe, the glue (new) at tonight's $3.75 on every night: $163.75 -> $203.75.
    assert "Side table cost up 24.4% against its 30-day median ($163.75/table)" in told, told
    assert "mostly Black walnut +25% at Acme Lumber" in told, told
    assert "Wood glue 12 fl oz added" in told, told


SWISS = """
- {id: acme, name: Acme Lumber, currency: USD, locale: en_US}
- {id: zurich, name: Holz Zurich, currency: CHF, locale: de_CH}
"""
SWISS_WALNUT = """
- id: walnut
  name: Black walnut
  unit: board_foot
  offers: [{supplier: zurich, url: "http://127.0.0.1:9/nuss"}]
"""


def test_a_purchase_in_swiss_francs_names_the_currency_as_written_and_one_with_no_rate_says_so_in_words(tmp_path):
    path = write_config(tmp_path, SWISS_WALNUT, suppliers_yaml=SWISS)
    path.write_text(path.read_text().replace("exchange_rates: {EUR: 1.10}", "exchange_rates: {EUR: 1.10, CHF: 1.25}"))
    bought = supplywatch("bought", "walnut", "40", "board_foot", "--supplier", "zurich", "--price", "120", cwd=tmp_path)
    assert bought.returncode == 0, bought.stderr
    assert "(in Swiss francs, Holz Zurich's currency: $150.00 at $1.25 per Swiss franc; " in bought.stdout, bought.stdout
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    path = write_config(unknown, SWISS_WALNUT, suppliers_yaml=SWISS)
    path.write_text(path.read_text().replace("exchange_rates: {EUR: 1.10}", "rates_feed: ecb"))  # no rate fetched yet
    bought = supplywatch("bought", "walnut", "40", "board_foot", "--supplier", "zurich", "--price", "120", cwd=unknown)
    assert bought.returncode == 0, bought.stderr
    assert "(in Swiss francs, Holz Zurich's currency: no rate from Swiss francs to US dollars is known yet, so it is not converted; " \
        in bought.stdout, bought.stdout


def test_a_recipe_edit_under_an_open_cost_rise_neither_escalates_it_nor_resolves_it(tmp_path, sites, sink):
    acme, materials = walnut_and_glue(sites)
    product = """
products:
  - id: table
    name: Side table
    yield: 1 table
    recipe: {{walnut: {walnut}, glue: 12 floz}}
"""
    notify = f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]'

    def night(walnut_quantity: str) -> tuple[str, str]:
        before = len(sink.messages)
        write_config(tmp_path, materials, notify_yaml=notify, extra=product.format(walnut=walnut_quantity))
        ran = supplywatch("run", cwd=tmp_path)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        return "\n".join(m["title"] + "\n" + m["message"] for m in sink.messages[before:]), ran.stdout

    for _ in range(3):
        night("10 board_foot")
    acme.set("walnut", product_page("20.00"))
    told, _ = night("10 board_foot")
    assert "Side table cost up 24.4%" in told, told  # a real price move: told
    for more in ("30 board_foot", "70 board_foot", "10 board_foot", "2 board_foot"):  # the owner edits the recipe; no price moves
        told, out = night(more)
        assert "moved further" not in out and "resolved" not in out, (more, out)
        assert "Moved further" not in told and "now up" not in told and "back to" not in told, (more, told)
    acme.set("walnut", product_page("45.00"))  # a real move further: $43.75 -> $93.75 a table on the 2 bd ft recipe
    told, out = night("2 board_foot")
    # Measured on tonight's recipe from before the rise: $35.75 -> $93.75, and from the night it rang.
    assert "moved further" in out and "Side table cost now up 162% since " in told and "now $93.75/table (was $35.75/table)" in told, (out, told)


def test_a_margin_that_rounds_to_nothing_reads_0_0_percent_on_the_phone_the_home_page_and_whatif(tmp_path, sites, sink):
    acme = sites()
    walnut = acme.set("walnut", product_page("16.00"))
    materials = f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{walnut}"}}]
    """
    # $160.00 to make, sold at $159.95: a margin of -0.03 %, under the 50 % target.
    product = "products:\n  - {id: table, name: Side table, yield: 1 table, price: 159.95, target_margin: 50, recipe: {walnut: 10 board_foot}}\n"
    write_config(tmp_path, materials, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]', extra=product)
    night = supplywatch("run", cwd=tmp_path)
    assert night.returncode == 0, night.stdout + night.stderr
    told = "\n".join(m["title"] + "\n" + m["message"] for m in sink.messages)
    assert "Side table: margin 0.0%, below your target of 50%" in told and "-0.0%" not in told, told
    whatif = supplywatch("whatif", "walnut", "+0%", cwd=tmp_path)
    assert whatif.returncode == 0, whatif.stdout + whatif.stderr
    assert "-0.0%" not in whatif.stdout, whatif.stdout
    ds = serve.app(tmp_path / "supplywatch.db", currency="USD")
    import asyncio

    async def home() -> str:
        response = await ds.client.get("/")
        assert response.status_code == 200
        return response.text

    page = asyncio.run(home())
    assert "0.0%" in page and "-0.0%" not in page, page


def test_an_order_whose_two_best_purchases_cost_the_same_says_so_not_0_00_less(tmp_path):
    path = write_config(tmp_path, """
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers:
        - {supplier: acme, url: "http://127.0.0.1:9/walnut"}
        - {supplier: corner, url: "http://127.0.0.1:9/w2", pack: 10 board_foot}
    """)
    end, start = (date.today() - timedelta(days=1)).isoformat(), (date.today() - timedelta(days=10)).isoformat()
    store_history(path, {"walnut@acme": [(d, 18.00) for d in days_between(start, end)],
                         "walnut@corner": [(d, 180.00) for d in days_between(start, end)]})  # $18.00/bd ft at both
    result = supplywatch("order", "walnut", "--quantity", "20 board_foot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "$360.00 in all; the same price as 2 x 10 bd ft from Corner Shop" in result.stdout, result.stdout
    assert "$0.00/bd ft less" not in result.stdout, result.stdout


def test_a_purchase_left_out_under_a_minimum_order_is_named_in_words_as_the_ranked_ones_are(tmp_path):
    path = write_config(tmp_path, """
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{supplier: corner, url: "http://127.0.0.1:9/w2", pack: 10 board_foot}]
    """, suppliers_yaml="- {id: corner, name: Corner Shop, currency: USD, locale: en_US, minimum_order: 1000}")
    end, start = (date.today() - timedelta(days=1)).isoformat(), (date.today() - timedelta(days=10)).isoformat()
    store_history(path, {"walnut@corner": [(d, 180.00) for d in days_between(start, end)]})
    result = supplywatch("order", "walnut", "--quantity", "20 board_foot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Left out: 2 x 10 bd ft from Corner Shop: under its minimum order of $1,000.00" in result.stdout, result.stdout


def test_a_materials_new_unit_is_said_in_words_in_the_digest_note(tmp_path, sites, sink):
    acme = sites()
    walnut = acme.set("walnut", product_page("1200.00"))
    materials = """
    - id: walnut
      name: Black walnut
      unit: {unit}
      offers: [{{supplier: acme, url: "{url}", pack: 1 m^3}}]
    """
    notify = f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]'
    write_config(tmp_path, materials.format(unit="m^3", url=walnut), notify_yaml=notify)
    first = supplywatch("run", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    before = len(sink.messages)
    write_config(tmp_path, materials.format(unit="board_foot", url=walnut), notify_yaml=notify)  # now priced per board foot
    second = supplywatch("run", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    told = "\n".join(m["title"] + "\n" + m["message"] for m in sink.messages[before:])
    assert "Black walnut is now compared per bd ft: 1 stored price was converted, so this is no price move" in told, told


def test_a_to_do_purchase_from_a_euro_supplier_keeps_one_pair_of_parentheses(tmp_path):
    shop(tmp_path, oil=True)
    counted_on = (date.today() - timedelta(days=5)).isoformat()
    counted = supplywatch("stock", "walnut", "45", "board_foot", "--date", counted_on, cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    from monitor import config as config_module
    from monitor.decisions import nightly

    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    tonight = nightly.evaluate(db, config_module.load(tmp_path / "supplywatch.yml"), None, date.today().isoformat() + "T00:00:01+00:00")
    (to_do,) = [i.message for i in tonight.to_do if i.material_id == "walnut"]
    # Holz Berger's walnut is the cheaper delivered (EUR 15.00 = $16.50/bd ft): its total in euros, then dollars and the unit price.
    assert "from Holz Berger covers " in to_do and " in all" not in to_do, to_do
    assert "(about $" in to_do and "; $16.50/bd ft delivered)" in to_do and ") (" not in to_do, to_do
