"""The ``offers`` spider: fetch every active offer of a supplywatch config, one item per offer.

Offers that share a page (variants, price lists) share one request, and the page is parsed once
for all of them. Run it on its own with ``scrapy crawl offers -a config=supplywatch.yml -O
items.jsonl`` and load the feed with ``supplywatch ingest items.jsonl``; on scrapyd, ``supplywatch
run --via scrapyd URL`` starts each job with ``-a job=URL``, where the job fetches its offers from
the main machine and keeps a lease on them (spiders/remote.py).

Every offer gets exactly one item per look, whatever happens: a page that crashes extraction, a
number that cannot be a price, a supplier out of time or skipped, a request lost on the way. The
spider hands out each supplier's pages itself, one at a time (spiders/schedule.py), from
``start()``; when a supplier is done it sends ``spiders.signals.supplier_finished``.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, AsyncIterator, Callable, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from monitor import config as config_module
from monitor.config import Config
from spiders import extract
from spiders.currencies import currency_code
from spiders.extract import blocked_reason, extract_price
from spiders.items import PriceObservation
from spiders.middlewares import BUDGET_CUT, BUDGET_KEY, DEADLINE, PAGES_LEFT, SupplierSkipped
from spiders.offer import OfferSpec
from spiders.open_files import machine_failed, out_of_files
from spiders.platforms import shopify_js_url
from spiders.remote import JobEnded
from spiders.schedule import Fetch, Schedule, group_fetches
from spiders.signals import supplier_finished
from spiders.trust import amount_problem, clean_fields, number_problem
from spiders.wording import Worded, describe_failure

SUPPLIER_BUDGET = "SUPPLYWATCH_SUPPLIER_BUDGET"  # seconds per supplier, from its first request
NIGHT_BUDGET = "SUPPLYWATCH_NIGHT_BUDGET"  # seconds for the whole crawl
MB = 1024 * 1024
# Reading a page costs about 1.3 s of CPU and 25 MB of memory per MB of dense markup (a 19 MB page:
# 25 s, 630 MB). Product pages are well under this; price lists and owners' overrides may pass it.
PAGE_READ_LIMIT = 6 * MB
# Offers whose first look seemed wrong (a x10 jump): the monitor names them, given a supplier's items.
SecondLookChooser = Callable[[list[dict[str, Any]]], list[OfferSpec]]


MAX_REQUESTS_AT_ONCE = 256  # requests in flight in all, each to a different supplier


def settings_from_config(config: Config) -> dict[str, Any]:
    """The owner's crawl settings: contact in the User-Agent, delay, timeout and retries."""
    crawl = config.crawl
    settings: dict[str, Any] = {
        "USER_AGENT": f"supplywatch/0.1 (price monitor; contact: {crawl.contact})",
        "DOWNLOAD_DELAY": crawl.delay_seconds,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "RETRY_TIMES": crawl.retries,
        SUPPLIER_BUDGET: crawl.supplier_budget_minutes * 60,
        NIGHT_BUDGET: crawl.night_budget_minutes * 60,
    }
    offers = [o for o in config.offers() if o.active]
    if any(o.render for o in offers):
        from spiders.browser import browser_settings

        settings.update(browser_settings(crawl.timeout_seconds))
    else:
        # Each supplier gets one request at a time (spiders/schedule.py), handed out when its last
        # page is done, so each request waits out its supplier's delay inside Scrapy's downloader,
        # holding one of the CONCURRENT_REQUESTS: 16 in all bound a night to 16 pages per delay
        # (8 pages/s at 2 s; 100,000 offers in 3.5 h). One per web host (up to 256) lets the
        # suppliers' waits run side by side. Rendered nights keep 16: each page in flight is a browser page.
        settings["CONCURRENT_REQUESTS"] = max(16, min(MAX_REQUESTS_AT_ONCE, len({urlsplit(o.url).netloc for o in offers})))
    return settings


def request_url(offer: OfferSpec) -> str:
    return shopify_js_url(offer.url) if offer.platform == "shopify" else offer.url


def rendering_meta(selector: str | None) -> dict[str, Any]:
    """Render in Chromium, and wait until the network is quiet and the price element shows a number."""
    from scrapy_playwright.page import PageMethod

    methods = [PageMethod("wait_for_load_state", "networkidle")]
    if selector and selector.startswith("css:"):
        element = re.sub(r"::(text|attr\([^)]*\))$", "", selector[4:]).strip()
        script = f"() => {{ const e = document.querySelector({json.dumps(element)}); return e !== null && /\\d/.test(e.textContent); }}"
        methods.append(PageMethod("wait_for_function", script, timeout=15_000))
    return {"playwright": True, "playwright_page_methods": methods, "playwright_page_init_callback": "spiders.browser.init_page"}


class OffersSpider(scrapy.Spider):
    name = "offers"

    def __init__(self, config: str | None = None, as_of: str | None = None, offers: list[OfferSpec] | str | None = None,
                 refetch: bool | str = False, second_look: SecondLookChooser | None = None, job: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.job = job  # on a scrapyd node: the offers come from this URL on the main machine
        if isinstance(offers, str):  # `-a offers=[...]` by hand: the offers as JSON
            offers = [OfferSpec.model_validate(o) for o in json.loads(offers)]
        if offers is None and job:
            offers = []
        if offers is None:
            if not config:
                raise ValueError("the offers spider needs -a config=PATH/TO/supplywatch.yml")
            offers = config_module.load(config).offers()
        self.offers = [o for o in offers if o.active]
        self.as_of = as_of
        self.refetch = refetch in (True, "1", "true")  # a second look within the same run: timed apart from the first
        self.second_look = second_look  # in-process only: names a supplier's offers to fetch once more at once
        self.schedule: Schedule | None = None
        self.first_items: dict[str, list[PriceObservation]] = {}
        self.all_items: dict[str, list[PriceObservation]] = {}
        self.produced: Counter[str] = Counter()  # items handed to Scrapy, per supplier
        self.passed: Counter[str] = Counter()  # items through the item pipelines, per supplier
        self.finished_suppliers: set[str] = set()
        self.closed_fetches: set[int] = set()
        self.quiet_ticks = 0
        self._waker: tuple[Deferred[None], Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "OffersSpider":
        if kwargs.get("config") and kwargs.get("offers") is None:
            # Standalone `scrapy crawl`: the config also decides contact, delay and retries.
            loaded = config_module.load(kwargs["config"])
            crawler.settings.setdict(settings_from_config(loaded), priority="spider")
            kwargs["offers"] = loaded.offers()
        spider = super().from_crawler(crawler, *args, **kwargs)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_passed, signal=signal)
        return spider

    # -- handing out pages ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.job:  # first line of the feed: the job's code version, or why it refused to crawl
            from spiders.remote import take_job

            yield take_job(self, self.job)
        settings = self.crawler.settings
        fetches = group_fetches(self.offers, request_url, second_look=self.refetch)
        self.schedule = Schedule(fetches, settings.getfloat(SUPPLIER_BUDGET, 3600), settings.getfloat(NIGHT_BUDGET, 4 * 3600),
                                 time.monotonic(), suppliers_at_once=settings.getint("CONCURRENT_REQUESTS", 16))
        for supplier in self.schedule.plans:
            self.first_items[supplier], self.all_items[supplier] = [], []
        while True:
            try:
                ready = self._step()
            except Exception as exc:  # a fault of ours: every page not fetched yet says so, the night goes on
                self.logger.exception("handing out pages failed")
                for supplier in self.schedule.plans:
                    self.schedule.skip(supplier, f"not fetched: the crawl failed ({exc.__class__.__name__}: {exc})")
                    self.schedule.plans[supplier].first_look_done = True
                ready = self._not_fetched()
            for thing in ready:
                yield thing
            self._check_finished()
            if self.schedule.done and all(plan.first_look_done for plan in self.schedule.plans.values()):
                return
            await self._sleep(1.0)

    def _step(self) -> list[Any]:
        """Items for pages that will not be fetched, then the requests that may start now."""
        assert self.schedule is not None
        ready: list[Any] = self._not_fetched()
        self._decide_second_looks()
        for fetch in self.schedule.next_fetches(time.monotonic()):
            try:
                ready.append(self._request(fetch))
            except Exception as exc:  # an address no request can be made of (a port past 65535): that page alone
                self.logger.error("cannot request %s: %s", fetch.url, exc)
                ready += self._finish(fetch, [self._item(offer, fetch, status="error", error=f"the address cannot be fetched: {exc}")
                                              for offer in fetch.offers])
        return ready + self._not_fetched() + self._lost()

    def _request(self, fetch: Fetch) -> scrapy.Request:
        assert self.schedule is not None
        meta = rendering_meta(fetch.offers[0].price_selector) if fetch.render else {}
        meta[DEADLINE] = self.schedule.deadline(fetch.supplier)
        meta[PAGES_LEFT] = self.schedule.pages_left(fetch.supplier)
        meta[BUDGET_KEY] = self.schedule.budget_key(fetch.supplier)
        raised = [o.max_download_mb for o in fetch.offers if o.max_download_mb]
        if raised:  # a big price list: the owner raised the cap for this offer
            meta["download_maxsize"] = max(raised) * MB
            meta["download_warnsize"] = max(raised) * MB
        return scrapy.Request(fetch.url, callback=self.parse_page, errback=self.fetch_failed, cb_kwargs={"fetch": fetch},
                              meta=meta, dont_filter=True)

    def _sleep(self, seconds: float) -> Any:
        """Until a page finishes (``_wake``) or ``seconds`` pass, whichever comes first."""
        from twisted.internet import reactor

        waiting: Deferred[None] = Deferred()
        call = reactor.callLater(seconds, lambda: waiting.called or waiting.callback(None))  # type: ignore[arg-type,func-returns-value]
        self._waker = (waiting, call)
        return maybe_deferred_to_future(waiting)

    def _wake(self) -> None:
        from twisted.internet import reactor

        if self._waker is not None:
            waiting, call = self._waker
            self._waker = None
            if call.active():
                call.cancel()
            reactor.callLater(0, lambda: waiting.called or waiting.callback(None))  # type: ignore[arg-type,func-returns-value]  # never inside the caller's stack

    def _decide_second_looks(self) -> None:
        """When a supplier's first look is done, ask which offers to look at once more (in this same
        crawl: robots.txt, delays and budget carry on as they were)."""
        assert self.schedule is not None
        for supplier, plan in self.schedule.plans.items():
            if plan.first_look_done or not plan.done:
                continue
            plan.first_look_done = True
            if self.second_look is None or self.refetch or plan.skipped:
                continue
            try:
                again = self.second_look([dict(i) for i in self.first_items[supplier]])
            except Exception:  # the choice is an extra; a failure in it costs the second look, not the night
                self.logger.exception("choosing the offers of %s to fetch again failed", supplier)
                continue
            if again:
                self.schedule.add(group_fetches(again, request_url, second_look=True))

    def _not_fetched(self) -> list[PriceObservation]:
        """Items for pages that will not be fetched tonight (out of time, supplier skipped), with why."""
        assert self.schedule is not None
        items = []
        for fetch, reason in self.schedule.take_dropped():
            items += self._record(fetch, [self._item(offer, fetch, status="error", error=reason) for offer in fetch.offers])
        return items

    def _lost(self) -> list[PriceObservation]:
        """A safety net: a request that left Scrapy without reaching its callback or errback (nothing is
        scheduled, downloading or being parsed, twice in a row) still gives its offers an item."""
        assert self.schedule is not None
        engine = self.crawler.engine
        try:
            quiet = not engine.downloader.active and not engine.scheduler.has_pending_requests() and engine.scraper.slot.is_idle()
        except AttributeError:  # another Scrapy: no safety net
            return []
        self.quiet_ticks = self.quiet_ticks + 1 if quiet and self.schedule.in_flight() else 0
        if self.quiet_ticks < 2:
            return []
        items = []
        for fetch in self.schedule.in_flight():
            self.logger.error("the request for %s was dropped without an answer", fetch.url)
            items += self._finish(fetch, [self._item(offer, fetch, status="error",
                                                     error="the request was dropped before an answer came (see the crawl log)")
                                          for offer in fetch.offers])
        return items

    # -- bookkeeping ----------------------------------------------------------------------------

    def _record(self, fetch: Fetch, items: list[PriceObservation]) -> list[PriceObservation]:
        for item in items:
            self.produced[fetch.supplier] += 1
            self.all_items.setdefault(fetch.supplier, []).append(item)
            if not fetch.second_look:
                self.first_items.setdefault(fetch.supplier, []).append(item)
        return items

    def _finish(self, fetch: Fetch, items: list[PriceObservation]) -> list[PriceObservation]:
        """A fetch's offers have their items: the supplier's next page may go."""
        assert self.schedule is not None
        if fetch.id in self.closed_fetches:  # already given up on as lost: never two items for one look
            return []
        self.closed_fetches.add(fetch.id)
        self.schedule.finished(fetch)
        self._wake()
        return self._record(fetch, items)

    def _item_passed(self, item: Any, **_: Any) -> None:
        if isinstance(item, PriceObservation) and (item.get("supplier") in self.passed or item.get("supplier") in self.produced):
            self.passed[item["supplier"]] += 1
            self._check_finished([item["supplier"]])

    def _check_finished(self, suppliers: Iterable[str] | None = None) -> None:
        """Send ``supplier_finished`` for each supplier (of ``suppliers``, default all) whose items are
        all through the pipelines."""
        if self.schedule is None:
            return
        pending = {fetch.supplier for fetch, _ in self.schedule.dropped}
        plans = self.schedule.plans
        for supplier, plan in ((s, plans[s]) for s in suppliers if s in plans) if suppliers is not None else plans.items():
            if (supplier not in self.finished_suppliers and plan.done and plan.first_look_done and supplier not in pending
                    and self.passed[supplier] >= self.produced[supplier]):
                self.finished_suppliers.add(supplier)
                self.crawler.signals.send_catch_log(supplier_finished, supplier=supplier, items=self.all_items.pop(supplier), spider=self)
                self.first_items.pop(supplier, None)  # a big night is not kept in memory once handed over

    def _item(self, offer: OfferSpec, fetch: Fetch, **fields: Any) -> PriceObservation:
        fetched_at = self.as_of or datetime.now(timezone.utc).isoformat(timespec="seconds")
        if fetch.second_look:  # the same second as the first fetch is likely; keep the two apart
            fetched_at = fetched_at.replace("+00:00", ".500+00:00")
        item = PriceObservation(
            offer_id=offer.offer_id, material=offer.material, supplier=offer.supplier, url=offer.url,
            price=None, currency=offer.currency, pack=offer.pack, pack_source="config" if offer.pack_from_config else "default",
            list_price=None, tiers=None, in_stock=None, method=None, raw=None, error=None, http_status=None, fetched_at=fetched_at,
        )
        item.update(fields)
        return _trusted(item)

    # -- reading pages --------------------------------------------------------------------------

    def parse_page(self, response: Response, fetch: Fetch) -> list[PriceObservation]:
        try:
            items = self._read_page(response, fetch)
        except Exception as exc:  # the page as a whole could not be read (decoding, memory): every offer says so
            self.logger.exception("reading %s failed", response.url)
            if out_of_files(exc):  # reading needed a file (a module first imported, say) this machine had none left for
                return self._machine_failed(fetch)
            items = [self._item(offer, fetch, status="error", http_status=response.status, final_url=_moved(response, fetch),
                                error=f"the page could not be read: {exc.__class__.__name__}: {exc}") for offer in fetch.offers]
        finally:
            extract.forget_parsed_pages()  # the page's parsed trees are shared by its offers, not kept after them
        return self._finish(fetch, items)

    def _read_page(self, response: Response, fetch: Fetch) -> list[PriceObservation]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        textual = isinstance(response, TextResponse)
        blocked: list[str | None] = []  # worked out once, when an offer first needs it
        items = []
        for offer in fetch.offers:
            try:
                item = self._read_offer(response, offer, fetch, content_type, textual, blocked)
            except Exception as exc:  # one offer's extraction failing (a MemoryError too) costs that offer alone
                self.logger.exception("reading %s for %s failed", response.url, offer.offer_id)
                item = self._item(offer, fetch, status="node_error", error=self._machine_error()) if out_of_files(exc) else \
                    self._item(offer, fetch, status="error", http_status=response.status,
                               error=f"the page could not be read for this offer: {exc.__class__.__name__}: {exc}")
            item["final_url"] = _moved(response, fetch)
            items.append(clean_fields(item))
        return items

    def _read_offer(self, response: Response, offer: OfferSpec, fetch: Fetch, content_type: str, textual: bool,
                    blocked: list[str | None]) -> PriceObservation:
        if not textual and not (offer.price_list or response.url.endswith((".xlsx", ".csv"))):
            return self._item(offer, fetch, status="error", http_status=response.status,
                              error="the page is not text (binary or unknown content type)")
        if len(response.body) > PAGE_READ_LIMIT and not (offer.price_list or offer.max_download_mb):
            return self._item(offer, fetch, status="error", http_status=response.status,
                              error=f"the page is {len(response.body) / MB:.0f} MB; a product page over {PAGE_READ_LIMIT / MB:.0f} MB "
                                    "is not read (it would cost minutes and hundreds of MB; 'max_download_mb:' on the offer allows it)")
        found = extract_price(
            response.text if textual and not response.url.endswith(".xlsx") else response.body, response.url,
            selector=offer.price_selector, variant=offer.variant, locale=offer.locale, content_type=content_type,
            price_list=offer.price_list, quantity=Decimal(str(offer.order_quantity)), unit=offer.unit,
        )
        if found.price is None:
            if found.status == "missing" and not blocked:
                blocked.append(blocked_reason(response.body))
            reason = blocked[0] if found.status == "missing" else None
            return self._item(offer, fetch, status="error" if reason else found.status, http_status=response.status,
                              method=found.method, raw=found.raw, error=reason or found.error,
                              in_stock=None if reason else found.in_stock)
        page_pack = None if offer.pack_from_config else found.pack
        return self._item(
            offer, fetch, status="ok", http_status=response.status, price=found.price,
            currency=currency_code(found.currency, offer.currency), in_stock=found.in_stock,
            method=found.method, raw=found.raw, list_price=found.list_price,
            tiers=[t.as_dict() for t in found.tiers] or None, note=found.note,
            agreed=list(found.agreed) or None, disputed=[d.as_dict() for d in found.disputed] or None,
            **({"pack": page_pack, "pack_source": "page"} if page_pack else {}),
        )

    def fetch_failed(self, failure: Failure) -> list[PriceObservation]:
        fetch: Fetch = failure.request.cb_kwargs["fetch"]  # type: ignore[attr-defined]  # set by Scrapy
        if self.job and failure.check(JobEnded):  # a stopped scrapyd job: not fetched, the main machine decides
            return []
        if failure.check(SupplierSkipped) and self.schedule is not None:
            self.schedule.skip(fetch.supplier, str(failure.value))
        if out_of_files(failure.value):  # this machine's limit, not the supplier's site: a node error (spiders/open_files.py)
            return self._machine_failed(fetch)
        http_status = failure.value.response.status if failure.check(HttpError) else None
        error = self._failure_reason(failure)
        return self._finish(fetch, [self._item(offer, fetch, status="error", http_status=http_status, error=error) for offer in fetch.offers])

    def _machine_failed(self, fetch: Fetch) -> list[PriceObservation]:
        """The page was not fetched because this machine ran out of open files: never the supplier's error."""
        error = self._machine_error()
        return self._finish(fetch, [self._item(offer, fetch, status="node_error", error=error) for offer in fetch.offers])

    def _machine_error(self) -> str:
        """Why an offer is this machine's failure, counted once per page or offer it cost."""
        return machine_failed(self.crawler.stats, "the scrapyd node that crawled it" if self.job else "this machine")

    def _failure_reason(self, failure: Failure) -> str:
        """Why a page gave nothing, in words."""
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
        limit = request.meta.get("download_maxsize") or self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if failure.check(HttpError):
            return describe_failure(failure)[1]  # "the page is gone (404 Not Found): ..."
        # Our own refusals carry the owner's words. isinstance, not failure.check: check matches a class
        # that is not an Exception (the Worded mark) against nothing, so it never took this line.
        if isinstance(failure.value, Worded):
            return str(failure.value)
        if failure.check(DownloadCancelledError):  # the download handler's size cap
            return (f"the page is larger than {limit / MB:g} MB, the most read for one page "
                    "(raise it for this offer with 'max_download_mb:')")
        if _decompression_cap(failure.value):
            return (f"the page inflates to more than {limit / MB:g} MB when decompressed, the most read for one page "
                    "(raise it for this offer with 'max_download_mb:')")
        if failure.check(DownloadTimeoutError, TwistedTimeoutError) and request.meta.get(BUDGET_CUT):
            return f"time budget exceeded: the page did not answer within the time left tonight ({request.meta.get(BUDGET_KEY)})"
        return describe_failure(failure)[1]  # the owner's words, not Scrapy's (spiders/wording.py)


def _moved(response: Response, fetch: Fetch) -> str | None:
    """Where the page was read when a redirect (on the supplier's own site) moved it, else None."""
    return response.url if response.url != fetch.url else None


def _decompression_cap(error: BaseException) -> bool:
    """Scrapy's decompression stopped at the size cap (it raises IgnoreRequest from its own error)."""
    try:
        from scrapy.utils._compression import _DecompressionMaxSizeExceeded
    except ImportError:  # another Scrapy: the generic message then
        return False
    return isinstance(error.__cause__, _DecompressionMaxSizeExceeded)


def _trusted(item: PriceObservation) -> PriceObservation:
    """The last gate before an item leaves the spider: numbers that cannot be prices are not, and
    text is capped and free of control characters."""
    if item.get("status") == "ok":
        problem = number_problem(item)
        if problem:
            item.update(status="error", price=None, tiers=None, list_price=None, error=problem)
        elif amount_problem(item.get("list_price"), "list price"):
            item["list_price"] = None
    return clean_fields(item)
