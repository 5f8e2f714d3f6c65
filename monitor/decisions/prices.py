"""A material's price as a buyer sees it: the cheapest landed unit price of each day, over its offers.

The decisions read this one series (what a unit would have cost delivered, from whoever was
cheapest and in stock that day) rather than each offer's, since that is what the owner pays.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import sqlite_utils

from ..rules.base import parse_time


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
    return [DayPrice(_day(d), p) for d, p in sorted(best.items())]


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)  # a night parses the same ninety days for every material


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


def days_known_words(days: int) -> str:
    """"only 12 days of prices", "only 1 day of prices", "prices from one day only": never "only 0 days"."""
    return "prices from one day only" if days < 1 else "only 1 day of prices" if days == 1 else f"only {days} days of prices"


Seen = tuple  # (offer_id, fetched_at, landed unit price, in stock): one valid observation; plain rows, a night reads a million
FETCHED, PRICE, IN_STOCK = 1, 2, 3


def recent_by_offer(db: sqlite_utils.Database, as_of: str, days: int, material_id: str | None = None) -> dict[str, list[Seen]]:
    """Every offer's valid rows (offer_id, fetched_at, landed unit price, in stock) of the ``days``
    before ``as_of``, oldest first: one read for a whole night's outlook instead of two per material."""
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    query = ("SELECT offer_id, fetched_at, landed_unit_price, in_stock IS NOT 0 FROM observations WHERE status = 'ok' "
             "AND landed_unit_price IS NOT NULL AND fetched_at > ? AND fetched_at <= ?")
    args: list[object] = [since, as_of]
    if material_id is not None:
        query += " AND material_id = ?"
        args.append(material_id)
    found: dict[str, list[Seen]] = {}
    for row in db.execute(query + " ORDER BY fetched_at", args).fetchall():
        rows = found.get(row[0])
        if rows is None:
            rows = found[row[0]] = []
        rows.append(row)
    return found


def cheapest_by_day(by_offer: dict[str, list[Seen]], offer_ids: list[str]) -> list[DayPrice]:
    """The lowest in-stock price of each day over the given offers."""
    best: dict[str, float] = {}
    for offer_id in offer_ids:
        for _, fetched_at, price, in_stock in by_offer.get(offer_id, ()):
            if in_stock:
                day = fetched_at[:10]
                if day not in best or price < best[day]:
                    best[day] = price
    return [DayPrice(_day(d), p) for d, p in sorted(best.items())]
