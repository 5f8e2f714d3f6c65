"""The alert event log: every transition of every alert, one row each, with the message exactly as
composed, the value with its unit and currency, the input behind a product's move, the night, and
the notification that carried it.

``alerts.message`` only holds an alert's latest words; "why did my phone buzz?" reads this table.
An event the owner should hear of (``told``) and that no notification carries yet is picked up by
the next digest, also after a run that crashed before sending it.
"""

from __future__ import annotations

import sqlite_utils

from ..rules import Severity
from .state import Alert, Event, Transition

_INSERT = ("INSERT INTO alert_events (alert_id, run_id, night, event, severity, told, message, value, reference, unit, currency, "
           "observation_id, observed_at, driver) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def record(db: sqlite_utils.Database, run_id: int | None, night: str, transitions: list[Transition]) -> list[int]:
    """Store ``transitions`` (in the caller's transaction); returns their event ids, in order."""
    ids = []
    with db.atomic():
        for t in transitions:
            cursor = db.conn.execute(_INSERT, (
                t.alert.id, run_id, night, t.event.value, t.severity.value, int(t.told), t.message, t.value, t.reference,
                t.unit, t.currency, t.observation_id, t.observed_at, t.driver))
            ids.append(int(cursor.lastrowid or 0))
    return ids


def carried_by(db: sqlite_utils.Database, event_ids: list[int], notification_id: int) -> None:
    """Note which notification told these events."""
    if event_ids:
        db.conn.executemany("UPDATE alert_events SET notification_id = ? WHERE id = ?", [(notification_id, e) for e in event_ids])


def untold(db: sqlite_utils.Database) -> list[tuple[int, Transition]]:
    """Events the owner should hear of that no notification carries yet, oldest first."""
    found = []
    for row in db.query(
        "SELECT e.id AS event_id, e.event, e.severity AS event_severity, e.message AS event_message, e.value AS event_value, "
        "e.reference AS event_reference, e.unit AS event_unit, e.currency AS event_currency, e.observation_id AS event_observation, "
        "e.observed_at AS event_observed_at, e.driver AS event_driver, a.* FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
        "WHERE e.told = 1 AND e.notification_id IS NULL ORDER BY e.id"
    ):
        alert = Alert.from_row({k: v for k, v in row.items() if not k.startswith("event")})
        found.append((row["event_id"], Transition(
            Event(row["event"]), alert, row["event_message"], Severity(row["event_severity"]), True, row["event_value"],
            row["event_reference"], row["event_unit"], row["event_currency"], row["event_observation"], row["event_observed_at"],
            row["event_driver"])))
    return found
