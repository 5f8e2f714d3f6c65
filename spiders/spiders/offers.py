"""The ``offers`` spider: fetch every active offer of a supplywatch config, one item per page.

Run it on its own with ``scrapy crawl offers -a config=supplywatch.yml -O items.jsonl``
and load the feed with ``supplywatch ingest items.jsonl``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor import config as config_module
from monitor.config import Config, OfferSpec
from spiders.extract import extract_price
from spiders.items import PriceObservation

_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY", "CHF": "CHF", "kr": None, "$": None}


def settings_from_config(config: Config) -> dict[str, Any]:
    """The owner's crawl settings: contact in the User-Agent, delay, timeout and retries."""
    crawl = config.crawl
    return {
        "USER_AGENT": f"supplywatch/0.1 (price monitor; contact: {crawl.contact})",
        "DOWNLOAD_DELAY": crawl.delay_seconds,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "RETRY_TIMES": crawl.retries,
    }


def _currency(found: str | None, supplier_currency: str) -> str:
    if not found:
        return supplier_currency
    found = found.strip()
    if len(found) == 3 and found.isalpha() and found.isupper():
        return found
    return _SYMBOLS.get(found) or supplier_currency


class OffersSpider(scrapy.Spider):
    name = "offers"

    def __init__(self, config: str | None = None, as_of: str | None = None, offers: list[OfferSpec] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if offers is None:
            if not config:
                raise ValueError("the offers spider needs -a config=PATH/TO/supplywatch.yml")
            offers = config_module.load(config).offers()
        self.offers = [o for o in offers if o.active]
        self.as_of = as_of

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "OffersSpider":
        if kwargs.get("config") and kwargs.get("offers") is None:
            # Standalone `scrapy crawl`: the config also decides contact, delay and retries.
            loaded = config_module.load(kwargs["config"])
            crawler.settings.setdict(settings_from_config(loaded), priority="spider")
            kwargs["offers"] = loaded.offers()
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self) -> Any:
        for offer in self.offers:
            yield scrapy.Request(
                offer.url,
                callback=self.parse_offer,
                errback=self.fetch_failed,
                cb_kwargs={"offer": offer},
                dont_filter=True,  # two offers (variants) may share one page
            )

    def _item(self, offer: OfferSpec, **fields: Any) -> PriceObservation:
        fetched_at = self.as_of or datetime.now(timezone.utc).isoformat(timespec="seconds")
        item = PriceObservation(
            offer_id=offer.offer_id, material=offer.material, supplier=offer.supplier, url=offer.url,
            price=None, currency=offer.currency, pack=offer.pack, in_stock=None, method=None,
            raw=None, error=None, http_status=None, fetched_at=fetched_at,
        )
        item.update(fields)
        return item

    def parse_offer(self, response: Response, offer: OfferSpec) -> Iterator[PriceObservation]:
        if not isinstance(response, TextResponse):
            yield self._item(offer, status="error", http_status=response.status, error="the page is not text (binary or unknown content type)")
            return
        found = extract_price(response.text, response.url, selector=offer.price_selector, variant=offer.variant, locale=offer.locale)
        if found.price is None:
            yield self._item(offer, status="missing", http_status=response.status, method=found.method, raw=found.raw, error=found.error)
            return
        yield self._item(
            offer, status="ok", http_status=response.status, price=found.price,
            currency=_currency(found.currency, offer.currency), in_stock=found.in_stock,
            method=found.method, raw=found.raw,
        )

    def fetch_failed(self, failure: Failure) -> Iterator[PriceObservation]:
        offer: OfferSpec = failure.request.cb_kwargs["offer"]
        if failure.check(HttpError):
            response = failure.value.response
            yield self._item(offer, status="error", http_status=response.status, error=f"HTTP {response.status}")
        else:
            yield self._item(offer, status="error", error=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300])
