"""The nightly job: lock, crawl, store, evaluate, alert, notify, record the run.

``run()`` is what cron calls through ``supplywatch run``; ``ingest()`` does the same with items
crawled elsewhere; both share :func:`process_items` with the demo.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import sqlite_utils

from . import alerts, costing, decisions, notify, private_files, rules, safe_text, store
from .alerts import silences
from .decisions import indexes as index_series, todo
from .crawl import feeds
from .rules import products as product_rules
from .store.pricing import Pricing
from .config import Config

EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_LOCKED, EXIT_FATAL = 0, 1, 2, 3, 4
EXIT_CODES = {
    EXIT_OK: "everything went well",
    EXIT_PARTIAL: "the run finished, but some pages gave no price or some notifications are still queued",
    EXIT_CONFIG: "the config file is invalid, or the database is from a newer supplywatch (nothing was written)",
    EXIT_LOCKED: "another run is still going on the same database",
    EXIT_FATAL: "the run crashed (the database is left consistent; see the message)",
}


class Locked(Exception):
    """Another supplywatch run holds the database's lock."""


@contextmanager
def run_lock(database: Path) -> Iterator[None]:
    """One run at a time per database. The OS drops the lock when a run dies, so it never sticks."""
    lock_path = database.with_name(database.name + ".lock")
    try:
        handle = open(lock_path, "a+")
    except PermissionError:
        raise store.Unwritable(f"{lock_path.parent} is read-only here, and this command records prices: make it writable, "
                               "or use status, cost or serve, which only read the database") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(f"another supplywatch run is using {database} (lock: {lock_path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


@dataclass
class RunResult:
    run_id: int
    status: str
    message: str
    transitions: list[alerts.Transition]

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.status == "ok" else EXIT_PARTIAL


def _outcome(summary: dict[str, Any], fired: int, resolved: int, still_queued: int) -> tuple[str, str]:
    failing = sorted(s for s, c in summary["suppliers"].items() if c["ok"] + c["suspect"] == 0 and c["offers"])
    parts = [f"{summary['offers']} offers: {summary['prices']} prices, {summary['missing']} missing, "
             f"{summary['errors']} errors, {summary['suspect']} suspect"]
    if failing:
        parts.append(f"no price at all from {', '.join(failing)}")
    parts.append(f"{fired} alerts fired, {resolved} resolved")
    if still_queued:
        parts.append(f"{still_queued} notifications not delivered (kept for the next run)")
    if summary["offers"] and not summary["prices"] and not summary["suspect"]:
        status = "failed"
    elif summary["missing"] or summary["errors"] or still_queued:
        status = "partial"
    else:
        status = "ok"
    return status, "; ".join(parts)


def process_items(
    db: sqlite_utils.Database, config: Config, run_id: int, items: list[dict[str, Any]], as_of: str,
    echo: Callable[[str], None] = print, crawl_stats: dict[str, Any] | None = None,
) -> RunResult:
    """Store a crawl's items, evaluate the rules at ``as_of``, send what there is to send."""
    items = [safe_text.clean_item(i) for i in items]  # page text is data: no terminal control, raw text capped
    store.record_rates(db, [i for i in items if "per_eur" in i])  # first: today's prices convert at today's rate
    index_series.record_items(db, config, [i for i in items if "index_id" in i])
    items = [i for i in items if "offer_id" in i]
    rows = store.final_rows(store.record_observations(db, config, run_id, items))
    summary = store.summarize(rows)
    broken = rules.extraction_findings(config, rows)
    held = {f.supplier_id for f in broken if f.holds}
    costs = costing.record_costs(db, config, run_id, as_of)
    tonight = decisions.evaluate(db, config, run_id, as_of)
    findings = broken + rules.evaluate(db, config, as_of, held) + product_rules.evaluate(db, config, as_of, costs) + tonight.findings
    transitions = alerts.apply(db, findings, as_of)
    names = {s.id: s.name for s in config.suppliers}
    urls = {i["offer_id"]: i.get("url") for i in items}
    context = notify.DigestContext(
        run_label=as_of[:10],
        problems=[r | {"url": urls.get(r["offer_id"])} for r in rows if r["status"] != "ok"],
        silenced={s["target"] for s in silences.active(db)},
        held_back=[f"{names.get(s, s)}: price alerts wait until its pages give prices again" for s in sorted(held)],
        undelivered=notify.undelivered(db),
        link=notify.link_maker(config.notify.base_url, config.database_path.stem),
        to_do=todo.lines(tonight.to_tell),
    )
    notify.queue(db, run_id, notify.compose(transitions, context))
    _, still_queued = notify.deliver_pending(db, config, echo)
    fired = sum(t.event == "fired" for t in transitions)
    resolved = sum(t.event == "resolved" for t in transitions)
    status, message = _outcome(summary, fired, resolved, still_queued)
    store.finish_run(db, run_id, status, summary, message, crawl_stats)
    return RunResult(run_id, status, message, transitions)


def run(config: Config, echo: Callable[[str], None] = print, log_level: str = "WARNING",
        scrapyd_nodes: Sequence[str] = (), scrapyd_jobs: int | None = None) -> RunResult:
    """Crawl every active offer now (here, or on ``scrapyd_nodes``) and process the results,
    under the database's lock."""
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        store.sync_config(db, config)
        run_id = store.start_run(db, "crawl" if not scrapyd_nodes else "crawl:scrapyd")
        log_file = config.database_path.parent / "logs" / f"run-{run_id}.log"
        private_files.create_file(private_files.make_folder(log_file.parent) / log_file.name)
        with db.conn:
            db["runs"].update(run_id, {"log_file": str(log_file)})
        results: list[RunResult] = []

        def handle(_: str | None, items: list[dict[str, Any]], stats: dict[str, Any]) -> None:
            as_of = max((i["fetched_at"] for i in items if "fetched_at" in i), default=store.now_iso())
            results.append(process_items(db, config, run_id, items, as_of, echo, crawl_stats=stats))

        try:
            if scrapyd_nodes:
                from .crawl import scrapyd

                with open(log_file, "a", encoding="utf-8") as log:
                    items, stats = scrapyd.crawl(
                        config, scrapyd_nodes, refetch=suspects_to_refetch(db, config),
                        jobs=scrapyd_jobs or config.crawl.scrapyd_jobs, timeout=config.crawl.scrapyd_timeout_minutes * 60,
                        echo=echo, log=lambda line: print(safe_text.redact(line), file=log))
                due = index_series.spider_arguments(index_series.due(db, config, store.now_iso()))
                if due:  # public index series are few and small: fetched here, not on the nodes
                    from .crawl.local import crawl_indexes

                    items += crawl_indexes(config, due)
                handle(None, items, stats)
            else:
                from .crawl.local import crawl_nights  # Scrapy is imported only by commands that crawl

                crawl_nights(config, [None], handle, log_level=log_level, refetch=suspects_to_refetch(db, config),
                             log_file=None if log_level == "INFO" else log_file,  # -v: the log on the terminal instead
                             indexes=index_series.spider_arguments(index_series.due(db, config, store.now_iso())))
        except BaseException as exc:
            with db.conn:
                db["runs"].update(run_id, {"status": "crashed", "finished_at": store.now_iso(), "message": safe_text.redact(repr(exc))[:500]})
            raise
        with open(log_file, "a", encoding="utf-8") as log:
            log.write(f"run {run_id}: {results[0].status}: {results[0].message}\n")
        return results[0]


def suspects_to_refetch(db: sqlite_utils.Database, config: Config) -> Callable[[list[dict[str, Any]]], list[Any]]:
    """Offers whose price looks like a glitch (a x10 jump, a zero, a changed pack): fetch them again
    at once, so a real change is confirmed tonight and a glitch is cleared, without paging anyone."""
    offers = {o.offer_id: o for o in config.offers()}

    def choose(items: list[dict[str, Any]]) -> list[Any]:
        pricing = Pricing(db, config)
        pricing.preload()  # judged against the kept recent prices, as the store will judge them
        again = []
        for item in items:
            if item.get("status") == "ok" and item.get("offer_id") in offers:
                row = pricing.observation_row(0, item)
                if row["status"] == "suspect" and (row["error"] or "").startswith(("implausible jump", "pack changed", "price ")):
                    again.append(offers[item["offer_id"]])
        return again

    return choose


def ingest(config: Config, source: str | Path, echo: Callable[[str], None] = print) -> RunResult:
    """Store items crawled elsewhere (a feed file, a folder of feeds, a scrapyd items URL), then
    evaluate and notify as a run would. Ingesting the same items twice stores nothing twice."""
    items, label = feeds.read_source(str(source))
    known = {o.offer_id for o in config.offers()}
    unknown = sorted({i["offer_id"] for i in items if "offer_id" in i} - known)
    if unknown:
        raise ValueError(f"{source}: offers not in the config: {', '.join(unknown[:5])}")
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        store.sync_config(db, config)
        as_of = max((i["fetched_at"] for i in items if "fetched_at" in i), default=store.now_iso())
        run_id = store.start_run(db, f"ingest:{label}", as_of)
        return process_items(db, config, run_id, items, as_of, echo)


def add_price(config: Config, offer_id: str, price: str, when: str, note: str | None = None,
              currency: str | None = None, pack: str | None = None, echo: Callable[[str], None] = print) -> RunResult:
    """Record a price quoted by phone or e-mail as an ordinary observation, then evaluate the rules."""
    offers = {o.offer_id: o for o in config.offers()}
    if offer_id not in offers:
        raise ValueError(f"unknown offer {offer_id!r} (offers: {', '.join(sorted(offers))})")
    try:
        amount = Decimal(price)
    except ArithmeticError:
        raise ValueError(f"{price!r} is not a price: write it as 12.50") from None
    if amount <= 0:
        raise ValueError("a price must be above zero")
    offer = offers[offer_id]
    item = {"offer_id": offer_id, "status": "ok", "price": str(amount), "currency": currency or offer.currency,
            "pack": pack or offer.pack, "pack_source": "config", "method": "manual", "raw": price, "fetched_at": when,
            "note": note, "url": offer.url}
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        store.sync_config(db, config)
        run_id = store.start_run(db, "manual", when)
        return process_items(db, config, run_id, [item], when, echo)
