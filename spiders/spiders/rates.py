"""The ``rates`` spider: the European Central Bank's euro reference rates, one item per currency.

``scrapy crawl rates -O rates.jsonl`` works on its own; ``supplywatch run`` runs it beside the
offers spider when the config says ``rates_feed: ecb`` (or gives a URL of a feed in that format).
"""

from __future__ import annotations

from typing import Any, Iterator

import scrapy
from parsel import Selector
from scrapy.http import Response

from spiders.items import ExchangeRate

ECB_DAILY = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"


def feed_url(rates_feed: str) -> str:
    return ECB_DAILY if rates_feed == "ecb" else rates_feed


class RatesSpider(scrapy.Spider):
    name = "rates"

    def __init__(self, feed: str = "ecb", **kwargs: Any):
        super().__init__(**kwargs)
        self.feed = feed

    async def start(self) -> Any:
        yield scrapy.Request(feed_url(self.feed), callback=self.parse_feed, dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[ExchangeRate]:
        feed = Selector(text=response.text, type="xml")  # whatever Content-Type the server claims
        feed.remove_namespaces()
        source = "ecb" if self.feed == "ecb" else self.feed
        for day in feed.xpath("//Cube[@time]"):
            for cube in day.xpath("./Cube[@currency and @rate]"):
                yield ExchangeRate(date=day.attrib["time"], currency=cube.attrib["currency"], per_eur=cube.attrib["rate"], source=source)
