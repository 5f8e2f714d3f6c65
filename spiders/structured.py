"""Prices from schema.org data (JSON-LD, microdata, RDFa) and OpenGraph product tags, via extruct.

Only the page's own product counts: products listed as related, similar or accessories, and the
items of a list, are left out, so a neighbour's price is never taken for this one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from price_parser import Price

from .candidates import Candidate, Tier
from .packs import pack_from_reference, pack_from_text

SCHEMA_STOCK = {
    "instock": True, "instoreonly": True, "onlineonly": True, "limitedavailability": True,
    "presale": True, "preorder": True, "backorder": False, "outofstock": False,
    "soldout": False, "discontinued": False,
}
# Properties through which a page mentions other products than the one it sells.
_OTHER_PRODUCTS = {"isRelatedTo", "isSimilarTo", "isAccessoryOrSparePartFor", "isConsumableFor", "itemListElement",
                   "mentions", "relatedLink", "review", "breadcrumb", "isVariantOf"}
_STRUCK = {"strikethroughprice", "listprice", "msrp", "srp", "wasprice", "regularprice"}


def schema_number(value: Any) -> Decimal | None:
    """schema.org prices: numbers, or strings with a '.' decimal point and maybe thousands commas."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return Price.fromstring(str(value), decimal_separator=".").amount


def stock(availability: Any) -> bool | None:
    if not availability:
        return None
    return SCHEMA_STOCK.get(str(availability).rsplit("/", 1)[-1].lower().replace(" ", ""))


def types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _tops(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    """Top-level nodes of every block, ``@graph`` members included."""
    for block in blocks:
        for node in _as_list(block):
            if isinstance(node, dict):
                if "@graph" in node:
                    yield from (n for n in _as_list(node["@graph"]) if isinstance(n, dict))
                else:
                    yield node


def _products(blocks: list[Any]) -> list[dict[str, Any]]:
    """The page's own products: top-level Product / ProductGroup nodes, variants expanded."""
    found = []
    for node in _tops(blocks):
        kinds = types(node)
        if kinds & {"product", "productgroup", "individualproduct", "productmodel"}:
            found.append(node)
            for variant in _as_list(node.get("hasVariant")):
                if isinstance(variant, dict):
                    found.append({**variant, "_parent_name": node.get("name")})
        elif kinds & {"offer", "aggregateoffer"}:
            found.append({"offers": node})
    return found


def _price_specs(offer: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(offer.get("priceSpecification")) if isinstance(s, dict)]


def _tiers(specs: list[dict[str, Any]]) -> tuple[Tier, ...]:
    tiers = []
    for spec in specs:
        quantity = spec.get("eligibleQuantity")
        price = schema_number(spec.get("price"))
        if isinstance(quantity, dict) and price is not None and str(spec.get("priceType", "")).rsplit("/", 1)[-1].lower() not in _STRUCK:
            low = schema_number(quantity.get("minValue")) or Decimal(1)
            high = schema_number(quantity.get("maxValue"))
            tiers.append(Tier(low, high, price))
    return tuple(sorted(tiers, key=lambda t: t.min_quantity)) if len(tiers) > 1 else ()


def _offer_candidate(product: dict[str, Any], offer: dict[str, Any], method: str) -> Candidate | None:
    specs = _price_specs(offer)
    current = [s for s in specs if str(s.get("priceType", "")).rsplit("/", 1)[-1].lower() not in _STRUCK]
    struck = [s for s in specs if s not in current]
    tiers = _tiers(specs)
    raw = offer.get("price")
    if raw is None and "aggregateoffer" in types(offer):
        raw = offer.get("lowPrice")
    if raw is None and tiers:
        raw = tiers[0].price
    if raw is None and current:
        raw = current[0].get("price")
    price = schema_number(raw)
    if price is None:
        return None
    reference = next((s.get("referenceQuantity") for s in current if s.get("referenceQuantity")), None)
    name = offer.get("name") or product.get("name")
    title = " ".join(str(n) for n in (product.get("_parent_name"), product.get("name"), offer.get("name")) if n)
    weight = product.get("weight")
    return Candidate(
        price=price,
        currency=offer.get("priceCurrency") or next((s.get("priceCurrency") for s in current if s.get("priceCurrency")), None),
        method=method,
        raw=str(raw),
        in_stock=stock(offer.get("availability") or product.get("availability")),
        name=str(name) if name else None,
        ids=_identifiers(product, offer),
        pack=pack_from_reference(reference) or pack_from_reference(offer.get("eligibleQuantity"))
        or pack_from_text(title) or pack_from_reference(weight if isinstance(weight, dict) else None),
        list_price=schema_number(struck[0].get("price")) if struck else None,
        tiers=tiers,
    )


def _identifiers(product: dict[str, Any], offer: dict[str, Any]) -> frozenset[str]:
    """What a ``variant:`` can name: the offer's own SKU, GTIN, URL or name; the product's only when
    the offer has none (a product SKU shared by every offer would match them all)."""
    keys = ("sku", "mpn", "gtin", "gtin8", "gtin12", "gtin13", "gtin14", "productID", "@id", "url", "name")
    own = [offer.get(k) for k in keys if offer.get(k)]
    values = own if any(offer.get(k) for k in ("sku", "mpn", "gtin13", "gtin", "name")) else own + [product.get(k) for k in keys]
    return frozenset(str(v).strip().lower() for v in values if v)


def schema_candidates(blocks: list[Any], method: str) -> list[Candidate]:
    """One candidate per offer of the page's own products."""
    found = []
    for product in _products(blocks):
        offers = _as_list(product.get("offers"))
        for offer in offers:
            if not isinstance(offer, dict):
                continue
            nested = [o for o in _as_list(offer.get("offers")) if isinstance(o, dict)]
            for each in nested or [offer]:
                candidate = _offer_candidate(product, each, method)
                if candidate is not None:
                    found.append(candidate)
    return found


def rdfa_as_schema(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """extruct's RDFa output is expanded JSON-LD; shorten it so the schema.org walker reads it."""
    by_id = {n.get("@id"): n for n in nodes}

    def short(node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": [t.rsplit("/", 1)[-1] for t in node.get("@type", [])]}
        for key, values in node.items():
            if key.startswith("@"):
                continue
            name = key.rsplit("/", 1)[-1]
            converted = []
            for value in values:
                if "@value" in value:
                    converted.append(value["@value"])
                elif value.get("@id") in by_id and depth < 5:
                    converted.append(short(by_id[value["@id"]], depth + 1))
                else:
                    converted.append(value.get("@id"))
            out[name] = converted[0] if len(converted) == 1 else converted
        return out

    referenced = {v.get("@id") for n in nodes for k, vs in n.items() if not k.startswith("@") for v in vs if isinstance(v, dict)}
    return [short(n) for n in nodes if n.get("@id") not in referenced and n.get("@type")]


def opengraph_candidates(blocks: list[dict[str, Any]]) -> list[Candidate]:
    found = []
    for og in blocks:
        raw = og.get("product:price:amount") or og.get("og:price:amount")
        if isinstance(raw, list):
            raw = raw[0]
        price = schema_number(raw)
        if price is None:
            continue
        title = _first(og.get("og:title"))
        found.append(Candidate(
            price=price, currency=_first(og.get("product:price:currency") or og.get("og:price:currency")),
            method="opengraph", raw=str(raw), in_stock=stock(_first(og.get("product:availability") or og.get("og:availability"))),
            name=title, ids=frozenset({str(title).lower()}) if title else frozenset(), pack=pack_from_text(title),
        ))
    return found
