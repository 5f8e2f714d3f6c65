"""The ``offers`` spider: fetch every active offer of a supplywatch config, one item per offer.

Offers that share a page (variants, price lists) share one request. Run it on its own with
``scrapy crawl offers -a config=supplywatch.yml -O items.jsonl`` and load the feed with
``supplywatch ingest items.jsonl``; on scrapyd, ``supplywatch run --via scrapyd URL`` hands each
job its offers as JSON (``-a offers=[...]``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor import config as config_module
from monitor.config import Config
from spiders.currencies import currency_code
from spiders.extract import blocked_reason, extract_price
from spiders.items import PriceObservation
from spiders.offer import OfferSpec
from spiders.platforms import shopify_js_url


def settings_from_config(config: Config) -> dict[str, Any]:
    """The owner's crawl settings: contact in the User-Agent, delay, timeout and retries."""
    crawl = config.crawl
    settings: dict[str, Any] = {
        "USER_AGENT": f"supplywatch/0.1 (price monitor; contact: {crawl.contact})",
        "DOWNLOAD_DELAY": crawl.delay_seconds,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "RETRY_TIMES": crawl.retries,
    }
    if any(o.render for o in config.offers()):
        from spiders.browser import browser_settings

        settings.update(browser_settings())
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
    return {"playwright": True, "playwright_page_methods": methods}


class OffersSpider(scrapy.Spider):
    name = "offers"

    def __init__(self, config: str | None = None, as_of: str | None = None, offers: list[OfferSpec] | str | None = None,
                 refetch: bool | str = False, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(offers, str):  # from scrapyd's schedule.json: the offers of one job, as JSON
            offers = [OfferSpec.model_validate(o) for o in json.loads(offers)]
        if offers is None:
            if not config:
                raise ValueError("the offers spider needs -a config=PATH/TO/supplywatch.yml")
            offers = config_module.load(config).offers()
        self.offers = [o for o in offers if o.active]
        self.as_of = as_of
        self.refetch = refetch in (True, "1", "true")  # a second look within the same run: timed apart from the first

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "OffersSpider":
        if kwargs.get("config") and kwargs.get("offers") is None:
            # Standalone `scrapy crawl`: the config also decides contact, delay and retries.
            loaded = config_module.load(kwargs["config"])
            crawler.settings.setdict(settings_from_config(loaded), priority="spider")
            kwargs["offers"] = loaded.offers()
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self) -> Any:
        by_url: dict[tuple[str, bool], list[OfferSpec]] = {}
        for offer in self.offers:
            by_url.setdefault((request_url(offer), offer.render), []).append(offer)
        for (url, render), offers in by_url.items():
            meta = rendering_meta(offers[0].price_selector) if render else {}
            yield scrapy.Request(url, callback=self.parse_page, errback=self.fetch_failed, cb_kwargs={"offers": offers},
                                 meta=meta, dont_filter=True)

    def _item(self, offer: OfferSpec, **fields: Any) -> PriceObservation:
        fetched_at = self.as_of or datetime.now(timezone.utc).isoformat(timespec="seconds")
        if self.refetch:  # the same second as the first fetch is likely; keep the two apart
            fetched_at = fetched_at.replace("+00:00", ".500+00:00")
        item = PriceObservation(
            offer_id=offer.offer_id, material=offer.material, supplier=offer.supplier, url=offer.url,
            price=None, currency=offer.currency, pack=offer.pack, pack_source="config" if offer.pack_from_config else "default",
            list_price=None, tiers=None, in_stock=None, method=None, raw=None, error=None, http_status=None, fetched_at=fetched_at,
        )
        item.update(fields)
        return item

    def parse_page(self, response: Response, offers: list[OfferSpec]) -> Iterator[PriceObservation]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        textual = isinstance(response, TextResponse)
        for offer in offers:
            if not textual and not (offer.price_list or response.url.endswith((".xlsx", ".csv"))):
                yield self._item(offer, status="error", http_status=response.status, error="the page is not text (binary or unknown content type)")
                continue
            found = extract_price(
                response.text if textual and not response.url.endswith(".xlsx") else response.body, response.url,
                selector=offer.price_selector, variant=offer.variant, locale=offer.locale, content_type=content_type,
                price_list=offer.price_list, quantity=Decimal(str(offer.order_quantity)), unit=offer.unit,
            )
            if found.price is None:
                blocked = blocked_reason(response.body) if found.status == "missing" else None
                yield self._item(offer, status="error" if blocked else found.status, http_status=response.status,
                                 method=found.method, raw=found.raw, error=blocked or found.error,
                                 in_stock=None if blocked else found.in_stock)
                continue
            page_pack = None if offer.pack_from_config else found.pack
            yield self._item(
                offer, status="ok", http_status=response.status, price=found.price,
                currency=currency_code(found.currency, offer.currency), in_stock=found.in_stock,
                method=found.method, raw=found.raw, list_price=found.list_price,
                tiers=[t.as_dict() for t in found.tiers] or None, note=found.currency_note,
                agreed=list(found.agreed) or None, disputed=[d.as_dict() for d in found.disputed] or None,
                **({"pack": page_pack, "pack_source": "page"} if page_pack else {}),
            )

    def fetch_failed(self, failure: Failure) -> Iterator[PriceObservation]:
        offers: list[OfferSpec] = failure.request.cb_kwargs["offers"]
        for offer in offers:
            if failure.check(HttpError):
                response = failure.value.response
                yield self._item(offer, status="error", http_status=response.status, error=f"HTTP {response.status}")
            else:
                yield self._item(offer, status="error", error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
