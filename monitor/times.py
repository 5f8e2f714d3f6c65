"""Times as supplywatch writes them (ISO 8601 text, UTC): read back, and the days between two.
Below every stage: the store, the rules and the decisions all read them."""

from __future__ import annotations

from datetime import datetime


def parse_time(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def days_between(a: str, b: str) -> float:
    return (parse_time(b) - parse_time(a)).total_seconds() / 86400
