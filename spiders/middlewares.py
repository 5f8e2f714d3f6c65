"""Politeness and bounds Scrapy does not do by itself.

- ``Retry-After`` on 429/503 and robots.txt ``Crawl-delay`` slow that supplier's download slot for
  the rest of the run; a supplier that asks for more time than its budget leaves is skipped tonight.
- A request never starts after its supplier's deadline, and never waits longer than the time
  left, so a slow page cannot cost timeout x (retries + 1) past the budget.
- Redirects stay on the supplier's own site: never to another site, nor to a loopback or private
  address, so another host's price is never stored as the supplier's.
- robots.txt as RFC 9309 reads it, where Scrapy does not: a server error (5xx, or 429) means keep
  out until it answers, and only its first 500 KiB is parsed (a 10 MB one cost 5.5 s of CPU that
  stopped every supplier's crawl, and 0.12 s per page of its site).

The offers spider puts the deadline and the pages left in each request's meta (``DEADLINE``,
``PAGES_LEFT``); other spiders (probe, rates) have no budget.
"""

from __future__ import annotations

import email.utils
import ipaddress
from http import HTTPStatus
import logging
import time
from typing import Any
from urllib.parse import urlparse

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from twisted.internet.defer import Deferred

from spiders.schedule import duration
from spiders.wording import Worded, failure_reason, network_failure

logger = logging.getLogger(__name__)
MAX_WAIT = 300  # seconds: without a budget, a supplier asking for longer is retried on the next run instead
# seconds a supplier's next request waits after one the crawl gave up on (timed out, too big), at
# any delay, 0 included: its server may still be writing the first, and it must never have two of ours
AFTER_A_DROP = 2.0
# What the crawl gives up on while the server may still be at it, by class name along the ancestry
# as spiders.wording reads them (Scrapy and Twisted name them differently across versions); not a
# refused connection, an unknown name or this machine out of files: that server never had the request.
GIVEN_UP = {"DownloadTimeoutError", "TimeoutError", "DownloadCancelledError", "CancelledError"}
DEADLINE = "supplywatch_deadline"  # time.monotonic() by which the supplier's pages must be done
PAGES_LEFT = "supplywatch_pages_left"  # this page and those after it, for the same supplier
BUDGET_CUT = "supplywatch_budget_cut"  # the download timeout was shortened to the time left
BUDGET_KEY = "supplywatch_budget_key"  # the config key of the budget that ends first, for messages


class OverBudget(Worded, IgnoreRequest):
    """The supplier's time (or the night's) is up before this request could start."""


class SupplierSkipped(Worded, IgnoreRequest):
    """The supplier asks for more time than its budget leaves: nothing more from it tonight."""


class OffSiteRedirect(Worded, IgnoreRequest):
    """A redirect led away from the supplier's own site."""


class RobotsUnreachable(Worded, IgnoreRequest):
    """The site's robots.txt answered a server error: RFC 9309 says to keep out until it answers."""


ROBOTS_PARSED = 500 * 1024  # RFC 9309 2.5: a parsing limit of at least 500 KiB; Google ignores what follows


class KeepOut:
    """A robots parser that allows nothing, and says why (the robots.txt answered a server error)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def allowed(self, url: str, user_agent: str | bytes) -> bool:
        return False


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, read as RFC 9309 says: a robots.txt that answers 5xx or 429, or
    cannot be fetched at all, is unreachable, so nothing of the site is fetched tonight (Scrapy parsed
    the error page, or gave up, and allowed everything); the file is parsed up to its first 500 KiB."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            try:
                answer = f"{response.status} {HTTPStatus(response.status).phrase}"
            except ValueError:
                answer = str(response.status)
            reason = (f"not fetched: the site's robots.txt answered {answer}, and the robots rules (RFC 9309) say to keep "
                      "out of a site until its robots.txt answers; usually gone by the next night")
            self._keep_out(netloc, reason)
            return
        if len(response.body) > ROBOTS_PARSED:
            cut = response.body[:ROBOTS_PARSED]
            response = response.replace(body=cut[:cut.rfind(b"\n") + 1] or cut)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        """A robots.txt that could not be fetched at all (the site refused, timed out, sent more than
        the size limit) is unreachable too: keep out tonight, as for a 5xx (Scrapy allowed everything).
        A robots.txt request dropped by our own rules (a supplier told to come back later), or one Scrapy
        cannot make (an address it refuses), is not the site's: the page's own fetch says what is wrong."""
        if isinstance(exc, IgnoreRequest) or not network_failure(exc):  # an address Scrapy cannot fetch: the page says why
            super()._robots_error(exc, netloc)
            return
        # The cause first (the site is down, or its name unknown): it is what the owner can act on, and
        # every offer of a site that is down carries this line in the digest.
        self._keep_out(netloc, f"not fetched: {failure_reason(exc, str(exc))}, when asked for its robots.txt; "
                               "nothing of the site is fetched until that answers (the robots rules say to keep out)")

    def _keep_out(self, netloc: str, reason: str) -> None:
        """Nothing of ``netloc`` is fetched tonight; each of its offers is recorded with ``reason``."""
        self._stats.inc_value("robotstxt/unreachable")
        keep_out: Any = KeepOut(reason)  # read by process_request_2 below, as Scrapy reads its parsers
        waiting = self._parsers[netloc]
        self._parsers[netloc] = keep_out
        if isinstance(waiting, Deferred):
            waiting.callback(keep_out)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, KeepOut):
            raise RobotsUnreachable(rp.reason)
        super().process_request_2(rp, request)


def retry_after_seconds(value: bytes | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _slot(crawler: Crawler, request: Request) -> Any:
    downloader = crawler.engine.downloader
    return downloader.slots.get(downloader.get_slot_key(request))


class PoliteDelaysMiddleware:
    """Stretch a supplier's delay to what it asked for (Retry-After answers, Crawl-delay lines),
    within its time budget, and keep every request inside that budget."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.retries = crawler.settings.getint("RETRY_AFTER_TIMES", 2)  # the supplier asked us to come back
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180)
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.checked_robots: set[str] = set()
        self.held: dict[str, float] = {}  # download slot -> when its next request may go, after a dropped one

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PoliteDelaysMiddleware":
        return cls(crawler)

    def _slow_down(self, request: Request, seconds: float, why: str) -> None:
        slot = _slot(self.crawler, request)
        if slot is not None and seconds > slot.delay:
            logger.info("%s: waiting %.0f s between requests (%s)", urlparse(request.url).netloc, seconds, why)
            slot.delay = seconds
            slot.jitter = 0

    def _crawl_delay(self, request: Request) -> float | None:
        netloc = urlparse(request.url).netloc
        if netloc in self.checked_robots or request.url.endswith("/robots.txt"):
            return None
        robots = next((m for m in self.crawler.engine.downloader.middleware.middlewares if isinstance(m, RobotsTxtMiddleware)), None)
        parser = getattr(robots, "_parsers", {}).get(netloc) if robots else None
        if parser is None or not hasattr(parser, "crawl_delay"):  # not parsed (yet), or no robots.txt
            return None
        self.checked_robots.add(netloc)
        delay = parser.crawl_delay(self.user_agent)
        return float(delay) if delay else None

    def process_request(self, request: Request, spider: Spider | None = None) -> Deferred[None] | None:
        deadline = request.meta.get(DEADLINE)
        held = self._held(request)
        delay = self._crawl_delay(request)
        if delay:
            if deadline is not None:
                pages = request.meta.get(PAGES_LEFT, 1)
                left = deadline - time.monotonic()
                if delay * pages > left:
                    raise SupplierSkipped(
                        f"skipped tonight: its robots.txt asks for {duration(delay)} between pages, so its {pages} pages would "
                        f"take {duration(delay * pages)}, more than the {duration(max(left, 0))} left of its time budget "
                        f"({request.meta.get(BUDGET_KEY, 'crawl.supplier_budget_minutes')})")
            self._slow_down(request, delay if deadline is not None else min(delay, MAX_WAIT), "robots.txt Crawl-delay")
        if deadline is not None:
            self._within(request, deadline, held)
        if held <= 0:
            return None
        logger.info("%s: waiting %.0f s after a request given up on, which its server may still be answering",
                    urlparse(request.url).netloc, held)
        waited: Deferred[None] = Deferred()
        call_later(held, waited.callback, None)  # the request goes on (None) once the wait is over
        return waited

    def _held(self, request: Request) -> float:
        """Seconds this request waits for an earlier one of its supplier the crawl gave up on."""
        if not self.held:
            return 0.0
        key, now = self.crawler.engine.downloader.get_slot_key(request), time.monotonic()
        until = self.held.get(key, now)
        if until <= now:
            self.held.pop(key, None)
        return max(until - now, 0.0)

    def _within(self, request: Request, deadline: float, held: float = 0.0) -> None:
        """Refuse a request that could only start after the deadline; shorten its timeout to the time left."""
        now = time.monotonic()
        slot = _slot(self.crawler, request)
        start = max(now, slot.lastseen + slot.delay) if slot is not None and slot.lastseen else now
        start = max(start, now + held)
        left = deadline - start
        if left <= 0:
            raise OverBudget("time budget exceeded: the time ran out before this page could be fetched "
                             f"({request.meta.get(BUDGET_KEY, 'crawl.supplier_budget_minutes')})")
        if left < self.timeout:
            request.meta["download_timeout"] = left
            request.meta[BUDGET_CUT] = True
        else:
            request.meta["download_timeout"] = self.timeout
            request.meta.pop(BUDGET_CUT, None)

    def process_exception(self, request: Request, exception: BaseException, spider: Spider | None = None) -> None:
        """A page given up on (timed out, too big) may still be in the works at the supplier's end: its
        next request (a retry, the next page) waits the delay from now, not from when this one began
        (it went at once: a slow page was asked again while the server still wrote the first), and at
        least AFTER_A_DROP, a delay of 0 included (Scrapy has no delay to count there)."""
        if isinstance(exception, IgnoreRequest):  # never reached the site
            return None
        now = time.monotonic()  # the clock Scrapy's downloader counts the delay with
        slot = _slot(self.crawler, request)
        if slot is not None and slot.delay:
            slot.lastseen = max(slot.lastseen, now)
        if (slot is None or slot.delay < AFTER_A_DROP) and _given_up(exception):
            key = self.crawler.engine.downloader.get_slot_key(request)
            self.held[key] = max(self.held.get(key, 0.0), now + AFTER_A_DROP)
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Request | Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        tries = request.meta.get("retry_after_times", 0)
        if wait is None or tries >= self.retries:
            return response
        deadline = request.meta.get(DEADLINE)
        if deadline is None and wait > MAX_WAIT:
            return response
        if deadline is not None and wait >= deadline - time.monotonic():
            raise SupplierSkipped(f"skipped tonight: the supplier answered HTTP {response.status} and asked to come back in "
                                  f"{duration(wait)} (Retry-After), more than its time budget leaves ({request.meta.get(BUDGET_KEY, 'crawl.supplier_budget_minutes')})")
        self._slow_down(request, wait, f"Retry-After on HTTP {response.status}")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        retry.meta["dont_retry"] = True  # this middleware retries it; the generic retry would not wait
        return retry


def _given_up(exception: BaseException) -> bool:
    return any(cls.__name__ in GIVEN_UP for cls in type(exception).__mro__)


def _site(host: str) -> str:
    """The registrable domain of ``host`` (``shop.example.co.uk`` -> ``example.co.uk``)."""
    global _EXTRACT
    if _EXTRACT is None:
        import tldextract

        _EXTRACT = tldextract.TLDExtract(suffix_list_urls=())  # the list shipped with the package: no fetch
    return _EXTRACT(host).top_domain_under_public_suffix or host


_EXTRACT: Any = None


def is_private_address(host: str) -> bool:
    """Loopback, private, link-local, multicast or otherwise not a public address (written as an address)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost")
    return not address.is_global


_PORTS = {"http": 80, "https": 443}


def same_site(origin: str, target: str) -> bool:
    """``target`` is on the same site as ``origin``: the same host, or the same registrable domain
    (``example.com`` -> ``www.example.com``); a loopback or private address only to its own port."""
    start, end = urlparse(origin), urlparse(target)
    a, b = (start.hostname or "").lower(), (end.hostname or "").lower()
    if end.scheme not in ("http", "https") or not b:
        return False
    if is_private_address(b) or is_private_address(a):  # another port there is another service
        return (a, start.port or _PORTS.get(start.scheme)) == (b, end.port or _PORTS.get(end.scheme))
    return a == b or _site(a) == _site(b)


def shown_url(url: str) -> str:
    """A URL as people read it in a message: no credentials, no query."""
    parts = urlparse(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class SameSiteRedirectMiddleware:
    """Follow a redirect only on the site the request started on (also meta refresh redirects)."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        chain = request.meta.get("redirect_urls")
        if chain and not same_site(chain[0], request.url):
            if chain[0].endswith("/robots.txt") and not is_private_address(urlparse(request.url).hostname or ""):
                return None  # robots.txt may live elsewhere (RFC 9309 follows its redirects); it only holds rules
            raise OffSiteRedirect(f"the page redirects away from the supplier's site, to {shown_url(request.url)}: not followed")
        return None
