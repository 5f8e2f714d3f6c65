"""Shop platforms small suppliers run on: Shopify and WooCommerce JSON endpoints, and the product
markup of WooCommerce, Magento 2 and BigCommerce themes when a page has no schema.org price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from .candidates import Candidate
from .numbers import machine_number, read_number
from .packs import pack_from_grams, pack_from_text


def shopify_js_url(url: str) -> str:
    """The ``/products/<handle>.js`` endpoint of a Shopify product page (variants, prices in cents)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith((".js", ".json")):
        path += ".js"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _ids(*values: Any) -> frozenset[str]:
    return frozenset(str(v).strip().lower() for v in values if v not in (None, ""))


def _shopify(product: dict[str, Any], cents: bool) -> list[Candidate]:
    found = []
    for variant in product.get("variants") or []:
        raw = variant.get("price")
        amount = machine_number(raw)
        if amount is None:  # missing, 0, NaN or garbage: never a price
            continue
        price = (amount / 100).quantize(Decimal("0.01")) if cents else amount
        compare = machine_number(variant.get("compare_at_price"))
        list_price = ((compare / 100).quantize(Decimal("0.01")) if cents else compare) if compare else None
        name = variant.get("name") or " - ".join(p for p in (product.get("title"), variant.get("title")) if p and p != "Default Title")
        grams = variant.get("grams", variant.get("weight"))
        found.append(Candidate(
            price=price, currency=None, method="shopify", raw=str(raw),
            in_stock=variant.get("available") if isinstance(variant.get("available"), bool) else None,
            name=name or None, ids=_ids(variant.get("id"), variant.get("sku"), variant.get("title"), variant.get("barcode")),
            pack=pack_from_text(variant.get("title")) or pack_from_text(product.get("title")) or pack_from_grams(grams),
            list_price=list_price if list_price and list_price > price else None,
        ))
    return found


def _woocommerce(product: dict[str, Any]) -> list[Candidate]:
    prices = product.get("prices") or {}
    raw = prices.get("price")
    amount = machine_number(raw)
    if amount is None:
        return []
    minor = prices.get("currency_minor_unit", 2)
    if isinstance(minor, str) and minor.strip().isdigit():
        minor = int(minor)
    if not isinstance(minor, int) or isinstance(minor, bool) or not 0 <= minor <= 6:
        return []  # true (1 in Python) or 2.5 digits of cents would divide the price by the wrong power of ten
    scale = Decimal(10) ** minor
    price = amount / scale
    regular = machine_number(prices.get("regular_price"))
    list_price = regular / scale if regular is not None else None
    return [Candidate(
        price=price, currency=prices.get("currency_code"), method="woocommerce", raw=str(raw),
        in_stock=product.get("is_in_stock") if isinstance(product.get("is_in_stock"), bool) else None,
        name=product.get("name"), ids=_ids(product.get("id"), product.get("sku"), product.get("slug"), product.get("name")),
        pack=pack_from_text(product.get("name")), list_price=list_price if list_price and list_price > price else None,
    )]


def json_candidates(data: Any) -> list[Candidate]:
    """Prices from a shop's JSON endpoint: Shopify ``.js`` / ``.json``, WooCommerce Store API."""
    if isinstance(data, dict) and isinstance(data.get("product"), dict) and "variants" in data["product"]:
        return _shopify(data["product"], cents=False)  # /products/<handle>.json: prices as "12.50"
    if isinstance(data, dict) and "variants" in data and "handle" in data:
        return _shopify(data, cents=True)  # /products/<handle>.js: prices in cents
    products = data if isinstance(data, list) else [data]
    return [c for p in products if isinstance(p, dict) and "prices" in p for c in _woocommerce(p)]


def _text_price(texts: list[str], decimal: str | None) -> Decimal | None:
    raw = " ".join(t.strip() for t in texts if t.strip())
    return read_number(raw, decimal).amount if raw else None


def markup_candidates(page: Selector, decimal: str | None, title: str | None = None) -> list[Candidate]:
    """The main product's price in WooCommerce, Magento 2 or BigCommerce theme markup; amounts in
    attributes read as machines write them, visible text with the page's decimal separator."""
    title = title or page.css("h1::text").get()
    pack = pack_from_text(title)
    # Magento 2: data-price-amount on the final price, inside the main product column if there is one.
    main = page.css(".product-info-main") or page
    amounts = main.css('[data-price-type="finalPrice"]::attr(data-price-amount)').getall()
    if amounts and (price := machine_number(amounts[0])) is not None:
        old = main.css('[data-price-type="oldPrice"]::attr(data-price-amount)').get()
        return [Candidate(price, None, "magento", amounts[0], name=title, pack=pack, list_price=machine_number(old) if old else None)]
    # BigCommerce: the product view's price without tax; the non-sale price is the struck one.
    view = page.css(".productView")
    if view:
        price = _text_price(view.css("[data-product-price-without-tax]::text, [data-product-price-with-tax]::text").getall()[:1], decimal)
        if price is not None:
            return [Candidate(price, None, "bigcommerce", str(price), name=title, pack=pack)]
    # WooCommerce: the summary's price, the <ins> one when on sale; related products sit outside .summary.
    summary = page.css(".summary .price, .product .entry-summary .price")
    if summary:
        node = summary[0]
        texts = node.css("ins .amount ::text").getall() or node.xpath(".//*[contains(@class,'amount')][not(ancestor::del)]//text()").getall()
        price = _text_price(texts, decimal)
        if price is not None:
            return [Candidate(price, None, "woocommerce", str(price), name=title, pack=pack)]
    return []
