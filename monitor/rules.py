"""Evaluate alert rules on stored history (never on a single page).

Each rule looks at an offer's valid unit prices up to the run's time and says, per direction,
whether its condition holds (True), has cleared past the hysteresis band (False), or sits in
between (None: keep whatever state the alert is in).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from .config import ChangeRule, Config, Rule, StaleRule, ThresholdRule


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    rule: str
    kind: str
    material_id: str
    offer_id: str
    direction: str
    severity: str
    holds: bool | None
    value: float | None
    reference: float | None
    message: str
    confirm: int
    observation_id: int | None


@dataclass(frozen=True)
class Point:
    id: int
    fetched_at: str
    unit_price: float


def describe(rule: Rule) -> str:
    """How a rule reads in messages and in the alerts table."""
    if isinstance(rule, ThresholdRule):
        parts = [f"above {rule.above:g}" if rule.above else "", f"below {rule.below:g}" if rule.below else ""]
        return "threshold " + " / ".join(p for p in parts if p)
    if isinstance(rule, ChangeRule):
        return f"change {rule.percent:g}% vs {rule.baseline}"
    return f"stale {rule.days:g} days"


def window_days(rules: tuple[Rule, ...]) -> int:
    """How many days of history the rules look at, so a year-old database is not read every night."""
    days = [int(m.group(1)) for r in rules if isinstance(r, ChangeRule) and (m := re.search(r"_(\d+)d$", r.baseline))]
    return max(days, default=0) + 1


def _history(db: sqlite_utils.Database, offer_id: str, as_of: str, days: int, column: str) -> list[Point]:
    """Valid prices of the last ``days`` days up to ``as_of``, and always at least the last two."""
    since = (_parse(as_of) - timedelta(days=days)).isoformat()
    rows = db.execute(
        f"SELECT id, fetched_at, {column} FROM observations WHERE offer_id = ? AND status = 'ok' "
        f"AND {column} IS NOT NULL AND fetched_at <= ? AND fetched_at >= ? ORDER BY fetched_at", [offer_id, as_of, since]
    ).fetchall()
    if len(rows) < 2:
        rows = db.execute(
            f"SELECT id, fetched_at, {column} FROM observations WHERE offer_id = ? AND status = 'ok' "
            f"AND {column} IS NOT NULL AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 2", [offer_id, as_of]
        ).fetchall()[::-1]
    return [Point(*row) for row in rows]


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def baseline(history: list[Point], spec: str) -> float | None:
    """The reference the latest price is compared with: ``previous``, ``median_30d``, ``mean_7d`` ..."""
    earlier = history[:-1]
    if not earlier:
        return None
    if spec == "previous":
        return earlier[-1].unit_price
    match = re.fullmatch(r"(median|mean)_(\d+)d", spec)
    if match is None:
        raise ValueError(f"unknown baseline {spec!r}")
    since = _parse(history[-1].fetched_at) - timedelta(days=int(match.group(2)))
    window = [p.unit_price for p in earlier if _parse(p.fetched_at) >= since]
    if not window:
        return None
    return statistics.median(window) if match.group(1) == "median" else statistics.fmean(window)


def _band(value: float, level: float, hysteresis: float, upward: bool) -> bool | None:
    """Crossed (True), back past the band (False), or inside the band (None)."""
    if upward:
        return True if value > level else False if value <= level * (1 - hysteresis / 100) else None
    return True if value < level else False if value >= level * (1 + hysteresis / 100) else None


def evaluate_offer(db: sqlite_utils.Database, offer: dict, material: dict, rules: tuple[Rule, ...], as_of: str,
                   column: str = "unit_price") -> list[Finding]:
    """Every rule of the offer's material, applied to the offer's history up to ``as_of``."""
    history = _history(db, offer["id"], as_of, window_days(rules), column)
    latest = history[-1] if history else None
    unit = material["unit"]
    findings = []
    counters: dict[str, int] = {}
    for rule in rules:
        counters[rule.kind] = counters.get(rule.kind, 0) + 1
        name = describe(rule)

        def finding(direction: str, holds: bool | None, value: float | None, reference: float | None, message: str, confirm: int) -> Finding:
            fingerprint = f"{rule.kind}#{counters[rule.kind]}:{offer['id']}:{direction}"
            return Finding(fingerprint, name, rule.kind, material["id"], offer["id"], direction, rule.severity,
                           holds, value, reference, message, confirm, latest.id if latest else None)

        label = f"{material['name']} at {offer['supplier_name']}"
        if isinstance(rule, StaleRule):
            seen = db.execute(
                "SELECT min(fetched_at) FROM observations WHERE offer_id = ? AND fetched_at <= ?", [offer["id"], as_of]
            ).fetchone()[0]
            since = latest.fetched_at if latest else seen
            if since is None:
                continue  # never fetched yet: nothing can be stale
            age = (_parse(as_of) - _parse(since)).total_seconds() / 86400
            holds = age > rule.days
            if holds:
                message = f"{label}: no valid price for {age:.0f} days (last: {since[:10] if latest else 'never'})"
            else:
                message = f"{label}: valid prices again ({latest.unit_price if latest else 0:.2f}/{unit})"
            findings.append(finding("stale", holds, None, None, message, 1))
            continue
        if latest is None:
            continue
        value = latest.unit_price
        if isinstance(rule, ThresholdRule):
            for level, direction in ((rule.above, "above"), (rule.below, "below")):
                if level is not None:
                    holds = _band(value, level, rule.hysteresis_percent, direction == "above")
                    message = (f"{label}: {value:.2f}/{unit} is {direction} {level:.2f}/{unit}" if holds
                               else f"{label}: {value:.2f}/{unit} is back {'under' if direction == 'above' else 'over'} {level:.2f}/{unit}")
                    findings.append(finding(direction, holds, value, level, message, rule.confirm))
        elif isinstance(rule, ChangeRule):
            reference = baseline(history, rule.baseline)
            if not reference:
                continue
            change = (value / reference - 1) * 100
            for direction, sign in (("up", 1), ("down", -1)):
                moved = sign * change
                holds = True if moved >= rule.percent else False if moved < rule.percent - rule.hysteresis_percent else None
                word = "rose" if direction == "up" else "fell"
                message = (f"{label} {word}: {value:.2f}/{unit}, {change:+.1f}% vs {rule.baseline} ({reference:.2f})" if holds
                           else f"{label} no longer {'up' if direction == 'up' else 'down'} {rule.percent:g}%: {value:.2f}/{unit}, {change:+.1f}% vs {rule.baseline}")
                findings.append(finding(direction, holds, value, reference, message, rule.confirm))
    return findings


def evaluate(db: sqlite_utils.Database, config: Config, as_of: str) -> list[Finding]:
    """Findings for every active offer of the config at ``as_of``."""
    materials = {m.id: m for m in config.materials}
    offers = db.execute(
        "SELECT o.id, o.material_id, s.name AS supplier_name FROM offers o JOIN suppliers s ON s.id = o.supplier_id WHERE o.active"
    ).fetchall()
    findings = []
    for offer_id, material_id, supplier_name in offers:
        material = materials[material_id]
        findings += evaluate_offer(
            db, {"id": offer_id, "supplier_name": supplier_name}, {"id": material.id, "name": material.name, "unit": material.unit},
            config.rules_for(material), as_of, "landed_unit_price" if config.compare == "landed" else "unit_price",
        )
    return findings
