"""The message kinds the phone and the inbox get beyond prices crossing limits, word for word at a
real Apprise sink: a run-up, a product's cost run-up, a trend, a jumpy day, a new low,
the order-by date, a quote losing margin and the index rules. Each is driven through the real
nightly pipeline (nights fed to ``pipeline.Run`` as `add-price` and the crawl do; months of history
stored first), and each title and body is read as the owner reads it: names, units and currency in
words, never ids, never rule jargon."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from monitor import alerts, config as config_module, pipeline
from monitor.notify.compose import headline
from tests.conftest import AppriseSink, days_between, store_history, write_config

START = datetime(2026, 3, 1, 3, tzinfo=timezone.utc)
JARGON = ("walnut@", "board_foot", "rule:", "runup", "run_up", "index_rise", "index_fall", "above_index", "1 alerts", "(s)")


@pytest.fixture
def sinks():
    phone, inbox = AppriseSink(), AppriseSink()
    yield phone, inbox
    for sink in (phone, inbox):
        sink.server.clear()
        sink.server.stop()


def notify_yaml(phone: AppriseSink, inbox: AppriseSink) -> str:
    return f'urls: [{{url: "{phone.url}", tags: [phone]}}, {{url: "{inbox.url}", tags: [digest]}}]'


class Nights:
    """Nightly prices fed to the real pipeline, with the Apprise sinks' messages of each night."""

    def __init__(self, path, phone: AppriseSink, inbox: AppriseSink, start: datetime = START):
        self.config = config_module.load(path)
        self.db, _ = pipeline.open_store(self.config)
        self.phone, self.inbox, self.start, self.n = phone, inbox, start, 0

    def feed(self, prices: dict[str, float]) -> tuple[list[dict], list[dict]]:
        """One night; returns (pushes, digests) that reached the sinks."""
        as_of = (self.start + timedelta(days=self.n)).isoformat()
        self.n += 1
        before = len(self.phone.messages), len(self.inbox.messages)
        items = [{"offer_id": offer, "status": "ok", "price": f"{price:.2f}", "fetched_at": as_of} for offer, price in prices.items()]
        with pipeline.Run(self.db, self.config, "test", as_of) as run:
            run.accept(items)
            result = run.finish()
        assert result.status == "ok", result.message
        return self.phone.messages[before[0]:], self.inbox.messages[before[1]:]


def flat_history(path, offers: dict[str, float], days: int = 60, start: datetime = START) -> None:
    before = days_between((start - timedelta(days=days)).date().isoformat(), (start - timedelta(days=1)).date().isoformat())
    store_history(path, {offer: [(d, price) for d in before] for offer, price in offers.items()})


def words_only(messages: list[dict]) -> None:
    text = "\n".join(m["title"] + "\n" + m["message"] for m in messages)
    for jargon in JARGON:
        assert jargon not in text, jargon
    assert not re.search(r"\d{4}-\d\d-\d\d", text)  # days in words
    assert not re.search(r"\d\.\d{3,}", text)  # no raw floats


WOOD = """
- id: walnut
  name: Walnut
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}]
  rules: [{kind: runup, percent: 20}]
- id: cherry
  name: Cherry
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/p/cherry"}]
  rules: [{kind: threshold, above: 100}]
"""


def test_a_run_up_push_is_titled_with_how_far_since_when_and_the_price_now(tmp_path, sinks):
    phone, inbox = sinks
    path = write_config(tmp_path, WOOD, notify_yaml=notify_yaml(phone, inbox))
    flat_history(path, {"walnut@acme": 10.0, "cherry@acme": 9.0})
    nights = Nights(path, phone, inbox)
    pushes: list[dict] = []
    for n in range(1, 31):
        pushes += nights.feed({"walnut@acme": 10.0 * 1.01 ** n, "cherry@acme": 9.0})[0]
    (push,) = pushes  # the climb began on the Thursday before the nights fed here (a grid night of the rule)
    assert push["title"] == "Walnut at Acme Lumber up 22% since 26 Feb: $12.20/bd ft"
    assert push["type"] == "failure"
    assert push["message"] == "Walnut at Acme Lumber up 22% since 26 Feb, now $12.20/bd ft (was $10.00/bd ft)\n(message #1)"
    words_only(pushes)


def test_a_product_cost_run_up_is_titled_with_its_cost_and_the_input_behind_it_also_when_composed_again(tmp_path, sinks):
    phone, inbox = sinks
    path = write_config(tmp_path, WOOD.replace("[{kind: runup, percent: 20}]", "[{kind: threshold, above: 1000}]"),
                        notify_yaml=notify_yaml(phone, inbox), extra="""products:
  - {id: side-table, name: Side table, yield: 1 table, recipe: {walnut: 10 board_foot, cherry: 10 board_foot}}
""")
    flat_history(path, {"walnut@acme": 10.0, "cherry@acme": 9.0})
    nights = Nights(path, phone, inbox)
    pushes: list[dict] = []
    for n in range(0, 35):
        pushes += nights.feed({"walnut@acme": 10.0 * 1.015 ** max(0, n - 4), "cherry@acme": 9.0})[0]
    (push,) = [p for p in pushes if p["title"].startswith("Side table")]
    assert push["title"] == "Side table cost up 21% since 5 Mar: $230.80/table, mostly Walnut"
    assert push["message"].startswith("Side table cost up 21% since 5 Mar, now $230.80/table (was $190.00/table); "
                                      "cost up 21.5% in 23 days, mostly Walnut +41% at Acme Lumber")
    words_only(pushes)
    # After a crash, untold events are composed again from the event log alone: the title must read the same.
    (event_id,) = [r[0] for r in nights.db.execute(
        "SELECT e.id FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
        "WHERE a.product_id = 'side-table' AND a.kind = 'runup' AND e.event = 'fired'")]
    assert nights.db.execute("SELECT driver FROM alert_events WHERE id = ?", [event_id]).fetchone()[0] == "Walnut"
    nights.db.execute("UPDATE alert_events SET notification_id = NULL WHERE id = ?", [event_id])  # as if never sent
    (again,) = [t for i, t in alerts.untold(nights.db) if i == event_id]
    assert headline(again) == push["title"]


def test_a_products_change_and_limit_say_it_is_the_cost_not_the_selling_price(tmp_path, sinks):
    """"Side table up 6.7% ... ($182.19/table)" read as the price the table sells at (newcomer's
    README walk): every product message and title says it is the cost."""
    phone, inbox = sinks
    path = write_config(tmp_path, WOOD.replace("[{kind: runup, percent: 20}]", "[{kind: threshold, above: 1000}]"),
                        notify_yaml=notify_yaml(phone, inbox), extra="""products:
  - {id: side-table, name: Side table, yield: 1 table, price: 400, recipe: {walnut: 10 board_foot, cherry: 10 board_foot},
     rules: [{kind: change, percent: 10, confirm: 1}, {kind: threshold, above: 200, confirm: 1}]}
""")
    flat_history(path, {"walnut@acme": 10.0, "cherry@acme": 9.0})
    nights = Nights(path, phone, inbox)
    for _ in range(3):
        nights.feed({"walnut@acme": 10.0, "cherry@acme": 9.0})
    got = nights.feed({"walnut@acme": 12.0, "cherry@acme": 9.0})
    (limit,), (digest,) = got
    assert limit["title"] == "Side table cost above $200.00/table"
    assert limit["message"].startswith("Side table cost: $210.00/table is above your limit of $200.00/table")
    assert ("  [WARNING] Side table cost up 10.5% against its 30-day median ($190.00/table): now $210.00/table, "
            "was $190.00/table on 3 Mar 2026") in digest["message"]
    assert "Side table up" not in digest["message"]
    words_only([limit, digest])


MOVES = """
- id: walnut
  name: Walnut
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}]
  rules: [{kind: trend, percent: 12, days: 60, confirm: 1, severity: critical}]
- id: glue
  name: Wood glue
  unit: gal
  offers: [{supplier: corner, url: "http://127.0.0.1:9/p/glue"}]
  rules: [{kind: volatility, z: 5, days: 30, confirm: 1}]
- id: oak
  name: White oak
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/p/oak"}]
  rules: [{kind: extreme, days: 30, direction: low, severity: critical}]
"""


def test_a_trend_a_jumpy_day_and_a_new_low_read_in_words_and_a_reminder_digest_says_what_it_holds(tmp_path, sinks):
    phone, inbox = sinks
    path = write_config(tmp_path, MOVES, notify_yaml=notify_yaml(phone, inbox))
    before = days_between((START - timedelta(days=60)).date().isoformat(), (START - timedelta(days=1)).date().isoformat())
    store_history(path, {"walnut@acme": [(d, 10.0) for d in before], "oak@acme": [(d, 10.0) for d in before],
                         "glue@corner": [(d, 30.0 if i % 2 else 30.3) for i, d in enumerate(before)]})
    nights = Nights(path, phone, inbox)
    told = []
    for n in range(1, 29):
        walnut = 10.0 * 1.006 ** n  # +0.6 % a night: no night is news, the trend is
        glue = 36.0 if n >= 10 else (30.0 if n % 2 else 30.3)  # a 20 % jump on a price that moves 1 % a day
        oak = 9.0 if n >= 5 else 10.0  # the lowest in 30 days, and there it stays
        told.append(nights.feed({"walnut@acme": walnut, "glue@corner": glue, "oak@acme": oak}))
    heard = {n: pushes + digests for n, (pushes, digests) in enumerate(told, 1) if pushes or digests}
    assert sorted(heard) == [5, 10, 20, 27]
    ((oak,), (glue,), (walnut,), (reminder,)) = heard.values()
    assert (oak["title"], oak["type"]) == ("White oak at Acme Lumber at a new low: $9.00/bd ft", "failure")
    assert oak["message"] == "White oak at Acme Lumber: $9.00/bd ft is the lowest in 30 days (the lowest before: $10.00/bd ft)\n(message #1)"
    assert (glue["title"], glue["type"]) == ("supplywatch, 10 Mar 2026: 1 new alert", "warning")
    assert glue["message"] == ("New alerts:\n  [WARNING] Wood glue at Corner Shop up 20.0% against its recent prices ($30.00/gal): now $36.00/gal, "
                               "was $30.00/gal on 9 Mar 2026; unusual for it: its usual daily move is ±0.9%\n(message #2)")
    assert walnut["title"] == "Walnut at Acme Lumber up 13% to $11.27/bd ft"
    assert walnut["message"] == ("Walnut at Acme Lumber up 12.7% against where it stood 60 days ago ($10.00/bd ft): now $11.27/bd ft, "
                                 "was $10.00/bd ft on 19 Jan 2026\n(message #3)")
    # A week on, nothing new: the digest holds only the reminder, and its title says so.
    assert (reminder["title"], reminder["type"]) == ("supplywatch, 27 Mar 2026: 1 alert still open", "info")
    assert reminder["message"] == ("Still open (weekly reminder):\n  [STILL OPEN] Walnut at Acme Lumber up 17.5% since $10.00/bd ft on 19 Jan 2026: "
                                   "now $11.75/bd ft, 17.5% above where it stood 60 days ago ($10.00/bd ft) (first told 20 Mar 2026)\n(message #4)")
    words_only([oak, glue, walnut, reminder])


def cli(path, *args: str) -> str:
    from tests.conftest import supplywatch

    result = supplywatch(*args, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SHOP = """
- id: walnut
  name: Black walnut
  unit: board_foot
  weekly_usage: 70 board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}]
"""
TABLE = """products:
  - {id: side-table, name: Walnut side table, yield: 1 table, price: 520, target_margin: 50, recipe: {walnut: 12 board_foot}}
"""


def test_the_order_by_date_and_a_quote_losing_margin_say_what_to_do_in_words(tmp_path, sinks):
    phone, inbox = sinks
    path = write_config(tmp_path, SHOP, notify_yaml=notify_yaml(phone, inbox), extra=TABLE, suppliers_yaml="""
    - {id: acme, name: Acme Lumber, currency: USD, locale: en_US, lead_time_days: 10}
    """)
    flat_history(path, {"walnut@acme": 12.50}, days=30)
    cli(path, "stock", "walnut", "250", "board_foot", "--date", "2026-03-01")  # 25 days at 10 a day: order by Mar 9 (lead 10 + safety 7)
    cli(path, "quote", "add", "--product", "side-table", "--quantity", "8", "--price", "4200", "--valid-until", "2026-04-30",
        "--number", "112", "--customer", "the Hendersons", "--date", "2026-03-01")
    nights = Nights(path, phone, inbox, start=START + timedelta(days=1))
    told = []
    for n in range(2, 12):
        told.append(nights.feed({"walnut@acme": 12.50 if n < 5 else 16.00 if n < 7 else 23.00}))
    heard = {n: (pushes, digests) for n, (pushes, digests) in enumerate(told, 2)}
    (first,) = heard[2][1]
    assert first["title"] == "supplywatch, 2 Mar 2026: to do this week"
    assert first["message"] == ("To do this week:\n  Black walnut: 24 days left (244 bd ft), lead time 10 days: order by 9 Mar; "
                                "317 bd ft from Acme Lumber covers 8 weeks: $3,962.50 ($12.50/bd ft delivered); "
                                "no call: only 31 days of prices (a call needs 60 days)\n(message #1)")
    quote = ("Quote 112 (8 x Walnut side table for the Hendersons, $4,200.00, valid to 30 Apr) has lost {} margin points since 1 Mar "
             "(71.4% -> {}), mostly Black walnut {} at Acme Lumber: buy Black walnut now or re-quote")
    (lost,) = heard[5][1]
    assert lost["title"] == "supplywatch, 5 Mar 2026: to do this week, 2 new alerts"
    assert "New alerts:\n" in lost["message"]
    assert "  [WARNING] " + quote.format("8.0", "63.4%, target 50%", "+28%") + "\n" in lost["message"]
    (pushed,) = [p for p in heard[7][0] if p["title"].startswith("Quote")]
    assert (pushed["title"], pushed["type"]) == ("Quote 112: margin further down to 47.4% (71.4% when given)", "failure")
    assert pushed["message"] == quote.format("24.0", "47.4%, under the target of 50%", "+84%") + "\nFirst told 5 Mar 2026.\n(message #7)"
    (order,) = heard[9][0]  # 17 days left: 10 days' lead time and 7 of safety
    assert (order["title"], order["type"]) == ("Black walnut: order now, 17 days of stock left", "failure")
    assert order["message"] == ("Black walnut: 17 days left (174 bd ft), lead time 10 days: order today, it arrives with 7 days' stock left; "
                                "cheapest now Acme Lumber at $23.00/bd ft\n(message #9)")
    words_only([m for pushes, digests in heard.values() for m in pushes + digests])


def test_the_index_rules_say_what_the_market_did_and_what_to_do_in_the_digest(tmp_path, sinks):
    """On the real lumber price index (2019-2021): a supplier's rise the index does not share, the
    index's climb and its fall while the supplier stays flat. Each reaches the digest in words."""
    import csv

    from tests.conftest import REPO

    phone, inbox = sinks
    path = write_config(tmp_path, """
    - id: walnut
      name: Black walnut
      unit: board_foot
      indexes: [lumber-ppi]
      offers: [{supplier: acme, url: "http://127.0.0.1:9/walnut"}]
    - id: cherry
      name: Cherry
      unit: board_foot
      indexes: [lumber-ppi]
      offers: [{supplier: corner, url: "http://127.0.0.1:9/cherry"}]
    """, notify_yaml=notify_yaml(phone, inbox),
        extra="indexes:\n  - {id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081}\n")
    ppi = [row for row in csv.reader((REPO / "tests" / "fixtures" / "series" / "WPU081.csv").read_text().splitlines()[1:])
           if "2018-06-01" <= row[0] <= "2021-12-01"]
    fred = tmp_path / "WPU081.csv"
    fred.write_text("observation_date,WPU081\n" + "".join(f"{d},{v}\n" for d, v in ppi))
    cli(path, "index", "load", "lumber-ppi", str(fred))
    store_history(path, {"cherry@corner": [(d, 8.0) for d in days_between("2019-01-03", "2019-06-27", 7)]})
    last = ["2019-01-03"]

    def night(day: str) -> tuple[list[dict], list[dict]]:
        store_history(path, {"walnut@acme": [(d, 10.0) for d in days_between(last[0], day, 7)],
                             "cherry@corner": [(d, 10.0) for d in days_between(last[0], day, 7)]})
        last[0] = day
        return Nights(path, phone, inbox, start=datetime.fromisoformat(f"{day}T03:00:00+00:00")).feed({"walnut@acme": 10.0, "cherry@corner": 10.0})

    told = {day: night(day) for day in ("2019-10-20", "2020-09-10", "2021-10-20")}
    ((runup,), (first,)), ((), (second,)), ((), (third,)) = told.values()
    assert runup["title"] == "Cherry at Corner Shop up 25% since 27 Jun: $10.00/bd ft"  # its own run-up rings; no index rule does
    # The to-do list would say the same words as the new alert: told once.
    assert (first["title"], first["type"]) == ("supplywatch, 20 Oct 2019: 1 new alert", "warning")
    assert first["message"] == (
        "New alerts:\n  [WARNING] Cherry at Corner Shop rose 25.0% while the lumber price index moved +2.6% (Jun 2019 to Sep 2019): "
        "this rise is not the market; ask Corner Shop why, or compare suppliers\n(message #2)")
    assert second["title"] == "supplywatch, 10 Sep 2020: 2 new alerts, 2 resolved alerts"
    assert second["message"] == (
        "New alerts:\n"
        "  [WARNING] Black walnut: the lumber price index rose 17.9% (Apr 2020 to Jul 2020) while your suppliers have not moved yet "
        "(Acme Lumber 0%): expect an increase; buy ahead\n"
        "  [WARNING] Cherry: the lumber price index rose 17.9% (Apr 2020 to Jul 2020) while your suppliers have not moved yet "
        "(Corner Shop 0%): expect an increase; buy ahead\n"
        "Resolved:\n"
        "  [RESOLVED] Cherry at Corner Shop: the run-up since 27 Jun 2019 is over, now $10.00/bd ft (+25% on its $8.00/bd ft then)\n"
        "  [RESOLVED] Cherry at Corner Shop back in line with the lumber price index (0% vs +17.9%)\n(message #3)")
    assert (third["title"], third["type"]) == ("supplywatch, 20 Oct 2021: 2 new alerts, 2 resolved alerts", "info")
    assert third["message"] == (
        "New alerts:\n"
        "  [INFO] Black walnut: the lumber price index fell 38.0% (Jun 2021 to Sep 2021) while your suppliers stay flat "
        "(Acme Lumber 0%): ask for a better price\n"
        "  [INFO] Cherry: the lumber price index fell 38.0% (Jun 2021 to Sep 2021) while your suppliers stay flat "
        "(Corner Shop 0%): ask for a better price\n"
        "Resolved:\n"
        "  [RESOLVED] Black walnut: the lumber price index is no longer rising (-38.0%, Jun 2021 to Sep 2021)\n"
        "  [RESOLVED] Cherry: the lumber price index is no longer rising (-38.0%, Jun 2021 to Sep 2021)\n(message #4)")
    words_only([runup, first, second, third])
