"""The ``indexes`` spider: public price series (producer price indexes, Pink Sheet commodities,
ECB series), one item per value, and one summary item per series fetched.

``supplywatch run`` starts it beside the offers spider on real nights, only for the series whose
next value is due (monthly series are fetched again only once a new month should be out). On its
own: ``scrapy crawl indexes -a indexes='[{"id": "lumber-ppi", "source": "fred", "series": "WPU081"}]'``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterator

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.items import IndexFetch, IndexValue
from spiders.series import parse, source_url


class IndexesSpider(scrapy.Spider):
    name = "indexes"  # the project's download cap holds here too: the Pink Sheet workbook is a few megabytes

    def __init__(self, indexes: list[dict[str, Any]] | str = "[]", **kwargs: Any):
        super().__init__(**kwargs)
        self.indexes = json.loads(indexes) if isinstance(indexes, str) else list(indexes)

    async def start(self) -> Any:
        for index in self.indexes:
            try:
                url = source_url(index["source"], index["series"], index.get("url"))
            except ValueError as exc:
                yield IndexFetch(index_id=index["id"], error=str(exc), values=0, fetched_at=_now(), url=None)
                continue
            yield scrapy.Request(url, callback=self.parse_series, errback=self.failed, dont_filter=True,
                                 cb_kwargs={"index": index}, meta={"index": index})

    def parse_series(self, response: Response, index: dict[str, Any]) -> Iterator[IndexValue | IndexFetch]:
        fetched_at = _now()
        try:
            values = parse(index["source"], index["series"], response.body)
        except ValueError as exc:
            yield IndexFetch(index_id=index["id"], error=f"could not read the answer: {exc}", values=0, fetched_at=fetched_at, url=response.url)
            return
        for period, value in values:
            yield IndexValue(index_id=index["id"], period=period, value=value, fetched_at=fetched_at)
        yield IndexFetch(index_id=index["id"], error=None, values=len(values), fetched_at=fetched_at, url=response.url)

    def failed(self, failure: Failure) -> Iterator[IndexFetch]:
        index = failure.request.meta["index"]  # type: ignore[attr-defined]  # set by Scrapy
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage() or failure.type.__name__
        # The robots middleware's reason already reads "not fetched: the supplier's site ...": an index's
        # site is no supplier, and "not fetched: not fetched:" says it twice (README walk).
        reason = reason.removeprefix("not fetched: ").replace("the supplier's site", "the site")
        yield IndexFetch(index_id=index["id"], error=f"not fetched: {reason}", values=0, fetched_at=_now(), url=failure.request.url)  # type: ignore[attr-defined]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
