"""Prices from schema.org data (JSON-LD, microdata, RDFa, GoodRelations) and OpenGraph product tags.

Only the page's own product counts. Products a page merely mentions (related, similar, accessories,
the items of a list) are never walked; when a page carries several products side by side (a
carousel of "customers also bought" in microdata), the one this page is about is found by its URL,
its SKU in the address, its name against the page's title, and then its position. Prices are
machine-written numbers: read with a decimal point, never with the page's locale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from .candidates import Candidate, Tier
from .numbers import Reading, machine_number, machine_reading
from .packs import pack_from_reference, pack_from_text, pack_from_weight

SCHEMA_STOCK = {
    "instock": True, "instoreonly": True, "onlineonly": True, "limitedavailability": True,
    "presale": True, "preorder": True, "backorder": False, "outofstock": False,
    "soldout": False, "discontinued": False,
}
_PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "someproducts", "vehicle", "car", "book",
                  "softwareapplication", "offering", "someitems"}
# Nodes that are about the site or the page, never a thing for sale.
_NOT_FOR_SALE = {"organization", "website", "webpage", "itempage", "breadcrumblist", "itemlist", "searchaction", "person",
                 "localbusiness", "store", "onlinestore", "imageobject", "videoobject", "faqpage", "collectionpage"}
_STRUCK = {"strikethroughprice", "listprice", "msrp", "srp", "wasprice", "regularprice"}
_WORDS = re.compile(r"\w+")


def schema_number(value: Any) -> Decimal | None:
    """schema.org prices as machines write them: numbers, ``"26.00"``, ``"1,299.00"``; never 0,
    NaN, infinite or absurd, never a digit found inside an object, a list or ``true``."""
    return machine_number(value)


def _currency(value: Any) -> str | None:
    """A currency as written (a code or a symbol); an object or a list of several is none."""
    value = _first(value) if isinstance(value, list) and len(value) == 1 else value
    return value.strip() or None if isinstance(value, str) else None


def stock(availability: Any) -> bool | None:
    if not availability:
        return None
    if isinstance(availability, list):
        availability = availability[0] if availability else None
    return SCHEMA_STOCK.get(str(availability).rsplit("/", 1)[-1].lower().replace(" ", "").replace("_", ""))


def types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {re.split(r"[/#]", str(v))[-1].lower() for v in values}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass(frozen=True)
class PageIdentity:
    """What names the page's own product: its addresses and its title."""

    urls: frozenset[str] = frozenset()
    title: str | None = None
    address: str = ""

    @classmethod
    def of(cls, url: str, canonical: str | None, og_url: str | None, title: str | None) -> "PageIdentity":
        urls = frozenset(u for u in (_plain_url(x) for x in (url, canonical, og_url)) if u)
        return cls(urls, title, " ".join([url or "", canonical or "", og_url or ""]).lower())


def _plain_url(url: Any) -> str | None:
    if not url or not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return f"{parts.netloc.lower().removeprefix('www.')}{path}" if path else None


def _similarity(a: str | None, b: str | None) -> float:
    """Shared words over the words of the longer name: 1.0 for the same name, less for a sibling
    product that shares the brand and the line ("PRW-3100YB" against "PRW-60FC")."""
    if not a or not b:
        return 0.0
    left, right = set(_WORDS.findall(str(a).lower())), set(_WORDS.findall(str(b).lower()))
    return len(left & right) / max(len(left), len(right)) if left and right else 0.0


def _tops(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    """Top-level nodes of every block, ``@graph`` members included, and the ``mainEntity`` of
    a ``WebPage`` / ``ItemPage`` (where many shops nest their product)."""
    for block in blocks:
        for node in _as_list(block):
            if not isinstance(node, dict):
                continue
            members = _as_list(node["@graph"]) if "@graph" in node else [node]
            for member in members:
                if not isinstance(member, dict):
                    continue
                yield member
                for key in ("mainEntity", "mainEntityOfPage"):
                    for entity in _as_list(member.get(key)):
                        if isinstance(entity, dict) and types(entity) & _PRODUCT_TYPES:
                            yield entity


@dataclass
class _Product:
    node: dict[str, Any]
    position: int
    variants: list[dict[str, Any]] = field(default_factory=list)
    bare_offer: bool = False


def _products(blocks: list[Any]) -> list[_Product]:
    """Every product the page's data names at its top level, with its variants; offers that stand
    alone count only when no product does."""
    found: list[_Product] = []
    bare: list[_Product] = []
    seen: set[int] = set()
    for position, node in enumerate(_tops(blocks)):
        if id(node) in seen:
            continue
        seen.add(id(node))
        kinds = types(node)
        if kinds & _PRODUCT_TYPES:
            variants = [{**v, "_parent_name": node.get("name")} for v in _as_list(node.get("hasVariant")) if isinstance(v, dict)]
            found.append(_Product(node, position, variants))
        elif kinds & {"offer", "aggregateoffer"}:
            bare.append(_Product({"offers": node}, position, bare_offer=True))
        elif node.get("offers") and not kinds & _NOT_FOR_SALE:  # an Event, a Service, a Course: what the page sells
            found.append(_Product(node, position))
    return found or bare


def _score(product: _Product, identity: PageIdentity) -> float:
    """How surely a product is the page's own: its URL, its SKU in the address, its name as the title."""
    node = product.node
    offers = [o for o in _as_list(node.get("offers")) if isinstance(o, dict)]
    urls = {_plain_url(u) for u in [node.get("url"), node.get("@id"), *(o.get("url") for o in offers)]} - {None}
    score = 0.0
    if urls & identity.urls:
        score += 3
    for key in ("sku", "productID", "mpn", "gtin13", "gtin"):
        value = str(node.get(key) or "").strip().lower()
        if len(value) >= 4 and value in identity.address:
            score += 2
            break
    similarity = _similarity(node.get("name"), identity.title)
    if similarity >= 0.6:
        score += 2 * similarity
    return score


def main_products(products: list[_Product], identity: PageIdentity | Callable[[], PageIdentity] | None) -> list[_Product]:
    """The page's own product among several: the best by URL, SKU and title; all of them when
    nothing tells them apart (a category page stays ambiguous rather than guessed)."""
    if len(products) <= 1 or identity is None:
        return products
    if callable(identity):
        identity = identity()
    scores = [_score(p, identity) for p in products]
    best = max(scores)
    return products if best == 0 else [p for p, s in zip(products, scores) if s == best]


def _price_specs(offer: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(offer.get("priceSpecification")) if isinstance(s, dict)]


def _struck(spec: dict[str, Any]) -> bool:
    return str(spec.get("priceType", "")).rsplit("/", 1)[-1].lower() in _STRUCK


def _tiers(specs: list[dict[str, Any]]) -> tuple[Tier, ...]:
    tiers = []
    for spec in specs:
        quantity = spec.get("eligibleQuantity")
        price = schema_number(spec.get("price"))
        if isinstance(quantity, dict) and price is not None and not _struck(spec):
            low = schema_number(quantity["minValue"]) if quantity.get("minValue") is not None else Decimal(1)
            high = schema_number(quantity["maxValue"]) if quantity.get("maxValue") is not None else None
            if low is None or (high is None and quantity.get("maxValue") is not None):
                continue  # a break "from {'a': 5}" or "from true" is no break: never a tier from 1
            tiers.append(Tier(low, high, price))
    return tuple(sorted(tiers, key=lambda t: t.min_quantity)) if len(tiers) > 1 else ()


def _stated_price(offer: dict[str, Any], current: list[dict[str, Any]], tiers: tuple[Tier, ...]) -> tuple[Any, Reading]:
    """What an offer states as its price and how it reads: its ``price``, else an AggregateOffer's
    ``lowPrice`` (refused when above its ``highPrice``), else the first quantity break, else its
    price specification's."""
    raw = offer.get("price")
    if raw in (None, "") and "aggregateoffer" in types(offer):
        raw = offer.get("lowPrice")
        reading = machine_reading(raw)
        high = machine_reading(offer.get("highPrice")).amount
        if reading.amount is not None and high is not None and reading.amount > high:
            return raw, Reading(None, f"its lowest price {reading.amount} is above its highest {high}")
        return raw, reading
    if raw in (None, "") and tiers:
        raw = tiers[0].price
    if raw in (None, "") and current:
        raw = current[0].get("price")
    return raw, machine_reading(raw)


def _offer_candidate(product: dict[str, Any], offer: dict[str, Any], method: str, group: int) -> Candidate | str:
    """The offer as a candidate, or why its stated price is not one."""
    specs = _price_specs(offer)
    current = [s for s in specs if not _struck(s)]
    struck = [s for s in specs if _struck(s)]
    tiers = _tiers(specs)
    raw, reading = _stated_price(offer, current, tiers)
    price = reading.amount
    if price is None:
        return reading.why or "no price"
    reference = next((s.get("referenceQuantity") for s in current if s.get("referenceQuantity")), None)
    name = offer.get("name") or product.get("name")
    title = " ".join(str(n) for n in (product.get("_parent_name"), product.get("name"), offer.get("name")) if n)
    return Candidate(
        price=price,
        currency=_currency(offer.get("priceCurrency") or offer.get("pricecurrency"))
        or next((c for c in (_currency(s.get("priceCurrency")) for s in current) if c), None),
        method=method,
        raw=str(_first(raw))[:200],
        in_stock=stock(offer.get("availability") or product.get("availability")),
        name=str(name) if name else None,
        ids=_identifiers(product, offer),
        pack=pack_from_reference(reference) or pack_from_reference(offer.get("eligibleQuantity"))
        or pack_from_text(title) or pack_from_weight(product.get("weight")),
        list_price=schema_number(struck[0].get("price")) if struck else None,
        tiers=tiers,
        group=group,
    )


def _identifiers(product: dict[str, Any], offer: dict[str, Any]) -> frozenset[str]:
    """What a ``variant:`` can name: the offer's own SKU, GTIN, URL or name; the product's only when
    the offer has none (a product SKU shared by every offer would match them all)."""
    keys = ("sku", "mpn", "gtin", "gtin8", "gtin12", "gtin13", "gtin14", "productID", "@id", "url", "name")
    own = [offer.get(k) for k in keys if offer.get(k)]
    values = own if any(offer.get(k) for k in ("sku", "mpn", "gtin13", "gtin", "name")) else own + [product.get(k) for k in keys]
    return frozenset(str(v).strip().lower() for v in values if v and not isinstance(v, (dict, list)))


def _offers_of(product: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A product's offers; an AggregateOffer's own offers when they carry prices, else the aggregate
    (its lowPrice) when they are mere links."""
    for offer in _as_list(product.get("offers")):
        if not isinstance(offer, dict):
            continue
        nested = [o for o in _as_list(offer.get("offers")) if isinstance(o, dict)]
        priced = [o for o in nested if schema_number(o.get("price")) is not None or o.get("priceSpecification")]
        yield from priced or [offer]


def schema_candidates(blocks: list[Any], method: str, identity: PageIdentity | Callable[[], PageIdentity] | None = None,
                      refused: list[str] | None = None) -> list[Candidate]:
    """One candidate per offer of the page's own product (and its variants); prices stated but not
    prices (0, NaN, absurd) are added to ``refused``, in words."""
    found = []
    for group, product in enumerate(main_products(_products(blocks), identity)):
        for node in [product.node, *product.variants]:
            for offer in _offers_of(node):
                candidate = _offer_candidate(node, offer, method, group)
                if isinstance(candidate, Candidate):
                    found.append(candidate)
                elif refused is not None and candidate != "no price":
                    refused.append(f"its {method} price cannot be used: {candidate}")
    return found


def _short(key: str) -> str:
    return re.split(r"[/#]", key)[-1]


def rdfa_as_schema(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """extruct's RDFa output is expanded JSON-LD; shorten it so the schema.org walker reads it, and
    turn GoodRelations offerings (``gr:hasCurrencyValue``, still on many older shops) into offers."""
    by_id = {n.get("@id"): n for n in nodes}

    def short(node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": [_short(t) for t in node.get("@type", [])]}
        for key, values in node.items():
            if key.startswith("@"):
                continue
            converted = []
            for value in values:
                if "@value" in value:
                    converted.append(value["@value"])
                elif value.get("@id") in by_id and depth < 5:
                    converted.append(short(by_id[value["@id"]], depth + 1))
                else:
                    converted.append(value.get("@id"))
            out[_short(key)] = converted[0] if len(converted) == 1 else converted
        return out

    referenced = {v.get("@id") for n in nodes for k, vs in n.items() if not k.startswith("@") for v in vs if isinstance(v, dict)}
    tops = [short(n) for n in nodes if n.get("@id") not in referenced and n.get("@type")]
    return [_goodrelations(n) if "offering" in types(n) else n for n in tops]


def _goodrelations(offering: dict[str, Any]) -> dict[str, Any]:
    """A GoodRelations Offering as a schema.org Product with one Offer."""
    specs = [s for s in _as_list(offering.get("hasPriceSpecification")) if isinstance(s, dict)]
    spec = next((s for s in specs if s.get("hasCurrencyValue") is not None or s.get("hasMinCurrencyValue") is not None), {})
    included = next((i for i in _as_list(offering.get("includes") or offering.get("includesObject")) if isinstance(i, dict)), {})
    if "typeandquantitynode" in types(included):
        included = next((i for i in _as_list(included.get("typeOfGood")) if isinstance(i, dict)), included)
    name = offering.get("name") or included.get("name")
    return {
        "@type": "Product", "name": name, "sku": offering.get("hasStockKeepingUnit") or included.get("hasStockKeepingUnit"),
        "offers": {"@type": "Offer", "price": spec.get("hasCurrencyValue", spec.get("hasMinCurrencyValue")),
                   "priceCurrency": spec.get("hasCurrency"), "name": name,
                   "availability": offering.get("availability") or offering.get("hasInventoryLevel")},
    }


def opengraph_candidates(blocks: list[dict[str, Any]], refused: list[str] | None = None) -> list[Candidate]:
    """The ``product:price:amount`` (or ``og:price``) tags; one that is not a number is added to ``refused``."""
    found = []
    for og in blocks:
        if not isinstance(og, dict):
            continue
        raw = og.get("product:price:amount") or og.get("og:price:amount") or og.get("product:price") or og.get("og:price")
        reading = machine_reading(raw)
        price = reading.amount
        if price is None:
            if refused is not None and raw not in (None, ""):
                refused.append(f"its opengraph price cannot be used: {reading.why}")
            continue
        title = _first(og.get("og:title"))
        title = title if isinstance(title, str) else None
        found.append(Candidate(
            price=price, currency=_currency(og.get("product:price:currency") or og.get("og:price:currency")),
            method="opengraph", raw=str(_first(raw))[:200], in_stock=stock(_first(og.get("product:availability") or og.get("og:availability"))),
            name=title, ids=frozenset({str(title).lower()}) if title else frozenset(), pack=pack_from_text(title),
        ))
    return found
