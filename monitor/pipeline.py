"""One run of supplywatch, whatever brings the prices: lock, store, judge, alert, tell, record.

``supplywatch run`` (a crawl here or on scrapyd), ``ingest`` (feeds crawled elsewhere),
``add-price`` (a quote by phone), the demo (one run per night) and ``backtest`` (a history replayed
into a scratch database) all go through :class:`Run`, so what each reports is what a night does.

The crawl side hands a run its items in batches, as each supplier finishes::

    with Run(db, config, "crawl", expected=offers) as run:
        for supplier_items in crawl():                   # any grouping; one batch per supplier is best
            again = run.to_refetch(supplier_items)       # offers to look at once more, right away
            run.accept(supplier_items + refetch(again))  # stored now, its alerts judged, pushes sent now
        result = run.finish(crawl_stats)                 # the rest: missing offers, products, digest

:meth:`Run.accept` stores a batch at once (one transaction), judges that batch's suppliers and
sends their critical pushes, so a slow supplier does not hold back the others' alerts.
:meth:`Run.finish` records every expected offer that produced no item as an *error*
observation, judges what needs every supplier (cheapest, products), retires alerts no rule
watches any more, sends the digest and records the run's status.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

import sqlite_utils

from spiders.offer import OfferSpec

from . import alerts, costing, decisions, display, notify, private_files, rules, safe_text, store
from .alerts import silences
from .config import Config
from .crawl import feeds
from .decisions import indexes as index_series, todo
from .rules import Context, Formatter, Scope
from .store.items import PRICED, PriceItem, RateItem, Status, finite_number, read_items
from .rules.evaluate import Plan, plan as judging_plan
from .store.pricing import Catalog, Observation, Pricing
from .store.reexpress import reexpress

EXIT_OK, EXIT_PARTIAL, EXIT_INPUT, EXIT_LOCKED, EXIT_FATAL = 0, 1, 2, 3, 4
EXIT_CONFIG = EXIT_INPUT
EXIT_CODES = {
    EXIT_OK: "everything went well",
    EXIT_PARTIAL: "the run finished, but some pages gave no valid price, or no page did, or some notifications are still queued",
    EXIT_INPUT: "the config file or the input (a feed, a price) is invalid, or the database is from a newer supplywatch (nothing was written)",
    EXIT_LOCKED: "another run is still going on the same database",
    EXIT_FATAL: "the run crashed (the database is left consistent; see the message)",
}

Item = Mapping[str, Any] | PriceItem | RateItem


class RunStatus(StrEnum):
    OK = "ok"                # every offer gave a valid price and every message went out
    PARTIAL = "partial"      # some offers gave no valid price (missing, error, suspect) or messages are queued
    FAILED = "failed"        # not one valid price (a price typed by hand and held back as suspect is partial)
    CRASHED = "crashed"      # the run stopped on an error (the message says which)
    RUNNING = "running"


class Locked(Exception):
    """Another supplywatch run holds the database's lock."""


class InputError(ValueError):
    """The input of a run (a feed, a price typed in) is unusable; found before anything is written."""


@contextmanager
def run_lock(database: Path) -> Iterator[None]:
    """One run at a time per database. The OS drops the lock when a run dies, so it never sticks.
    A database this run would refuse is refused first, with nothing written beside it."""
    store.refuse_early(database)
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
            handle.seek(0)
            holder = handle.read(20).strip()  # the running one wrote its process id; this one leaves it be
            who = f"another supplywatch run (process {holder})" if holder.isdigit() else "another supplywatch run"
            raise Locked(f"{who} is using {database} (lock: {lock_path}); this run did nothing") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def open_store(config: Config, path: Path | None = None) -> tuple[sqlite_utils.Database, list[str]]:
    """The store, migrated and in step with the config: history re-expressed if a material's unit or
    the home currency changed (returns those notes for the digest), offers synced, alerts keyed by
    what their rules watch."""
    db = store.open_db(path or config.database_path)
    notes = reexpress(db, config)
    store.sync_config(db, config)
    with db.atomic():  # new materials: their prices will be in today's home currency
        db.execute("UPDATE materials SET currency = ? WHERE currency IS NULL", [config.currency])
    alerts.rekey(db, config)
    return db, notes


class Outcome(NamedTuple):
    """What the run's summary and digest need of an offer's last observation tonight. The full rows
    (~1.3 KB each: raw text, tiers, sources) are in the database; kept in memory, a night of
    100,000 offers grew by 130 MB beyond its config."""

    offer_id: str
    supplier_id: str
    status: Status
    http_status: int | None
    error: str | None  # kept only for an offer without a valid price (the digest lists it)


@dataclass
class RunResult:
    run_id: int
    status: RunStatus
    message: str
    transitions: list[alerts.Transition] = field(default_factory=list)
    messages: list[notify.Message] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.status == RunStatus.OK else EXIT_PARTIAL


class Run:
    """One run: batches of items in, alerts and messages out, the run row kept up to date.

    ``as_of``: the time the run's prices are for (a demo night, a backtest day); None for now.
    ``expected``: the offers a crawl was asked for; each one without an item becomes an error
    observation at :meth:`finish`. ``deliver``: send through Apprise (False keeps messages queued,
    as a backtest does)."""

    def __init__(self, db: sqlite_utils.Database, config: Config, source: str, as_of: str | None = None, *,
                 expected: Sequence[OfferSpec] | None = None, echo: Callable[[str], None] = print, deliver: bool = True,
                 notes: Sequence[str] = ()) -> None:
        self.db, self.config, self.source, self.as_of = db, config, source, as_of
        self.expected = list(expected) if expected is not None else None
        self.echo, self.deliver, self.notes = echo, deliver, list(notes)
        # Read once for the whole run: a night's batches (one per supplier) must not each cost the night's size.
        self.catalog = Catalog.of(config)
        self.offers = self.catalog.offers
        self.active_offers: dict[str, list[str]] = {}  # supplier -> its active offers
        for offer in self.offers.values():
            if offer.active:
                self.active_offers.setdefault(offer.supplier, []).append(offer.offer_id)
        self._judging: Plan | None = None
        self.fmt = Formatter(config.currency)
        self.run_id = store.start_run(db, source, as_of)
        self.latest_fetch: str | None = None
        self.rows: dict[str, Outcome] = {}  # each offer's last observation this run, as the summary needs it
        self.supplier_rows: dict[str, dict[str, Outcome]] = {}  # the same, by supplier
        self.held: set[str] = set()
        self.node_problems: list[str] = []  # what went wrong with the scrapyd nodes tonight, in words
        self.evaluated: set[str] = set()
        self.transitions: list[alerts.Transition] = []
        self.messages: list[notify.Message] = []
        self.tried: set[int] = set()  # notifications this run already tried to deliver
        self.judged: set[str] = set()  # fingerprints a rule judged this run
        self.to_do: list[str] = []  # the owner's list, when it is worth telling tonight
        self.open = alerts.open_alerts(db)
        self.writes = 0  # bumped by whatever this run writes that pricing reads (prices, rates, index values)
        self._priced: tuple[int, list[PriceItem], list[Observation]] | None = None  # to_refetch's batch, priced
        self.link = notify.link_maker(config.notify.base_url, config.database_path.stem if config.notify.base_url else "")
        self.finished = False

    # ---- the run's lifetime ----------------------------------------------------------------

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is not None and not self.finished:
            self.crashed(exc)

    def crashed(self, exc: BaseException) -> None:
        """Record that the run stopped; whatever was committed stays (each batch is whole)."""
        with self.db.atomic():
            self.db["runs"].update(self.run_id, {"status": RunStatus.CRASHED.value, "finished_at": store.now_iso(),
                                                 "message": safe_text.redact(self.config.conceal(f"{exc.__class__.__name__}: {exc}"))[:500]})

    def clock(self) -> str:
        """The time the rules judge at: the run's own (or now), never before a price it stored (a
        re-fetch comes a moment after the night's time)."""
        base = self.as_of or store.now_iso()
        return max(base, self.latest_fetch) if self.latest_fetch else base

    # ---- batches -----------------------------------------------------------------------------

    def _items(self, batch: Iterable[Item]) -> list[PriceItem]:
        # Page text is data: no terminal control, raw text capped, no secrets in errors.
        cleaned = [safe_text.clean_item(i) if isinstance(i, Mapping) else i for i in batch]
        index_items = [i for i in cleaned if isinstance(i, Mapping) and "index_id" in i]
        index_series.record_items(self.db, self.config, index_items)
        prices, rates = read_items(i for i in cleaned if not (isinstance(i, Mapping) and "index_id" in i))
        store.record_rates(self.db, rates)  # first: today's prices convert at today's rate
        if rates or index_items:
            self.writes += 1
        kept = []
        for item in prices:
            if item.offer_id not in self.offers:
                self.notes.append(f"an item for {item.offer_id!r}, which is not an offer of the config, was left out")
                continue
            kept.append(item if item.fetched_at else replace(item, fetched_at=self.clock()))
        return kept

    def judge(self, batch: Iterable[Item]) -> list[Observation]:
        """How a batch would be priced and judged tonight, without storing it."""
        return self._judged(self._items(batch))

    def _judged(self, items: list[PriceItem]) -> list[Observation]:
        pricing = Pricing(self.db, self.config, self.catalog)
        pricing.preload(items)  # judged against the kept recent prices, as the store will judge them
        return [pricing.observation(self.run_id, item) for item in items]

    def to_refetch(self, batch: Iterable[Item]) -> list[OfferSpec]:
        """Offers whose price looks like a glitch (a x5 jump, a zero, a changed pack): fetch them again
        at once, so a glitch is cleared without paging anyone. The batch's prices are kept for
        :meth:`accept`, which stores them as priced here unless the store changed in between."""
        with store.collector_paused():
            items = self._items(batch)
            rows = self._judged(items)
            # Reusable when each offer comes once (a repeat would be judged against the first look).
            self._priced = (self.writes, items, rows) if len({i.offer_id for i in items}) == len(items) else None
            return [self.offers[o] for o in store.to_refetch(rows)]

    def _priced_before(self, items: list[PriceItem], late: bool) -> list[Observation]:
        """The rows :meth:`to_refetch` priced for the first of ``items``, if nothing it read changed since."""
        priced, self._priced = self._priced, None
        if priced is None or late:
            return []
        writes, judged, rows = priced
        if writes != self.writes or items[:len(judged)] != judged:
            return []
        return rows

    def accept(self, batch: Iterable[Item], late: bool = False) -> list[Observation]:
        """Store a batch (one transaction), judge its suppliers' offers and send their critical pushes.
        ``late``: items crawled before this run (an ingested feed), which replace the *node error*
        their own run stored when their scrapyd node failed."""
        with store.collector_paused():
            return self._accept(batch, late)

    def _accept(self, batch: Iterable[Item], late: bool) -> list[Observation]:
        items = self._items(batch)
        if not items:
            return []
        priced = self._priced_before(items, late)
        self.writes += 1
        rows = store.record_observations(self.db, self.config, self.run_id, items, late=late, catalog=self.catalog, priced=priced)
        for row in rows:
            ok = row.status == Status.OK
            outcome = Outcome(row.offer_id, row.supplier_id, row.status, row.http_status, None if ok else row.error)
            self.rows[row.offer_id] = outcome
            self.supplier_rows.setdefault(row.supplier_id, {})[row.offer_id] = outcome
            self.latest_fetch = max(self.latest_fetch or row.fetched_at, row.fetched_at)
        suppliers = {row.supplier_id for row in rows}
        offers = {o for s in suppliers for o in self.active_offers.get(s, ())}
        self._judge_offers(suppliers, offers)
        return rows

    def _pages(self, suppliers: set[str]) -> dict[str, tuple[int, int]]:
        pages = {s: (0, 0) for s in suppliers}
        for supplier in suppliers:
            for row in self.supplier_rows.get(supplier, {}).values():
                if row.status != Status.NODE_ERROR:  # a crawling machine's failure says nothing of its pages
                    total, priced = pages[supplier]
                    pages[supplier] = (total + 1, priced + (row.status in PRICED))
        return pages

    @property
    def judging(self) -> Plan:
        """Every material's rules and the active offers, read on the first batch and kept for the run."""
        if self._judging is None:
            self._judging = judging_plan(self.db, self.config)
        return self._judging

    def _judge_offers(self, suppliers: set[str], offers: set[str]) -> None:
        context = self.context()
        findings = rules.evaluate_suppliers(self.config, context, self._pages(suppliers))
        broken = {f.target.supplier_id for f in findings if f.holds and f.target.supplier_id}
        self.held = (self.held - suppliers) | broken
        findings += rules.evaluate_offers(self.db, self.config, context, offers, self.held, scopes=(Scope.OFFER,), judging=self.judging)
        self.evaluated |= offers
        self._tell(findings, context.as_of)

    def context(self) -> Context:
        return Context(self.clock(), self.fmt, self.open)

    # ---- telling -----------------------------------------------------------------------------

    def _tell(self, findings: list[rules.Finding], night: str, final: bool = False) -> None:
        """Alert transitions, their event log rows and the messages that tell them: one transaction."""
        silenced = silences.silenced_ids(self.db)
        if final and self.deliver:
            # What earlier runs left queued is retried before the digest is written, so that the digest's
            # "not delivered yet" is what still fails, not messages that arrive a moment before it.
            earlier = notify.waiting(self.db)
            notify.deliver_pending(self.db, self.config, self.echo, only=earlier, skip=self.tried)
            self.tried.update(earlier)
        with store.durably(self.db):  # an alert and the message telling it: on disk before the message leaves
            transitions = alerts.apply(self.db, findings, night, silenced, known=self.open)
            self.judged.update(f.fingerprint for f in findings)
            if final:
                transitions += alerts.reconcile(self.db, self.config, night, silenced, known=self.open, judged=self.judged)
            event_ids = alerts.record_events(self.db, self.run_id, night, transitions)
            queued = self._queue(notify.pushes(transitions, self.link), event_ids)
            if final:
                untold = alerts.untold(self.db)
                digest = notify.digest([t for _, t in untold], self.digest_context())
                if digest is not None:
                    queued += self._queue([digest], [event_id for event_id, _ in untold])
        self.transitions += transitions
        if self.deliver:
            # A batch's pushes go out now, and the end of the run's with its digest (what earlier runs left
            # queued was retried above, before the digest was written; each message is tried once per run).
            notify.deliver_pending(self.db, self.config, self.echo, only=None if final else queued, skip=self.tried)
            self.tried.update(queued)

    def _queue(self, messages: list[notify.Message], event_ids: list[int]) -> list[int]:
        ids = notify.queue(self.db, self.run_id, messages)
        for message, notification_id in zip(messages, ids):
            alerts.carried_by(self.db, [event_ids[i] for i in message.carries], notification_id)
        self.messages += messages
        return ids

    def _url(self, offer_id: str) -> str | None:
        """The offer's address as the digest shows it (secrets as ${NAME}): read from the config when the
        digest is written, not kept for every failing offer of the night (100,000 of them, some nights)."""
        offer = self.offers.get(offer_id)
        return self.config.conceal(offer.url) if offer is not None and offer.url else None

    def digest_context(self) -> notify.DigestContext:
        names = {s.id: s.name for s in self.config.suppliers}
        materials = {m.id: m.name for m in self.config.materials}
        offers = {o.offer_id: rules.offer_label(materials.get(o.material, o.material), names.get(o.supplier, o.supplier)) for o in self.offers.values()}
        problems = [notify.Problem(r.offer_id, r.status.value, r.error, self._url(r.offer_id), offers.get(r.offer_id))
                    for r in self.rows.values() if r.status != Status.OK]
        typed = self.source == "manual"  # add-price: the owner's number held back, not a broken page
        return notify.DigestContext(
            run_label=self.clock()[:10], problems=[p for p in problems if p.status != Status.NODE_ERROR and not typed], notes=self.notes,
            typed=problems if typed else [],
            not_fetched=[p for p in problems if p.status == Status.NODE_ERROR], crawl_problems=self.node_problems,
            held_back=[f"{names.get(s, s)}: price alerts wait until its pages give prices again" for s in sorted(self.held)],
            undelivered=notify.undelivered(self.db), link=self.link, to_do=self.to_do,
        )

    # ---- the end of a run --------------------------------------------------------------------

    def finish(self, crawl_stats: dict[str, Any] | None = None) -> RunResult:
        """Account for every expected offer, judge what needs every supplier, tell, record the run."""
        with store.collector_paused():  # the decisions read every offer's 91 days: a million rows, no cycles
            return self._finish(crawl_stats)

    def _finish(self, crawl_stats: dict[str, Any] | None) -> RunResult:
        if self.expected is not None:
            night = self.clock()
            missing = [o for o in self.expected if o.active and o.offer_id not in self.rows]
            if missing:
                self.accept([PriceItem(o.offer_id, Status.ERROR, night, url=o.url, currency=o.currency, pack=o.pack,
                                       error="the crawl gave no result for this offer (its page or its extraction failed)")
                             for o in missing])
        context = self.context()
        rest = {o.offer_id for o in self.offers.values() if o.active} - self.evaluated
        findings = (rules.evaluate_offers(self.db, self.config, context, rest, self.held, scopes=(Scope.OFFER,), judging=self.judging)
                    if rest else [])
        findings += rules.evaluate_offers(self.db, self.config, context, None, self.held, scopes=(Scope.MATERIAL,), judging=self.judging)
        if self.config.products:
            costs = costing.record_costs(self.db, self.config, self.run_id, context.as_of)
            findings += rules.evaluate_products(self.db, self.config.products, context, costs, self.config.currency)
        tonight = decisions.evaluate(self.db, self.config, self.run_id, context.as_of)  # stock, indexes, quotes, to-do
        findings += tonight.findings
        self.to_do = todo.lines(tonight.to_tell)
        self._tell(findings, context.as_of, final=True)
        still_queued = self.db.execute("SELECT count(*) FROM notifications WHERE delivered_at IS NULL").fetchone()[0] if self.deliver else 0
        summary = store.summarize(list(self.rows.values()))
        status, message = self._outcome(summary, still_queued)
        with store.durably(self.db):
            store.finish_run(self.db, self.run_id, status.value, summary, message, crawl_stats)
            if self.as_of is None:
                self.db["runs"].update(self.run_id, {"as_of": context.as_of})
        self.finished = True
        return RunResult(self.run_id, status, message, self.transitions, self.messages)

    def _outcome(self, summary: dict[str, Any], still_queued: int) -> tuple[RunStatus, str]:
        # A supplier whose pages were not fetched because a scrapyd node failed is not to blame.
        # A supplier whose every price was held back as suspect gave prices: the summary says they are held back.
        failing = sorted(s for s, c in summary["suppliers"].items() if c["ok"] == 0 and c["offers"] > c["node_error"] + c["suspect"])
        told = [t for t in self.transitions if t.told]
        fired = sum(t.event == alerts.Event.FIRED for t in told)
        resolved = sum(t.event == alerts.Event.RESOLVED for t in told)
        worse = sum(t.event == alerts.Event.ESCALATED for t in told)
        names = {s.id: s.name for s in self.config.suppliers}
        message = display.run_summary(summary, fired, resolved, [names.get(s, s) for s in failing], self.node_problems, still_queued,
                                      worse)
        held_by_hand = self.source == "manual" and summary["suspect"] == summary["offers"]  # the owner is asked to confirm it
        if summary["offers"] and not summary["prices"] and not held_by_hand:
            status = RunStatus.FAILED
        elif summary["missing"] or summary["errors"] or summary["suspect"] or summary["node_errors"] or still_queued or self.node_problems:
            status = RunStatus.PARTIAL
        else:
            status = RunStatus.OK
        return status, message


# ---- the ways prices come in ---------------------------------------------------------------

def run(config: Config, echo: Callable[[str], None] = print, log_level: str = "WARNING",
        scrapyd_nodes: Sequence[str] = (), scrapyd_jobs: int | None = None,
        on_item: Callable[[dict[str, Any]], None] | None = None) -> RunResult:
    """Crawl every active offer now (here, or on ``scrapyd_nodes``) and process the results,
    under the database's lock. ``on_item`` sees each item of a local crawl as it arrives."""
    with run_lock(config.database_path):
        db, notes = open_store(config)
        offers = [o for o in config.offers() if o.active]
        with Run(db, config, "crawl" if not scrapyd_nodes else "crawl:scrapyd", expected=offers, echo=echo, notes=notes) as night:
            log_file = config.database_path.parent / "logs" / f"run-{night.run_id}.log"
            private_files.create_file(private_files.make_folder(log_file.parent) / log_file.name)
            with db.atomic():
                db["runs"].update(night.run_id, {"log_file": str(log_file)})
            results: list[RunResult] = []

            def handle(_: str | None, items: list[dict[str, Any]], stats: dict[str, Any]) -> None:
                night.node_problems += stats.get("supplywatch/machine_problems", [])  # e.g. this machine ran out of open files
                night.accept(items)
                results.append(night.finish(stats))

            if scrapyd_nodes:
                from .crawl import scrapyd

                interrupted = interrupted_runs(db, night.run_id)

                def todo() -> list[OfferSpec]:
                    # Offers an interrupted run stored are done; what its jobs had fetched was just accepted.
                    left = offers_left(db, config, list(interrupted), set(night.rows))
                    night.expected = left
                    return left

                with open(log_file, "a", encoding="utf-8") as log:
                    report = scrapyd.crawl(
                        config, scrapyd_nodes, scrapyd.run_tag(night.run_id, db["runs"].get(night.run_id)["started_at"]), night.accept,
                        refetch=night.to_refetch, todo=todo,
                        recover_runs=[scrapyd.run_tag(i, started) for i, started in interrupted.items()],
                        jobs=scrapyd_jobs or config.crawl.scrapyd_jobs, echo=echo,
                        log=lambda line: print(f"{datetime.now():%H:%M:%S} {safe_text.redact(config.conceal(line))}", file=log, flush=True))
                night.node_problems = report.node_problems
                items: list[dict[str, Any]] = []
                due = index_series.spider_arguments(index_series.due(db, config, store.now_iso()))
                if due:  # public index series are few and small: fetched here, not on the nodes
                    from .crawl.local import crawl_indexes

                    items += crawl_indexes(config, due)
                handle(None, items, report.stats)
            else:
                from .crawl.local import crawl_nights  # Scrapy is imported only by commands that crawl

                crawl_nights(config, [None], handle, log_level=log_level, refetch=night.to_refetch, batch=night.accept,
                             log_file=None if log_level == "INFO" else log_file,  # --scrapy-log: on the terminal instead
                             indexes=index_series.spider_arguments(index_series.due(db, config, store.now_iso())),
                             on_item=on_item)
        with open(log_file, "a", encoding="utf-8") as log:
            log.write(f"run {results[0].run_id}: {results[0].status}: {results[0].message}\n")
        return results[0]


def interrupted_runs(db: sqlite_utils.Database, run_id: int) -> dict[int, str]:
    """Crawls of tonight that were interrupted (killed, Ctrl-C, a crash) since the last finished
    one, with their start times: this run collects what their scrapyd jobs fetched and crawls only
    what they did not store."""
    rows = db.execute(
        "SELECT id, started_at FROM runs WHERE id < ? AND source LIKE 'crawl%' AND status = 'crashed' AND started_at > ? "
        "AND id > (SELECT coalesce(max(id), 0) FROM runs WHERE id < ? AND source LIKE 'crawl%' AND status NOT IN ('crashed', 'running'))",
        [run_id, (datetime.now(timezone.utc) - timedelta(hours=20)).isoformat(timespec="seconds"), run_id]).fetchall()
    return {r[0]: r[1] for r in rows}


def offers_left(db: sqlite_utils.Database, config: Config, interrupted: list[int], done: set[str]) -> list[OfferSpec]:
    """The active offers still without tonight's observation: not stored by an interrupted run,
    not among ``done`` (what its jobs had fetched, stored by this run)."""
    done = set(done)
    if interrupted:
        marks = ", ".join("?" * len(interrupted))
        done |= {r[0] for r in db.execute(f"SELECT DISTINCT offer_id FROM observations WHERE run_id IN ({marks})", interrupted)}
    return [o for o in config.offers() if o.active and o.offer_id not in done]


def ingest(config: Config, source: str | Path, echo: Callable[[str], None] = print) -> RunResult:
    """Store items crawled elsewhere (a feed file, a folder of feeds, a scrapyd items URL), then
    evaluate and notify as a run would. Items already stored are left out: the same feed twice
    stores nothing twice and sends nothing twice."""
    try:
        items, label = feeds.read_source(str(source))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    known = {o.offer_id for o in config.offers()}
    unknown = sorted({str(i["offer_id"]) for i in items if "offer_id" in i} - known)
    if unknown:
        raise InputError(f"{feeds.display_url(str(source))}: offers not in the config: {', '.join(u[:80] for u in unknown[:5])}")
    items, dropped = feeds.checked(items, feeds.ItemCheck.for_ingest(known))
    for line in dropped:
        echo(f"left out: {line}")
    with run_lock(config.database_path):
        db, notes = open_store(config)
        stored = already_stored(db, items)
        new = [i for i in items if "offer_id" not in i or (i["offer_id"], i["fetched_at"]) not in stored]
        if items and not [i for i in new if "offer_id" in i]:
            runs = sorted(set(stored.values()))
            return RunResult(runs[-1], RunStatus.OK, f"already stored: all {len(stored)} items of {label} were stored before "
                             f"(run {', '.join(map(str, runs))}); nothing new, nothing sent", [])
        prices, _ = read_items(new)
        as_of = max((i.fetched_at for i in prices if i.fetched_at), default=None) or store.now_iso()
        with Run(db, config, f"ingest:{label}", as_of, echo=echo, notes=notes) as night:
            night.accept(new, late=True)
            result = night.finish()
        if stored:
            result.message += f"; {len(stored)} items already stored, left out"
        return result


def already_stored(db: sqlite_utils.Database, items: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """The (offer, fetched_at) of ``items`` the database holds already, with the run that stored each."""
    keys = [(i["offer_id"], i["fetched_at"]) for i in items if "offer_id" in i]
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        where = " OR ".join("(offer_id = ? AND fetched_at = ?)" for _ in chunk)
        for offer_id, fetched_at, run_id, status in db.execute(
                f"SELECT offer_id, fetched_at, run_id, status FROM observations WHERE {where}", [v for k in chunk for v in k]):
            if status != Status.NODE_ERROR:  # a placeholder the item is meant to replace
                found[(offer_id, fetched_at)] = run_id
    return found


def add_price(config: Config, offer_id: str, price: str, when: str, note: str | None = None,
              currency: str | None = None, pack: str | None = None, echo: Callable[[str], None] = print) -> RunResult:
    """Record a price quoted by phone or e-mail as an ordinary observation, then evaluate the rules."""
    offers = {o.offer_id: o for o in config.offers()}
    if offer_id not in offers:
        raise InputError(f"unknown offer {offer_id!r} (offers: {', '.join(sorted(offers))})")
    try:
        amount = finite_number(price, "price")
    except (ValueError, InvalidOperation):
        amount = None
    if amount is None:
        raise InputError(f"{price!r} is not a price: write it as 12.50")
    if amount <= 0:
        raise InputError("a price must be above zero")
    offer = offers[offer_id]
    item = PriceItem(offer_id, Status.OK, when, price=Decimal(amount), currency=currency or offer.currency,
                     pack=pack or offer.pack, pack_source="config", method="manual", raw=price, note=note, url=offer.url)
    with run_lock(config.database_path):
        db, notes = open_store(config)
        with Run(db, config, "manual", when, echo=echo, notes=notes) as night:
            night.accept([item])
            return night.finish()
