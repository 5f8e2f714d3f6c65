"""The one item the spiders produce: what a supplier page said about an offer's price."""

from __future__ import annotations

import scrapy


class PriceObservation(scrapy.Item):
    """One fetch of one offer. ``status`` is ``ok`` only when a price was read; never a made-up 0."""

    offer_id = scrapy.Field()
    material = scrapy.Field()
    supplier = scrapy.Field()
    url = scrapy.Field()
    status = scrapy.Field()  # ok | missing | ambiguous | error | node_error (this machine failed, not the site)
    price = scrapy.Field()  # Decimal, or None unless status == ok
    currency = scrapy.Field()
    pack = scrapy.Field()  # quantity with unit, e.g. "10 board_foot"
    pack_source = scrapy.Field()  # config | page | default (one unit of the material)
    list_price = scrapy.Field()  # the struck-through "was" price, when the page shows one
    tiers = scrapy.Field()  # quantity breaks: [{"min": "1", "max": "9", "price": "12.50"}, ...]
    in_stock = scrapy.Field()  # True / False / None when the page does not say
    method = scrapy.Field()  # css | xpath | json-ld | microdata | opengraph
    raw = scrapy.Field()  # the text the price was read from, for people checking it
    error = scrapy.Field()  # why there is no price
    note = scrapy.Field()  # what the owner should know about a price that was read (a currency code that is not one)
    agreed = scrapy.Field()  # the page's sources that state this price: ["json-ld", "visible"]
    disputed = scrapy.Field()  # sources of the same page stating another: [{"method": "visible", "price": "110.00"}]
    http_status = scrapy.Field()
    fetched_at = scrapy.Field()  # ISO 8601, UTC
    final_url = scrapy.Field()  # where the page was read when redirects moved it (always on the supplier's site)


class ExchangeRate(scrapy.Item):
    """One reference rate: how many ``currency`` one EUR buys on ``date`` (the ECB's convention)."""

    date = scrapy.Field()
    currency = scrapy.Field()
    per_eur = scrapy.Field()
    source = scrapy.Field()


class IndexValue(scrapy.Item):
    """One value of a public index series: ``period`` is YYYY-MM-01 (monthly) or the day (daily)."""

    index_id = scrapy.Field()
    period = scrapy.Field()
    value = scrapy.Field()
    fetched_at = scrapy.Field()


class IndexFetch(scrapy.Item):
    """How fetching one index series went: how many values it gave, or why it gave none."""

    index_id = scrapy.Field()
    error = scrapy.Field()
    values = scrapy.Field()  # type: ignore[assignment]  # an item field, not Mapping.values
    fetched_at = scrapy.Field()
    url = scrapy.Field()
