"""What a crawl on a scrapyd node does for the main machine, beside fetching its offers.

A job is started with one short argument, ``job``: a URL on the main machine that hands out its
offers (never the command line, which caps an argument at 128 KiB) and a lease. The job reports
the code version it runs before anything else, refuses to crawl when the main machine runs
another, and stops by itself when the main machine lets go of it: the run ended, crashed or
moved the job to another node, or cannot be reached for longer than the lease. So a job left
behind never fetches a supplier's pages while another job does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Iterator

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.internet import task, threads
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)
PACKAGES = ("spiders", "monitor")


def _sources(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _sources(entry, name)
        elif entry.name.endswith(".py"):
            yield name, entry


def code_version() -> str:
    """A fingerprint of the Python source of supplywatch, the same for an egg and a checkout."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for name, entry in sorted(_sources(resources.files(package), package), key=lambda pair: pair[0]):
            digest.update(name.encode() + b"\0" + entry.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()[:12]


def fetch_job(url: str, timeout: float = 30.0) -> dict[str, Any]:
    """The job's description from the main machine: offers, expected code version, lease."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the main machine's URL, http)
        return json.loads(response.read().decode("utf-8"))


class JobEnded(IgnoreRequest):
    """A request dropped unfetched because the job was stopped: it yields no item, so the main
    machine knows its offer was not fetched (and may give it to another job)."""


class Lease:
    """Renews the job's lease every few seconds; closes the spider when the main machine revokes it
    or stays unreachable for the lease's length, or when the scrapyd process that started it dies.
    Also flushes the job's feed at each renewal, so the main machine can collect items as they come."""

    def __init__(self, crawler: Crawler, spider: Spider, url: str, seconds: float):
        self.crawler, self.spider, self.url, self.seconds = crawler, spider, url, seconds
        self.renewed = time.monotonic()
        self.parent = os.getppid()
        self.loop = task.LoopingCall(self.tick)
        self.reason: str | None = None

    def start(self) -> None:
        self.loop.start(max(0.2, self.seconds / 5), now=False)
        self.crawler.signals.connect(self.stop, signal=signals.spider_closed)

    def stop(self) -> None:
        if self.loop.running:
            self.loop.stop()

    def _renew(self) -> int:
        try:
            with urllib.request.urlopen(self.url, timeout=max(0.2, self.seconds / 5)) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except Exception:  # noqa: BLE001 (unreachable, reset, garbage: not renewed)
            return 0

    def tick(self) -> Any:
        self._flush_feeds()
        if self.reason is not None or not self.crawler.engine.running:  # stopping (the lease, or scrapyd's cancel)
            self._drop_queued()
            return None
        if os.getppid() != self.parent:
            return self._end("scrapyd, which started this job, is gone")
        return threads.deferToThread(self._renew).addCallback(self._renewed)

    def _renewed(self, status: int) -> None:
        if status == 200:
            self.renewed = time.monotonic()
        elif status in (404, 410):
            self._end("the main machine ended this job")
        elif time.monotonic() - self.renewed > self.seconds:
            self._end(f"the main machine did not answer for {self.seconds:.0f} s")

    def _end(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            logger.warning("stopping: %s", reason)
            self.crawler.stats.set_value("supplywatch/lease", reason)
            engine = self.crawler.engine
            closing = getattr(engine, "close_spider_async", None)
            if closing is not None:
                from scrapy.utils.defer import deferred_from_coro

                deferred_from_coro(closing(reason="lease_ended"))
            else:  # Scrapy before 2.14
                engine.close_spider(self.spider, "lease_ended")
            from twisted.internet import reactor  # here: importing it earlier would install the wrong reactor

            reactor.callLater(0, self._drop_queued)  # type: ignore[arg-type]  # twisted.internet.reactor is typed as a module

    def _drop_queued(self) -> None:
        """Requests waiting in the downloader for their turn are dropped, not fetched: a graceful
        stop then waits only for the page in flight, not for a supplier's whole queue."""
        downloader = self.crawler.engine.downloader
        for slot in list(getattr(downloader, "slots", {}).values()):
            queue = getattr(slot, "queue", None)
            while queue:
                request, deferred = queue.popleft()
                deferred.errback(Failure(JobEnded(f"not fetched: the job was stopped ({self.reason or 'cancelled'})")))

    def _flush_feeds(self) -> None:
        from scrapy.extensions.feedexport import FeedExporter

        exporter = self.crawler.get_extension(FeedExporter) if hasattr(self.crawler, "get_extension") else None
        for slot in getattr(exporter, "slots", []):
            if getattr(slot, "file", None) is not None:
                try:
                    slot.file.flush()
                except (OSError, ValueError):  # closed already
                    pass


def take_job(spider: Any, url: str) -> dict[str, Any]:
    """Fetch the job from the main machine and set the spider up for it; returns the job's header,
    the first line of its feed (which job, which code, how many offers; why it refused, if it did)."""
    from spiders.offer import OfferSpec

    running = code_version()
    header: dict[str, Any] = {"job": getattr(spider, "_job", None), "code_version": running, "offers": 0,
                              "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        job = fetch_job(url)
    except (OSError, ValueError) as exc:
        header["refused"] = f"could not fetch its offers from the main machine ({exc.__class__.__name__}: {str(exc)[:200]})"
        return header
    if job.get("code_version") != running:
        header["refused"] = f"this node runs supplywatch {running}, the main machine {job.get('code_version')}"
        return header
    spider.offers = [o for o in (OfferSpec.model_validate(o) for o in job["offers"]) if o.active]
    spider.as_of = job.get("as_of")
    spider.refetch = bool(job.get("refetch"))
    header["offers"] = len(spider.offers)
    Lease(spider.crawler, spider, url + "/lease", float(job["lease_seconds"])).start()
    return header
