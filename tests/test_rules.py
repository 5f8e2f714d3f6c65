"""Rules and alert states on stored history: confirmation, hysteresis, staleness, suspects."""

from datetime import datetime, timedelta, timezone

import pytest

from monitor import config as config_module, pipeline
from tests.conftest import write_config

START = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)


@pytest.fixture
def history(tmp_path):
    """Feed nightly prices through the real pipeline (store, rules, alerts, event log); returns what
    the owner was told per night. A steady second offer at the same supplier keeps its pages
    "working", so a night without a walnut price is judged by walnut's rules, not held back."""

    def make(rules_yaml: str):
        path = write_config(tmp_path, f"""
        - id: walnut
          name: Walnut
          unit: board_foot
          offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}}]
          rules: {rules_yaml}
        - id: cherry
          name: Cherry
          unit: board_foot
          offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/cherry"}}]
          rules: [{{kind: threshold, above: 100}}]
        """)
        config = config_module.load(path)
        db, _ = pipeline.open_store(config)
        night = {"n": 0}

        def feed(price: str | None, in_stock: bool | None = None) -> list[str]:
            as_of = (START + timedelta(days=night["n"])).isoformat()
            night["n"] += 1
            item = {"offer_id": "walnut@acme", "status": "ok" if price else "missing", "price": price, "fetched_at": as_of,
                    "in_stock": in_stock}
            steady = {"offer_id": "cherry@acme", "status": "ok", "price": "9.00", "fetched_at": as_of}
            with pipeline.Run(db, config, "test", as_of, deliver=False) as run:
                run.accept([item, steady])
                result = run.finish()
            return [f"{t.event} {t.alert.direction}" for t in result.transitions if t.told]

        return feed, db

    return make


def test_threshold_needs_confirmation_and_rearms_only_past_the_band(history):
    feed, db = history("[{kind: threshold, above: 15.00, hysteresis_percent: 2}]")
    assert [feed(p) for p in ("14", "16", "16.2", "16.5")] == [[], [], ["fired above"], []]
    assert feed("14.9") == []  # under the level but inside the 2 % band: still firing
    assert feed("14.6") == ["resolved above"]
    assert [feed(p) for p in ("15.5", "15.6")] == [[], ["fired above"]]  # a new episode


def test_unconfirmed_blip_never_fires(history):
    feed, db = history("[{kind: threshold, above: 15.00}]")
    assert [feed(p) for p in ("14", "16", "14", "14")] == [[], [], [], []]
    assert db.execute("SELECT count(*) FROM alerts WHERE first_fired IS NOT NULL").fetchone()[0] == 0


def test_change_against_median_fires_both_directions(history):
    feed, _ = history("[{kind: change, percent: 10, baseline: median_30d, confirm: 1}]")
    assert [feed(p) for p in ("10", "10", "10", "11.5")] == [[], [], [], ["fired up"]]
    assert feed("10.1") == ["resolved up"]
    assert feed("8.5") == ["fired down"]


def test_change_against_previous_price(history):
    feed, _ = history("[{kind: change, percent: 5, baseline: previous, confirm: 1}]")
    assert [feed(p) for p in ("10", "10.4", "11")] == [[], [], ["fired up"]]


def test_stale_fires_after_days_without_a_valid_price_and_resolves(history):
    feed, _ = history("[{kind: stale, days: 3}]")
    assert [feed(p) for p in ("10", None, None, None)] == [[], [], [], []]
    assert feed(None) == ["fired stale"]
    assert feed("10") == ["resolved stale"]


def test_implausible_jump_is_held_as_suspect_and_alerts_nothing(history):
    feed, db = history("[{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    assert [feed(p) for p in ("12.50", "12.50", "1250", "12.50")] == [[], [], [], []]
    statuses = [r[0] for r in db.execute("SELECT status FROM observations WHERE offer_id = 'walnut@acme' ORDER BY fetched_at")]
    assert statuses == ["ok", "ok", "suspect", "ok"]


def test_a_real_jump_seen_twice_is_confirmed_and_alerts(history):
    feed, db = history("[{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    assert [feed(p) for p in ("12.50", "12.50", "125.00", "125.00")] == [[], [], [], ["fired up"]]
    statuses = [r[0] for r in db.execute("SELECT status FROM observations WHERE offer_id = 'walnut@acme' ORDER BY fetched_at")]
    assert statuses == ["ok", "ok", "suspect", "ok"]


def test_trend_catches_a_slow_climb_no_single_night_would(history):
    feed, _ = history("[{kind: trend, percent: 12, days: 120}, {kind: change, percent: 10, baseline: previous}]")
    events = [feed(f"{10 * 1.004 ** n:.3f}") for n in range(60)]  # +0.4 % a night: never 10 % in one step
    fired = [n for n, e in enumerate(events) if "fired up" in e]
    assert fired and 25 < fired[0] < 42  # a 12 % climb in about four weeks: before a six-week climb peaks


def test_volatility_fires_on_a_move_large_for_this_series(history):
    feed, _ = history("[{kind: volatility, z: 5, days: 90, floor_percent: 1}]")
    calm = [feed(p) for p in ["10.00", "10.05", "9.98", "10.02", "10.00", "10.04", "9.99", "10.01", "10.03", "10.00", "10.02", "9.97"]]
    assert not any(calm)
    assert feed("10.90") == []  # +9 %: unusual here, waiting for a second night
    assert feed("10.92") == ["fired up"]


def test_extreme_low_is_a_buying_signal(history):
    feed, _ = history("[{kind: extreme, days: 30, direction: low}]")
    for n in range(30):
        feed(f"{10 + (n % 3) * 0.1:.2f}")
    assert feed("9.50") == ["fired low"]
    assert feed("9.50") == []
    assert feed("10.20") == ["resolved low"]


def test_stock_rule_tells_out_and_back_in(history):
    feed, _ = history("[{kind: stock}]")
    assert feed("10", in_stock=True) == []
    assert feed("10", in_stock=False) == ["fired out"]
    assert feed("10", in_stock=False) == []
    assert feed("10", in_stock=True) == ["resolved out"]


def test_firing_alert_escalates_on_a_further_move_and_reminds_weekly(history):
    feed, _ = history("[{kind: threshold, above: 15, confirm: 1, escalate_percent: 10}]")
    assert feed("16") == ["fired above"]
    assert feed("17") == []  # +6 %: not enough to tell again
    assert feed("17.7") == ["escalated above"]  # +10.6 % since the owner was told
    events = [feed("17.7") for _ in range(7)]
    assert events.count(["reminded above"]) == 1


def test_change_of_critical_size_escalates_to_critical(history):
    feed, db = history("[{kind: change, percent: 10, baseline: previous, critical_percent: 25, confirm: 1}]")
    assert feed("10") == [] and feed("11.5") == ["fired up"]
    (alert,) = db.query("SELECT severity FROM alerts")
    assert alert["severity"] == "warning"
    assert feed("15") == ["escalated up"]  # +30 % against the previous price
    assert next(db.query("SELECT severity FROM alerts"))["severity"] == "critical"


def test_change_against_the_previous_price_a_night_earlier_fires(history):
    """Cron runs at the same minute every night: the previous price is exactly 24 hours old (or a
    little more). It was read out of a one-day window and the rule never saw it."""
    feed, _ = history("[{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    assert [feed(p) for p in ("10", "10", "11.5")] == [[], [], ["fired up"]]


def test_a_products_cost_change_against_the_previous_night_fires(tmp_path):
    """The same for a product's cost, read from its own costs: the previous night's cost, exactly a
    day old, fell just outside the one-day read and the rule never fired."""
    path = write_config(tmp_path, """
    - id: walnut
      name: Walnut
      unit: board_foot
      offers: [{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}]
      rules: [{kind: threshold, above: 1000}]
    """, extra="""
products:
  - id: table
    name: Side table
    yield: 1 table
    recipe: {walnut: 10 board_foot}
    rules: [{kind: change, percent: 10, baseline: previous, confirm: 1}]
""")
    config = config_module.load(path)
    db, _ = pipeline.open_store(config)
    told = []
    for n, price in enumerate(("10", "10", "11.5")):
        as_of = (START + timedelta(days=n)).isoformat()
        with pipeline.Run(db, config, "test", as_of, deliver=False) as run:
            run.accept([{"offer_id": "walnut@acme", "status": "ok", "price": price, "fetched_at": as_of}])
            result = run.finish()
        told.append([f"{t.event} {t.alert.kind} {t.alert.direction}" for t in result.transitions if t.told])
    assert told == [[], [], ["fired change up"]], told
