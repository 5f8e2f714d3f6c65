"""Silences: "don't tell me about walnut for two weeks". They expire by themselves, or are lifted.

While a target is silenced its alerts still change state (and every change is in the event log),
but nobody is told; a firing alert the owner never heard of is told once the silence ends.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlite_utils

from ..store import now_iso

_DURATION = re.compile(r"^(\d+)\s*([hdw])$")


def parse_duration(text: str) -> timedelta:
    """``12h``, ``14d`` or ``2w``."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 12h, 14d or 2w")
    amount, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]


def add(db: sqlite_utils.Database, target: str, duration: timedelta, reason: str | None = None) -> dict[str, Any]:
    """Silence ``target`` from now for ``duration``; a silence already running on it is replaced
    (its end moves, the reason too when a new one is given), so silencing twice leaves one."""
    now = now_iso()
    until = (datetime.now(timezone.utc) + duration).isoformat(timespec="seconds")
    with db.atomic():
        running = db.execute("SELECT id, reason FROM silences WHERE target = ? AND until > ? ORDER BY id", [target, now]).fetchall()
        if running:
            keep, old_reason = running[-1]
            db.execute("UPDATE silences SET until = ?, reason = ? WHERE id = ?", [until, reason or old_reason, keep])
            db.execute("UPDATE silences SET until = ? WHERE target = ? AND until > ? AND id != ?", [now, target, now, keep])
            row_id = keep
        else:
            row_id = db["silences"].insert({"target": target, "until": until, "reason": reason, "created_at": now}).last_pk
    return db["silences"].get(row_id)


def lift(db: sqlite_utils.Database, target: str) -> int:
    """End the silences running on ``target`` now; returns how many there were."""
    now = now_iso()
    with db.atomic():
        return db.execute("UPDATE silences SET until = ? WHERE target = ? AND until > ?", [now, target, now]).rowcount


def active(db: sqlite_utils.Database, at: str | None = None) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM silences WHERE until > ? ORDER BY until", [at or now_iso()]))


def silenced_ids(db: sqlite_utils.Database, at: str | None = None) -> set[str]:
    """The material, offer, supplier and product ids silenced now."""
    return {s["target"] for s in active(db, at)}
