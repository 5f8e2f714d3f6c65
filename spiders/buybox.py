"""The price a buyer sees: every price-like text of a page, where it sits, and the one in the buy box.

The last source of the chain, for pages without structured data, and the witness that checks the
structured data against what the page shows. A price counts as the page's own when it sits with
the product's title or its add-to-cart control, not in navigation, footers, banners, carts or
blocks of other products; struck-through "was" prices, shipping thresholds, unit prices, savings
and instalments are never it. When the buy box does not single out one price, the answer stays
missing: a guess would be stored as a valid price from the first night on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterator

from lxml import etree
from parsel import Selector

from .currencies import SYMBOLS, currency_in_text
from .numbers import NUMBER, read_number
from .plain_text import without_control

_WORD = re.compile(r"[a-z0-9]+")
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "option", "select", "textarea", "iframe", "button"}
# Regions that are not this product's buy box (class, id and role words).
_OTHER_PRODUCTS = {
    "related", "recommendation", "recommendations", "recommended", "recommend", "similar", "carousel", "slider", "swiper", "slick",
    "recent", "recently", "viewed", "upsell", "upsells", "crosssell", "also", "bundle", "accessories", "sponsored", "sims", "p13n",
}
_ELSEWHERE = _OTHER_PRODUCTS | {
    "nav", "navbar", "navigation", "menu", "megamenu", "footer", "breadcrumb", "breadcrumbs", "minicart", "banner", "newsletter",
    "reviews", "review", "comparison", "teaser", "popup", "modal", "tooltip", "advert", "ads",
}
_STRUCK_WORDS = {"old", "was", "before", "regular", "original", "strike", "strikethrough", "crossed", "barred", "rrp", "uvp",
                 "msrp", "compare", "previous", "instead", "statt", "vorher", "ancien", "oldprice", "wasprice", "listprice",
                 "full", "normal", "retail", "reference", "pvp"}
_SHIPPING = (r"shipping|delivery|postage|versand|lieferung|livraison|frais de port|spedizione|envío|envio|frete|entrega|doprava|"
             r"poštovné|poštnina|dostava|wysyłka|dostawa|szállítás|leverans|frakt|fragt|toimitus|pristatymas|piegāde|tarne|kargo|"
             r"доставка|משלוח|شحن|配送|送料|運費|배송")
# Words just before or after an amount that make it something other than the price of one item.
_NOT_THE_PRICE_BEFORE = re.compile(
    rf"{_SHIPPING}|\bfree\b|\bover\b|\babove\b|\borders?\b|ab einem|\bdès\b|partir de|\bfrom\b|\bab\b|\bdesde\b|\bda\b|\bod\b|"
    r"\bот\b|\bдо\b|最低|\bsave\b|\bspare|sparen|économisez|ahorra|risparmi|rabatt|discount|bonus|бонус|estimate|starting|"
    r"start(?:ing)? (?:bid|price)|grundpreis|prix au kilo|unit price|monthly|instal+ments?|raten|cuotas|finance|deposit|"
    r"anzahlung|minimum|\bmin\.|club|member|points|punkte|ポイント|포인트|點|积分|每期|分期|月付|할부|[-+−]\s*$",
    re.IGNORECASE,
)
_NOT_THE_PRICE_AFTER = re.compile(
    rf"^\s*(?:[~起]|/\s*(?:kg|g|l|ml|m2|m²|m3|100\s?g|100\s?ml|lb|oz|mo|month|mes|monat|mois)\b|"
    rf"per (?:kg|lb|litre|liter|100|month)|a month|monthly|/?\s*mtl\b|/?\s*mon\.|raten|bonus|бонус|%|points?\b|點|ポイント|{_SHIPPING})",
    re.IGNORECASE,
)
# Labels of a current price that is only a lower bound ("from 70.50", "$960 起"): still a current price.
_FROM = re.compile(r"\bfrom\b|\bab\b|\bdesde\b|\bda\b|\bod\b|\bот\b|partir|dès|起|~|starting|最低", re.IGNORECASE)
# A "was" price named by its label rather than its markup.
_WAS = re.compile(r"\b(?:msrp|rrp|uvp|was|list price|statt|avant|prima|antes|before|original price|regular price|retail)\b\s*:?\s*$", re.IGNORECASE)
# A price without VAT beside the price with it.
_NET = re.compile(r"excl|exkl|ex\.? ?vat|ex\.? ?tax|without vat|ohne mwst|netto|\bnet\b|bez dph|brez ddv|bez pdv|bez vat|hors tax|"
                  r"\bht\b|sin iva|senza iva|sem iva|без ндс|\+ ?vat", re.IGNORECASE)
_CART = re.compile(
    r"add.?to.?(?:cart|basket|bag|trolley)|addtocart|add_to_cart|buy.?now|buy.?button|btn.?cart|product-form__submit|"
    r"warenkorb|in den korb|ajouter au panier|aggiungi al carrello|añadir al carrito|agregar al carrito|adicionar ao carrinho|"
    r"do košíka|do koszyka|vložit do košíku|в корзину|купить|kosárba|varukorg|ostoskori|u košaricu|grozā|ostukorvi|sepete|"
    r"カートに入れる|加入購物車|購買|장바구니|구매하기|הוסף לסל|أضف|comprar|kaufen|acheter|\bbuy\b|in winkelwagen",
    re.IGNORECASE,
)
# Currency marks printed beside amounts: signs need no word boundary, words do ("12 kn", not "kneel"),
# and three-letter codes only the common ones ("05 TOP" is a product name, not Tongan money).
_SIGNS = sorted({*(k for k in SYMBOLS if not re.search(r"[a-zа-я]", k)), "元", "원", "円", "$"}, key=len, reverse=True)
_WORDS = ["Kč", "zł", "Ft", "kn", "Kn", "KN", "lei", "Lei", "LEI", "TL", "Rs", "kr", "Kr", "Rp", "RM", "Fr", "руб", "грн", "тг", "лв",
          "R$", "NT$", "HK$", "C$", "CA$", "A$", "AU$", "NZ$", "US$", "S$"]
_CODES = ("EUR USD GBP CHF JPY CNY CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN HRK RUB UAH TRY ILS INR PKR BRL ARS CLP MXN "
          "COP PEN ZAR KRW TWD HKD SGD MYR THB IDR PHP VND SAR AED QAR KWD EGP NGN KES BYN KZT RSD ISK LKR BDT").split()
_MARK = ("(?:" + "|".join(re.escape(s) for s in _SIGNS) + r"|(?<![^\W\d_])(?:" + "|".join(re.escape(s) for s in sorted(_WORDS + _CODES, key=len, reverse=True))
         + r")\.?(?![^\W\d_]))")
_AMOUNT = r"\d[\d.,'’ \u00a0\u202f\u2009]*(?:[.,][-–—])?"
_MONEY = re.compile(rf"(?P<before>{_MARK})\s*(?P<a>{_AMOUNT})|(?<![\w.,\-/])(?P<b>{_AMOUNT})\s*(?P<after>{_MARK})")
_PRICE_WORDS = re.compile(r"price|preis|prix|prezzo|precio|preço|cena|cijena|hind|hinta|kaina|pris|fiyat|цена|ціна|價|价|価|가격|amount", re.IGNORECASE)


@dataclass(frozen=True)
class VisiblePrice:
    """One price-like text as shown, with where it sits on the page."""

    amount: Decimal
    text: str
    currency: str | None
    where: str  # in words: "beside the title", "in a block of other products", ...
    selector: str  # a CSS selector an owner can paste as ``price:``
    struck: bool = False
    excluded: str | None = None  # why it cannot be this product's price
    order: int = 0  # position in the page
    net: bool = False  # labelled as without VAT


@dataclass(frozen=True)
class BuyBox:
    """The buy box's price (or None with why), and every price-like text of the page."""

    price: VisiblePrice | None
    confidence: float
    why: str
    prices: tuple[VisiblePrice, ...] = field(default=())

    @property
    def struck_amounts(self) -> set[Decimal]:
        return {p.amount for p in self.prices if p.struck}

    @property
    def current_amounts(self) -> set[Decimal]:
        return {p.amount for p in self.prices if not p.struck and not p.excluded}


def _tokens(element: etree._Element) -> set[str]:
    """The words of an element's class, id and role ("product-price" -> product, price); a class
    that negates ("no-slider", "withoutSidebar") says nothing."""
    names = " ".join(str(element.get(a) or "") for a in ("class", "id", "role", "data-test", "data-testid", "itemprop")).split()
    words = " ".join(n for n in names if not re.match(r"(?i)(no|not|non|without)[-_A-Z]", n))
    return set(_WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", words).lower().replace("_", " ").replace("-", " ")))


def _hidden(element: etree._Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return element.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style


class _TooLong(Exception):
    pass


def _text(element: etree._Element, limit: int = 160) -> str | None:
    """The element's text as shown ("$229<sup>99</sup>" reads $229.99, hidden parts left out), or
    None when it is longer than ``limit``: a price is never a paragraph."""
    parts: list[str] = []
    size = 0

    def add(text: str) -> None:
        nonlocal size
        last, first = (parts[-1][-1:] if parts else ""), text[:1]
        if parts and not (last in _JOINS and first in _JOINS and (last in ".," or first in ".,")):
            parts.append(" ")  # element boundaries read as spaces, except at a separator: 12<b>,</b>44
        parts.append(text)
        size += len(text)
        if size > limit * 4 and len(" ".join("".join(parts).split())) > limit:
            raise _TooLong

    def walk(node: etree._Element) -> None:
        if node.text:
            add(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _SKIP_TAGS and not _hidden(child):
                if (len(child) == 0 and child.text and len(child.text.strip()) == 2 and child.text.strip().isdigit()
                        and parts and "".join(parts).rstrip()[-1:].isdigit()
                        and (child.tag in ("sup", "small") or _tokens(child) & _CENTS)):
                    add(".")  # cents set apart: 229<sup>99</sup>
                walk(child)
            if child.tail:
                add(child.tail)

    try:
        walk(element)
    except _TooLong:
        return None
    shown = " ".join(without_control("".join(parts)).split())  # "\x1b[2J" shows no 2
    return shown if len(shown) <= limit else None


_JOINS = set("0123456789.,")
_CENTS = {"cents", "cent", "fraction", "decimal", "decimals", "minor", "right", "end"}


def _selector_for(element: etree._Element, nth: dict[etree._Element, tuple[int, int]] | None = None) -> str:
    """A short CSS path for the owner, unique among same-named siblings: the element and its
    ancestors up to the nearest one with an id (or three steps). ``nth`` keeps each element's
    (place among same-named siblings, how many) for a page's many prices: counting the siblings
    again for each price was quadratic (a page of 10,000 prices: 10 s of CPU, the night stopped)."""
    nth = {} if nth is None else nth
    steps = []
    node: etree._Element | None = element
    while node is not None and isinstance(node.tag, str) and node.tag not in ("html", "body"):
        step = node.tag
        if node.get("id") and re.fullmatch(r"[A-Za-z][\w-]*", node.get("id") or ""):
            steps.append(f"{step}#{node.get('id')}")
            break
        classes = [c for c in (node.get("class") or "").split() if re.fullmatch(r"[A-Za-z][\w-]*", c)]
        if classes:
            step += "." + ".".join(classes[:2])
        parent = node.getparent()
        if parent is not None:
            if node not in nth:
                by_tag: dict[Any, list[etree._Element]] = {}
                for child in parent:
                    by_tag.setdefault(child.tag, []).append(child)
                for same in by_tag.values():
                    for place, child in enumerate(same):
                        nth[child] = (place, len(same))
            place, count = nth[node]
            if count > 1:
                step += f":nth-of-type({place + 1})"
        steps.append(step)
        if len(steps) >= 3:
            break
        node = parent
    return "css:" + " ".join(reversed(steps)) + "::text"


def _places(element: etree._Element) -> tuple[bool, str | None]:
    """(struck, why it is elsewhere than the buy box) from the element and its ancestors."""
    struck = False
    node: etree._Element | None = element
    depth = 0
    while node is not None and isinstance(node.tag, str) and node.tag not in ("body", "html"):
        tokens = _tokens(node)
        if node.tag in ("del", "s", "strike") or (depth < 4 and tokens & _STRUCK_WORDS):
            struck = True
        if node.tag == "label":
            return struck, "in an option of a size or variant picker"
        if node.tag in ("nav", "footer", "aside") or (node.tag == "header" and _site_header(node)):
            return struck, f"in the page's {node.tag}"
        if tokens & _OTHER_PRODUCTS:
            return struck, "in a block of other products"
        if tokens & _ELSEWHERE or (tokens >= {"mini", "cart"}):
            return struck, "in navigation, a cart, a banner or the footer"
        node = node.getparent()
        depth += 1
    return struck, None


def _site_header(header: etree._Element) -> bool:
    """A <header> holding the site's logo, menu or search, not a product's heading."""
    if header.get("role") == "banner":
        return True
    return (header.find(".//nav") is not None or header.find(".//input") is not None) and header.find(".//h1") is None


def money_in(shown: str) -> re.Match[str] | None:
    """The first amount with a currency mark beside it."""
    return _MONEY.search(shown)


def _raw_text(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


_BODY_TEXTS = etree.XPath("//body//text()[not(parent::script or parent::style)]")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=2)
def body_texts(root: etree._Element) -> tuple[Any, ...]:
    """The texts of a page's body outside scripts and styles, in page order, read once for the
    price scan, the locale, the stock line and the pack label (an XPath regex test per text calls
    back into Python: four such walks cost more than the rest of a page's extraction).
    ``extract.forget_parsed_pages`` clears it with the page."""
    return tuple(_BODY_TEXTS(root))


def texts_with(root: etree._Element, pattern: re.Pattern[str], *, lowered: bool = False) -> Iterator[Any]:
    """The body's texts in which ``pattern`` is found (each knows its element: ``getparent()``);
    ``lowered``: searched in lower case (a lower-case pattern runs six times faster than ``(?i)``)."""
    if lowered:
        return (text for text in body_texts(root) if pattern.search(text.lower()))
    return (text for text in body_texts(root) if pattern.search(text))


def owners(texts: Iterator[Any]) -> list[etree._Element]:
    """The elements that hold these texts (a tail belongs to the enclosing element), each once."""
    found: dict[etree._Element, None] = {}
    for text in texts:
        parent = text.getparent()
        if parent is not None and text.is_tail:
            parent = parent.getparent()
        if parent is not None:
            found[parent] = None
    return list(found)


def scan(page: Selector, decimal: str | None, refused: list[str] | None = None) -> list[VisiblePrice]:
    """Every price-like text of the page, in page order, each with where it sits; the readings
    refused (a number that fits two readings) are added to ``refused``."""
    root = page.root
    found: list[VisiblePrice] = []
    seen: set[int] = set()
    order = {el: i for i, el in enumerate(root.iter())}
    invisible: dict[etree._Element, bool] = {}
    texts: dict[etree._Element, str] = {}
    nth: dict[etree._Element, tuple[int, int]] = {}  # for _selector_for
    around_of: dict[etree._Element, str] = {}  # for _context

    def out_of_sight(element: etree._Element) -> bool:
        """Hidden, or inside a script, a style, a select: memoised up the tree."""
        known = invisible.get(element)
        if known is None:
            parent = element.getparent()
            known = (not isinstance(element.tag, str) or element.tag in _SKIP_TAGS or _hidden(element)
                     or (parent is not None and out_of_sight(parent)))
            invisible[element] = known
        return known

    for text_node in texts_with(root, _DIGIT):
        parent = text_node.getparent()
        if parent is not None and (text_node.is_tail or not isinstance(parent.tag, str)):
            parent = parent.getparent()  # text after an element or a comment belongs to the enclosing element
        if parent is None or out_of_sight(parent):
            continue
        element, shown, money = None, "", None
        node = parent
        for _ in range(3):  # the smallest element around the number that reads as money
            raw = texts.get(node)
            if raw is None:
                raw = texts[node] = _raw_text(node)
            if len(raw) > 400 or len(" ".join(raw.split())) > 60:
                break
            if _MONEY.search(raw) or (NUMBER.search(raw) and _PRICE_WORDS.search(" ".join(_tokens(node)))):
                shown = _text(node, 60) or ""
                money = money_in(shown)
                if money or (NUMBER.search(shown) and len(shown) <= 25):
                    element = node
                break
            node = node.getparent()
            if node is None or not isinstance(node.tag, str) or node.tag in ("body", "html"):
                break
        if element is None or id(element) in seen:
            continue
        if money:
            number, start, end = money.group("a") or money.group("b"), money.start(), money.end()
            if re.sub(r"\D", "", without_control(str(text_node))) not in re.sub(r"\D", "", number):
                continue  # the money around is another number's: "-50%" beside "EUR219.99"
        seen.add(id(element))
        if not money:
            number_match = NUMBER.search(shown)
            if number_match is None:
                continue
            number, start, end = number_match.group(0), number_match.start(), number_match.end()
        reading = read_number(number.strip(), decimal)
        if reading.amount is None:
            if refused is not None and reading.why and _places(element)[1] is None:
                refused.append(reading.why)
            continue
        struck, elsewhere = _places(element)
        before, after = _context(element, shown, start, end, around_of)
        struck = struck or bool(_WAS.search(before))
        label = _label(before, after)
        excluded = elsewhere or (f"labelled {label!r}" if label else None)
        found.append(VisiblePrice(reading.amount, shown, currency_in_text(money.group(0)) if money else None,
                                  elsewhere or ("struck through" if struck else "in the page"),
                                  _selector_for(element, nth), struck, excluded, order.get(element, 0),
                                  bool(_NET.search(before) or _NET.search(after))))
    return found


def _context(element: etree._Element, shown: str, start: int, end: int,
             around_of: dict[etree._Element, str] | None = None) -> tuple[str, str]:
    """The words before and after the amount, within the element and its parent (``around_of``
    keeps each parent's text for a page's many prices)."""
    before, after = shown[:start], shown[end:]
    parent = element.getparent()
    if parent is not None and isinstance(parent.tag, str):
        around_of = {} if around_of is None else around_of
        around = around_of.get(parent)
        if around is None:
            around = around_of[parent] = _text(parent, 120) or ""
        at = around.find(shown)
        if 0 <= at:
            before, after = around[:at] + before, after + around[at + len(shown):]
    return before[-30:], after[:16]


def _label(before: str, after: str) -> str | None:
    """Words beside the amount saying it is not the item's price: shipping, from, save, per kg, a month."""
    match = _NOT_THE_PRICE_BEFORE.search(before) or _NOT_THE_PRICE_AFTER.search(after)
    return match.group(0).strip() if match else None


def _anchors(page: Selector, title: str | None) -> list[tuple[str, etree._Element]]:
    """The product's title element and its add-to-cart control, outside blocks of other products."""
    anchors: list[tuple[str, etree._Element]] = []
    headings = [h for h in page.xpath("//h1") if h.xpath("normalize-space()").get() and _places(h.root)[1] is None]
    if title and len(headings) > 1:
        wanted = set(_WORD.findall(title.lower()))
        headings.sort(key=lambda h: -len(wanted & set(_WORD.findall(h.xpath("normalize-space()").get().lower()))))
    anchors += [("title", heading.root) for heading in headings[:1]]
    for control in page.xpath("//button | //input[@type='submit' or @type='button' or @type='image'] | //a[contains(@class,'cart') or contains(@class,'buy') or contains(@id,'cart') or contains(@id,'buy')] | //form[contains(@action,'cart') or contains(@class,'cart')]"):
        element = control.root
        words = " ".join([control.xpath("normalize-space()").get() or "", element.get("value") or "", element.get("class") or "", element.get("id") or "", element.get("name") or "", element.get("action") or ""])
        if len(words) < 300 and _CART.search(words) and _places(element)[1] is None:
            anchors.append(("add-to-cart", element))
            break
    return anchors


def _headline(inside: list[VisiblePrice]) -> list[VisiblePrice]:
    """The prices a buyer reads as the price, in page order: a "was" price only counts when no
    current price stands beside it (shops also name the current price "old-price"), and a price
    without VAT only when it is shown first. A current price labelled "from" still makes the
    struck one a former price, though neither is then the price."""
    if any(not p.struck and not p.net and (not p.excluded or _FROM.search(p.excluded)) for p in inside):
        inside = [p for p in inside if not p.struck]
    usable = [p for p in inside if not p.excluded]
    return [p for i, p in enumerate(usable) if not p.net or i == 0]


def _ancestors(element: etree._Element) -> list[etree._Element]:
    return [element, *element.iterancestors()]


def buy_box(page: Selector, decimal: str | None, title: str | None = None, prices: list[VisiblePrice] | None = None) -> BuyBox:
    """The price beside the product's title or add-to-cart control, when one price stands out there."""
    refused: list[str] = []
    prices = scan(page, decimal, refused) if prices is None else prices
    usable = [p for p in prices if not p.excluded]
    if not usable:
        unread = f"; left unread: {refused[0]}" if refused else ""
        return BuyBox(None, 0.0, f"no price-like text outside navigation, banners and other products{unread}", tuple(prices))
    anchors = _anchors(page, title)
    if not anchors:
        return BuyBox(None, 0.0, "no product title (h1) or add-to-cart control to find the buy box by", tuple(prices))
    by_order = sorted((p for p in prices if p.excluded is None or p.excluded.startswith("labelled")), key=lambda p: p.order)
    choices: list[tuple[str, VisiblePrice, int, int]] = []
    order = {el: i for i, el in enumerate(page.root.iter())}
    for name, anchor in anchors:
        for depth, container in enumerate(_ancestors(anchor)):
            if container.tag == "html":
                break
            start, end = order[container], order[container] + sum(1 for _ in container.iter())
            inside = [p for p in by_order if start <= p.order < end]
            if not any(not p.excluded for p in inside):
                continue
            current = _headline(inside)
            if not current:
                break
            amounts = list(dict.fromkeys(p.amount for p in current))
            after = [p for p in current if p.order >= order[anchor]] if name == "title" else current
            chosen = (after or current)[0]
            choices.append((name, chosen, depth if container.tag != "body" else 99, len(amounts)))
            break
    if not choices:
        return BuyBox(None, 0.0, "no price shares a container with the title or the add-to-cart control", tuple(prices))
    picked = {c[1].amount for c in choices}
    if len(picked) > 1:
        shown = " and ".join(f"{c[1].text!r} near the {c[0]}" for c in choices)
        return BuyBox(None, 0.3, f"the title and the add-to-cart control sit beside different prices ({shown})", tuple(prices))
    name, chosen, depth, distinct = min(choices, key=lambda c: c[2])
    confidence = 1.0 if len(choices) == 2 else 0.8
    if distinct > 2:
        confidence -= 0.4
    elif distinct == 2:
        confidence -= 0.2
    if depth == 99:  # only the whole page holds both: a small page, or no buy box at all
        confidence -= 0.3
    elif depth > 8:
        confidence -= 0.2
    where = "beside the title and the add-to-cart control" if len(choices) == 2 else f"beside the {name}"
    chosen = VisiblePrice(chosen.amount, chosen.text, chosen.currency, where, chosen.selector, chosen.struck, None, chosen.order, chosen.net)
    others = f"; {distinct - 1} other price(s) there" if distinct > 1 else ""
    return BuyBox(chosen, round(confidence, 2), f"{chosen.text!r} {where}{others}", tuple(prices))


def _amount_forms(amount: Decimal) -> list[str]:
    """How an amount may be written in a page: 1299 as 1299, 1,299.00, 1.299,00, 1 299 or 1.299,-."""
    whole, _, fraction = f"{amount:f}".partition(".")
    fraction = fraction.rstrip("0")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    wholes = {"".join(groups)} | ({mark.join(groups) for mark in ",. \u00a0\u202f'’"} if len(groups) > 1 else set())
    if fraction:
        return [w + mark + fraction for w in wholes for mark in ".,"]
    return sorted(wholes, key=len, reverse=True)


def _occurrences(html: str, amount: Decimal, start: int, end: int):  # noqa: ANN202 (positions)
    """Where the amount is written in ``html[start:end]``, as whole numbers (not inside 12.50 or 1250)."""
    for form in _amount_forms(amount):
        at = html.find(form, start, end)
        while at >= 0:
            stop = at + len(form)
            before, after = html[at - 1:at] if at else "", html[stop:stop + 2]
            if not (before.isdigit() or before in (".", ",") and html[at - 2:at - 1].isdigit()) and not after[:1].isdigit() \
                    and not (after[:1] in ".," and after[1:2].isdigit() and not re.fullmatch(r"[.,]0{1,2}", html[stop:stop + 3].rstrip("<"))):
                yield at, stop
            at = html.find(form, stop, end)


_OPEN_TAG = re.compile(r"<([a-zA-Z][\w-]*)([^>]*)>")


def shown_as_current(html: str, amount: Decimal) -> bool:
    """A cheap witness, read from the page's source without building its tree: the amount appears
    as text beside a currency mark near the title, and not struck through, nor as a former,
    starting, shipping or monthly price. When it does not, the buy box is read to see what the page
    shows instead (a "no" here only costs that reading)."""
    title = html.find("<h1")
    near = (max(0, title - 4000), title + 30000) if title >= 0 else (0, len(html))
    for count, (start, end) in enumerate(_occurrences(html, amount, *near)):
        if count >= 60:
            break
        before = html[max(0, start - 600):start]
        if before.rfind("<") > before.rfind(">"):
            continue  # inside a tag: an attribute is for machines
        if html.rfind("<script", 0, start) > html.rfind("</script", 0, start):
            continue
        text_before = " ".join(re.sub(r"<[^>]*>", " ", before).split())
        text_after = " ".join(re.sub(r"<[^>]*>", " ", html[end:end + 300]).split())
        after_number = re.sub(r"^[.,](?:[-–]|0{1,2}(?!\d))", "", text_after)  # 1.299,- € and 25,00 €
        if not (re.search(rf"{_MARK}\s*$", text_before[-8:]) or re.match(rf"\s*{_MARK}", after_number[:8])):
            continue
        tags = _OPEN_TAG.findall(before)[-2:]
        if any(tag.lower() in ("del", "s", "strike") or _STRUCK_WORDS & set(_WORD.findall(
                re.sub(r"([a-z])([A-Z])", r"\1 \2", attrs).lower().replace("_", " ").replace("-", " "))) for tag, attrs in tags):
            continue
        if _WAS.search(text_before[-30:].rstrip(" $€£¥")) or _NOT_THE_PRICE_BEFORE.search(text_before[-30:]) or _NOT_THE_PRICE_AFTER.search(text_after[:16]):
            continue
        return True
    return False
