"""The ``probe`` spider: fetch one page politely and hand back its body, for ``supplywatch probe``."""

from __future__ import annotations

from typing import Any, Iterator

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


class ProbeSpider(scrapy.Spider):
    name = "probe"

    def __init__(self, url: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.url = url

    async def start(self) -> Any:
        yield scrapy.Request(self.url, callback=self.keep, errback=self.failed, dont_filter=True)

    def keep(self, response: Response) -> Iterator[dict[str, Any]]:
        yield {"url": response.url, "status": response.status, "body": response.body,
               "content_type": response.headers.get("Content-Type", b"").decode("latin-1")}

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        status = failure.value.response.status if failure.check(HttpError) else None
        yield {"url": self.url, "status": status, "error": f"{failure.type.__name__}: {failure.getErrorMessage()}"}
