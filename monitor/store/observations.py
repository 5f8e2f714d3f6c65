"""Writing a run's observations: each item priced, judged and stored in one transaction."""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

import sqlite_utils

from ..config import Config
from .pricing import RECENT, Pricing


def record_observations(db: sqlite_utils.Database, config: Config, run_id: int, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a run's items in one transaction: a crash leaves all of them or none."""
    pricing = Pricing(db, config)
    rows: list[dict[str, Any]] = []

    def insert(batch: list[dict[str, Any]]) -> None:
        # The hot path of every run: one prepared statement rather than sqlite-utils' per-call
        # introspection. OR IGNORE: the same feed ingested twice stores nothing twice.
        if batch:
            columns = list(batch[0])
            db.conn.executemany(
                f"INSERT OR IGNORE INTO observations ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [tuple(row[c] for c in columns) for row in batch])

    with db.conn:
        last_id = db.execute("SELECT max(id) FROM observations").fetchone()[0] or 0
        pricing.preload()
        for round_ in _rounds(items):
            batch = [pricing.observation_row(run_id, item) for item in round_]
            for row in batch:
                if row["status"] == "ok":
                    pricing.accepted(row)
            insert(batch)
            rows += batch
        # Point each offer at its newest valid observation (the new rows are the ids above last_id),
        # with its last ten unit prices for tomorrow's plausibility check.
        db.execute(
            "INSERT INTO latest_observations (offer_id, observation_id, fetched_at) "
            "SELECT offer_id, id, fetched_at FROM observations WHERE run_id = ? AND id > ? AND status = 'ok' ORDER BY id "
            "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at "
            "WHERE excluded.fetched_at > latest_observations.fetched_at",
            [run_id, last_id],
        )
        assert pricing.windows is not None
        db.conn.executemany("UPDATE latest_observations SET recent_unit_prices = ? WHERE offer_id = ?",
                            [(json.dumps(pricing.windows[o].unit_prices), o) for o in pricing.changed])
        db.conn.executemany(RECOUNT_RECENT, [(o,) for o in pricing.out_of_order])
    return rows


# An offer's window rebuilt from its history, after a price older than its newest one arrives.
RECOUNT_RECENT = (
    "UPDATE latest_observations SET recent_unit_prices = (SELECT json_group_array(unit_price) FROM ("
    " SELECT unit_price FROM observations o WHERE o.offer_id = latest_observations.offer_id AND o.status = 'ok'"
    f" ORDER BY o.fetched_at DESC LIMIT {RECENT})) WHERE offer_id = ?"
)


def _rounds(items: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split items where an offer comes again: a re-fetch is judged against the first look, so the
    first must be stored before the second is priced."""
    current: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if item["offer_id"] in seen:
            yield current
            current, seen = [], set()
        current.append(item)
        seen.add(item["offer_id"])
    if current:
        yield current


def final_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last observation of each offer in a run: a re-fetch supersedes the first look."""
    return list({row["offer_id"]: row for row in rows}.values())


def record_rates(db: sqlite_utils.Database, rates: Iterable[dict[str, Any]]) -> int:
    """Store reference exchange rates (per EUR) collected by the rates spider; returns how many."""
    rows = [{"date": r["date"], "currency": r["currency"], "per_eur": float(r["per_eur"]), "source": r["source"]} for r in rates]
    with db.conn:
        db["exchange_rates"].upsert_all(rows, pk=("date", "currency", "source"))
    return len(rows)
