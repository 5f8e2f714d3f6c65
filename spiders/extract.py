"""Find an offer's price in a page or file, and say how sure we are.

The chain: the offer's own selector or price-list row; a shop's JSON endpoint; schema.org
JSON-LD, microdata, RDFa; shop-theme markup (WooCommerce, Magento, BigCommerce); OpenGraph.
The first source that has prices decides. Several different prices and nothing to choose between
them is *ambiguous*: never guessed. Pure functions, testable without a crawl.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import extruct
from babel.numbers import get_decimal_symbol
from lxml import etree
from parsel import Selector
from price_parser import Price

from . import platforms, pricelist, structured
from .candidates import Candidate, Tier
from .packs import pack_from_text

_OUT_OF_STOCK = re.compile(
    r"out of stock|sold out|currently unavailable|no longer available|backorder|ausverkauft|nicht vorrätig|nicht lieferbar|"
    r"derzeit nicht verfügbar|épuisé|rupture de stock|indisponible|agotado|esaurito|在庫切れ|品切れ|売り切れ|在庫なし",
    re.IGNORECASE,
)
# Where shops put availability and buy buttons; not the whole page, where related items say "sold out".
_STOCK_WORDS = ("stock", "availab", "deliver", "dispo", "liefer", "zaiko", "add-to-cart", "product-form__submit")
_STOCK_PLACES = " | ".join(
    [f"//*[contains(translate(@class,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz'),'{w}') or contains(@id,'{w}')]" for w in _STOCK_WORDS]
    + ["//button", "//h1"]
)
# Prices nobody pays: struck-through and "was" prices.
_STRUCK_XPATH = ("//del | //s | //strike | //*[contains(@class,'old-price') or contains(@class,'was-price') or "
                 "contains(@class,'compare-at') or contains(@class,'price--compare') or contains(@class,'regular-price') "
                 "or contains(@class,'price-was') or contains(@class,'rrp')]")


@dataclass(frozen=True)
class Extraction:
    """The chosen price, or None with ``status`` missing / ambiguous and an ``error`` saying why."""

    status: str  # ok | missing | ambiguous
    price: Decimal | None = None
    currency: str | None = None
    method: str | None = None
    raw: str | None = None
    in_stock: bool | None = None
    pack: str | None = None  # as read from the page, when it says
    list_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    error: str | None = None
    candidates: tuple[Candidate, ...] = field(default=())


def parse_number(text: str, locale: str = "en_US") -> Price:
    """Read a price as written in ``locale`` (``1.234,56 €`` in de_DE, ``$1,234.56`` in en_US)."""
    return Price.fromstring(text, decimal_separator=get_decimal_symbol(locale))


def _without_struck_prices(html: str) -> Selector:
    page = Selector(text=html)
    for node in page.xpath(_STRUCK_XPATH):
        node.drop()
    return page


def _selector_candidates(page: Selector, selector: str, separator: str) -> list[Candidate]:
    kind, _, query = selector.partition(":")
    texts = [t.strip() for t in (page.css(query) if kind == "css" else page.xpath(query)).getall() if t.strip()]
    found = []
    for text in texts:
        amount = Price.fromstring(text, decimal_separator=separator)
        if amount.amount is not None:
            found.append(Candidate(amount.amount, amount.currency, kind, text))
    if not found and texts:  # a price split over several nodes: "12" "<sup>,50</sup>"
        joined = Price.fromstring(" ".join(texts), decimal_separator=separator)
        if joined.amount is not None:
            found.append(Candidate(joined.amount, joined.currency, kind, " ".join(texts)))
    return found


def visible_stock(page: Selector) -> bool | None:
    """False when the product's own stock line or buy button says it is gone, in several languages."""
    # Short elements only: a product container marked "instock" also holds the related items.
    texts = (" ".join(t.split()) for t in page.xpath(_STOCK_PLACES).xpath("string()").getall())
    return False if any(len(t) <= 160 and _OUT_OF_STOCK.search(t) for t in texts) else None


def page_title(page: Selector) -> str | None:
    return page.css("h1 ::text").get() or page.css('meta[property="og:title"]::attr(content)').get() or page.css("title::text").get()


def choose(candidates: list[Candidate], variant: str | None, quantity: Decimal | None) -> Extraction:
    """One price from a source's candidates, or why there is none."""
    method = candidates[0].method
    if variant:
        chosen = [c for c in candidates if c.matches(variant)]
        if not chosen:
            names = ", ".join(sorted({c.name or next(iter(c.ids), "?") for c in candidates}))[:300]
            return Extraction("missing", method=method, error=f"variant {variant!r} not found in {method}; the page offers: {names}",
                              candidates=tuple(candidates))
        candidates = chosen
    prices = sorted({c.price_for(quantity) for c in candidates})
    if len(prices) > 1:
        shown = "; ".join(f"{c.price} {c.name or ''}".strip() for c in candidates[:6])
        return Extraction("ambiguous", method=method, candidates=tuple(candidates),
                          error=f"{len(prices)} different prices in {method} ({shown}); set 'variant:' on the offer to choose")
    best = candidates[0]
    return Extraction("ok", best.price_for(quantity), best.currency, method, best.raw, best.in_stock, best.pack,
                      best.list_price, best.tiers, candidates=tuple(candidates))


def _fits(pack: str | None, unit: str | None) -> bool:
    return pack is not None and (unit is None or pack_from_text(pack, unit) is not None)


def _finish(found: Extraction, page: Selector | None, unit: str | None) -> Extraction:
    """Fill what the chosen source did not say from the rest of the page: stock words, and the pack
    (the first one stated that converts to the material's ``unit``: a case of 12 bottles, not 5 oz)."""
    if found.status != "ok":
        return found
    in_stock = found.in_stock
    if in_stock is None and page is not None:
        in_stock = visible_stock(page)
    pack = found.pack if _fits(found.pack, unit) else None
    if pack is None:
        texts = [c.name for c in found.candidates[:1]] + ([page_title(page)] if page is not None else [])
        # A stated pack that does not fit (litres for a material priced per kg) is still kept, so
        # pricing says it needs a density instead of silently taking one unit.
        pack = next((p for p in (pack_from_text(t, unit) for t in texts) if p), None) or next(
            (p for p in (pack_from_text(t) for t in texts) if p), None) or found.pack
    return Extraction(found.status, found.price, found.currency, found.method, found.raw, in_stock, pack,
                      found.list_price, found.tiers, found.error, found.candidates)


def extract_price(
    body: str | bytes, url: str, *, selector: str | None = None, variant: str | None = None, locale: str = "en_US",
    content_type: str = "text/html", price_list: dict[str, Any] | None = None, quantity: Decimal | None = None,
    unit: str | None = None,
) -> Extraction:
    """The offer's price from one fetched page or file; ``unit`` (the material's) helps read the pack."""
    separator = get_decimal_symbol(locale)
    kind = _kind(body, url, content_type)
    if kind in ("csv", "xlsx"):
        if not price_list:
            return Extraction("missing", error=f"a {kind.upper()} file needs 'list:' on the offer (match, price column)")
        data = body if isinstance(body, bytes) else body.encode()
        try:
            found = pricelist.table_candidates(data, kind, price_list["match"], price_list["price"], price_list.get("key"),
                                               price_list.get("pack"), price_list.get("sheet"), separator)
        except Exception as exc:  # a broken spreadsheet is a missing price, with the reason
            return Extraction("missing", method=kind, error=f"unreadable {kind.upper()}: {exc.__class__.__name__}: {exc}"[:300])
        return _finish(choose(found, variant, quantity), None, unit) if found else Extraction("missing", method=kind, error=f"no row matching {price_list['match']!r}")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if kind == "json":
        try:
            found = platforms.json_candidates(json.loads(text))
        except ValueError:
            return Extraction("missing", method="json", error="the response is not valid JSON")
        return _finish(choose(found, variant, quantity), None, unit) if found else Extraction("missing", method="json", error="no price in the JSON (not a Shopify or WooCommerce product)")
    try:
        page = Selector(text=text)
        current = _without_struck_prices(text)
    except (ValueError, etree.ParserError) as exc:
        return Extraction("missing", error=f"unreadable page: {exc.__class__.__name__}")
    if price_list and price_list.get("rows"):
        found = pricelist.html_candidates(current, price_list["rows"], price_list["match"], price_list["price"], price_list.get("pack"), separator)
        return _finish(choose(found, variant, quantity), None, unit) if found else Extraction("missing", method="price-list", error=f"no row matching {price_list['match']!r} with a price")
    if selector:
        found = _selector_candidates(current, selector, separator)
        if not found:
            return Extraction("missing", method=selector.partition(":")[0], error=f"selector {selector!r} matched no price")
        return _finish(choose(found, variant, quantity), page, unit)
    for method, candidates in _structured_sources(text, url, separator, page):
        if candidates:
            return _finish(choose(candidates, variant, quantity), page, unit)
    return Extraction("missing", error="no price on the page (no selector, schema.org, shop markup or OpenGraph price)")


def _kind(body: str | bytes, url: str, content_type: str) -> str:
    lowered = content_type.lower()
    path = url.lower().split("?", 1)[0]
    if "spreadsheetml" in lowered or path.endswith(".xlsx") or (isinstance(body, bytes) and body[:2] == b"PK"):
        return "xlsx"
    if "csv" in lowered or path.endswith(".csv"):
        return "csv"
    head = body[:64].lstrip() if isinstance(body, (str, bytes)) else ""
    if "json" in lowered or path.endswith((".js", ".json")) or head[:1] in ("{", "[", b"{", b"["):
        return "json"
    return "html"


# What each syntax cannot do without. Parsing a syntax the page does not use costs the most:
# RDFa parsing alone took 60 % of a night's CPU on ordinary product pages.
_SYNTAX_MARKERS = {
    "json-ld": ("application/ld+json",),
    "microdata": ("itemscope", "itemprop"),
    "rdfa": ("typeof", "vocab="),
    "opengraph": ("og:", "product:"),
}


def syntaxes_used(html: str) -> list[str]:
    """The structured-data syntaxes a page may hold, judged from their required attributes."""
    lowered = html.lower()
    return [syntax for syntax, markers in _SYNTAX_MARKERS.items() if any(m in lowered for m in markers)]


def _structured_sources(html: str, url: str, separator: str, page: Selector):  # noqa: ANN202 (a generator of pairs)
    data: dict[str, Any] = {}
    if syntaxes := syntaxes_used(html):
        try:
            data = extruct.extract(html, base_url=url, syntaxes=syntaxes, uniform=True, errors="ignore")
        except Exception:  # extruct raises whatever its parsers raise on broken markup; fall through to theme markup
            data = {}
    yield "json-ld", structured.schema_candidates(data.get("json-ld", []), "json-ld")
    yield "microdata", structured.schema_candidates(data.get("microdata", []), "microdata")
    yield "rdfa", structured.schema_candidates(structured.rdfa_as_schema(data.get("rdfa", [])), "rdfa")
    yield "markup", platforms.markup_candidates(page, separator)  # the whole page: themes mark current and old prices apart
    yield "opengraph", structured.opengraph_candidates(data.get("opengraph", []))


def every_source(body: str | bytes, url: str, locale: str = "en_US") -> list[tuple[str, list[Candidate]]]:
    """Every structured source of a page with the prices it holds, for people choosing a config."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return [(m, c) for m, c in _structured_sources(text, url, get_decimal_symbol(locale), Selector(text=text)) if c]
    except (ValueError, etree.ParserError):
        return []


_BLOCKED = re.compile(
    r"g-recaptcha|h-captcha|cf-challenge|cf-browser-verification|challenge-platform|verify (that )?you are (a )?human|"
    r"are you a robot|unusual traffic|access (to this page )?(has been )?denied|bot detection|"
    r"log ?in to see (the )?prices|sign in to see (the )?prices|anmelden, um preise|connectez-vous pour voir",
    re.IGNORECASE,
)


def blocked_reason(body: str | bytes) -> str | None:
    """Why a page served with 200 is not the product page: a captcha, a bot wall or a login wall."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if match := _BLOCKED.search(text[:200_000]):
        return f"blocked: the supplier served a captcha or login page ({match.group(0)!r}), not the product"
    if re.search(r"<input[^>]+type=[\"']?password", text[:200_000], re.IGNORECASE) and not re.search(r"price", text[:200_000], re.IGNORECASE):
        return "blocked: the supplier served a login page, not the product"
    return None
