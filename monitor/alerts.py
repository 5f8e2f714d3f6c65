"""Alert state: pending -> firing -> resolved, keyed by a fingerprint with no price or date in it.

A condition must hold on ``confirm`` successive observations before the alert fires, and a
firing alert does not fire again until it has resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .rules import Finding


@dataclass(frozen=True)
class Transition:
    """Something worth telling the owner: an alert that started firing or resolved."""

    event: str  # fired | resolved
    alert: dict[str, Any]


def _open_alert(db: sqlite_utils.Database, fingerprint: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM alerts WHERE fingerprint = ? AND state != 'resolved'", [fingerprint]))
    return rows[0] if rows else None


def apply(db: sqlite_utils.Database, findings: list[Finding], as_of: str) -> list[Transition]:
    """Move every alert along its states by this run's findings; return what changed visibly."""
    transitions = []
    with db.conn:
        for f in findings:
            alert = _open_alert(db, f.fingerprint)
            current = {"value": f.value, "reference": f.reference, "message": f.message, "severity": f.severity}
            if f.holds:
                if alert is None:
                    alert = {
                        "fingerprint": f.fingerprint, "rule": f.rule, "kind": f.kind, "material_id": f.material_id,
                        "offer_id": f.offer_id, "direction": f.direction, "state": "pending", "confirmations": 1,
                        "last_observation_id": f.observation_id, "first_seen": as_of, **current,
                    }
                    alert["id"] = db["alerts"].insert(alert).last_pk
                elif alert["state"] == "pending" and f.observation_id != alert["last_observation_id"]:
                    alert.update(confirmations=alert["confirmations"] + 1, last_observation_id=f.observation_id)
                alert.update(current)
                if alert["state"] == "pending" and alert["confirmations"] >= f.confirm:
                    alert.update(state="firing", first_fired=as_of, last_fired=as_of)
                    transitions.append(Transition("fired", alert))
                db["alerts"].update(alert["id"], alert)
            elif f.holds is False and alert is not None:
                if alert["state"] == "firing":
                    alert.update(state="resolved", resolved_at=as_of, **current)
                    transitions.append(Transition("resolved", alert))
                else:  # an unconfirmed blip: close it quietly, it never paged anyone
                    alert.update(state="resolved", resolved_at=as_of, **current)
                db["alerts"].update(alert["id"], alert)
    return transitions


def open_alerts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM alerts WHERE state = 'firing' ORDER BY severity, first_fired"))
