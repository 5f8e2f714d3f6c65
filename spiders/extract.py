"""Find an offer's price in a page or file, and say how sure we are.

The chain: the offer's own selector or price-list row; a shop's JSON endpoint; schema.org
JSON-LD, microdata, RDFa (GoodRelations too); shop-theme markup (WooCommerce, Magento,
BigCommerce); marketplace markup (Amazon); OpenGraph; and last, the price a buyer sees in the buy
box. The first source that has prices decides, and the others witness: which sources agreed is
recorded, and a source that disagrees is kept beside the price. Several different prices and
nothing to choose between them is *ambiguous*: never guessed. Pure functions, testable without a crawl.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Callable, Iterator

from lxml import etree
from parsel import Selector

from . import availability, buybox, locales, platforms, pricelist, structured
from .buybox import BuyBox, VisiblePrice
from .candidates import Candidate, Tier
from .currencies import iso_code
from .marketplaces import amazon_candidates
from .numbers import Reading, read_number, sane
from .packs import CONTENT_LABEL, converts, labelled_pack, pack_from_text, pack_problem, states_a_size

CONFIDENT = 0.6  # below this the buy box's price is not taken: missing beats a guess
# Prices nobody pays: struck-through and "was" prices.
_STRUCK_XPATH = ("//del | //s | //strike | //*[contains(@class,'old-price') or contains(@class,'was-price') or "
                 "contains(@class,'compare-at') or contains(@class,'price--compare') or contains(@class,'regular-price') "
                 "or contains(@class,'price-was') or contains(@class,'rrp')]")


@dataclass(frozen=True)
class Disagreement:
    """Another source of the same page that states a different price."""

    method: str
    price: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"method": self.method, "price": str(self.price)}


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
    agreed: tuple[str, ...] = ()  # the sources that state this price
    disputed: tuple[Disagreement, ...] = ()  # sources of the same page that state another
    locale: locales.PageLocale | None = None  # how the page's numbers were read
    visible: tuple[VisiblePrice, ...] = ()  # every price-like text, when the page was read for them
    currency_note: str | None = None  # a currency the page states that is not an ISO code
    pack_note: str | None = None  # why the sizes the page states give no pack ("8 oz or 16 oz, case of 12")

    @property
    def note(self) -> str | None:
        """What the owner should know about a price that was read, in words."""
        return "; ".join(n for n in (self.currency_note, self.pack_note) if n) or None


def parse_number(text: str, locale: str | None = "en_US") -> Reading:
    """Read a price as written in ``locale`` (``1.234,56 €`` in de_DE, ``$1,234.56`` in en_US);
    without a locale, only numbers whose shape says how they are written."""
    return read_number(text, locales.decimal_of(locale) if locale else None)


class _Page:
    """One HTML page and what extraction learns about it, each part read once and only when needed."""

    def __init__(self, text: str, url: str, locale: str | None):
        self.text, self.url, self.given = text, url, locale
        self.page = Selector(text=text)
        self.refused: list[str] = []  # prices the data states that are not prices (0, NaN), for the error

    @cached_property
    def title(self) -> str | None:
        return page_title(self.page)

    @cached_property
    def identity(self) -> structured.PageIdentity:
        page = self.page
        return structured.PageIdentity.of(self.url, page.xpath("//link[@rel='canonical']/@href").get(),
                                          page.xpath("//meta[@property='og:url']/@content").get(), self.title)

    @cached_property
    def syntaxes(self) -> list[str]:
        return syntaxes_used(self.text)

    @cached_property
    def data(self) -> dict[str, Any]:
        """JSON-LD, microdata and OpenGraph; RDFa is parsed apart, only when these have no price
        (its parser costs more than all the rest of a page's extraction)."""
        return _extruct(self.page.root, self.url, [s for s in self.syntaxes if s != "rdfa"])  # on the tree parsed once

    @cached_property
    def rdfa(self) -> list[Any]:
        if "rdfa" not in self.syntaxes or _rdfa_too_costly(self.text):
            return []
        return _extruct(self.text, self.url, ["rdfa"]).get("rdfa", [])

    @cached_property
    def locale(self) -> locales.PageLocale:
        if self.given:
            return locales.given(self.given)
        texts = _money_texts(self.page)
        shown = Counter(c for c in (buybox.currency_in_text(t) for t in texts) if c)
        return locales.infer(self.page, texts, self.data_currency or (shown.most_common(1)[0][0] if shown else None))

    @cached_property
    def data_currency(self) -> str | None:
        for block in self.data.get("json-ld", []) + self.data.get("microdata", []):
            found = re.search(r"""['"]price[Cc]urrency['"]:\s*['"]([A-Za-z]{3})""", json.dumps(block))
            if found:
                return iso_code(found.group(1)).code
        return None

    @cached_property
    def box(self) -> BuyBox:
        return buybox.buy_box(self.page, self.locale.decimal, self.title)

    @cached_property
    def current(self) -> Selector:
        """The page without struck-through prices, for the owner's selector. A large page gets no
        second tree (300 MB for 19 MB of dense markup): its struck prices are dropped from the one."""
        current = Selector(text=self.text) if len(self.text) <= ONE_TREE_CHARS else self.page
        for node in current.xpath(_STRUCK_XPATH):
            node.drop()
        if current is self.page:
            buybox.body_texts.cache_clear()  # its texts were read before the drop
        return current


# Bounds for hostile pages (issue 13). A parsed tree takes about 15 times the page's size; RDFa
# costs about 0.3 ms of CPU per attribute (13 s for a 1.8 MB page of RDFa products, 97 s and 3.4 GB
# for 31 MB), so it is skipped on pages that are large or full of it, never one product's page.
ONE_TREE_CHARS = 4_000_000
RDFA_MAX_CHARS = 1_000_000
RDFA_MAX_ATTRIBUTES = 5_000


def _rdfa_too_costly(text: str) -> bool:
    return len(text) > RDFA_MAX_CHARS or text.count("property=") + text.count("typeof=") > RDFA_MAX_ATTRIBUTES


@lru_cache(maxsize=1)
def _page(text: str, url: str, locale: str | None) -> _Page:
    """The offers of one page share its parse (the spider calls forget_parsed_pages() after each page)."""
    return _Page(text, url, locale)


def forget_parsed_pages() -> None:
    """Drop the last page's parsed trees and price list, once every offer on it has been read."""
    _page.cache_clear()
    buybox.body_texts.cache_clear()
    pricelist.table_rows.cache_clear()


def _extruct(document: Any, url: str, syntaxes: list[str]) -> dict[str, Any]:
    # Imported at the first page read, not when the crawl starts: extruct (with mf2py, bs4 and
    # rdflib's parsers) is 0.2 s of start-up, spent here while the first requests wait on their delay.
    import extruct

    if not syntaxes:
        return {}
    try:
        return extruct.extract(document, base_url=url, syntaxes=syntaxes, uniform=True, errors="ignore")
    except Exception:  # extruct raises whatever its parsers raise on broken markup; fall through to theme markup
        return {}


def _money_texts(page: Selector) -> list[str]:
    """Short texts with a currency beside a number: what tells how the page writes numbers."""
    texts = []
    for text in buybox.texts_with(page.root, _DIGIT):
        text = text.strip()
        if len(text) <= 40 and buybox.money_in(text):
            texts.append(text)
            if len(texts) >= 60:
                break
    return texts


_WORDS = re.compile(r"\w+")


def page_title(page: Selector) -> str | None:
    """The product's name as the page shows it: the main heading in full (not its first text, which
    on large marketplaces is a blank or a badge), else ``og:title``, else ``<title>``."""
    found: dict[str, list[str]] = {"amazon": [], "named": [], "h1": [], "og": [], "title": []}
    for node in page.root.xpath("//*[@id='productTitle'] | //h1 | //meta[@property='og:title'] | //title"):
        if node.tag == "meta":
            found["og"].append(node.get("content") or "")
            continue
        text = " ".join(etree.tostring(node, method="text", encoding=str, with_tail=False).split())
        if node.tag == "h1":
            named = node.xpath(".//*[@itemprop='name']")
            if named:
                found["named"].append(" ".join(etree.tostring(named[0], method="text", encoding=str, with_tail=False).split()))
        found["amazon" if node.get("id") == "productTitle" else node.tag if node.tag in ("h1", "title") else "h1"].append(text)
    if len(found["h1"]) > 1:  # a logo or a section in an h1 too: the heading that shares most words with og:title or <title>
        hint = set(_WORDS.findall(" ".join(found["og"][:1] or found["title"][:1]).lower()))
        found["h1"].sort(key=lambda text: -len(hint & set(_WORDS.findall(text.lower()))))
    return next((t.strip() for kind in found.values() for t in kind if t and t.strip()), None)


def _selector_candidates(page: Selector, selector: str, decimal: str | None) -> list[Candidate]:
    kind, _, query = selector.partition(":")
    texts: list[str] = []
    for text in (t.strip() for t in (page.css(query) if kind == "css" else page.xpath(query)).getall()):
        if texts and re.match(r"[.,]\d", text) and texts[-1][-1:].isdigit():
            texts[-1] += text  # cents in their own element continue the amount: "12" "<sup>,50 €</sup>"
        elif text:
            texts.append(text)
    found = []
    for text in texts:
        amount = read_number(text, decimal).amount
        if amount is not None:
            found.append(Candidate(amount, buybox.currency_in_text(text), kind, text))
    if not found and texts:  # a price split over several nodes: "12" "<sup>,50</sup>"
        joined = "".join(texts)
        amount = read_number(joined, decimal).amount
        if amount is not None:
            found.append(Candidate(amount, buybox.currency_in_text(joined), kind, " ".join(texts)))
    return found


def choose(candidates: list[Candidate], variant: str | None, quantity: Decimal | None) -> Extraction:
    """One price from a source's candidates, or why there is none."""
    method = candidates[0].method
    sane_ones = [c for c in candidates if sane(c.price) is not None]
    if not sane_ones:  # a price list cell "0" or "-": never a price of 0
        return Extraction("missing", method=method, error=f"the {method} price {candidates[0].raw!r} is not a price")
    candidates = sane_ones
    if variant:
        chosen = [c for c in candidates if c.matches(variant)]
        if not chosen:
            names = ", ".join(sorted({_offer_label(c) for c in candidates}))[:300]
            return Extraction("missing", method=method, error=f"variant {variant!r} not found in {method}; the page offers: {names}",
                              candidates=tuple(candidates))
        candidates = chosen
    prices = sorted({c.price_for(quantity) for c in candidates})
    if len(prices) > 1:
        shown = "; ".join(f"{c.price} {c.name or ''}".strip() for c in candidates[:6])
        return Extraction("ambiguous", method=method, candidates=tuple(candidates),
                          error=f"{len(prices)} different prices in {method} ({shown}); set 'variant:' on the offer to choose")
    best = candidates[0]
    return Extraction("ok", best.price_for(quantity), best.currency, method, best.raw, _stock_of(candidates), best.pack,
                      best.list_price, best.tiers, candidates=tuple(candidates), agreed=(method,))


def _offer_label(candidate: Candidate) -> str:
    """How the owner can name an offer in ``variant:``: its name and its SKU or other identifiers."""
    name = candidate.name or ""
    codes = sorted(i for i in candidate.ids if i != name.lower() and "/" not in i)
    return f"{name} ({', '.join(codes)})" if name and codes else name or ", ".join(codes) or "?"


def _stock_of(candidates: list[Candidate]) -> bool | None:
    """Several offers at one price (sizes of one product): buyable when any of them is."""
    states = {c.in_stock for c in candidates}
    if True in states:
        return True
    return False if states == {False} else None


def _counted(unit: str) -> bool:
    from monitor import units  # the project's one registry, with the trade units

    return units.is_count(unit)


def _fits(pack: str | None, unit: str | None) -> bool:
    return pack is not None and (unit is None or pack_from_text(pack, unit) is not None)


def _finish(found: Extraction, page: _Page | None, unit: str | None) -> Extraction:
    """Fill what the chosen source did not say from the rest of the page: stock words, and the pack
    (the first one stated that converts to the material's ``unit``: a case of 12 bottles, not 5 oz)."""
    in_stock = found.in_stock
    if in_stock is None and page is not None:
        in_stock = availability.visible_stock(page.page)
    if found.status != "ok":
        return replace(found, in_stock=in_stock)
    pack = found.pack if _fits(found.pack, unit) else None
    if pack is None:
        texts = [c.name for c in found.candidates[:1]]
        if page is not None:
            texts += [page.title, page.page.xpath("//meta[@property='og:title']/@content").get()]
        texts = list(dict.fromkeys(t for t in texts if t))
        # A stated pack that does not fit (litres for a material priced per kg) is still kept, so
        # pricing says it needs a density instead of silently taking one unit. A material counted
        # by the piece is the exception: a weight or size on its page is what one piece weighs (a
        # 10 lb mattress, a 8.3 kg shelf), not what the price buys, which is one piece.
        counted = unit is not None and _counted(unit)
        pack = next((p for p in (pack_from_text(t, unit) for t in texts) if p), None)
        if pack is None and not counted:
            pack = next((p for p in (pack_from_text(t) for t in texts) if p), None) or found.pack
        if pack is None and page is not None and states_a_size(page.text):  # a cheap look before walking the page
            pack = labelled_pack(_short_texts(page.page))
            pack = None if counted and not converts(pack, unit) else pack
        if pack is None and (problems := [p for p in map(pack_problem, texts) if p]):
            return replace(found, in_stock=in_stock, pack=None, pack_note=f"no pack read: {problems[0]}")
    return replace(found, in_stock=in_stock, pack=pack)


_DIGIT = re.compile(r"\d")
_SIZE_WORDS = re.compile(r"inhalt|menge|gewicht|conten|net |size|volume|weight|poids|peso|sold|verkauft|vendu")  # in lower case


def _short_texts(page: Selector) -> Iterator[str]:
    """Short labelled texts that may state what one price buys ("Inhalt: 0,75 l"), outside other
    products, one at a time: the first that gives a pack ends the walk."""
    for node in buybox.owners(buybox.texts_with(page.root, _SIZE_WORDS, lowered=True)):
        text = " ".join(etree.tostring(node, method="text", encoding=str, with_tail=False).split())
        if 4 <= len(text) <= 80 and CONTENT_LABEL.search(text) and not buybox._places(node)[1]:
            yield text
            if not _DIGIT.search(text) and (around := _label_and_value(node)):
                yield around


def _label_and_value(label: etree._Element) -> str | None:
    """A bare label's amount beside it: "<b>Inhalt:</b> 0,75 l", "<th>Net weight</th><td>25 kg</td>",
    "<dt>Weight</dt><dd>25 kg</dd>": the label's row (its parent), or the label and the element after it."""
    parent = label.getparent()
    if parent is not None:
        row = " ".join(" ".join(t for t in parent.itertext() if isinstance(t, str)).split())
        if len(row) <= 80:
            return row
    after = label.getnext()
    if after is None or not isinstance(after.tag, str):
        return None
    label_text = " ".join(t for t in label.itertext() if isinstance(t, str))
    text = " ".join(f"{label_text} {label.tail or ''} {' '.join(t for t in after.itertext() if isinstance(t, str))}".split())
    return text if len(text) <= 80 else None


def _with_currency(found: Extraction) -> Extraction:
    """An ISO code for the currency the source named; a code that is none is reported, not passed on."""
    if found.currency is None:
        return found
    reading = iso_code(found.currency)
    if reading.code is None and reading.problem:
        return replace(found, currency=None, currency_note=reading.problem)
    return replace(found, currency=reading.code or found.currency)


def extract_price(
    body: str | bytes, url: str, *, selector: str | None = None, variant: str | None = None, locale: str | None = None,
    content_type: str = "text/html", price_list: dict[str, Any] | None = None, quantity: Decimal | None = None,
    unit: str | None = None,
) -> Extraction:
    """The offer's price from one fetched page or file; ``unit`` (the material's) helps read the pack.
    ``locale`` says how the page writes numbers; without it the page tells (see ``locales``)."""
    kind = _kind(body, url, content_type)
    if kind in ("csv", "xlsx"):
        if not price_list:
            return Extraction("missing", error=f"a {kind.upper()} file needs 'list:' on the offer (match, price column)")
        data = body if isinstance(body, bytes) else body.encode()
        try:
            found = pricelist.table_candidates(data, kind, price_list["match"], price_list["price"], price_list.get("key"),
                                               price_list.get("pack"), price_list.get("sheet"), locales.decimal_of(locale) if locale else None)
        except Exception as exc:  # a broken spreadsheet is a missing price, with the reason
            return Extraction("missing", method=kind, error=f"unreadable {kind.upper()}: {exc.__class__.__name__}: {exc}"[:300])
        return _finish(choose(found, variant, quantity), None, unit) if found else Extraction("missing", method=kind, error=f"no row matching {price_list['match']!r}")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if kind == "json":
        try:
            found = platforms.json_candidates(json.loads(text))
        except ValueError:
            return Extraction("missing", method="json", error="the response is not valid JSON")
        return _with_currency(_finish(choose(found, variant, quantity), None, unit)) if found else Extraction(
            "missing", method="json", error="no price in the JSON (not a Shopify or WooCommerce product)")
    try:
        page = _page(text, url, locale)
    except (ValueError, etree.ParserError) as exc:
        return Extraction("missing", error=f"unreadable page: {exc.__class__.__name__}")
    if price_list and price_list.get("rows"):
        found = pricelist.html_candidates(page.current, price_list["rows"], price_list["match"], price_list["price"], price_list.get("pack"), page.locale.decimal if page.locale.decimal in (".", ",") else None)
        return _finish(choose(found, variant, quantity), None, unit) if found else Extraction("missing", method="price-list", error=f"no row matching {price_list['match']!r} with a price")
    if selector:
        selected = _selector_candidates(page.current, selector, page.locale.decimal)
        if not selected:
            return Extraction("missing", method=selector.partition(":")[0], error=f"selector {selector!r} matched no price",
                              locale=page.locale)
        return _with_currency(_finish(replace(choose(selected, variant, quantity), locale=page.locale), page, unit))
    primary, witnesses = _chain(page)
    chosen: Extraction
    if primary is None:
        chosen = _from_buy_box(page)
        if chosen.status != "ok" and page.refused:  # "price": "0" is a shop saying it has no price, not a bargain
            chosen = replace(chosen, error=f"no price: {'; '.join(dict.fromkeys(page.refused))}")
        return _with_currency(_finish(chosen, page, unit))
    chosen = choose(primary[1], variant, quantity)
    if chosen.status == "ambiguous" and not variant:
        chosen = _resolved_by_buy_box(chosen, page, quantity)
    if chosen.status == "ok" and not variant:  # the buy box shows the default choice, not the owner's variant
        chosen = _witnessed(chosen, witnesses, page)
    return _with_currency(_finish(replace(chosen, locale=page.locale if "locale" in page.__dict__ else None), page, unit))


def _from_buy_box(page: _Page) -> Extraction:
    """The last source: the price beside the title and the add-to-cart control, when one stands out."""
    box = page.box
    if box.price is None or box.confidence < CONFIDENT:
        why = box.why if box.price is None else f"{box.why}, not sure enough ({box.confidence:.1f})"
        return Extraction("missing", method="visible", locale=page.locale, visible=box.prices,
                          error=f"no price in structured data or shop markup, and the visible prices do not single one out: {why}")
    price = box.price
    return Extraction("ok", price.amount, price.currency, "visible", price.text, locale=page.locale, visible=box.prices,
                      agreed=("visible",))


def _resolved_by_buy_box(found: Extraction, page: _Page, quantity: Decimal | None) -> Extraction:
    """Several prices for one product (sizes, a sale and a list price): the one the buy box shows."""
    if len({c.group for c in found.candidates}) != 1:
        return found  # several products (a category page): not this page's to choose
    if len({c.pack for c in found.candidates}) > 1:
        return found  # sizes that buy different quantities: the owner says which one with 'variant:'

    box = page.box
    if box.price is None or box.confidence < CONFIDENT:
        return replace(found, visible=box.prices)
    shown = [c for c in found.candidates if c.price_for(quantity) == box.price.amount]
    if not shown:
        return replace(found, visible=box.prices)
    chosen = choose(shown, None, quantity)
    return replace(chosen, candidates=found.candidates, agreed=(found.method or "", "visible"), visible=box.prices)


def _witnessed(found: Extraction, others: list[tuple[str, list[Candidate]]], page: _Page) -> Extraction:
    """Check the chosen price against the page's other sources and what the page shows. When the
    buy box shows another price and the data's price appears only struck through or not at all,
    the buy box wins (the data is stale); either way the disagreement is recorded."""
    if found.tiers or found.price is None:
        return found  # quantity breaks: the page shows one of several prices by design
    price = found.price
    agreed = list(found.agreed)
    disputed: list[Disagreement] = []
    for method, candidates in others:
        prices = {c.price for c in candidates}
        if price in prices:
            agreed.append(method)
        elif len(prices) == 1:
            disputed.append(Disagreement(method, next(iter(prices))))
    if not disputed and buybox.shown_as_current(page.text, price):
        return replace(found, agreed=tuple(agreed))
    box = page.box
    if box.price is None or box.confidence < CONFIDENT:
        return replace(found, agreed=tuple(agreed), disputed=tuple(disputed), visible=box.prices)
    seen = box.price.amount
    if seen == price:
        return replace(found, agreed=(*agreed, "visible"), disputed=tuple(disputed), visible=box.prices)
    if price in box.struck_amounts or price not in box.current_amounts:
        backers = ["visible"] + [d.method for d in disputed if d.price == seen]
        against = [Disagreement(m, price) for m in agreed] + [d for d in disputed if d.price != seen]
        return replace(found, price=seen, method="visible", raw=box.price.text, agreed=tuple(backers), disputed=tuple(against),
                       visible=box.prices, list_price=price if price > seen else found.list_price, tiers=())
    return replace(found, agreed=tuple(agreed), disputed=(*disputed, Disagreement("visible", seen)), visible=box.prices)


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
    "rdfa": ("typeof=", "vocab="),
    "opengraph": ("og:", "product:"),
}


_TYPEOF = re.compile(r"typeof\s*=")


def syntaxes_used(html: str) -> list[str]:
    """The structured-data syntaxes a page may hold, judged from their required attributes
    (``typeof =`` as an attribute: scripts say ``typeof x`` everywhere)."""
    lowered = html.lower()  # once: a page is lowered, searched and never copied again
    return [syntax for syntax, markers in _SYNTAX_MARKERS.items()
            if any((_TYPEOF.search(lowered) is not None) if m == "typeof=" else m in lowered for m in markers)]


def _structured_sources(page: _Page) -> list[tuple[str, Callable[[], list[Candidate]]]]:
    """The chain's sources in order, each read only when asked for."""
    data, identity = page.data, lambda: page.identity  # read only when a page names several products
    return [
        ("json-ld", lambda: structured.schema_candidates(data.get("json-ld", []), "json-ld", identity, page.refused)),
        ("microdata", lambda: structured.schema_candidates(data.get("microdata", []), "microdata", identity, page.refused)),
        ("rdfa", lambda: structured.schema_candidates(structured.rdfa_as_schema(page.rdfa), "rdfa", identity, page.refused)),
        ("markup", lambda: platforms.markup_candidates(page.page, page.locale.decimal, page.title)),
        ("amazon", lambda: amazon_candidates(page.page, page.locale.decimal, page.title)),
        ("opengraph", lambda: structured.opengraph_candidates(data.get("opengraph", []), page.refused)),
    ]


# Sources read anyway with the page's data, so free to witness another source's price.
_WITNESSES = ("json-ld", "microdata", "opengraph")


def _chain(page: _Page) -> tuple[tuple[str, list[Candidate]] | None, list[tuple[str, list[Candidate]]]]:
    """The first source with prices, and the cheap sources after it that have prices too."""
    primary, witnesses = None, []
    for method, read in _structured_sources(page):
        if primary is None:
            if found := read():
                primary = (method, found)
        elif method in _WITNESSES and (found := read()):
            witnesses.append((method, found))
    return primary, witnesses


def every_source(body: str | bytes, url: str, locale: str | None = None) -> list[tuple[str, list[Candidate]]]:
    """Every structured source of a page with the prices it holds, for people choosing a config."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return [(m, found) for m, read in _structured_sources(_Page(text, url, locale)) if (found := read())]
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
    if _has_password_input(text[:200_000]) and not re.search(r"price", text[:200_000], re.IGNORECASE):
        return "blocked: the supplier served a login page, not the product"
    return None


# One <input ...> tag at a time, each looked at once: linear on 140 KB of "<input " (was quadratic, 6 s).
_INPUT_TAG = re.compile(r"<input\b[^>]{0,1000}", re.IGNORECASE)
_PASSWORD = re.compile(r"type\s*=\s*[\"']?password", re.IGNORECASE)


def _has_password_input(text: str) -> bool:
    return any(_PASSWORD.search(tag.group(0)) for tag in _INPUT_TAG.finditer(text))
