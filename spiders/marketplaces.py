"""Marketplaces that carry no structured price: Amazon's buy box, in every country's store.

Amazon product pages name their price elements the same way everywhere (``#priceblock_ourprice``,
``#price_inside_buybox``, ``#corePrice_feature_div``). When no seller holds the buy box, the page
offers "new from ..." instead: that lowest offer is read, and says so in ``raw``.
"""

from __future__ import annotations

from parsel import Selector

from .buybox import money_in
from .candidates import Candidate
from .currencies import currency_in_text
from .numbers import read_number
from .plain_text import without_control

_AMAZON_BUY_BOX = (
    "#corePrice_feature_div .a-offscreen", "#corePriceDisplay_desktop_feature_div .a-offscreen", "#priceblock_dealprice",
    "#priceblock_saleprice", "#priceblock_ourprice", "#price_inside_buybox", "#newBuyBoxPrice", "#kindle-price",
    "#buyNewSection .offer-price", "#dmusic_buy_box .a-color-price", "#tmmSwatches .swatchElement.selected .a-color-price",
)
_AMAZON_OTHER_SELLERS = ("#olp-upd-new .a-color-price", "#olp-upd-new-used .a-color-price", "#olp_feature_div .a-color-price")


def amazon_candidates(page: Selector, decimal: str | None, title: str | None) -> list[Candidate]:
    """The buy box price of an Amazon product page, or the lowest new offer when no seller has it."""
    if not page.css("#productTitle, #dp, #ppd"):
        return []
    for selectors, how in ((_AMAZON_BUY_BOX, ""), (_AMAZON_OTHER_SELLERS, "no seller holds the buy box; the lowest offer: ")):
        for selector in selectors:
            for text in page.css(selector).xpath("normalize-space(string())").getall()[:1]:
                text = without_control(text)
                money = money_in(text)
                if money is None:
                    continue
                reading = read_number(money.group("a") or money.group("b"), decimal)
                if reading.amount is not None:
                    return [Candidate(reading.amount, currency_in_text(text), "amazon", how + text, name=title)]
    return []
