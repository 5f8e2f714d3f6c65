"""The runs table: one row per nightly run (or ingest, manual price, backtest), with its counts."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from .. import safe_text
from .database import now_iso


def start_run(db: sqlite_utils.Database, source: str, as_of: str | None = None) -> int:
    """Record a new run. Called under the run lock, so a run still marked running was killed."""
    with db.atomic():
        started = now_iso()
        db.execute("UPDATE runs SET status = 'crashed', message = 'interrupted: the process stopped before the run finished' "
                   "WHERE status = 'running'")
        return int(db.conn.execute("INSERT INTO runs (source, started_at, as_of, status) VALUES (?, ?, ?, 'running')",
                                   [source, started, as_of or started]).lastrowid or 0)


CRAWL_STATS = ("finish_reason", "elapsed_time_seconds", "downloader/request_count", "downloader/response_count",
               "item_scraped_count", "retry/count", "retry/max_reached", "robotstxt/forbidden", "log_count/ERROR",
               "scrapyd_jobs", "scrapyd_nodes", "scrapyd_nodes_down", "elapsed_seconds")


def crawl_health(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures of Scrapy's stats that say how a crawl went, with every HTTP status counted."""
    health = {k: v for k, v in stats.items() if k in CRAWL_STATS or k.startswith(("downloader/response_status_count/", "downloader/exception_type_count/",
                                                                                      "politeness/"))}
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in health.items()}


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, summary: dict[str, Any], message: str,
               crawl_stats: dict[str, Any] | None = None) -> None:
    with db.atomic():
        if crawl_stats is not None:
            db.execute("UPDATE runs SET crawl_stats = ? WHERE id = ?", [json.dumps(crawl_health(crawl_stats), sort_keys=True), run_id])
        db.execute("UPDATE runs SET finished_at = ?, status = ?, message = ?, offers = ?, prices = ?, missing = ?, errors = ?, "
                   "suspect = ?, suppliers_json = ? WHERE id = ?",
                   [now_iso(), status, safe_text.redact(message), summary["offers"], summary["prices"], summary["missing"], summary["errors"],
                    summary["suspect"], json.dumps(summary["suppliers"], sort_keys=True), run_id])


def summarize(rows: list[Any]) -> dict[str, Any]:
    """Counts per run and per supplier, for the runs table and the exit status (``rows``: a run's
    last observation of each offer)."""
    per_supplier: dict[str, dict[str, Any]] = {}  # counts, and http_errors: {status: count}
    for row in rows:
        counts = per_supplier.setdefault(row.supplier_id, {"offers": 0, "ok": 0, "suspect": 0, "missing": 0, "ambiguous": 0, "error": 0,
                                                           "node_error": 0})
        counts["offers"] += 1
        counts[str(row.status)] += 1
        if (row.http_status or 200) >= 400:
            errors = counts.setdefault("http_errors", {})
            errors[str(row.http_status)] = errors.get(str(row.http_status), 0) + 1
    total = lambda key: sum(c[key] for c in per_supplier.values())  # noqa: E731
    return {
        "offers": len(rows), "prices": total("ok"), "missing": total("missing") + total("ambiguous"),
        "errors": total("error"), "suspect": total("suspect"), "node_errors": total("node_error"), "suppliers": per_supplier,
    }
