"""The run-up rule through the real nightly pipeline (store, rules, alert states, event log): a climb
over weeks rings the phone once before its peak and again only much further up, a rebound after a
crash and a one-night typo never ring, and a product's cost run-up names the input that drove it."""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from monitor import backtest, config as config_module, notify, pipeline
from tests.conftest import days_between, store_history, write_config

START = datetime(2026, 3, 1, 3, tzinfo=timezone.utc)
DEFAULT = "[]"  # no rules of its own: the built-in defaults, run-up included
SIDE_TABLE = """products:
  - id: side-table
    name: Side table
    yield: 1 each
    recipe: {walnut: 10 board_foot, cherry: 10 board_foot}
"""


@pytest.fixture
def nights(tmp_path):
    """Feed nightly walnut prices through the real pipeline beside a steady cherry offer; each night
    returns what the owner was told, as (event, kind, direction, pushed, message)."""

    def make(walnut_rules: str = DEFAULT, extra: str = "", flat_days: int = 60, flat: float = 10.0,
             history: list[float] | None = None):
        rules = f"\n          rules: {walnut_rules}" if walnut_rules != DEFAULT else ""
        path = write_config(tmp_path, f"""
        - id: walnut
          name: Walnut
          unit: board_foot
          offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}}]{rules}
        - id: cherry
          name: Cherry
          unit: board_foot
          offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/cherry"}}]
          rules: [{{kind: threshold, above: 100}}]
        """, extra=extra)
        # Two months at a steady price before the nights the test feeds (stored, not judged: faster).
        # ``history``: walnut's own prices of the nights before instead (one a night, the last the night before).
        days = len(history) if history is not None else flat_days
        before = days_between((START - timedelta(days=days)).date().isoformat(), (START - timedelta(days=1)).date().isoformat())
        walnut = list(zip(before, history)) if history is not None else [(d, flat) for d in before]
        store_history(path, {"walnut@acme": walnut, "cherry@acme": [(d, 9.0) for d in before]})
        config = config_module.load(path)
        db, _ = pipeline.open_store(config)
        night = {"n": 0}

        def feed(price: float) -> list[tuple[str, str, str, bool, str]]:
            as_of = (START + timedelta(days=night["n"])).isoformat()
            night["n"] += 1
            items = [{"offer_id": "walnut@acme", "status": "ok", "price": f"{price:.2f}", "fetched_at": as_of},
                     {"offer_id": "cherry@acme", "status": "ok", "price": "9.00", "fetched_at": as_of}]
            with pipeline.Run(db, config, "test", as_of, deliver=False) as run:
                again = run.to_refetch(items)  # a glitch-looking price is fetched again at once: the page still shows it
                run.accept(items + [dict(i, fetched_at=as_of.replace("T03:00:00", "T03:00:00.500")) for i in items
                                    if i["offer_id"] in {o.offer_id for o in again}])
                result = run.finish()
            return [(t.event.value, t.alert.kind, t.alert.direction, notify.is_push(t), t.message)
                    for t in result.transitions if t.told and t.event.value != "reminded"]

        return feed, db

    return make


def runup_events(told: list[list[tuple[str, str, str, bool, str]]], kind: str = "runup") -> list[tuple[int, str, bool, str]]:
    return [(night, event, pushed, message) for night, events in enumerate(told) for event, k, _, pushed, message in events if k == kind]


def climb(start: float, percent_a_night: float, nights: int) -> list[float]:
    return [start * (1 + percent_a_night / 100) ** n for n in range(1, nights + 1)]


def test_a_climb_over_weeks_rings_the_phone_once_before_its_peak(nights):
    feed, _ = nights()
    rise = climb(10.0, 1.0, 45)  # +1 % a night: no night's move is news, +56 % in six weeks
    told = [feed(p) for p in rise + [rise[-1] * 0.98 ** n for n in range(1, 8)]]
    rang = runup_events(told)
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    night, _, _, message = rang[0]
    assert 17 <= night <= 21  # at about 20 %, three weeks before the peak
    assert message == f"Walnut at Acme Lumber up {rise[night] / 10 - 1:.0%} since 26 Feb, now ${rise[night]:.2f}/bd ft (was $10.00/bd ft)"
    # Nothing else rang on the way up (the trend and change rules write to the digest).
    assert sum(pushed for events in told for _, _, _, pushed, _ in events) == 1


def test_a_run_up_rings_again_only_when_it_goes_much_further(nights):
    feed, _ = nights("[{kind: runup, percent: 20, days: 365, escalate_percent: 25}]")
    prices = climb(10.0, 1.0, 55)
    rang = runup_events([feed(p) for p in prices])
    assert [event for _, event, _, _ in rang] == ["fired", "escalated"]
    (fired, *_), (escalated, *_) = rang
    assert prices[escalated] / prices[fired] >= 1.25 > prices[escalated - 1] / prices[fired]


def test_the_owner_sets_how_far_and_over_how_long(nights):
    feed, _ = nights("[{kind: runup, percent: 40, days: 120}]")
    prices = climb(10.0, 1.0, 45)
    rang = runup_events([feed(p) for p in prices])
    assert len(rang) == 1 and 1.40 <= prices[rang[0][0]] / 10.0 < 1.45  # not at 20 %: this owner waits for 40 %


def test_a_rebound_after_a_crash_rings_only_once_past_the_usual_level(nights):
    feed, _ = nights(flat_days=120)
    crash = [10.0 * 0.97 ** n for n in range(1, 24)]  # halves in three weeks
    rebound = climb(crash[-1], 3.0, 32)  # doubles back to its usual 10 (+100 % from the low), then 25 % past it
    told = [feed(p) for p in crash + rebound]
    rang = runup_events(told)
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    night, _, _, message = rang[0]
    assert (crash + rebound)[night - 1] >= 12.0  # 20 % above the usual 10, not 20 % above the low
    assert "(back at its usual $10.00/bd ft then, after a low of $" in message


def test_a_climb_from_a_dip_just_under_its_usual_level_names_that_level_as_usual_not_as_the_days_price(nights):
    feed, _ = nights(flat_days=120)
    dip = [9.3] * 10  # 7 % under its usual 10: no crash, but the rise counts from the usual 10, not from 9.30
    rise = climb(9.3, 1.5, 30)
    rang = runup_events([feed(p) for p in dip + rise])
    assert [event for _, event, _, _ in rang] == ["fired"]
    _, _, _, message = rang[0]
    # The day named is the first back at or above 10 (its price was 10.05, not 10.00): "was $10.00" would be untrue.
    assert message.endswith("(from its usual $10.00/bd ft)") and "was $" not in message, message


def test_one_night_typos_never_ring(nights):
    feed, db = nights()
    prices = [10.0] * 20
    for night, typo in {4: 1000.0, 8: 0.10, 12: 13.0, 16: 7.5}.items():
        prices[night] = typo  # x100, /100, and two typos the plausibility check lets through
    told = [feed(p) for p in prices]
    assert runup_events(told) == []
    held = [r[0] for r in db.execute("SELECT price FROM observations WHERE offer_id = 'walnut@acme' AND status = 'suspect'")]
    assert 1000.0 in held and 0.10 in held


def test_a_product_cost_run_up_names_the_input_that_drove_it(nights):
    feed, _ = nights("[{kind: threshold, above: 1000}]", extra=SIDE_TABLE)  # walnut's own run-up is off
    prices = [10.0] * 5 + climb(10.0, 1.5, 30)
    told = [feed(p) for p in prices]
    rang = runup_events(told)
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    night, _, _, message = rang[0]
    cost = 10 * round(prices[night], 2) + 90.0  # walnut's page shows cents
    # The cost, never read as the selling price (as every product message says).
    assert message.startswith("Side table cost up ") and f"now ${cost:.2f} each (was $190.00 each)" in message
    assert "mostly Walnut +" in message and "at Acme Lumber" in message


def test_a_climb_that_resumes_after_a_pullback_rings_again_as_a_new_run_up(nights):
    feed, _ = nights()
    rise = climb(10.0, 1.0, 30) + [10.0 * 1.01 ** 30] * 6  # rings at about +20 %, then holds a week
    pullback = [rise[-1] * (1 - 0.17 * n / 12) for n in range(1, 13)] + [rise[-1] * 0.83] * 6  # gives back 17 % of its high
    resumed = climb(pullback[-1], 1.5, 20)  # +35 % from the pullback's low: a new leg, news the owner has not heard
    prices = rise + pullback + resumed
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True), ("resolved", False), ("fired", True)]
    (first, *_), (over, _, _, ended), (again, _, _, message) = rang
    assert first < 30 <= over < 54 < again  # over once the pullback has shown; the new leg rings on its own way up
    assert "the run-up since 26 Feb is over" in ended  # said in the digest, not on the phone
    low_night = START + timedelta(days=len(rise) + len(pullback) - 1)
    assert prices[again] / pullback[-1] >= 1.2 and f"since {low_night.day} {low_night:%b}" in message


def test_a_sag_that_gives_back_little_stays_the_run_up_already_told(nights):
    feed, _ = nights()
    rise = climb(10.0, 1.0, 30) + [10.0 * 1.01 ** 30] * 6
    sag = [rise[-1] * (1 - 0.08 * n / 8) for n in range(1, 9)] + [rise[-1] * 0.92] * 6  # 8 % off its high
    resumed = climb(sag[-1], 1.5, 20)  # +35 % again, but the climb never ended: no news until much further up
    rang = runup_events([feed(p) for p in rise + sag + resumed])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]


def test_a_slow_rebound_from_a_crash_older_than_the_window_never_rings(nights):
    """A price at 10 for months crashes to 4 and takes a year and a half to climb back to 7: within
    the last year it rose 40 %, but all of it is a rebound, still 30 % under where it used to be
    (oil in 2009-10). It counts from the usual level before the crash, however old the crash."""
    usual, crash = [10.0] * 170, [10.0 - 6.0 * n / 30 for n in range(1, 31)]
    rebound = [4.0 + 3.0 * n / 530 for n in range(1, 531)]
    feed, _ = nights(history=usual + crash + rebound)
    told = [feed(7.0 * 1.003 ** n) for n in range(1, 15)]
    assert runup_events(told) == []


def test_a_price_that_holds_at_its_new_level_for_the_rules_window_ends_its_run_up_alert_once(nights):
    """A rise that becomes the new normal: no new high for the rule's window (a year by default, 30
    days here to stay fast) and the climb has settled. Its alert ends once, in the digest, instead of
    being reminded as still open for years; a later rise from the plateau is a run-up of its own."""
    feed, _ = nights("[{kind: runup, percent: 20, days: 30}]")
    rise = climb(10.0, 1.0, 25)  # +28 %: rings on the way up
    plateau = [rise[-1]] * 50  # then holds there
    again = climb(rise[-1], 1.5, 20)  # +35 % from the plateau
    prices = rise + plateau + again
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True), ("resolved", False), ("fired", True)]
    (first, *_), (over, _, _, ended), (second, _, _, message) = rang
    # A window of no new high, judged on the grid nights: a high older than the window is a median of
    # three Thursdays, at its plateau a week after the price got there.
    assert first < 25 and 25 + 30 <= over <= 25 + 30 + 14
    assert ended == f"Walnut at Acme Lumber: the run-up since 26 Feb is over, now ${rise[-1]:.2f}/bd ft (+28% on its $10.00/bd ft then)"
    assert second >= 25 + 50 and prices[second] / rise[-1] >= 1.2 and f"(was ${rise[-1]:.2f}/bd ft)" in message


def test_a_climb_that_pauses_then_climbs_as_far_again_rings_again_the_night_its_first_run_up_is_over(nights):
    """A climb that rang, then paused (no new high for a third of the window, 20 days here) and
    sagged 10 %, then climbed 20 % from the sag's low: a run-up of its own (nickel in 2010, softwood
    lumber in 2021). The first is told over in the digest and the new one rings the same night."""
    feed, _ = nights("[{kind: runup, percent: 20, days: 60}]")
    rise = climb(10.0, 0.6, 40)  # +27 %: rings on the way up
    sag = [rise[-1] * (1 - 0.10 * n / 10) for n in range(1, 11)] + [rise[-1] * 0.90] * 15  # 10 % off its high, 25 days
    resumed = climb(sag[-1], 1.0, 30)  # +35 % from the sag's low
    prices = rise + sag + resumed
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True), ("resolved", False), ("fired", True)]
    (first, *_), (over, _, _, ended), (again, _, _, message) = rang
    assert first < 40 and over == again > 65  # the night the new climb is 20 % up, not a night later
    assert "the run-up since 26 Feb is over" in ended
    assert prices[again] / sag[-1] >= 1.2 and f"(was ${sag[-1]:.2f}/bd ft)" in message


def test_a_noisy_climb_stays_the_run_up_told_while_nothing_ended_it(nights):
    """A climb with a price that wobbles each night rings once: while no fall, pullback, pause or
    plateau ends it, it is the run-up already told, however the nights it is judged on slide (the
    climb's low, read from other nights, once moved past the night it was told from, and the
    alert ended and rang again for the same climb: Brent on 26 May 2011)."""
    feed, _ = nights("[{kind: runup, percent: 20, days: 30}]")
    chooser, price, prices = random.Random(162), 10.0, []
    for night in range(110):
        price *= 1 + (0.012 if night < 40 else 0.003) + chooser.gauss(0, 0.012)
        prices.append(round(price, 2))
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]


def steady_then(history_nights: int, wobble: float, period: float) -> list[float]:
    """A price of about 10 that moves ``wobble`` (a share, up and down over ``period`` nights) for ``history_nights``."""
    return [10.0 * (1 + wobble * math.sin(2 * math.pi * n / period)) for n in range(history_nights)]


def test_a_steady_price_rings_at_a_smaller_rise_than_a_raw_material_by_default(nights):
    """A price that moved about 1 % a quarter for a year and a half (a producer price index) is in a
    run-up at 14 % (the default's floor), not only at the 20 % a raw material needs."""
    feed, _ = nights(history=steady_then(600, 0.01, 17))
    prices = climb(10.0, 0.5, 45)  # +25 % in six weeks
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    night, _, _, message = rang[0]
    assert 1.14 <= prices[night - 1] / 10.0 and prices[night] / 10.0 < 1.18  # the median of three passed 14 %
    assert message.startswith(f"Walnut at Acme Lumber up {prices[night] / 10 - 1:.0%} since ")


def test_a_price_that_moves_a_lot_keeps_the_twenty_percent_bar_by_default(nights):
    """A price that moved about 10 % a quarter (crude oil moves 20 % in a quarter routinely) rings at
    20 %, as the default always did: the default lowers the bar for a steady price, never raises it."""
    feed, _ = nights(history=steady_then(600, 0.10, 365) + [10.0] * 60)
    prices = climb(10.0, 0.5, 45)
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    assert prices[rang[0][0] - 1] / 10.0 >= 1.20


def test_the_owners_percent_wins_over_the_steady_default(nights):
    """``percent: 20`` written in the config is the owner's bar, even for a steady price."""
    feed, _ = nights("[{kind: runup, percent: 20}]", history=steady_then(600, 0.01, 17))
    prices = climb(10.0, 0.5, 45)
    rang = runup_events([feed(p) for p in prices])
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    assert prices[rang[0][0] - 1] / 10.0 >= 1.20


def test_a_rise_held_four_weeks_at_seventeen_percent_rings_and_two_nights_at_seventeen_do_not(nights):
    """Under the default's 20 %, a rise rings once it has held four weeks at four fifths of the bar
    (16 %): every night judged since then at or above it. Two nights at 17 % are not a month at 17 %
    (a week's noise, a typo seen twice) and ring nothing."""
    feed, _ = nights()  # two steady months before: too little history for a steady price's lower bar, so 20 %
    blip = [10.0] * 10 + [11.7] * 2 + [10.0] * 10
    held = [11.7] * 40
    told = [feed(p) for p in blip + held]
    rang = runup_events(told)
    assert [(event, pushed) for _, event, pushed, _ in rang] == [("fired", True)]
    night, _, _, message = rang[0]
    assert len(blip) + 28 <= night <= len(blip) + 28 + 4  # four weeks from the first night judged at 17 % (Mondays and Thursdays)
    # Counted from a night at $10.00 after the blip (a grid night: Mondays and Thursdays), not from before it.
    assert re.fullmatch(r"Walnut at Acme Lumber up 17% since (1[3-9]|2[0-2]) Mar, now \$11\.70/bd ft \(was \$10\.00/bd ft\)", message)
    assert sum(pushed for events in told for _, _, _, pushed, _ in events) == 1


def test_a_rise_held_four_weeks_under_the_owners_percent_rings_nothing(nights):
    """``percent: 20`` written in the config is the owner's bar, however long a rise under it held."""
    feed, _ = nights("[{kind: runup, percent: 20}]")
    assert runup_events([feed(p) for p in [10.0] * 10 + [11.7] * 40]) == []


def test_two_successive_monthly_prices_seventeen_percent_up_ring_and_one_does_not():
    """A monthly price (a producer price index, a World Bank series) replayed night by night: two
    successive prices 17 % up are a month held, and ring at the second under the default's 20 %
    (the median of three stands at +17 %); one price 17 % up, then back, rings nothing."""
    months = [f"{2020 + m // 12}-{m % 12 + 1:02d}-01" for m in range(50)]
    lively = [100.0, 110.0, 100.0, 90.0] * 9  # three years of 10 % a quarter: a raw material's bar, 20 %
    steady = [100.0] * 11  # then steady within the rule's year: the rise counts from $100.00
    once = backtest.backtest(list(zip(months, lively + steady + [117.0, 100.0, 100.0])), unit="tonne", name="Urea")
    assert [e for e in once.events if e.kind == "runup" and e.pushed] == []
    twice = backtest.backtest(list(zip(months, lively + steady + [117.0, 118.0, 118.0])), unit="tonne", name="Urea")
    rang = [(e.date, e.event, e.message) for e in twice.events if e.kind == "runup" and e.pushed]
    assert rang == [(months[48], "fired", "Urea at the series up 18% since 1 Nov 2023, now $118.00/t (was $100.00/t)")]
