"""Alert state: pending -> firing -> resolved, keyed by a fingerprint with no price or date in it.

A condition must hold on ``confirm`` successive observations before the alert fires. A firing
alert tells the owner again only when it escalates (a higher severity, or a further move of its
rule's ``escalate_percent``), and reminds once a week in the digest until it resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlite_utils

from ..rules import Finding, parse_time

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
REMIND_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class Transition:
    """Something worth telling the owner about an alert."""

    event: str  # fired | escalated | resolved | reminder
    alert: dict[str, Any]


def _escalated(alert: dict[str, Any], finding: Finding) -> bool:
    if SEVERITY_RANK[finding.severity] > SEVERITY_RANK.get(alert.get("notified_severity") or "info", 0):
        return True
    before, now = alert.get("notified_value"), finding.value
    if finding.escalate_percent is None or not before or now is None:
        return False
    moved = (now / before - 1) * 100
    further = moved if alert["direction"] in ("up", "above", "high") else -moved if alert["direction"] in ("down", "below", "low") else 0
    return further >= finding.escalate_percent


def apply(db: sqlite_utils.Database, findings: list[Finding], as_of: str) -> list[Transition]:
    """Move every alert along its states by this run's findings; return what the owner should hear."""
    open_alerts = {a["fingerprint"]: a for a in db.query("SELECT * FROM alerts WHERE state != 'resolved'")}
    transitions = []
    with db.conn:
        for f in findings:
            alert = open_alerts.get(f.fingerprint)
            current = {"value": f.value, "reference": f.reference, "message": f.message}
            if f.holds:
                if alert is None:
                    alert = {
                        "fingerprint": f.fingerprint, "rule": f.rule, "kind": f.kind, "material_id": f.material_id,
                        "offer_id": f.offer_id, "supplier_id": f.supplier_id, "product_id": f.product_id, "direction": f.direction, "state": "pending",
                        "confirmations": 1, "last_observation_id": f.observation_id, "first_seen": as_of,
                        "severity": f.severity, **current,
                    }
                    alert["id"] = db["alerts"].insert(alert).last_pk
                elif alert["state"] == "pending" and f.observation_id != alert["last_observation_id"]:
                    alert.update(confirmations=alert["confirmations"] + 1, last_observation_id=f.observation_id)
                if alert["state"] == "pending":
                    alert.update(current, severity=f.severity)
                    if alert["confirmations"] >= f.confirm:
                        alert.update(state="firing", first_fired=as_of, last_fired=as_of, last_reminded=as_of,
                                     notified_value=f.value, notified_severity=f.severity)
                        transitions.append(Transition("fired", alert))
                elif _escalated(alert, f):
                    alert.update(current, severity=f.severity, last_fired=as_of, last_reminded=as_of,
                                 notified_value=f.value, notified_severity=f.severity)
                    transitions.append(Transition("escalated", alert))
                else:
                    alert.update(current)
                    if parse_time(as_of) - parse_time(alert["last_reminded"] or alert["first_fired"]) >= REMIND_EVERY:
                        alert.update(last_reminded=as_of)
                        transitions.append(Transition("reminder", alert))
                db["alerts"].update(alert["id"], alert)
            elif f.holds is False and alert is not None:
                if alert["state"] == "firing":
                    transitions.append(Transition("resolved", alert))
                # An unconfirmed blip is closed quietly: it never paged anyone.
                alert.update(current, state="resolved", resolved_at=as_of)
                db["alerts"].update(alert["id"], alert)
                del open_alerts[f.fingerprint]
    return transitions


def open_alerts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM alerts WHERE state = 'firing' ORDER BY severity, first_fired"))
