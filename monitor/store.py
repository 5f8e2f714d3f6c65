"""The SQLite store: opening it (migrated, WAL), and the writes a run makes, through sqlite-utils."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from . import prices, schema
from .config import Config


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store, in WAL mode, migrated to the current schema."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    db.enable_wal()
    schema.migrate(db)
    return db


def sync_config(db: sqlite_utils.Database, config: Config) -> None:
    """Make suppliers, materials and offers match the config; offers no longer in it become inactive."""
    with db.conn:
        db["suppliers"].upsert_all(
            ({"id": s.id, "name": s.name, "currency": s.currency, "locale": s.locale} for s in config.suppliers), pk="id"
        )
        db["materials"].upsert_all(({"id": m.id, "name": m.name, "unit": m.unit} for m in config.materials), pk="id")
        db["products"].upsert_all(({"id": p.id, "name": p.name, "yield_quantity": p.yield_count, "yield_unit": p.yield_unit,
                                    "selling_price": p.price, "target_margin": p.target_margin} for p in config.products), pk="id")
        db.execute("UPDATE offers SET active = 0")
        db["offers"].upsert_all(
            (
                {"id": o.offer_id, "material_id": o.material, "supplier_id": o.supplier, "url": o.url,
                 "pack": o.pack, "variant": o.variant, "price_selector": o.price_selector, "active": int(o.active)}
                for o in config.offers()
            ),
            pk="id",
        )


def start_run(db: sqlite_utils.Database, source: str, as_of: str | None = None) -> int:
    """Record a new run. Called under the run lock, so a run still marked running was killed."""
    with db.conn:
        started = now_iso()
        db.execute("UPDATE runs SET status = 'crashed', message = 'interrupted: the process stopped before the run finished' "
                   "WHERE status = 'running'")
        return db["runs"].insert({"source": source, "started_at": started, "as_of": as_of or started, "status": "running"}).last_pk


CRAWL_STATS = ("finish_reason", "elapsed_time_seconds", "downloader/request_count", "downloader/response_count",
               "item_scraped_count", "retry/count", "retry/max_reached", "robotstxt/forbidden", "log_count/ERROR",
               "scrapyd_jobs", "scrapyd_nodes", "scrapyd_nodes_down", "elapsed_seconds")


def crawl_health(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures of Scrapy's stats that say how a crawl went, with every HTTP status counted."""
    health = {k: v for k, v in stats.items() if k in CRAWL_STATS or k.startswith(("downloader/response_status_count/", "downloader/exception_type_count/"))}
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in health.items()}


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, summary: dict[str, Any], message: str,
               crawl_stats: dict[str, Any] | None = None) -> None:
    with db.conn:
        if crawl_stats is not None:
            db["runs"].update(run_id, {"crawl_stats": json.dumps(crawl_health(crawl_stats), sort_keys=True)})
        db["runs"].update(run_id, {
            "finished_at": now_iso(), "status": status, "message": message,
            "offers": summary["offers"], "prices": summary["prices"], "missing": summary["missing"],
            "errors": summary["errors"], "suspect": summary["suspect"],
            "suppliers_json": json.dumps(summary["suppliers"], sort_keys=True),
        })


def record_observations(db: sqlite_utils.Database, config: Config, run_id: int, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a run's items in one transaction: a crash leaves all of them or none."""
    pricing = prices.Pricing(db, config)
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
    f" ORDER BY o.fetched_at DESC LIMIT {prices.RECENT})) WHERE offer_id = ?"
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


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per run and per supplier, for the runs table and the exit status."""
    per_supplier: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = per_supplier.setdefault(row["supplier_id"], {"offers": 0, "ok": 0, "suspect": 0, "missing": 0, "ambiguous": 0, "error": 0})
        counts["offers"] += 1
        counts[row["status"]] += 1
        if (row.get("http_status") or 200) >= 400:
            errors = counts.setdefault("http_errors", {})
            errors[str(row["http_status"])] = errors.get(str(row["http_status"]), 0) + 1
    total = lambda key: sum(c[key] for c in per_supplier.values())  # noqa: E731
    return {
        "offers": len(rows), "prices": total("ok"), "missing": total("missing") + total("ambiguous"),
        "errors": total("error"), "suspect": total("suspect"), "suppliers": per_supplier,
    }


def record_rates(db: sqlite_utils.Database, rates: Iterable[dict[str, Any]]) -> int:
    """Store reference exchange rates (per EUR) collected by the rates spider; returns how many."""
    rows = [{"date": r["date"], "currency": r["currency"], "per_eur": float(r["per_eur"]), "source": r["source"]} for r in rates]
    with db.conn:
        db["exchange_rates"].upsert_all(rows, pk=("date", "currency", "source"))
    return len(rows)


def backup(source: Path, destination: Path) -> int:
    """Copy the database with SQLite's online backup API (consistent while others write); returns
    how many observations the copy holds."""
    import sqlite3

    with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
        live.execute("PRAGMA busy_timeout = 10000")
        live.backup(copy)
        count = copy.execute("SELECT count(*) FROM observations").fetchone()[0]
        copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    return count
