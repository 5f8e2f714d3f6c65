"""Alert state: pending -> firing -> resolved (or retired), keyed by a fingerprint that holds what the
rule watches and never a price, a date or the rule's position in the config.

A condition must hold on ``confirm`` successive observations before the alert fires. A firing
alert tells the owner again only when it escalates (a higher severity, or a further move of its
rule's escalation step in the rule's own measure), and reminds once a week in the digest until it
resolves. An alert about a silenced target changes state as usual, but the owner is told nothing
until the silence ends: then a firing alert the owner never heard of fires (once).

Every transition is returned as a :class:`Transition` carrying the message exactly as composed;
the pipeline stores each one in the ``alert_events`` table with the notification that carried it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Collection

import sqlite_utils

from ..rules import BY_KIND, Finding, Severity, parse_time

REMIND_EVERY = timedelta(days=7)


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"
    RETIRED = "retired"  # its rule, offer, material, supplier or product is gone: closed, not resolved


OPEN = (AlertState.PENDING, AlertState.FIRING)


class Gone(StrEnum):
    """Why an alert was retired, typed: its words are chosen from it, never read back from a message."""

    RULE_CHANGED = "rule changed"  # a rule of the same kind still watches the same thing, with other numbers
    RULE_REMOVED = "rule removed"
    TARGET_REMOVED = "target removed"  # its offer, material, supplier or product left the config (or was deactivated)


class Event(StrEnum):
    """What happened to an alert in a run: one row each in ``alert_events``."""

    PENDING = "pending"      # the condition holds, waiting for confirmation
    FIRED = "fired"          # confirmed: the owner is told
    ESCALATED = "escalated"  # worse news: a higher severity or a further move
    REMINDED = "reminded"    # still firing after a week: a line in the digest
    RESOLVED = "resolved"    # the condition cleared (a pending one closes quietly)
    RETIRED = "retired"      # no longer watched: its rule or target is gone
    SILENCED = "silenced"    # it fired or escalated while its target was silenced: nobody was told


@dataclass
class Alert:
    """One row of the ``alerts`` table: the latest state of one condition."""

    fingerprint: str
    rule: str
    kind: str
    direction: str
    state: AlertState
    severity: Severity
    message: str
    label: str | None = None
    material_id: str | None = None
    offer_id: str | None = None
    supplier_id: str | None = None
    product_id: str | None = None
    value: float | None = None
    reference: float | None = None
    unit: str | None = None
    currency: str | None = None
    confirmations: int = 1
    last_observation_id: int | None = None
    first_seen: str | None = None
    first_fired: str | None = None
    last_fired: str | None = None
    resolved_at: str | None = None
    retired_at: str | None = None
    notified_value: float | None = None
    notified_severity: Severity | None = None
    notified_measure: float | None = None
    last_reminded: str | None = None
    anchor: float | None = None
    anchor_at: str | None = None
    id: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Alert":
        names = {f.name for f in dataclasses.fields(cls)}
        alert = cls(**{k: v for k, v in row.items() if k in names})
        alert.state = AlertState(alert.state)
        alert.severity = Severity(alert.severity)
        alert.notified_severity = Severity(alert.notified_severity) if alert.notified_severity else None
        return alert

    def values(self) -> tuple[Any, ...]:
        """The row's values in ``ALERT_COLUMNS`` order (a hot path: no asdict)."""
        return tuple(getattr(self, name) for name in ALERT_COLUMNS)

    @property
    def ids(self) -> set[str]:
        return {i for i in (self.material_id, self.offer_id, self.supplier_id, self.product_id) if i}

    @property
    def told(self) -> bool:
        """Whether the owner has heard of this alert firing."""
        return self.notified_severity is not None


@dataclass(frozen=True)
class Transition:
    """Something that happened to an alert in a run, with the message exactly as composed.

    ``told``: whether the owner hears of it (a pending alert, a silenced one, or the old cheapest
    supplier losing its place are kept in the log but not sent)."""

    event: Event
    alert: Alert
    message: str
    severity: Severity
    told: bool
    value: float | None = None
    reference: float | None = None
    unit: str | None = None
    currency: str | None = None
    observation_id: int | None = None
    observed_at: str | None = None
    driver: str | None = None  # the input behind a product's move, by name (a run-up's title names it)


def _transition(event: Event, alert: Alert, message: str, told: bool, finding: Finding | None = None) -> Transition:
    snapshot = dataclasses.replace(alert)
    if finding is None:
        return Transition(event, snapshot, message, alert.severity, told, alert.value, alert.reference, alert.unit, alert.currency,
                          alert.last_observation_id)
    return Transition(event, snapshot, message, finding.severity, told, finding.value, finding.reference, finding.unit,
                      finding.currency, finding.observation_id, finding.observed_at, finding.driver)


def _escalated(alert: Alert, finding: Finding) -> bool:
    if alert.notified_severity is not None and finding.severity > alert.notified_severity:
        return True
    step = finding.rule.escalate_step
    if step is None or alert.notified_measure is None or finding.measure is None:
        return False
    return finding.rule.further(alert.notified_measure, finding.measure) >= step


def _tells_resolution(kind: str) -> bool:
    cls = BY_KIND.get(kind)
    return cls is None or getattr(cls, "tells_resolution", True)


def open_alerts(db: sqlite_utils.Database) -> dict[str, Alert]:
    """Pending and firing alerts, by fingerprint."""
    return {row["fingerprint"]: Alert.from_row(row) for row in db.query("SELECT * FROM alerts WHERE state IN ('pending', 'firing')")}


def firing(db: sqlite_utils.Database) -> list[Alert]:
    """Firing alerts, worst first, then oldest first."""
    alerts = [Alert.from_row(r) for r in db.query("SELECT * FROM alerts WHERE state = 'firing' ORDER BY first_fired")]
    return sorted(alerts, key=lambda a: -a.severity.rank)


ALERT_COLUMNS = tuple(f.name for f in dataclasses.fields(Alert) if f.name != "id")
_INSERT = f"INSERT INTO alerts ({', '.join(ALERT_COLUMNS)}) VALUES ({', '.join('?' * len(ALERT_COLUMNS))})"
_UPDATE = f"UPDATE alerts SET {', '.join(f'{c} = ?' for c in ALERT_COLUMNS)} WHERE id = ?"


def _save(db: sqlite_utils.Database, alert: Alert) -> None:
    if alert.id is None:
        alert.id = db.conn.execute(_INSERT, alert.values()).lastrowid
    else:
        db.conn.execute(_UPDATE, (*alert.values(), alert.id))


def apply(db: sqlite_utils.Database, findings: list[Finding], night: str, silenced: Collection[str] = (),
          known: dict[str, Alert] | None = None) -> list[Transition]:
    """Move every alert along its states by this run's findings; return every transition.

    ``silenced``: ids (material, offer, supplier, product) whose alerts nobody is told about.
    ``known``: the open alerts as already read (the caller may hold them for the rules); updated
    in place. Writes go into the caller's transaction."""
    open_ = known if known is not None else open_alerts(db)
    quiet = set(silenced)
    transitions: list[Transition] = []
    with db.atomic():
        for f in findings:
            alert = open_.get(f.fingerprint)
            hushed = bool(f.target.ids & quiet)
            if f.holds:
                if alert is None:
                    alert = Alert(f.fingerprint, f.rule.describe(), f.kind, f.direction, AlertState.PENDING, f.severity, f.message,
                                  label=f.target.label, material_id=f.target.material_id, offer_id=f.target.offer_id,
                                  supplier_id=f.target.supplier_id, product_id=f.target.product_id, unit=f.unit,
                                  currency=f.currency, last_observation_id=f.observation_id, first_seen=night)
                    open_[f.fingerprint] = alert
                    _update(alert, f)
                    _save(db, alert)
                    transitions.append(_transition(Event.PENDING, alert, f.message, False, f))
                elif alert.state == AlertState.PENDING and f.observation_id != alert.last_observation_id:
                    alert.confirmations += 1
                    alert.last_observation_id = f.observation_id
                if alert.state == AlertState.PENDING:
                    _update(alert, f)
                    if alert.confirmations >= f.rule.confirm:
                        alert.state, alert.first_fired = AlertState.FIRING, night
                        alert.anchor, alert.anchor_at = f.anchor, f.anchor_at
                        transitions.append(_tell(alert, f, Event.FIRED, night, hushed))
                        if f.closes:
                            transitions += _close_opposite(db, open_, f, night, hushed)
                elif not alert.told and not hushed:
                    # It fired while silenced and still holds: the owner hears of it now, once.
                    _update(alert, f)
                    transitions.append(_tell(alert, f, Event.FIRED, night, False))
                elif _escalated(alert, f):
                    _update(alert, f)
                    transitions.append(_tell(alert, f, Event.ESCALATED, night, hushed))
                else:
                    _update(alert, f, keep_severity=True)
                    if alert.notified_measure is None and alert.told:
                        alert.notified_measure = f.measure  # an alert from before measures were kept
                    if alert.anchor is None:
                        alert.anchor, alert.anchor_at = f.anchor, f.anchor_at
                    last = alert.last_reminded or alert.first_fired or night
                    if alert.told and not hushed and parse_time(night) - parse_time(last) >= REMIND_EVERY:
                        alert.last_reminded = night
                        transitions.append(_transition(Event.REMINDED, alert, alert.message, True, f))
                _save(db, alert)
            elif f.holds is False and alert is not None:
                was_firing = alert.state == AlertState.FIRING
                _update(alert, f, keep_severity=True)
                alert.state, alert.resolved_at = AlertState.RESOLVED, night
                # An unconfirmed blip is closed quietly: it never paged anyone.
                told = was_firing and alert.told and not hushed and _tells_resolution(alert.kind)
                transitions.append(_transition(Event.RESOLVED, alert, f.message, told, f))
                _save(db, alert)
                del open_[f.fingerprint]
            elif alert is not None and alert.state == AlertState.FIRING:
                _update(alert, f, keep_severity=True)  # in between: the latest value, no news
                _save(db, alert)
    return transitions


def _update(alert: Alert, f: Finding, keep_severity: bool = False) -> None:
    alert.value, alert.reference, alert.message, alert.rule = f.value, f.reference, f.message, f.rule.describe()
    alert.unit, alert.currency = f.unit, f.currency
    if not keep_severity:
        alert.severity = f.severity


def _tell(alert: Alert, f: Finding, event: Event, night: str, hushed: bool) -> Transition:
    """Fire or escalate: the owner is told, unless the target is silenced (then it is logged only)."""
    alert.last_fired = night
    if hushed:
        return _transition(Event.SILENCED, alert, f.message, False, f)
    alert.last_reminded = night
    alert.notified_value, alert.notified_severity, alert.notified_measure = f.value, f.severity, f.measure
    return _transition(event, alert, f.message, True, f)


def _close_opposite(db: sqlite_utils.Database, open_: dict[str, Alert], f: Finding, night: str, hushed: bool) -> list[Transition]:
    """A move that fires ends a firing alert of the same rule in the other direction."""
    other_direction = f.rule.opposites.get(f.direction)
    if other_direction is None:
        return []
    fingerprint = f"{f.watch}:{other_direction}"
    other = open_.get(fingerprint)
    if other is None or other.state != AlertState.FIRING:
        return []
    other.state, other.resolved_at, other.message = AlertState.RESOLVED, night, f.closes or other.message
    other.value = f.value
    _save(db, other)
    del open_[fingerprint]
    return [_transition(Event.RESOLVED, other, other.message, other.told and not hushed, f)]


def retire(db: sqlite_utils.Database, alert: Alert, night: str, reason: str, hushed: bool = False,
           gone: Gone = Gone.RULE_REMOVED) -> Transition:
    """Close an alert whose rule or target is gone: retired, never resolved (nothing came back). A rule
    whose numbers changed still watches the target: that is said, not "no longer watched"."""
    told = alert.state == AlertState.FIRING and alert.told and not hushed
    alert.state, alert.retired_at = AlertState.RETIRED, night
    # Which alert, in words: a target watched by two rules loses both, on two lines that must differ.
    kind = BY_KIND.get(alert.kind)
    which = f"its {kind.named()} alert" if kind else "its alert"
    if gone == Gone.RULE_CHANGED:
        rule = f"its {kind.named()} rule" if kind else "its rule"
        alert.message = (f"{alert.label or alert.fingerprint}: still watched, but {rule} was changed in the config; "
                         "the alert under the old numbers is closed, the new ones are judged from tonight")
    else:
        alert.message = f"{alert.label or alert.fingerprint}: no longer watched ({reason}); {which} is closed"
    _save(db, alert)
    return _transition(Event.RETIRED, alert, alert.message, told)
