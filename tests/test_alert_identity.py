"""Alerts keep their identity while the owner edits the config, every change of an alert is kept as
it was told, and an alert whose rule or target is gone is retired, never left firing.

These feed nights through the real pipeline in this process (store, rules, alerts, event log,
outbox); tests/test_config_changes.py does the same through real crawls of a local site."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from monitor import alerts, config as config_module, pipeline
from monitor.rules import Severity
from tests.conftest import FIXTURES, write_config

START = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)


class Nights:
    """A config that can be rewritten between nights, and nights fed to the pipeline."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.night = 0
        self.db: sqlite_utils.Database | None = None

    def configure(self, materials: str, extra: str = "") -> config_module.Config:
        write_config(self.directory, materials, extra=extra)
        return config_module.load(self.directory / "supplywatch.yml")

    def feed(self, config: config_module.Config, prices: dict[str, str | None]) -> pipeline.RunResult:
        as_of = (START + timedelta(days=self.night)).isoformat()
        self.night += 1
        db, notes = pipeline.open_store(config)
        self.db = db
        items = [{"offer_id": offer, "status": "ok" if price else "missing", "price": price, "fetched_at": as_of}
                 for offer, price in prices.items()]
        with pipeline.Run(db, config, "test", as_of, deliver=False, notes=notes) as run:
            run.accept(items)
            return run.finish()


def told(result: pipeline.RunResult) -> list[str]:
    return [f"{t.event} {t.alert.offer_id or t.alert.material_id or t.alert.product_id} {t.alert.direction}"
            for t in result.transitions if t.told]


def firing_without_a_rule(db: sqlite_utils.Database, config: config_module.Config) -> list[str]:
    live = alerts.live_fingerprints(config)
    return [a.fingerprint for a in alerts.firing(db) if a.fingerprint not in live]


WALNUT = """
- id: walnut
  name: Walnut
  unit: board_foot
  offers: [{{supplier: acme, url: "http://127.0.0.1:9/w"}}, {{supplier: corner, url: "http://127.0.0.1:9/c"}}]
  rules: {rules}
"""


def test_inserting_a_rule_before_another_keeps_the_alert_and_rings_nothing(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 15, confirm: 1}]"))
    assert told(nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})) == ["fired walnut@acme above"]
    config = nights.configure(WALNUT.format(rules="[{kind: stale, days: 3}, {kind: threshold, above: 15, confirm: 1}]"))
    assert told(nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})) == []
    assert nights.db is not None
    (alert,) = alerts.firing(nights.db)
    assert alert.fingerprint == "threshold(above 15 USD/board_foot):offer:walnut@acme:above" and alert.first_fired.startswith("2026-01-01")


def test_a_removed_rule_retires_its_alert_once_and_nothing_fires_without_a_rule(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 15, confirm: 1}, {kind: stale, days: 3}]"))
    nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})
    config = nights.configure(WALNUT.format(rules="[{kind: stale, days: 3}]"))
    result = nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})
    assert told(result) == ["retired walnut@acme above"]
    (digest,) = [m for m in result.messages if m.tag == "digest"]
    assert "Closed by a change to the config (not resolved):" in digest.body and "no longer watched (its rule was removed)" in digest.body
    assert nights.db is not None and firing_without_a_rule(nights.db, config) == []
    assert told(nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})) == []  # said once
    (state,) = nights.db.execute("SELECT state FROM alerts").fetchone()
    assert state == "retired"


def test_changing_a_level_retires_the_old_alert_but_an_owner_id_keeps_it(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 15, confirm: 1}]"))
    nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 16, confirm: 1}]"))
    assert sorted(told(nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"}))) == [
        "fired walnut@acme above", "retired walnut@acme above"]  # another limit: another alert
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 16, confirm: 1, id: walnut-limit}]"))
    nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 16.2, confirm: 1, id: walnut-limit}]"))
    assert told(nights.feed(config, {"walnut@acme": "16.40", "walnut@corner": "12.00"})) == []  # the owner's id: the same alert


def test_two_rules_watching_the_same_thing_are_a_config_error(tmp_path):
    write_config(tmp_path, WALNUT.format(rules="[{kind: change, percent: 10}, {kind: change, percent: 10, confirm: 1}]"))
    with pytest.raises(config_module.ConfigError, match=r"materials\[0\].rules\[1\]: watches the same as materials\[0\].rules\[0\]"):
        config_module.load(tmp_path / "supplywatch.yml")


def test_a_rule_where_its_kind_does_not_apply_is_a_config_error(tmp_path):
    write_config(tmp_path, WALNUT.format(rules="[{kind: margin}]"))
    with pytest.raises(config_module.ConfigError, match=r"materials\[0\].rules\[0\]: 'margin' judges a product's cost and margin"):
        config_module.load(tmp_path / "supplywatch.yml")


def test_severity_is_a_rank_not_a_word():
    assert sorted([Severity.WARNING, Severity.CRITICAL, Severity.INFO]) == [Severity.INFO, Severity.WARNING, Severity.CRITICAL]
    assert Severity.WARNING > Severity.INFO and Severity.CRITICAL > "warning"


def test_every_transition_is_kept_with_the_message_as_told(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: threshold, above: 22, confirm: 1, escalate_percent: 5}]"))
    for price in ("21.00", "23.03", "24.40", "21.50"):
        nights.feed(config, {"walnut@acme": price, "walnut@corner": "20.00"})
    assert nights.db is not None
    events = list(nights.db.query("SELECT e.*, n.tag, n.body FROM alert_events e LEFT JOIN notifications n ON n.id = e.notification_id "
                                  "ORDER BY e.id"))
    assert [(e["event"], e["night"][:10], e["value"]) for e in events] == [
        ("pending", "2026-01-02", 23.03), ("fired", "2026-01-02", 23.03), ("escalated", "2026-01-03", 24.4),
        ("resolved", "2026-01-04", 21.5)]
    fired = events[1]
    assert fired["message"] == "Walnut at Acme Lumber: $23.03/bd ft is above your limit of $22.00/bd ft"
    assert fired["tag"] == "phone" and fired["message"] in fired["body"] and (fired["unit"], fired["currency"]) == ("board_foot", "USD")
    assert events[2]["tag"] == "phone" and "$24.40/bd ft" in events[2]["message"]  # further past the limit: told again
    assert events[3]["tag"] == "digest" and "back under $22.00" in events[3]["message"]
    assert events[0]["notification_id"] is None and not events[0]["told"]
    # The alerts row keeps the latest words only; the event log keeps what the phone said.
    (alert,) = nights.db.query("SELECT message FROM alerts")
    assert "back under" in alert["message"]
    # Each marker of the chart sits on the price line: the value was the price stored that night.
    for e in events:
        (price,) = nights.db.execute("SELECT unit_price FROM observations WHERE id = ?", [e["observation_id"]]).fetchone()
        assert price == e["value"]


def test_a_change_alert_resolves_when_the_price_comes_back_not_when_the_median_catches_up(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: change, percent: 10, baseline: median_30d, confirm: 1}]"))
    for _ in range(5):
        nights.feed(config, {"walnut@acme": "20.00", "walnut@corner": "20.00"})
    result = nights.feed(config, {"walnut@acme": "25.00", "walnut@corner": "20.00"})
    (fired,) = [t for t in result.transitions if t.told]
    assert "was $20.00/bd ft on 5 Jan 2026" in fired.message  # the price before the move, with its day
    quiet = [told(nights.feed(config, {"walnut@acme": "25.00", "walnut@corner": "20.00"})) for _ in range(5)]
    assert quiet == [[]] * 5  # the median caught up: still up against where it was, nothing resolved
    result = nights.feed(config, {"walnut@acme": "20.50", "walnut@corner": "20.00"})
    (resolved,) = [t for t in result.transitions if t.told and t.event == "resolved" and t.alert.direction == "up"]
    assert resolved.message == "Walnut at Acme Lumber back to $20.50/bd ft, near the $20.00/bd ft on 5 Jan 2026 before the rise"


def test_a_rise_that_ends_in_a_fall_past_where_it_began_says_below_never_near(tmp_path):
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: change, percent: 10, baseline: median_30d, confirm: 1}]"))
    for _ in range(5):
        nights.feed(config, {"walnut@acme": "20.00", "walnut@corner": "20.00"})
    nights.feed(config, {"walnut@acme": "25.00", "walnut@corner": "20.00"})
    result = nights.feed(config, {"walnut@acme": "17.00", "walnut@corner": "20.00"})
    (resolved,) = [t for t in result.transitions if t.told and t.event == "resolved" and t.alert.direction == "up"]
    assert resolved.message == "Walnut at Acme Lumber back to $17.00/bd ft, below the $20.00/bd ft on 5 Jan 2026 before the rise"


def test_a_margin_falling_further_is_told_again(tmp_path):
    nights = Nights(tmp_path)
    materials = """
    - id: walnut
      name: Walnut
      unit: board_foot
      offers: [{supplier: acme, url: "http://127.0.0.1:9/w"}]
      rules: [{kind: stale, days: 30}]
    """
    product = "products:\n  - {id: table, name: Side table, yield: 1 table, price: 520, target_margin: 50, recipe: {walnut: 12 board_foot}}\n"
    config = nights.configure(materials, extra=product)
    results = [nights.feed(config, {"walnut@acme": price}) for price in ("20.00", "22.70", "23.50", "26.00", "30.00", "30.50", "33.00")]
    margins = [(t.event.value, round(t.value, 1)) for r in results for t in r.transitions if t.told and t.alert.kind == "margin"]
    # 47.6 % below a 50 % target, then each 5 points further down: 40.0, 30.8 (two steps at once), 23.8
    assert margins == [("fired", 47.6), ("escalated", 40.0), ("escalated", 30.8), ("escalated", 23.8)]
    assert all(m.tag == "phone" for r in results[1:] for m in r.messages if "margin" in m.body)


def test_the_schema_5_database_migrates_and_its_alerts_are_keyed_by_what_they_watch(tmp_path):
    path = tmp_path / "supplywatch.db"
    shutil.copy(FIXTURES / "schema-v5.db", path)
    before = {row[0]: row[1:] for row in sqlite3.connect(path).execute("SELECT id, state, message FROM alerts")}
    from monitor.demo.run import CONFIG_TEMPLATE

    (tmp_path / "supplywatch.yml").write_text(CONFIG_TEMPLATE.format(
        oakridge="http://127.0.0.1:8731", timberline="http://127.0.0.1:8732", holzhandel="http://127.0.0.1:8733", index_lag=3))
    config = config_module.load(tmp_path / "supplywatch.yml")
    db, _ = pipeline.open_store(config)
    after = {r["id"]: r for r in db.query("SELECT * FROM alerts")}
    assert {i: (a["state"], a["message"]) for i, a in after.items()} == before  # every alert kept, as it was
    keys = {a["offer_id"] or a["supplier_id"]: a["fingerprint"] for a in after.values() if a["direction"] in ("up", "broken")}
    assert keys["walnut-8-4@timberline"] == "change(percent=10,baseline=median_30d):offer:walnut-8-4@timberline:up"
    assert keys["oakridge"] == "extraction():supplier:oakridge:broken"
    (threshold,) = [a for a in after.values() if a["kind"] == "threshold"]
    assert threshold["fingerprint"] == "threshold(above 22 USD/board_foot):offer:walnut-8-4@holzhandel:above"
    assert threshold["label"] == "Black walnut 8/4 FAS at Holzhandel Berger"
    assert not [a for a in after.values() if "#" in a["fingerprint"]]
    # What was told before the event log existed points at the notification that told it.
    events = list(db.query("SELECT * FROM alert_events WHERE event = 'fired'"))
    assert len(events) == sum(1 for a in after.values() if a["first_fired"]) and all(e["notification_id"] for e in events)
    assert all(json.loads(db["notifications"].get(e["notification_id"])["alert_ids"]).count(e["alert_id"]) for e in events)
    # Nothing is told again: the next night's digest has no old event in it.
    assert alerts.untold(db) == []
    # Prices carry their unit and currency now.
    assert db.execute("SELECT count(*) FROM observations WHERE unit_price IS NOT NULL AND (unit IS NULL OR home_currency IS NULL)").fetchone()[0] == 0
    assert firing_without_a_rule(db, config) == []


def test_an_alert_whose_rule_is_gone_from_an_old_database_is_retired_on_the_next_run(tmp_path):
    path = tmp_path / "supplywatch.db"
    shutil.copy(FIXTURES / "schema-v5.db", path)
    from monitor.demo.run import CONFIG_TEMPLATE

    text = CONFIG_TEMPLATE.format(oakridge="http://127.0.0.1:8731", timberline="http://127.0.0.1:8732", holzhandel="http://127.0.0.1:8733",
                                  index_lag=3)
    (tmp_path / "supplywatch.yml").write_text(text.replace("      - {kind: threshold, above: 22.00}                   # critical: rings the phone\n", ""))
    config = config_module.load(tmp_path / "supplywatch.yml")
    nights = Nights(tmp_path)
    nights.night = 400  # after the old database's nights
    result = nights.feed(config, {})
    retired = [t for t in result.transitions if t.event == "retired"]
    assert [t.alert.kind for t in retired] == ["threshold"] and retired[0].told
    assert nights.db is not None and firing_without_a_rule(nights.db, config) == []


def test_a_removed_product_retires_its_margin_alert_once(tmp_path):
    nights = Nights(tmp_path)
    materials = """
    - id: walnut
      name: Walnut
      unit: board_foot
      offers: [{supplier: acme, url: "http://127.0.0.1:9/w"}]
      rules: [{kind: stale, days: 30}]
    """
    product = "products:\n  - {id: table, name: Side table, yield: 1 table, price: 520, target_margin: 50, recipe: {walnut: 12 board_foot}}\n"
    config = nights.configure(materials, extra=product)
    fired = nights.feed(config, {"walnut@acme": "22.00"})
    assert [(t.event.value, t.alert.kind) for t in fired.transitions if t.told] == [("fired", "margin")]
    config = nights.configure(materials)  # the owner stops making the table
    result = nights.feed(config, {"walnut@acme": "22.00"})
    assert [(t.event.value, t.alert.kind) for t in result.transitions if t.told] == [("retired", "margin")]
    (digest,) = [m for m in result.messages if m.tag == "digest"]
    assert "Side table: no longer watched (the product was removed from the config); its margin alert is closed" in digest.body
    assert not [m for m in result.messages if m.tag == "phone"]
    assert nights.db is not None and firing_without_a_rule(nights.db, config) == []
    assert told(nights.feed(config, {"walnut@acme": "22.00"})) == []  # said once


def test_a_price_that_keeps_rising_is_told_with_the_whole_rise_never_a_smaller_number(tmp_path):
    """Once told, a move is measured from where the price was before it: the median catching up
    must not make worse news read like better news (up 25 %, then 'up 12 %' at a higher price)."""
    nights = Nights(tmp_path)
    config = nights.configure(WALNUT.format(rules="[{kind: change, percent: 10, baseline: median_30d, confirm: 1}]"))
    told_up = []
    for price in ["20.00"] * 5 + ["25.00"] * 7 + ["28.00"]:
        result = nights.feed(config, {"walnut@acme": price, "walnut@corner": "20.00"})
        told_up += [(t.event.value, t.message) for t in result.transitions if t.told and t.alert.direction == "up"]
    assert told_up == [
        ("fired", "Walnut at Acme Lumber up 25.0% against its 30-day median ($20.00/bd ft): now $25.00/bd ft, "
                  "was $20.00/bd ft on 5 Jan 2026"),
        ("escalated", "Walnut at Acme Lumber up 40.0% since $20.00/bd ft on 5 Jan 2026: now $28.00/bd ft, "
                      "12.0% above its 30-day median ($25.00/bd ft)"),
    ]
