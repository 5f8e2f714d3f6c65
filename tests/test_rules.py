"""Rules and alert states on stored history: confirmation, hysteresis, staleness, suspects."""

from datetime import datetime, timedelta, timezone

import pytest

from monitor import alerts, config as config_module, rules, store
from tests.conftest import write_config

START = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)


@pytest.fixture
def history(tmp_path):
    """Feed nightly prices through the real store and alert engine; returns the events per night."""

    def make(rules_yaml: str):
        path = write_config(tmp_path, f"""
        - id: walnut
          name: Walnut
          unit: board_foot
          offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/walnut"}}]
          rules: {rules_yaml}
        """)
        config = config_module.load(path)
        db = store.open_db(config.database_path)
        store.sync_config(db, config)
        night = {"n": 0}

        def feed(price: str | None) -> list[str]:
            as_of = (START + timedelta(days=night["n"])).isoformat()
            night["n"] += 1
            run_id = store.start_run(db, "test", as_of)
            item = {"offer_id": "walnut@acme", "status": "ok" if price else "missing", "price": price, "fetched_at": as_of}
            store.record_observations(db, config, run_id, [item])
            return [f"{t.event} {t.alert['direction']}" for t in alerts.apply(db, rules.evaluate(db, config, as_of), as_of)]

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
    statuses = [r[0] for r in db.execute("SELECT status FROM observations ORDER BY fetched_at")]
    assert statuses == ["ok", "ok", "suspect", "ok"]


def test_a_real_jump_seen_twice_is_confirmed_and_alerts(history):
    feed, db = history("[{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    assert [feed(p) for p in ("12.50", "12.50", "125.00", "125.00")] == [[], [], [], ["fired up"]]
    statuses = [r[0] for r in db.execute("SELECT status FROM observations ORDER BY fetched_at")]
    assert statuses == ["ok", "ok", "suspect", "ok"]
