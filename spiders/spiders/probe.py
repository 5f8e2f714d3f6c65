"""The ``probe`` spider: fetch one page politely and hand back its body, for ``supplywatch probe``."""

from __future__ import annotations

from typing import Any, Iterator

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.wording import describe_failure


class ProbeSpider(scrapy.Spider):
    """Fetch one or more pages (``-a url=...`` or ``urls=[...]``); each item names the URL asked for."""

    name = "probe"

    def __init__(self, url: str = "", urls: list[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.urls = list(urls or []) or ([url] if url else [])

    async def start(self) -> Any:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.keep, errback=self.failed, dont_filter=True, cb_kwargs={"requested": url})

    def keep(self, response: Response, requested: str) -> Iterator[dict[str, Any]]:
        yield {"requested": requested, "url": response.url, "status": response.status, "body": response.body,
               "content_type": response.headers.get("Content-Type", b"").decode("latin-1")}

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        status, reason = describe_failure(failure)  # the owner's words, not Scrapy's (spiders/wording.py)
        requested = failure.request.cb_kwargs.get("requested", failure.request.url)  # type: ignore[attr-defined]  # set by Scrapy
        yield {"requested": requested, "url": requested, "status": status, "error": reason}
