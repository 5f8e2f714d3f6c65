"""Crawl on scrapyd servers instead of in this process: ``supplywatch run --via scrapyd URL``.

Offers are split into jobs by supplier domain, so one supplier's pages are always fetched by one
Scrapy process (its politeness settings hold), and jobs are balanced by offer count. Job ``i`` goes
to node ``i mod len(nodes)``; an unreachable node's jobs go to the next one. Each job runs the
deployed ``offers`` spider with its offers as JSON and writes a JSON Lines feed (scrapyd's
``items_dir``), which is fetched back and stored exactly as an in-process crawl's items.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence
from urllib.parse import urljoin, urlsplit

import requests
from scrapyd_client.exceptions import ErrorResponse, MalformedResponse
from scrapyd_client.pyclient import ScrapydClient

from spiders.spiders.offers import settings_from_config
from spiders.offer import OfferSpec

from ..config import Config
from ..store import now_iso

PROJECT = "supplywatch"
JOBS_PER_NODE = 4


class ScrapydError(Exception):
    """No node could take the crawl, or a node is not set up for supplywatch."""


def split_offers(offers: Sequence[OfferSpec], jobs: int) -> list[list[OfferSpec]]:
    """Group offers by supplier domain, then spread the domains over ``jobs`` groups, largest first."""
    by_domain: dict[str, list[OfferSpec]] = {}
    for offer in offers:
        by_domain.setdefault(urlsplit(offer.url).hostname or offer.supplier, []).append(offer)
    groups: list[list[OfferSpec]] = [[] for _ in range(max(1, min(jobs, len(by_domain))))]
    for domain in sorted(by_domain, key=lambda d: (-len(by_domain[d]), d)):
        min(groups, key=len).extend(by_domain[domain])
    return [g for g in groups if g]


@dataclass
class Job:
    node: str
    job_id: str
    offers: list[OfferSpec]
    spider: str = "offers"
    items: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None


def _job_settings(config: Config) -> list[tuple[str, str]]:
    settings = settings_from_config(config)
    return [("setting", f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}") for k, v in settings.items()]


class Cluster:
    """The scrapyd nodes of one run."""

    def __init__(self, nodes: Sequence[str], echo: Callable[[str], None] = print) -> None:
        if not nodes:
            raise ScrapydError("no scrapyd node given")
        self.nodes = [n.rstrip("/") for n in nodes]
        self.down: set[str] = set()
        self.echo = echo

    def _client(self, node: str) -> ScrapydClient:
        return ScrapydClient(node)

    def schedule(self, preferred: int, spider: str, args: list[tuple[str, str]]) -> tuple[str, str]:
        """Schedule on node ``preferred`` (mod the node count), else on the next node that answers."""
        for step in range(len(self.nodes)):
            node = self.nodes[(preferred + step) % len(self.nodes)]
            if node in self.down:
                continue
            try:
                return node, self._client(node).schedule(PROJECT, spider, args)
            except requests.RequestException as exc:
                self.echo(f"scrapyd node {node} does not answer ({exc.__class__.__name__}); using the next one")
                self.down.add(node)
            except (ErrorResponse, MalformedResponse) as exc:
                raise ScrapydError(f"scrapyd at {node} refused the job: {exc} "
                                   f"(is the project deployed? run: scrapyd-deploy -p {PROJECT})") from None
        raise ScrapydError(f"no scrapyd node answers: {', '.join(self.nodes)}")

    def start(self, config: Config, groups: list[list[OfferSpec]], as_of: str | None = None, refetch: bool = False) -> list[Job]:
        settings = _job_settings(config)
        jobs = []
        for index, offers in enumerate(groups):
            args = [("offers", json.dumps([o.model_dump() for o in offers])), *settings]
            if refetch:
                args.append(("refetch", "1"))
            if as_of:
                args.append(("as_of", as_of))
            node, job_id = self.schedule(index, "offers", args)
            jobs.append(Job(node, job_id, offers))
        return jobs

    def start_rates(self, feed: str) -> Job:
        node, job_id = self.schedule(0, "rates", [("feed", feed)])
        return Job(node, job_id, [], spider="rates")

    def wait(self, jobs: list[Job], timeout: float, poll: float = 1.0) -> None:
        """Wait until every job has finished, then fetch its items; a job that does not finish in
        time is cancelled and its offers are recorded as errors, never as prices."""
        deadline = time.monotonic() + timeout
        waiting = list(jobs)
        while waiting:
            for node in {j.node for j in waiting}:
                try:
                    listing = self._client(node).jobs(PROJECT)
                except (requests.RequestException, ErrorResponse, MalformedResponse) as exc:
                    if time.monotonic() > deadline:
                        for job in [j for j in waiting if j.node == node]:
                            job.problem = f"scrapyd at {node} stopped answering: {exc}"
                            waiting.remove(job)
                    continue
                finished = {f["id"]: f for f in listing.get("finished", [])}
                for job in [j for j in waiting if j.node == node and j.job_id in finished]:
                    self._collect(job, finished[job.job_id])
                    waiting.remove(job)
            if waiting and time.monotonic() > deadline:
                for job in waiting:
                    job.problem = f"scrapyd job {job.job_id} on {job.node} did not finish within {timeout:.0f} s"
                    try:
                        self._client(job.node).cancel(PROJECT, job.job_id)
                    except (requests.RequestException, ErrorResponse, MalformedResponse):
                        pass
                return
            if waiting:
                time.sleep(poll)

    def _collect(self, job: Job, finished: dict[str, Any]) -> None:
        items_url = finished.get("items_url")
        if not items_url:
            job.problem = (f"scrapyd job {job.job_id} on {job.node} left no items "
                           f"(it crashed, or the server has no items_dir; log: {urljoin(job.node + '/', finished.get('log_url') or '')})")
            return
        from .feeds import fetch_feed

        try:
            job.items = fetch_feed(urljoin(job.node + "/", items_url), auth=self._client(job.node).auth)
        except ValueError as exc:
            job.problem = str(exc)


def missing_items(jobs: list[Job], as_of: str | None) -> list[dict[str, Any]]:
    """An error item for every offer a job should have fetched but gave nothing for."""
    items = []
    for job in jobs:
        seen = {i.get("offer_id") for i in job.items}
        for offer in job.offers:
            if offer.offer_id not in seen:
                items.append({
                    "offer_id": offer.offer_id, "material": offer.material, "supplier": offer.supplier, "url": offer.url,
                    "status": "error", "price": None, "currency": offer.currency, "pack": offer.pack,
                    "error": job.problem or f"scrapyd job {job.job_id} gave no item for this offer",
                    "fetched_at": as_of or now_iso(),
                })
    return items


def crawl(config: Config, nodes: Sequence[str], refetch: Callable[[list[dict[str, Any]]], list[OfferSpec]] | None = None,
          jobs: int | None = None, timeout: float = 6 * 3600, echo: Callable[[str], None] = print,
          log: Callable[[str], None] = lambda line: None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Crawl every active offer on scrapyd and return the items, as ``crawl_nights`` hands them over."""
    cluster = Cluster(nodes, echo)
    offers = [o for o in config.offers() if o.active]
    groups = split_offers(offers, jobs or JOBS_PER_NODE * len(cluster.nodes))
    started = time.monotonic()
    first = cluster.start(config, groups)
    if config.rates_feed:
        first.append(cluster.start_rates(config.rates_feed))
    for job in first:
        log(f"scrapyd job {job.job_id} on {job.node}: {job.spider}, {len(job.offers)} offers")
    cluster.wait(first, timeout)
    items = [i for j in first for i in j.items]
    as_of = max((i["fetched_at"] for i in items if "fetched_at" in i), default=None)
    items += missing_items(first, as_of)
    again = refetch([i for i in items if "offer_id" in i]) if refetch else []
    second: list[Job] = []
    if again:
        second = cluster.start(config, [again], as_of=as_of, refetch=True)
        cluster.wait(second, max(60.0, timeout - (time.monotonic() - started)))
        items += [i for j in second for i in j.items]  # an offer not fetched again keeps its first look
    for job in first + second:
        if job.problem:
            log(job.problem)
    stats = {"scrapyd_jobs": len(first) + len(second), "scrapyd_nodes": len(cluster.nodes),
             "scrapyd_nodes_down": sorted(cluster.down), "elapsed_seconds": round(time.monotonic() - started, 1)}
    return items, stats
