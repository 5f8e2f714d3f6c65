"""Public index series beside the suppliers' prices: which are due, storing what the spider read,
and reading a series as it was known on a given day.

Every value keeps ``available_on``: the day it could first have been known (its period's end plus
the publication lag, or the day it was first fetched if that came sooner). Rules, the what-if and
the backtests read only values available by their day, so a replay never sees the future.
"""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from ..config import Config, IndexSeries
from ..rules.base import parse_time

RETRY_HOURS = 20  # a series is asked for at most once a day, found or not
REVISIONS_DAYS = 35  # a monthly series is read again after this long even if no new month is due (revisions)


@dataclass(frozen=True)
class IndexPoint:
    period: date
    value: float
    available_on: date


def sync(db: sqlite_utils.Database, config: Config) -> None:
    """Keep ``index_series`` and the material links in step with the config (history is kept)."""
    with db.conn:
        for index in config.indexes:
            db.execute(
                "INSERT INTO index_series (id, name, source, series, url, frequency) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source, series = excluded.series, "
                "url = excluded.url, frequency = excluded.frequency",
                [index.id, index.name, index.source, index.series, index.url, index.frequency])
        db.execute("DELETE FROM material_indexes")
        db["material_indexes"].insert_all(
            ({"material_id": m.id, "index_id": i} for m in config.materials for i in m.indexes), pk=("material_id", "index_id"))


def period_end(period: date, frequency: str) -> date:
    if frequency == "daily":
        return period
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def period_middle(period: date, frequency: str) -> date:
    """The day a period's value stands for (a monthly index is the month's average)."""
    return period if frequency == "daily" else period + timedelta(days=14)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def due(db: sqlite_utils.Database, config: Config, now: str) -> list[IndexSeries]:
    """The series worth fetching tonight: never fetched, or a new value should be out by now (at most
    once a day). Monthly series are otherwise left alone: their cached values serve every night."""
    moment = parse_time(now)
    today = moment.date()
    wanted = []
    for index in config.indexes:
        state = db.execute("SELECT last_attempt_at, last_success_at FROM index_series WHERE id = ?", [index.id]).fetchone()
        last_attempt, last_success = state if state else (None, None)
        if last_attempt and (moment - parse_time(last_attempt)).total_seconds() < RETRY_HOURS * 3600:
            continue
        newest = db.execute("SELECT max(period) FROM index_values WHERE index_id = ?", [index.id]).fetchone()[0]
        if newest is None or last_success is None:
            wanted.append(index)
            continue
        if index.frequency == "daily":
            wanted.append(index)
            continue
        expected = period_end(_next_month(date.fromisoformat(newest)), "monthly") + timedelta(days=index.publication_lag_days)
        if today >= expected or (moment - parse_time(last_success)).days >= REVISIONS_DAYS:
            wanted.append(index)
    return wanted


def spider_arguments(indexes: Iterable[IndexSeries]) -> list[dict[str, Any]]:
    """What the ``indexes`` spider needs of each series (plain data, as for a scrapyd job)."""
    return [{"id": i.id, "source": i.source, "series": i.series, "url": i.url} for i in indexes]


def record_values(db: sqlite_utils.Database, config: Config, index_id: str, values: Iterable[tuple[str, float]], seen_at: str) -> int:
    """Store (period, value) pairs of one series; a value already known is updated (publishers revise),
    keeping the day it was first known. Returns how many values were new."""
    index = next(i for i in config.indexes if i.id == index_id)
    seen_day = parse_time(seen_at).date()
    known = {p for (p,) in db.execute("SELECT period FROM index_values WHERE index_id = ?", [index_id])}
    rows, new = [], 0
    for period, value in values:
        estimated = period_end(date.fromisoformat(period), index.frequency) + timedelta(days=index.publication_lag_days)
        rows.append((index_id, period, float(value), min(estimated, seen_day).isoformat(), seen_at))
        new += period not in known
    db.conn.executemany(
        "INSERT INTO index_values (index_id, period, value, available_on, first_seen_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (index_id, period) DO UPDATE SET value = excluded.value", rows)
    return new


def record_items(db: sqlite_utils.Database, config: Config, items: list[dict[str, Any]]) -> dict[str, str | None]:
    """Store what the ``indexes`` spider yielded; returns each fetched series' error (None when fine)."""
    known = {i.id for i in config.indexes}
    values: dict[str, list[tuple[str, float]]] = {}
    outcome: dict[str, str | None] = {}
    fetched: dict[str, str] = {}
    for item in items:
        if item.get("index_id") not in known:
            continue
        if "period" in item:
            values.setdefault(item["index_id"], []).append((item["period"], float(item["value"])))
        else:
            outcome[item["index_id"]] = item.get("error")
            fetched[item["index_id"]] = item["fetched_at"]
    with db.conn:
        for index_id, error in outcome.items():
            if error is None:
                record_values(db, config, index_id, values.get(index_id, []), fetched[index_id])
                db.execute("UPDATE index_series SET last_attempt_at = ?, last_success_at = ?, last_error = NULL WHERE id = ?",
                           [fetched[index_id], fetched[index_id], index_id])
            else:
                db.execute("UPDATE index_series SET last_attempt_at = ?, last_error = ? WHERE id = ?", [fetched[index_id], error, index_id])
    return outcome


def load_file(db: sqlite_utils.Database, config: Config, index_id: str, path: Path, loaded_at: str) -> int:
    """Load a series' history from a file saved from its publisher (same formats as the spider reads)."""
    from spiders.series import parse

    index = next((i for i in config.indexes if i.id == index_id), None)
    if index is None:
        raise ValueError(f"unknown index {index_id!r} (indexes: {', '.join(i.id for i in config.indexes) or 'none in the config'})")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        values = parse(index.source, index.series, body)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a {index.source} file with {index.series}: {exc}") from None
    with db.conn:
        return record_values(db, config, index_id, values, loaded_at)


def series(db: sqlite_utils.Database, index_id: str, known_on: date | None = None) -> list[IndexPoint]:
    """A series' values, oldest first; with ``known_on``, only those published by that day."""
    query = "SELECT period, value, available_on FROM index_values WHERE index_id = ?"
    args: list[Any] = [index_id]
    if known_on is not None:
        query += " AND available_on <= ?"
        args.append(known_on.isoformat())
    return [IndexPoint(date.fromisoformat(p), v, date.fromisoformat(a)) for p, v, a in db.execute(query + " ORDER BY period", args)]


def change_percent(points: list[IndexPoint], months: int) -> tuple[float, IndexPoint, IndexPoint] | None:
    """How much the newest value moved against the value ``months`` periods before it (monthly), or
    ``months`` x 30 days before it (daily): (percent, then, now)."""
    if len(points) < 2:
        return None
    now = points[-1]
    target = now.period - timedelta(days=round(months * 30.44))
    earlier = [p for p in points if p.period <= target + timedelta(days=3)]
    if not earlier or earlier[-1].value <= 0:
        return None
    then = earlier[-1]
    return (now.value / then.value - 1) * 100, then, now


def month_name(day: date) -> str:
    return day.strftime("%b %Y")


def read_csv_series(path: Path, date_column: str, value_column: str) -> list[tuple[date, float]]:
    """(date, value) rows of a plain CSV, for the backtest (empty and '.' cells skipped)."""
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for name in (date_column, value_column):
            if name not in (reader.fieldnames or []):
                raise ValueError(f"{path}: no column {name!r} (columns: {', '.join((reader.fieldnames or [])[:12])})")
        for number, row in enumerate(reader, 2):
            cell = (row[value_column] or "").strip()
            if cell in ("", "."):
                continue
            try:
                rows.append((datetime.fromisoformat(row[date_column].strip()[:10]).date(), float(cell)))
            except ValueError:
                raise ValueError(f"{path}:{number}: cannot read {row[date_column]!r} / {cell!r} as a date and a value") from None
    if not rows:
        raise ValueError(f"{path}: no values in column {value_column!r}")
    return sorted(rows)
