"""What reaches the owner's phone and inbox, word for word: every kind of message the nightly job
sends, posted through the real Apprise to a local sink, night after night with prices changing.
(The nights are fed to the real pipeline directly: crawling is proved elsewhere.)"""

import re

import pytest

from monitor import config as config_module, pipeline
from tests.conftest import product_page, supplywatch, write_config

MATERIALS = """
- id: walnut-8-4
  name: Walnut 8/4
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/walnut"}]
  rules: [{kind: threshold, above: 22, confirm: 1}]
- id: glue
  name: Wood glue
  unit: gal
  offers: [{supplier: corner, url: "http://127.0.0.1:9/glue"}]
  rules: [{kind: change, percent: 10, baseline: previous, confirm: 1}]
- id: plywood
  name: Birch plywood
  unit: sheet
  offers: [{supplier: acme, url: "http://127.0.0.1:9/plywood"}]
  rules: [{kind: stock}]
- id: cherry
  name: Cherry 4/4
  unit: board_foot
  offers: [{supplier: corner, url: "http://127.0.0.1:9/cherry"}]
  rules: [{kind: stale, days: 2}]
- id: oak
  name: White oak
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/oak"}, {supplier: corner, url: "http://127.0.0.1:9/oak"}]
  rules: [{kind: cheapest}]
- id: beeswax
  name: Beeswax
  unit: kg
  offers: [{supplier: berger, url: "http://127.0.0.1:9/beeswax"}]
"""
PRODUCTS = """products:
  - {id: table, name: Side table, yield: 1 table, price: 400, target_margin: 40, recipe: {walnut-8-4: 10 board_foot}}
"""
# night -> offer -> price (None: the page gave an error), in stock unless listed in OUT
NIGHTS = {
    "2026-03-01": {"walnut-8-4@acme": "20.00", "glue@corner": "30.00", "plywood@acme": "60.00", "cherry@corner": "9.00",
                   "oak@acme": "10.00", "oak@corner": "11.00", "beeswax@berger": "20.00"},
    "2026-03-02": {"walnut-8-4@acme": "23.00", "glue@corner": "36.00", "plywood@acme": "60.00", "cherry@corner": None,
                   "oak@acme": "10.00", "oak@corner": "11.00", "beeswax@berger": None},
    "2026-03-03": {"walnut-8-4@acme": "25.50", "glue@corner": "36.00", "plywood@acme": "60.00", "cherry@corner": None,
                   "oak@acme": "10.00", "oak@corner": "9.00", "beeswax@berger": None},
    "2026-03-04": {"walnut-8-4@acme": "28.00", "glue@corner": "36.00", "plywood@acme": "60.00", "cherry@corner": None,
                   "oak@acme": "10.00", "oak@corner": "9.00", "beeswax@berger": None},
    "2026-03-05": {"walnut-8-4@acme": "20.00", "glue@corner": "30.00", "plywood@acme": "60.00", "cherry@corner": "9.00",
                   "oak@acme": "10.00", "oak@corner": "9.00", "beeswax@berger": "20.00"},
}
OUT = {("2026-03-02", "plywood@acme")}


def night(db, config, day: str, at: str = "03:00:00") -> pipeline.RunResult:
    as_of = f"{day}T{at}+00:00"
    items = [{"offer_id": offer, "status": "ok" if price else "error", "price": price, "fetched_at": as_of,
              "in_stock": (day, offer) not in OUT, "currency": "EUR" if offer.endswith("@berger") else "USD",
              "error": None if price else "the page could not be fetched (connection refused)"}
             for offer, price in NIGHTS[day].items()]
    with pipeline.Run(db, config, "crawl", as_of, expected=config.offers()) as run:
        run.accept(items)
        return run.finish()


@pytest.fixture(scope="module")
def told(tmp_path_factory):
    """Five nights; the inbox is down on the fourth, so its digest goes out late beside the fifth's."""
    from tests.conftest import AppriseSink

    directory = tmp_path_factory.mktemp("words")
    phone, inbox = AppriseSink(), AppriseSink()
    try:
        write_config(directory, MATERIALS, notify_yaml=f"urls: [{{url: \"{phone.url}\", tags: [phone]}}, {{url: \"{inbox.url}\", tags: [digest]}}]",
                     extra=PRODUCTS)
        config = config_module.load(directory / "supplywatch.yml")
        db, _ = pipeline.open_store(config)
        per_night = {}
        for day in NIGHTS:
            inbox.failing = day == "2026-03-04"
            before = (len(phone.messages), len(inbox.messages))
            result = night(db, config, day)
            assert result.status in ("ok", "partial"), result.message
            per_night[day] = (phone.messages[before[0]:], inbox.messages[before[1]:], result.message)
        yield per_night
    finally:
        for sink in (phone, inbox):
            sink.server.clear()
            sink.server.stop()


def test_a_critical_push_says_what_happened_in_its_title_in_words_and_rings_as_a_failure(told):
    pushes, _, _ = told["2026-03-02"]
    (walnut,) = [p for p in pushes if p["title"].startswith("Walnut")]
    assert walnut["title"] == "Walnut 8/4 at Acme Lumber above $22.00/bd ft"
    assert walnut["type"] == "failure"
    assert walnut["message"].startswith("Walnut 8/4 at Acme Lumber: $23.00/bd ft is above your limit of $22.00/bd ft")
    assert "rule" not in walnut["message"] and "board_foot" not in walnut["message"] and "walnut-8-4" not in walnut["message"]
    further = [p for p in told["2026-03-03"][0] if p["title"].startswith("Walnut")]
    assert [p["title"] for p in further] == ["Walnut 8/4 at Acme Lumber further above $22.00/bd ft: $25.50/bd ft"]
    assert "First told 2 Mar 2026." in further[0]["message"]


def test_a_falling_margin_says_how_far_it_has_fallen_each_time_it_gets_worse(told):
    (first,) = [p for p in told["2026-03-03"][0] if p["title"].startswith("Side table")]
    assert first["title"] == "Side table: margin down to 36.2%, target 40%" and first["type"] == "failure"
    assert first["message"].startswith("Side table: margin 36.2%, below your target of 40%: reprice now. Cost $255.00/table, sells at $400.00/table")
    assert "; cost up 27.5% in 2 days, mostly Walnut 8/4 +27% at Acme Lumber" in first["message"]
    (worse,) = [p for p in told["2026-03-04"][0] if p["title"].startswith("Side table")]
    assert worse["title"] == "Side table: margin further down to 30.0%, target 40%"
    assert worse["message"].startswith("Side table: margin 30.0%, down 6.2 points since you were told (36.2%), below your target of 40%")


def test_the_digest_names_offers_and_says_each_kind_in_words(told):
    _, (digest,), summary = told["2026-03-02"]
    assert digest["type"] == "warning"  # new warnings in it
    assert digest["title"] == "supplywatch, 2 Mar 2026: 4 new alerts, 2 pages without a price"
    body = digest["message"]
    assert ("  [WARNING] Wood glue at Corner Shop up 20.0% against the previous price ($30.00/gal): now $36.00/gal, "
            "was $30.00/gal on 1 Mar 2026") in body
    assert "  [WARNING] Birch plywood at Acme Lumber is out of stock" in body
    assert "  Cherry 4/4 at Corner Shop: the page could not be fetched (connection refused)" in body
    assert "  Beeswax at Holz Berger: the page could not be fetched (connection refused)" in body
    assert "  [WARNING] Holz Berger: its page gave no price tonight; its price alerts wait until it recovers" in body
    assert "Held back (the supplier's pages look broken):\n  Holz Berger: price alerts wait until its pages give prices again" in body
    assert summary.startswith("5 prices from 7 offers (2 errors); no price at all from Holz Berger; 5 alerts fired")
    assert not re.search(r"\b0 ", summary)  # nothing said of what did not happen
    _, (first,), first_summary = told["2026-03-01"]
    assert "  [INFO] Acme Lumber is now the cheapest for White oak: $10.00/bd ft (next: Corner Shop at $11.00/bd ft)" in first["message"]
    assert first["title"] == "supplywatch, 1 Mar 2026: 1 new alert"
    _, (third,), third_summary = told["2026-03-03"]
    assert "  [RESOLVED] Birch plywood at Acme Lumber is back in stock at $60.00/sheet" in third["message"]
    assert "1 new alert, 1 alert moved further, 1 resolved alert" in third["title"]
    assert "2 alerts fired, 2 moved further, 1 resolved" in third_summary  # as the title says "moved further" (README walk)
    assert first_summary == "7 prices from 7 offers; 1 alert fired"
    everything = "\n".join(m["title"] + "\n" + m["message"] for day in told.values() for messages in day[:2] for m in messages)
    for jargon in ("@", "board_foot", "rule:", "supplywatch digest", "in 0 days", "+0.0%", "1 alerts", "(s)", "T03:00"):
        assert jargon not in everything, jargon
    assert not re.search(r"\d{4}-\d\d-\d\d", everything)  # days in words


def test_a_digest_sent_late_says_so_and_never_reads_like_tonights(told):
    _, inbox, _ = told["2026-03-05"]
    titles = [m["title"] for m in inbox]
    assert len(titles) == 2 and len(set(titles)) == 2
    assert titles[0].startswith("supplywatch, 4 Mar 2026: 1 new alert, 2 pages without a price (sent late, written ")
    assert "  [WARNING] Cherry 4/4 at Corner Shop: no valid price for 3 days (the last one on 1 Mar 2026)" in inbox[0]["message"]
    assert titles[1] == "supplywatch, 5 Mar 2026: 2 new alerts, 6 resolved alerts"
    assert "  [RESOLVED] Walnut 8/4 at Acme Lumber: $20.00/bd ft, back under $22.00/bd ft" in inbox[1]["message"]
    assert "  [RESOLVED] Side table: margin back to 50.0% (target 40%), cost $200.00/table" in inbox[1]["message"]
    assert "  [RESOLVED] Cherry 4/4 at Corner Shop: valid prices again ($9.00/bd ft)" in inbox[1]["message"]
    assert "  [RESOLVED] Holz Berger: its pages give prices again (1 of 1)" in inbox[1]["message"]


def test_a_quiet_nights_summary_says_only_that_nothing_new_happened():
    from monitor import display

    quiet = {"offers": 5, "prices": 5, "missing": 0, "errors": 0, "suspect": 0, "node_errors": 0}
    assert display.run_summary(quiet, 0, 0, [], [], 0) == "5 prices from 5 offers; no new alerts"
    broken = {**quiet, "prices": 3, "missing": 1, "suspect": 1}
    assert (display.run_summary(broken, 0, 1, [], [], 1)
            == "3 prices from 5 offers (1 missing, 1 held back as suspect); 1 alert resolved; 1 notification not delivered (kept for the next run)")
    # told again because the news got worse: not "no new alerts" beside a phone that rang (README walk)
    assert display.run_summary(quiet, 0, 0, [], [], 0, worse=1) == "5 prices from 5 offers; 1 alert moved further"
    assert display.run_summary(quiet, 2, 1, [], [], 0, worse=3) == "5 prices from 5 offers; 2 alerts fired, 3 moved further, 1 resolved"
    assert display.run_summary(quiet, 1, 2, [], [], 0) == "5 prices from 5 offers; 1 alert fired, 2 resolved"


def test_a_night_when_a_whole_supplier_fails_names_twenty_pages_and_says_how_many_more():
    """A digest stays readable when hundreds of pages give no price (a supplier's site down, a
    co-op's 2,000 suppliers): twenty named, then the count and where to see them all."""
    from monitor import notify

    problems = [notify.Problem(f"m{i}@acme", "error", "the supplier's site had an error (500 Internal Server Error)",
                               label=f"Material {i} at Acme Lumber") for i in range(250)]
    message = notify.digest([], notify.DigestContext("2026-12-07", problems=problems))
    assert message is not None
    lines = message.body.splitlines()
    named = [line for line in lines if line.startswith("  Material ")]
    assert len(named) == 20 and named[0].startswith("  Material 0 at Acme Lumber: the supplier's site had an error")
    assert "  ... and 230 more: `supplywatch status` and the page 'Pages that need a look' list them all" in lines
    assert "250 pages without a price" in message.title, message.title


def test_a_typed_price_held_back_is_told_as_the_owners_number_not_as_a_broken_page(tmp_path):
    """`add-price` of a typo is held back as suspect (rightly); the digest says the owner's number waits
    to be confirmed, not that the supplier's page gave no valid price (the page is fine)."""
    from tests.conftest import AppriseSink, days_between, store_history

    inbox = AppriseSink()
    try:
        path = write_config(tmp_path, MATERIALS, notify_yaml=f'urls: [{{url: "{inbox.url}", tags: [digest]}}]')
        store_history(path, {"walnut-8-4@acme": [(day, 20.0) for day in days_between("2026-02-01", "2026-02-28")]})
        config = config_module.load(path)
        result = pipeline.add_price(config, "walnut-8-4@acme", "2.00", "2026-03-01T12:00:00+00:00", echo=lambda _: None)
        assert result.status == "partial", result.message
        (digest,) = inbox.messages
    finally:
        inbox.server.clear()
        inbox.server.stop()
    body = digest["message"]
    assert "Pages without a valid price" not in body and "127.0.0.1" not in body
    assert "Prices you typed, held back until confirmed (if one is right, type it again):\n  Walnut 8/4 at Acme Lumber: price held back as suspect (" in body
    assert digest["title"] == "supplywatch, 1 Mar 2026: 1 typed price held back"


def test_a_page_that_stopped_showing_its_price_says_how_to_point_at_it(tmp_path, sites, sink):
    site = sites()
    site.set("walnut", product_page("12.00"))
    site.set("cherry", product_page("9.00"))
    write_config(tmp_path, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{site.url('walnut')}"}}]
    - id: cherry
      name: Cherry
      unit: board_foot
      offers: [{{supplier: acme, url: "{site.url('cherry')}"}}]
    """, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    site.set("walnut", "<html><body><h1>Black walnut</h1><p>Call us for today's price</p></body></html>")  # the shop redid its page
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # finished, with a page without a price
    (digest,) = [m["message"] for m in sink.messages if "Pages without a valid price" in m["message"]]
    lines = digest.splitlines()
    walnut = next(i for i, line in enumerate(lines) if line.startswith("  Black walnut at Acme Lumber: no price on the page"))
    assert lines[walnut + 1] == "  To point at the right price: supplywatch probe <the page's address> lists them, with the line to paste"
    site.set("walnut", "gone", status=404)  # a page that is gone says what to do in its own words: no probe advice
    sink.messages.clear()
    assert supplywatch("run", cwd=tmp_path).returncode == 1
    (digest,) = [m["message"] for m in sink.messages if "Pages without a valid price" in m["message"]]
    assert "the page is gone (404 Not Found): the supplier may have moved it; check the address" in digest and "probe" not in digest
