"""Crawl on scrapyd servers instead of in this process: ``supplywatch run --via scrapyd URL``.

Offers are split into jobs by web host, so one supplier's pages are always fetched by one Scrapy
process (its politeness holds), and jobs are balanced by offer count over the nodes that answer.
A job is started with a URL on this machine where it fetches its offers and renews a lease
(:mod:`.handout`); its feed is read back while it crawls, and each supplier's items are handed
over as soon as the supplier is complete, so a failure loses only what was not fetched yet:

- a node that does not answer before the run gets no job; one that stops answering during the
  run loses its jobs, whose offers not yet collected go to another node (after the lost jobs'
  leases have run out, so no supplier is fetched by two jobs at once);
- a job that runs other code than this machine refuses to crawl, and its offers go elsewhere;
- when the night's time is up, jobs are cancelled, what they fetched is kept, and only offers
  never fetched are errors; an offer no node could fetch is a *node error*, not the supplier's;
- every job of a run is cancelled when the run ends, however it ends, and a run first cancels
  and collects what an interrupted run left on the nodes.
"""

from __future__ import annotations

import functools
import hashlib
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Sequence
from urllib.parse import urlsplit

from spiders.offer import OfferSpec
from spiders.remote import code_version
from spiders.spiders.offers import settings_from_config

from ..config import Config
from . import feeds
from .batches import NODE_ERROR, SupplierBatches
from .handout import Handout, local_address_towards
from .nodes import PROJECT, Node, NodeRefused, NodeState, NodeUnreachable, settings_arg

JOBS_PER_NODE = 4
POLL_SECONDS = 1.0

Batch = list[dict[str, Any]]


class ScrapydError(Exception):
    """No node could take the crawl, or a previous run's jobs would not stop."""

    in_words = True  # its message says what happened and what to do: no class name before it


def split_offers(offers: Sequence[OfferSpec], jobs: int) -> list[list[OfferSpec]]:
    """Group offers by web host, then spread the hosts over ``jobs`` groups, largest first."""
    by_host: dict[str, list[OfferSpec]] = {}
    for offer in offers:
        by_host.setdefault(urlsplit(offer.url).hostname or offer.supplier, []).append(offer)
    groups: list[list[OfferSpec]] = [[] for _ in range(max(1, min(jobs, len(by_host))))]
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        min(groups, key=len).extend(by_host[host])
    return [g for g in groups if g]


def run_tag(run_id: int, started_at: str) -> str:
    """A run's name in job ids: its number and start time, so the jobs of a run are told apart from
    those of a run with the same number in a database made anew."""
    return f"{run_id}-{''.join(c for c in started_at[:19] if c.isdigit())}"


def database_key(database: Path) -> str:
    """Names this machine's database in job ids, so a run finds the jobs its predecessors left."""
    return hashlib.sha256(f"{socket.gethostname()}:{database.resolve()}".encode()).hexdigest()[:10]


@dataclass
class Timing:
    """How long the night may take, and how long a node may keep silent before its jobs move."""

    night: float = 6 * 3600.0
    node: float = 60.0  # also each HTTP call's timeout and a job's lease
    download: float = 30.0  # a page in flight when a job is stopped finishes within this

    @property
    def fence(self) -> float:
        """After a job is let go, how long it may still be fetching: until its lease runs out (if it
        cannot reach this machine either), then the page in flight."""
        return self.node * 1.2 + self.download


@dataclass(eq=False)
class Job:
    job_id: str
    node: Node
    offers: list[OfferSpec]
    spider: str = "offers"
    state: str = "scheduled"  # scheduled, running, finished, ended (let go: lost, refused, cancelled)
    offset: int = 0
    rest: bytes = b""
    header: dict[str, Any] | None = None
    received: set[str] = field(default_factory=set)
    items_url: str | None = None
    lines: int = 0
    seen: bool = False  # the node listed it at least once
    rates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.state in ("scheduled", "running")

    @functools.cached_property
    def offer_ids(self) -> frozenset[str]:
        return frozenset(o.offer_id for o in self.offers)

    def unfetched(self) -> list[OfferSpec]:
        return [o for o in self.offers if o.offer_id not in self.received]


@dataclass
class CrawlReport:
    """What the crawl says besides its items: figures for the run's crawl health, and what went
    wrong with the nodes, in words, for the terminal, the run's message and the digest."""

    stats: dict[str, Any] = field(default_factory=dict)
    node_problems: list[str] = field(default_factory=list)
    recovered: int = 0  # items of an interrupted run collected from the nodes


class Cluster:
    """The scrapyd nodes of one run, and the jobs it gives them."""

    def __init__(self, config: Config, nodes: Sequence[str], run: str, timing: Timing | None = None,
                 echo: Callable[[str], None] = print, log: Callable[[str], None] = lambda line: None,
                 main_address: str | None = None):
        if not nodes:
            raise ScrapydError("no scrapyd node given")
        self.config = config
        self.timing = timing or Timing()
        self.nodes = [Node(url, timeout=self.timing.node) for url in nodes]
        self.run = run  # run_tag(): this run's part of its job ids
        self.prefix = f"sw-{database_key(config.database_path)}-"
        self.echo, self.log = echo, log
        self.main_address = main_address
        self.jobs: list[Job] = []
        self.numbers = iter(range(1, 10**6))
        self.problems: list[str] = []
        self.version = code_version()
        self.settings = {k: settings_arg(v) for k, v in settings_from_config(config).items()}
        self.handout: Handout | None = None
        self.started = datetime.now(timezone.utc)
        self.stale: list[tuple[Node, str]] = []

    # -- telling people -------------------------------------------------------------------------

    def problem(self, text: str) -> None:
        """A node problem: on the terminal, in the run's log, and kept for the digest."""
        if text not in self.problems:
            self.problems.append(text)
            self.echo(text)
            self.log(text)

    def _lose(self, node: Node, state: NodeState, why: str) -> None:
        if node.usable:
            node.mark(state, why)
            self.problem(why + ("; its jobs go to the other nodes" if self.usable else ""))

    @property
    def usable(self) -> list[Node]:
        return [n for n in self.nodes if n.usable]

    # -- before the crawl -----------------------------------------------------------------------

    def run_of(self, job_id: str) -> str | None:
        """The run (its run_tag) a job of this database belongs to: ids are PREFIX + tag + "-" + number."""
        return job_id[len(self.prefix):].rsplit("-", 1)[0] if job_id.startswith(self.prefix) else None

    def prepare(self, recover_runs: Collection[str] = ()) -> Iterator[Batch]:
        """Check every node, stop whatever earlier runs of this database left running, and yield
        what the jobs of ``recover_runs`` (interrupted runs) fetched, so no fetched price is lost.
        Raises ScrapydError when no node can crawl."""

        def check(node: Node) -> dict[str, Any]:
            node.status()
            listing = node.jobs()
            if "offers" not in node.spiders():
                raise NodeRefused(f"scrapyd node {node.shown} has no offers spider; deploy: SCRAPYD_URL={node.shown} scrapyd-deploy cluster")
            return listing

        for node, listing in _ask_all(self.nodes, check).items():
            if isinstance(listing, NodeUnreachable):
                self._lose(node, NodeState.DOWN, str(listing))
                continue
            if isinstance(listing, NodeRefused):
                self._lose(node, NodeState.REFUSED, str(listing))
                continue
            node.last_answer = time.monotonic()
            for job in listing.get("pending", []) + listing.get("running", []):
                if self.run_of(str(job.get("id", ""))) is not None:
                    self.stale.append((node, str(job["id"])))
            for job in listing.get("finished", []):
                if self.run_of(str(job.get("id", ""))) in recover_runs and job.get("spider") == "offers":
                    self.stale.append((node, str(job["id"])))
        if not self.usable:
            raise ScrapydError("no scrapyd node can crawl: " + "; ".join(n.why for n in self.nodes))
        if self.stale:
            yield from self._stop_and_collect_stale(recover_runs)

    def _stop_and_collect_stale(self, recover_runs: Collection[str]) -> Iterator[Batch]:
        """Jobs of an earlier run of this database: cancel those still going, wait until they have
        stopped (a new run never crawls beside them), then collect their feeds."""
        stale_ids = {job_id for _, job_id in self.stale}
        for node, job_id in self.stale:
            try:
                if node.cancel(job_id):
                    self.log(f"cancelled job {job_id} on {node.shown}, left by an interrupted run")
            except (NodeUnreachable, NodeRefused):
                pass
        ends = time.monotonic() + self.timing.fence + self.timing.node
        killed = False
        while True:
            still = []
            finished: dict[str, tuple[Node, dict[str, Any]]] = {}
            for node in {n for n, _ in self.stale}:
                try:
                    listing = node.jobs()
                except (NodeUnreachable, NodeRefused):
                    continue
                still += [(node, j["id"]) for j in listing.get("pending", []) + listing.get("running", []) if j["id"] in stale_ids]
                finished |= {j["id"]: (node, j) for j in listing.get("finished", []) if j["id"] in stale_ids}
            if not still:
                break
            if time.monotonic() > ends:
                if killed:
                    raise ScrapydError("jobs of an interrupted run still crawl and do not stop: "
                                       + ", ".join(f"{j} on {n.shown}" for n, j in still) + "; not starting beside them")
                for node, job_id in still:
                    try:
                        node.cancel(job_id, signal="KILL")
                    except (NodeUnreachable, NodeRefused):
                        pass
                killed, ends = True, time.monotonic() + self.timing.node
            time.sleep(POLL_SECONDS)
        offers = {o.offer_id for o in self.config.offers()}
        check = feeds.ItemCheck.for_ingest(offers)
        for job_id, (node, listed) in sorted(finished.items()):
            if self.run_of(job_id) not in recover_runs or not listed.get("items_url"):
                continue
            try:
                body = feeds.fetch(node.same_origin(listed["items_url"]), auth=node.auth, deadline=self.timing.node * 5)
                items = feeds.parse_lines(body.decode("utf-8", "replace").splitlines(), f"job {job_id}")
            except (ValueError, feeds.FeedError) as exc:
                self.log(f"could not collect job {job_id} of an interrupted run from {node.shown}: {exc}")
                continue
            kept, _ = feeds.checked(items, check)
            if kept:
                self.log(f"collected {len(kept)} items of job {job_id} on {node.shown}, left by an interrupted run")
                yield kept

    # -- scheduling -----------------------------------------------------------------------------

    def _open_handout(self) -> Handout:
        if self.handout is None:
            if self.main_address:
                host, _, port = self.main_address.rpartition(":") if self.main_address.count(":") == 1 else (self.main_address, "", "0")
                self.handout = Handout([host or self.main_address], int(port or 0))
                self._address = {n.base: host or self.main_address for n in self.nodes}
            else:
                self._address = {n.base: local_address_towards(n.base) for n in self.nodes}
                self.handout = Handout(list(self._address.values()))
        return self.handout

    def _next_id(self) -> str:
        return f"{self.prefix}{self.run}-{next(self.numbers)}"

    def _least_busy(self, avoid: Node | None = None) -> list[Node]:
        load = {n: sum(len(j.offers) for j in self.jobs if j.node is n and j.active) for n in self.usable}
        return sorted((n for n in load if n is not avoid), key=lambda n: load[n]) + ([avoid] if avoid in load else [])

    def schedule(self, offers: list[OfferSpec], refetch: bool = False, avoid: Node | None = None) -> Job | None:
        """Start a job for ``offers`` on the least busy node that takes it; None when none does."""
        handout = self._open_handout()
        for node in self._least_busy(avoid):
            job_id = self._next_id()
            handout.offer(job_id, {"offers": [o.model_dump() for o in offers], "code_version": self.version,
                                   "lease_seconds": self.timing.node, "refetch": refetch})
            try:
                node.schedule("offers", job_id, {"job": handout.url(self._address[node.base], job_id)}, self.settings)
            except NodeUnreachable as exc:
                handout.revoke(job_id)
                self._lose(node, NodeState.LOST, str(exc))
                continue
            except NodeRefused as exc:
                handout.revoke(job_id)
                self._lose(node, NodeState.REFUSED, str(exc))
                continue
            job = Job(job_id, node, offers)
            self.jobs.append(job)
            self.log(f"scrapyd job {job_id} on {node.shown}: {len(offers)} offers" + (" (second look)" if refetch else ""))
            return job
        return None

    def schedule_rates(self, feed: str) -> Job | None:
        for node in self._least_busy():
            job_id = self._next_id()
            try:
                node.schedule("rates", job_id, {"feed": feed}, self.settings)
            except (NodeUnreachable, NodeRefused):
                continue
            job = Job(job_id, node, [], spider="rates")
            self.jobs.append(job)
            self.log(f"scrapyd job {job_id} on {node.shown}: exchange rates")
            return job
        return None

    # -- the crawl --------------------------------------------------------------------------------

    def crawl(self, offers: list[OfferSpec], groups: int, handle: Callable[[Batch], object],
              refetch: Callable[[Batch], list[OfferSpec]] | None = None) -> None:
        """Crawl ``offers`` in about ``groups`` jobs; ``handle`` gets each supplier's items as the
        supplier completes (rates first), then each second look. Every job ends with the crawl."""
        deadline = time.monotonic() + self.timing.night
        batches = SupplierBatches(offers)
        check = feeds.ItemCheck.for_run({o.offer_id for o in offers}, self.started)
        why: dict[str, tuple[str, str]] = {}  # offers that will not be fetched tonight, and why
        waiting: list[Batch] = []  # supplier batches held until the exchange rates are in
        again: list[OfferSpec] = []
        moved: list[tuple[float, list[OfferSpec], Node | None]] = []  # offers of let-go jobs, and when they may start elsewhere
        rates = self.schedule_rates(self.config.rates_feed) if self.config.rates_feed else None

        def hand(batch: Batch) -> None:
            if rates is not None and rates.active:
                waiting.append(batch)
                return
            if refetch and not second_looks:
                again.extend(refetch(batch))
            handle(batch)

        def take(job: Job, item: dict[str, Any]) -> None:
            if job.spider == "rates":
                if feeds.check_rate(item):
                    job.rates.append(item)
                return
            if feeds.is_job_header(item):
                job.header = item
                return
            if item.get("offer_id") not in job.offer_ids:
                self.log(f"job {job.job_id} on {job.node.shown} sent an item for {str(item.get('offer_id'))[:80]!r}, "
                         "an offer it was not given; left out")
                return
            sound = feeds.check_item(item, check, datetime.now(timezone.utc).isoformat(timespec="seconds"))
            if sound is None:
                return
            job.received.add(sound["offer_id"])
            batch = batches.add(sound)
            if batch:
                hand(batch)

        second_looks = False
        for group in split_offers(offers, groups):
            if self.schedule(group) is None:
                moved.append((0.0, group, None))
        if not any(j.spider == "offers" for j in self.jobs):
            raise ScrapydError("no scrapyd node took a job: " + "; ".join(n.why for n in self.nodes if n.why))
        previous_sigterm = _interrupt_on_sigterm()
        try:
            while True:
                self._poll(take)
                now = time.monotonic()
                for entry in [m for m in moved if m[0] <= now]:
                    moved.remove(entry)
                    _, group, lost_from = entry
                    for part in split_offers(group, max(1, len(self.usable))):
                        if self.schedule(part, refetch=second_looks, avoid=lost_from) is None:
                            for offer in part:
                                why[offer.offer_id] = (NODE_ERROR, f"not fetched: no scrapyd node could crawl it ({lost_from.why if lost_from else 'every node refused'})")
                for job in self.jobs:
                    if job.state == "let-go":
                        job.state = "ended"
                        if job.spider == "offers" and job.unfetched():
                            moved.append((now + self.timing.fence, job.unfetched(), job.node))
                if rates is not None and not rates.active and waiting:
                    if rates.rates:
                        handle(rates.rates)
                        rates.rates = []
                    for batch in waiting:
                        if refetch and not second_looks:
                            again.extend(refetch(batch))
                        handle(batch)
                    waiting.clear()
                if not any(j.active for j in self.jobs) and not moved:
                    if rates is not None and rates.rates:
                        handle(rates.rates)
                        rates.rates = []
                    if not second_looks and again and now < deadline:
                        second_looks = True
                        self.log(f"second look at {len(again)} surprising prices")
                        for part in split_offers(again, max(1, len(self.usable))):
                            self.schedule(part, refetch=True)
                        again = []
                        continue
                    break
                if now > deadline:
                    for _, group, lost_from in moved:
                        for offer in group:
                            why[offer.offer_id] = (NODE_ERROR, f"not fetched: {lost_from.why if lost_from else 'no scrapyd node took it'}; "
                                                               "the night's crawl time was over before another node could fetch it")
                    moved.clear()
                    self._time_up(take, why, batches)
                    break
                time.sleep(POLL_SECONDS)
            for batch in waiting:
                handle(batch)
            for batch in batches.close(why, default="the crawl gave no item for this offer"):
                handle(batch)
        finally:
            _restore_sigterm(previous_sigterm)
            self.close()

    def _poll(self, take: Callable[[Job, dict[str, Any]], None]) -> None:
        """Ask each node about its jobs, read what their feeds gained, notice lost nodes and jobs."""
        asked = [n for n in self.nodes if any(j.node is n and j.active for j in self.jobs)]
        for node, listing in _ask_all(asked, lambda n: n.jobs()).items():  # at once: a silent node holds up no other
            if isinstance(listing, Exception):
                if time.monotonic() - node.last_answer > self.timing.node:
                    self._let_go_of(node, NodeState.LOST, f"{listing}, for {self.timing.node:.0f} s during the run")
                continue
            node.last_answer = time.monotonic()
            by_id = {j["id"]: (state, j) for state in ("pending", "running", "finished") for j in listing.get(state, [])}
            for job in [j for j in self.jobs if j.node is node and j.active]:
                found: tuple[str | None, dict[str, Any]] = by_id.get(job.job_id, (None, {}))
                state, listed = found
                if state is None:  # scrapyd restarted and forgot it (it keeps jobs in memory)
                    self._let_go(job, f"scrapyd node {node.shown} no longer knows job {job.job_id} (restarted?)")
                    continue
                job.seen = True
                if listed.get("items_url"):
                    job.items_url = listed["items_url"]
                if state in ("running", "finished"):
                    self._collect(job, take, final=state == "finished")
                if state == "finished" and job.active:
                    self._finished(job)
                elif state == "running":
                    job.state = "running"

    def _collect(self, job: Job, take: Callable[[Job, dict[str, Any]], None], final: bool) -> None:
        """Read the new complete lines of a job's feed (scrapyd serves it while the job writes it)."""
        if not job.items_url:
            return
        try:
            url = job.node.same_origin(job.items_url)
        except ValueError as exc:
            self._lose(job.node, NodeState.REFUSED, str(exc))
            self._let_go(job, str(exc))
            return
        try:
            data = feeds.fetch(url, auth=job.node.auth, start=job.offset, deadline=self.timing.node * 5, timeout=self.timing.node)
        except feeds.FeedError as exc:
            if job.offset and "404" in str(exc):
                self.problem(f"scrapyd node {job.node.shown} deleted the feed of job {job.job_id} before it was collected; "
                             "set jobs_to_keep = 100 in its scrapyd.conf (see the README)")
                self._let_go(job, "feed deleted")
            elif final:
                self.log(f"could not read the feed of job {job.job_id}: {exc}")
            return
        job.offset += len(data)
        lines = (job.rest + data).split(b"\n")
        job.rest = lines.pop()
        if final and job.rest.strip():
            lines.append(job.rest)
            job.rest = b""
        for line in lines:
            job.lines += 1
            try:
                items = feeds.parse_lines([line.decode("utf-8")], f"job {job.job_id}")
            except (UnicodeDecodeError, feeds.FeedError) as exc:
                self.log(f"{exc}; line left out")
                continue
            for item in items:
                take(job, item)

    def _finished(self, job: Job) -> None:
        job.state = "finished"
        if job.spider != "offers":
            return
        node = job.node
        if job.header is None:
            self._lose(node, NodeState.REFUSED,
                       f"scrapyd node {node.shown} ran job {job.job_id} without reporting its code version: it runs an older "
                       f"supplywatch, or its job crashed (log: {node.shown}/logs/{PROJECT}/offers/{job.job_id}.log); "
                       f"deploy this one: SCRAPYD_URL={node.shown} scrapyd-deploy cluster")
            job.state = "let-go"
        elif job.header.get("refused"):
            reason = str(job.header["refused"])[:300]
            fix = (f"deploy this one: SCRAPYD_URL={node.shown} scrapyd-deploy cluster" if "runs supplywatch" in reason
                   else "the nodes fetch their offers from this machine: check crawl.scrapyd_main_address and the firewall")
            self._lose(node, NodeState.REFUSED, f"scrapyd node {node.shown} refused job {job.job_id}: {reason}; {fix}")
            job.state = "let-go"

    def _let_go(self, job: Job, why: str) -> None:
        """Stop relying on a job: its lease ends and scrapyd is asked to cancel it; its offers not
        collected move to another node once it cannot be fetching any more."""
        if not job.active:
            return
        self.log(f"job {job.job_id} on {job.node.shown} let go: {why}")
        if self.handout:
            self.handout.revoke(job.job_id)
        if job.node.state not in (NodeState.LOST, NodeState.DOWN):  # a silent node would keep us waiting
            try:
                job.node.cancel(job.job_id)
            except (NodeUnreachable, NodeRefused):
                pass
        job.state = "let-go"

    def _let_go_of(self, node: Node, state: NodeState, why: str) -> None:
        self._lose(node, state, f"scrapyd node {node.shown}: {why}" if not why.startswith("scrapyd node") else why)
        for job in [j for j in self.jobs if j.node is node and j.active]:
            self._let_go(job, why)

    def _time_up(self, take: Callable[[Job, dict[str, Any]], None], why: dict[str, tuple[str, str]],
                 batches: SupplierBatches) -> None:
        """The night's time is over: cancel every job, keep what they fetched until they stopped."""
        minutes = self.timing.night / 60
        active = [j for j in self.jobs if j.active]
        self.log(f"the night's crawl time ({minutes:.0f} min) is over: cancelling {len(active)} jobs")
        for job in active:
            if self.handout:
                self.handout.revoke(job.job_id)
            try:
                job.node.cancel(job.job_id)
            except (NodeUnreachable, NodeRefused):
                pass
        ends = time.monotonic() + self.timing.fence
        while any(j.active for j in active) and time.monotonic() < ends:
            time.sleep(POLL_SECONDS)
            self._poll(take)
        for offer_id in batches.pending():
            why.setdefault(offer_id, ("error", f"not fetched: the night's crawl time ({minutes:.0f} min, "
                                               "crawl.scrapyd_timeout_minutes) was over"))

    def close(self) -> None:
        """End every job of this run that may still run, and stop handing out offers."""
        for job in self.jobs:
            if job.state in ("scheduled", "running", "let-go"):
                if self.handout:
                    self.handout.revoke(job.job_id)
                if job.node.state not in (NodeState.LOST, NodeState.DOWN):
                    try:
                        job.node.cancel(job.job_id)
                    except (NodeUnreachable, NodeRefused):
                        pass
                job.state = "ended"
        if self.handout is not None:
            self.handout.close()
            self.handout = None

    def report(self, started: float) -> CrawlReport:
        offers_jobs = [j for j in self.jobs if j.spider == "offers"]
        stats = {"scrapyd_jobs": len(offers_jobs), "scrapyd_nodes": len(self.nodes),
                 "scrapyd_nodes_down": sorted(n.shown for n in self.nodes if not n.usable),
                 "elapsed_seconds": round(time.monotonic() - started, 1)}
        return CrawlReport(stats=stats, node_problems=list(self.problems))


def _ask_all(nodes: Sequence[Node], ask: Callable[[Node], Any]) -> dict[Node, Any]:
    """``ask(node)`` for every node at once, in threads; a node's answer, or the NodeUnreachable or
    NodeRefused it raised, in the nodes' order."""
    def one(node: Node) -> Any:
        try:
            return ask(node)
        except (NodeUnreachable, NodeRefused) as exc:
            return exc

    if len(nodes) < 2:
        return {node: one(node) for node in nodes}
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        return dict(zip(nodes, pool.map(one, nodes)))


class _Interrupted(KeyboardInterrupt):
    """SIGTERM during a scrapyd crawl: stop as Ctrl-C does, cancelling the run's jobs on the way out."""


def _interrupt_on_sigterm() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise _Interrupted(f"stopped by signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def crawl(config: Config, nodes: Sequence[str], run: str, handle: Callable[[Batch], object],
          refetch: Callable[[Batch], list[OfferSpec]] | None = None, todo: Callable[[], list[OfferSpec]] | None = None,
          recover_runs: Collection[str] = (), jobs: int | None = None, timing: Timing | None = None,
          echo: Callable[[str], None] = print, log: Callable[[str], None] = lambda line: None) -> CrawlReport:
    """Crawl on scrapyd for ``run`` (its run_tag); ``handle`` stores each batch: first what the jobs of
    ``recover_runs`` (tags of interrupted runs) had fetched, then each supplier of ``todo()`` (default: every active offer) as it completes."""
    started = time.monotonic()
    crawl_settings = config.crawl
    timing = timing or Timing(night=crawl_settings.scrapyd_timeout_minutes * 60, node=crawl_settings.scrapyd_node_timeout_seconds,
                              download=crawl_settings.timeout_seconds * (crawl_settings.retries + 1))
    cluster = Cluster(config, nodes, run, timing, echo, log, crawl_settings.scrapyd_main_address)
    recovered = 0
    try:
        for batch in cluster.prepare(recover_runs):
            recovered += len(batch)
            handle(batch)
        offers = todo() if todo else [o for o in config.offers() if o.active]
        if offers:
            cluster.crawl(offers, jobs or JOBS_PER_NODE * len(cluster.usable), handle, refetch)
    finally:
        cluster.close()
    report = cluster.report(started)
    report.recovered = recovered
    return report
