"""A material's price as a buyer sees it: the cheapest landed unit price of each day, over its offers.

The decisions read this one series (what a unit would have cost delivered, from whoever was
cheapest and in stock that day) rather than each offer's, since that is what the owner pays.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

from ..rules.checks import parse_time


@dataclass(frozen=True)
class DayPrice:
    day: date
    unit_price: float


def daily_cheapest(db: sqlite_utils.Database, material_id: str, as_of: str, days: int = 800,
                   offer_ids: set[str] | None = None) -> list[DayPrice]:
    """The lowest valid in-stock landed unit price of each day in the ``days`` before ``as_of``."""
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    rows = db.execute(
        "SELECT substr(fetched_at, 1, 10) AS day, offer_id, landed_unit_price FROM observations "
        "WHERE material_id = ? AND status = 'ok' AND landed_unit_price IS NOT NULL AND in_stock IS NOT 0 "
        "AND fetched_at > ? AND fetched_at <= ? ORDER BY fetched_at", [material_id, since, as_of]).fetchall()
    best: dict[str, float] = {}
    for day, offer_id, price in rows:
        if offer_ids is not None and offer_id not in offer_ids:
            continue
        best[day] = min(price, best.get(day, price))
    return [DayPrice(date.fromisoformat(d), p) for d, p in sorted(best.items())]


def value_on(series: list[DayPrice], day: date) -> float | None:
    """The newest price on or before ``day`` (prices hold until they change)."""
    found = None
    for point in series:
        if point.day > day:
            break
        found = point.unit_price
    return found


def window(series: list[DayPrice], end: date, days: int) -> list[float]:
    return [p.unit_price for p in series if end - timedelta(days=days) < p.day <= end]


def median_over(series: list[DayPrice], end: date, days: int) -> float | None:
    prices = window(series, end, days)
    return statistics.median(prices) if prices else None


def span_days(series: list[DayPrice]) -> int:
    return (series[-1].day - series[0].day).days if series else 0
