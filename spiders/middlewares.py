"""Politeness Scrapy does not do by itself: honour ``Retry-After`` on 429/503, and robots.txt
``Crawl-delay``, by slowing that supplier's download slot for the rest of the run."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any
from urllib.parse import urlparse

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response

logger = logging.getLogger(__name__)
MAX_WAIT = 300  # seconds: a supplier asking for longer is retried on the next run instead


def retry_after_seconds(value: bytes | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


class PoliteDelaysMiddleware:
    """Stretch a supplier's delay to what it asked for: Retry-After answers and Crawl-delay lines."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.retries = crawler.settings.getint("RETRY_AFTER_TIMES", 2)  # the supplier asked us to come back
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.checked_robots: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PoliteDelaysMiddleware":
        return cls(crawler)

    def _slot(self, request: Request) -> Any:
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or urlparse(request.url).hostname or ""
        return downloader.slots.get(key)

    def _slow_down(self, request: Request, seconds: float, why: str) -> None:
        slot = self._slot(request)
        if slot is not None and seconds > slot.delay:
            logger.info("%s: waiting %.0f s between requests (%s)", urlparse(request.url).netloc, seconds, why)
            slot.delay = seconds
            slot.jitter = 0

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        netloc = urlparse(request.url).netloc
        if netloc in self.checked_robots or request.url.endswith("/robots.txt"):
            return None
        robots = next((m for m in self.crawler.engine.downloader.middleware.middlewares if isinstance(m, RobotsTxtMiddleware)), None)
        parser = getattr(robots, "_parsers", {}).get(netloc) if robots else None
        if parser is not None and hasattr(parser, "crawl_delay"):  # parsed, not a pending Deferred
            self.checked_robots.add(netloc)
            delay = parser.crawl_delay(self.user_agent)
            if delay:
                self._slow_down(request, min(float(delay), MAX_WAIT), "robots.txt Crawl-delay")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Request | Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        tries = request.meta.get("retry_after_times", 0)
        if wait is None or wait > MAX_WAIT or tries >= self.retries:
            return response
        self._slow_down(request, wait, f"Retry-After on HTTP {response.status}")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        retry.meta["dont_retry"] = True  # this middleware retries it; the generic retry would not wait
        return retry
