"""Find an offer's price in a page: the owner's selector, then JSON-LD, microdata, OpenGraph.

Pure functions over HTML text so they can be tested without a crawl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

import extruct
from babel.numbers import get_decimal_symbol
from parsel import Selector
from price_parser import Price

_OUT_OF_STOCK_WORDS = re.compile(
    r"out of stock|sold out|unavailable|ausverkauft|nicht vorrätig|épuisé|rupture de stock|agotado|在庫切れ",
    re.IGNORECASE,
)
_SCHEMA_STOCK = {
    "instock": True, "instoreonly": True, "onlineonly": True, "limitedavailability": True,
    "presale": True, "preorder": True, "backorder": False, "outofstock": False,
    "soldout": False, "discontinued": False,
}


@dataclass(frozen=True)
class Extraction:
    """What was found. ``price`` is None when nothing trustworthy was found, with ``error`` saying why."""

    price: Decimal | None
    currency: str | None
    method: str | None
    raw: str | None
    in_stock: bool | None = None
    error: str | None = None


def parse_number(text: str, locale: str = "en_US") -> Price:
    """Read a price as written in ``locale`` (``1.234,56 €`` in de_DE, ``$1,234.56`` in en_US)."""
    return Price.fromstring(text, decimal_separator=get_decimal_symbol(locale))


def _schema_number(value: Any) -> Decimal | None:
    """schema.org prices are numbers or strings with a '.' decimal point (sometimes with thousands commas)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return Price.fromstring(str(value), decimal_separator=".").amount


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values}


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a JSON-LD / microdata tree, including ``@graph`` members."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _stock(availability: Any) -> bool | None:
    if not availability:
        return None
    key = str(availability).rsplit("/", 1)[-1].lower()
    return _SCHEMA_STOCK.get(key)


def _offer_candidates(products: list[Any]) -> list[dict[str, Any]]:
    """Offer-like objects carrying a price: Offer, AggregateOffer (low price) and price specs."""
    found = []
    for node in _walk(products):
        types = _types(node)
        if "offer" in types or "aggregateoffer" in types or ("price" in node and "priceCurrency" in node):
            price = node.get("price")
            if price is None and "aggregateoffer" in types and not node.get("offers"):
                price = node.get("lowPrice")
            if price is None:
                spec = node.get("priceSpecification")
                specs = spec if isinstance(spec, list) else [spec]
                price = next((s.get("price") for s in specs if isinstance(s, dict) and s.get("price") is not None), None)
            if price is not None:
                found.append({**node, "price": price})
    return found


def _matches_variant(offer: dict[str, Any], variant: str) -> bool:
    wanted = variant.strip().lower()
    fields = ("sku", "mpn", "gtin", "gtin13", "gtin12", "productID", "name", "url", "@id")
    return any(wanted == str(offer.get(f, "")).strip().lower() for f in fields) or wanted in str(offer.get("name", "")).lower()


def _choose(offers: list[dict[str, Any]], variant: str | None, method: str) -> Extraction | None:
    if not offers:
        return None
    if variant:
        offers = [o for o in offers if _matches_variant(o, variant)]
        if not offers:
            return Extraction(None, None, method, None, error=f"variant {variant!r} not found in {method}")
    prices = {_schema_number(o["price"]) for o in offers}
    if len(prices) > 1:
        return Extraction(None, None, method, None, error=f"{len(prices)} different prices in {method} and no variant to choose")
    offer = offers[0]
    amount = _schema_number(offer["price"])
    if amount is None:
        return Extraction(None, None, method, str(offer["price"]), error=f"unreadable price {offer['price']!r} in {method}")
    return Extraction(amount, offer.get("priceCurrency"), method, str(offer["price"]), _stock(offer.get("availability")))


def _from_selector(html: str, selector: str, locale: str) -> Extraction:
    kind, _, query = selector.partition(":")
    page = Selector(text=html)
    texts = page.css(query).getall() if kind == "css" else page.xpath(query).getall()
    raw = " ".join(t.strip() for t in texts if t.strip())
    if not raw:
        return Extraction(None, None, kind, None, error=f"selector {selector!r} matched nothing")
    parsed = parse_number(raw, locale)
    if parsed.amount is None:
        return Extraction(None, None, kind, raw, error=f"no number in {raw!r}")
    return Extraction(parsed.amount, parsed.currency, kind, raw)


def _visible_stock(html: str) -> bool | None:
    text = " ".join(Selector(text=html).xpath("//body//text()[not(ancestor::script)]").getall())
    return False if _OUT_OF_STOCK_WORDS.search(text) else None


def extract_price(html: str, url: str, *, selector: str | None = None, variant: str | None = None, locale: str = "en_US") -> Extraction:
    """The offer's price: its own selector if given, else JSON-LD, microdata, then OpenGraph."""
    if selector:
        found = _from_selector(html, selector, locale)
        if found.in_stock is None and found.price is not None:
            found = Extraction(found.price, found.currency, found.method, found.raw, _visible_stock(html))
        return found
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True)
    except Exception as exc:  # extruct raises whatever its parsers raise on broken markup
        return Extraction(None, None, None, None, error=f"unreadable page: {exc.__class__.__name__}")
    for syntax in ("json-ld", "microdata"):
        found = _choose(_offer_candidates(data.get(syntax, [])), variant, syntax)
        if found is not None:
            if found.price is not None and found.in_stock is None:
                found = Extraction(found.price, found.currency, found.method, found.raw, _visible_stock(html))
            return found
    for og in data.get("opengraph", []):
        raw = og.get("product:price:amount") or og.get("og:price:amount")
        if raw:
            amount = _schema_number(raw)
            currency = og.get("product:price:currency") or og.get("og:price:currency")
            if amount is None:
                return Extraction(None, None, "opengraph", raw, error=f"unreadable price {raw!r} in opengraph")
            return Extraction(amount, currency, "opengraph", raw, _visible_stock(html))
    return Extraction(None, None, None, None, error="no price on the page (no selector, JSON-LD, microdata or OpenGraph price)")
