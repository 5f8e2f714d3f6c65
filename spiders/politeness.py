"""What the crawl's politeness was, as Scrapy's downloader scheduled it: kept in the crawl's stats.

Each request is recorded when Scrapy hands it to a download handler: its download slot (one per
web host), the moment the slot says it started (``Slot.lastseen``, the very time Scrapy's delay is
counted from) and how many requests of that slot were being downloaded, itself included. So the
run's stats say, from the crawler's own records and whatever the machine's load, the closest two
requests to one site ever started (``politeness/closest_start_gap_seconds``) and the most one site
ever had at once (``politeness/most_at_once_per_site``). A wall clock read at the supplier's end
would also count how late a loaded machine delivered each request.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REQUESTS = "politeness/requests"
SITES = "politeness/sites"
CLOSEST_GAP = "politeness/closest_start_gap_seconds"
MOST_AT_ONCE = "politeness/most_at_once_per_site"


class PolitenessRecord:
    """Record each request's start in its download slot, as Scrapy's downloader counts it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.last_start: dict[str, float] = {}
        self.closest: float | None = None
        self.most_at_once = 0
        self.requests = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PolitenessRecord":
        record = cls(crawler)
        crawler.signals.connect(record.engine_started, signal=signals.engine_started)
        crawler.signals.connect(record.spider_closed, signal=signals.spider_closed)
        return record

    def engine_started(self) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        handlers = getattr(downloader, "handlers", None)
        download = getattr(handlers, "download_request_async", None)
        if download is None or not hasattr(downloader, "slots"):  # another Scrapy: nothing recorded
            logger.info("this Scrapy's downloader is not one the politeness record knows: not recorded")
            return

        async def recorded(request: Request) -> Any:
            self._started(downloader, request)
            return await download(request)

        handlers.download_request_async = recorded  # type: ignore[union-attr]

    def _started(self, downloader: Any, request: Request) -> None:
        """``request`` goes to its download handler now: the slot's ``lastseen`` is its start (no
        other request of the slot can start before this call: the next waits out the delay on a
        timer, which the event loop runs after this one), ``transferring`` holds it."""
        key = request.meta.get(downloader.DOWNLOAD_SLOT)
        slot = downloader.slots.get(key) if isinstance(key, str) else None
        if key is None or slot is None:
            return
        self.requests += 1
        self.most_at_once = max(self.most_at_once, len(slot.transferring))
        started = slot.lastseen
        previous = self.last_start.get(key)
        if previous is not None and slot.delay > 0:
            gap = started - previous
            self.closest = gap if self.closest is None else min(self.closest, gap)
        self.last_start[key] = started

    def spider_closed(self, spider: Any) -> None:
        stats = self.crawler.stats
        if stats is None or not self.requests:
            return
        stats.set_value(REQUESTS, self.requests)
        stats.set_value(SITES, len(self.last_start))
        stats.set_value(MOST_AT_ONCE, self.most_at_once)
        if self.closest is not None:
            stats.set_value(CLOSEST_GAP, round(self.closest, 3))
