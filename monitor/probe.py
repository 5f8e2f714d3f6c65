"""``supplywatch probe``: show every price a page offers and the config lines to watch it.

For each page: the price the chain would store and where it came from, how the page's numbers were
read (the locale inferred or given) and in which currency, every other price the structured data
holds, and on pages without structured data every price-like text with where it sits, so the owner
can point at one with ``--price``. ``--json`` prints the same as one JSON object per page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from spiders.buybox import VisiblePrice
from spiders.candidates import Candidate
from spiders.extract import Extraction, every_source, extract_price
from spiders.platforms import shopify_js_url

from . import display, units


@dataclass
class Probe:
    source: str
    extraction: Extraction
    unit: str | None
    others: list[tuple[str, list[Candidate]]]  # sources the chain did not use, for comparison
    variant: str | None = None
    selector: str | None = None
    locale_given: str | None = None


def fetch(urls: list[str], contact: str) -> dict[str, dict[str, Any]]:
    """Polite fetches through Scrapy, one spider for all pages (robots.txt obeyed, identifying
    User-Agent, one request at a time per supplier)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from spiders import settings as project_settings
    from spiders.spiders.probe import ProbeSpider

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict({"USER_AGENT": f"supplywatch/0.1 (price monitor; contact: {contact})", "LOG_ENABLED": False, "RETRY_TIMES": 1})  # the reason is in the item, in words
    process = CrawlerProcess(settings)
    found: dict[str, dict[str, Any]] = {}

    class Keep:
        def item(self, item: dict[str, Any]) -> None:
            found[item["requested"]] = item

    keeper = Keep()
    crawler = process.create_crawler(ProbeSpider)
    crawler.signals.connect(keeper.item, signal=signals.item_scraped)
    process.crawl(crawler, urls=urls)
    process.start()
    return {url: found.get(url, {"url": url, "status": None, "error": "nothing fetched (robots.txt may forbid it)"}) for url in urls}


def probe_all(targets: list[str], *, locale: str | None, variant: str | None, selector: str | None, platform: str | None,
              unit: str | None, contact: str) -> list[Probe | ValueError]:
    """Each target (a saved file or a URL) probed in order; a target that cannot be read gives its error."""
    urls = [t for t in targets if not Path(t).exists()]
    fetched = fetch([shopify_js_url(u) if platform == "shopify" else u for u in urls], contact) if urls else {}
    results: list[Probe | ValueError] = []
    for target in targets:
        path = Path(target)
        if path.exists():
            body: bytes | str = path.read_bytes()
            url, content_type = path.resolve().as_uri(), ""
        else:
            page = fetched[shopify_js_url(target) if platform == "shopify" else target]
            if page.get("error"):
                why = f"HTTP {page['status']}" if page.get("status") else page["error"]
                results.append(ValueError(f"could not fetch {target}: {why}"))
                continue
            body, url, content_type = page["body"], page["url"], page["content_type"]
        results.append(_probe_body(target, body, url, content_type, locale=locale, variant=variant, selector=selector, unit=unit))
    return results


def probe(target: str, *, locale: str | None, variant: str | None, selector: str | None, platform: str | None,
          unit: str | None, contact: str) -> Probe:
    (result,) = probe_all([target], locale=locale, variant=variant, selector=selector, platform=platform, unit=unit, contact=contact)
    if isinstance(result, ValueError):
        raise result
    return result


def _probe_body(target: str, body: bytes | str, url: str, content_type: str, *, locale: str | None, variant: str | None,
                selector: str | None, unit: str | None) -> Probe:
    found = extract_price(body, url, selector=selector, variant=variant, locale=locale, content_type=content_type, unit=unit)
    others = [] if "json" in content_type or target.endswith((".js", ".json")) else [
        (m, [c for c in cs if not _same_as_chosen(c, found)]) for m, cs in every_source(body, url, locale) if m != found.method]
    return Probe(target, found, unit, [(m, cs) for m, cs in others if cs], variant, selector, locale)


def _key(c: Candidate) -> tuple[Any, ...]:
    return (c.method, c.price, c.name, c.pack, c.in_stock, tuple(sorted(c.ids)))


def _same_as_chosen(c: Candidate, found: Extraction) -> bool:
    return any(_key(c) == _key(d) for d in found.candidates)


def _unique(candidates: list[Candidate] | tuple[Candidate, ...]) -> list[Candidate]:
    """Each candidate once: pages repeat the same offer (a product told in JSON-LD twice)."""
    return list({_key(c): c for c in candidates}.values())


def _unit_price(price: Decimal, currency: str | None, pack: str | None, unit: str | None) -> str:
    """"  = RON 247.63/L": in the page's currency and the owner's words, never "247.6286 per L"."""
    if not (pack and unit):
        return ""
    try:
        return f"  = {display.unit_price(float(units.unit_price(price, pack, unit)), currency or '', unit)}"
    except ValueError as exc:
        return f"  ({exc})"


def _pack_problem(pack: str | None, unit: str | None) -> str | None:
    """Why the page's pack cannot be priced per --unit (a table's stated weight, 10 lb, for a material
    bought each): pasted as it is, every night's price would be held back as suspect."""
    if not (pack and unit):
        return None
    try:
        units.unit_price(Decimal(1), pack, unit)
    except ValueError as exc:
        return str(exc)
    return None


def _describe(c: Candidate, unit: str | None) -> list[str]:
    stock = {True: "in stock", False: "OUT OF STOCK", None: "stock not stated"}[c.in_stock]
    # "known as": its SKUs and names, what variant: takes (was "ids:")
    details = [f"known as: {', '.join(sorted(c.ids))}" if c.ids else "", f"pack: {c.pack}" if c.pack else "pack: not stated", stock]
    if c.list_price:
        details.append(f"was {c.list_price}")
    if c.tiers:
        details.append("tiers: " + ", ".join(f"{t.min_quantity}+ at {t.price}" for t in c.tiers))
    return [f"  {c.method:<11} {c.price} {c.currency or ''}  {c.name or ''}".rstrip(),
            "      " + "; ".join(d for d in details if d) + _unit_price(c.price, c.currency, c.pack, unit)]


def _visible_lines(prices: tuple[VisiblePrice, ...], chosen: Extraction) -> list[str]:
    """Every price-like text once, with where it sits and the selector that points at it."""
    lines, seen = [], set()
    for p in prices:
        key = (p.amount, p.text, p.selector)
        if key in seen:
            continue
        seen.add(key)
        where = p.excluded or ("struck through (a former price)" if p.struck else p.where)
        if chosen.method == "visible" and chosen.raw == p.text and chosen.price == p.amount:
            where = "the buy box: chosen"
        lines.append(f"  {p.text[:50]:<28} -> {p.amount}  {where}")
        lines.append(f"      price: \"{p.selector}\"")
    return lines


def _currency(found: Extraction) -> str:
    if found.currency:
        return found.currency
    if found.currency_note:
        return f"not read ({found.currency_note}); the supplier's currency is used"
    return "not stated on the page; the supplier's currency is used"


def report(result: Probe, supplier: str = "SUPPLIER-ID") -> str:
    found = result.extraction
    lines = [f"{result.source}:"]
    candidates = _unique(found.candidates)
    if not candidates and found.status != "ok" and not found.visible:
        lines.append(f"  no price found: {found.error}")
    for c in candidates:
        lines += _describe(c, result.unit)
    others = [(m, _unique(cs)) for m, cs in result.others]
    if any(cs for _, cs in others):
        lines.append("\nAlso on the page (not used: an earlier source in the chain has a price):")
        for _, cs in others:
            for c in cs:
                lines += _describe(c, result.unit)
    if found.visible and (found.method == "visible" or found.status != "ok" or found.disputed):
        lines.append("\nPrices shown on the page, and where they sit:")
        lines += _visible_lines(found.visible, found)
    lines.append("")
    if found.locale is not None:
        lines.append(f"Numbers read as: {found.locale.describe()}")
    if found.status == "ok":
        lines.append(f"Currency: {_currency(found)}")
        lines.append(f"Chosen: {found.price} {found.currency or ''} by {found.method}" + (f", pack {found.pack}" if found.pack else ""))
        if found.agreed:
            lines.append(f"Stated by: {', '.join(found.agreed)}")
        for d in found.disputed:
            lines.append(f"Disputed: {d.method} says {d.price} (a first price like this is held as suspect until a second night confirms it)")
    else:
        lines.append(f"Not chosen ({found.status}): {found.error}")
    problem = _pack_problem(found.pack, result.unit)
    if problem:
        lines.append(f"Pack: the page says {found.pack}, which cannot be priced {units.priced(result.unit or '')} ({problem}); "
                     "say what one price buys with pack: in the config, or every night's price is held back as suspect")
    lines += ["", "Config to paste under the material's offers:", f"  - supplier: {supplier}", f"    url: {result.source}"]
    if problem:
        lines.append(f"    pack: 1 {result.unit}            # the page says {found.pack}: say what one price buys")
    elif found.pack:
        lines.append(f"    pack: {found.pack}")
    elif result.unit:  # pasted under a material priced per kg, "1 each" failed `check` (README walk)
        lines.append(f"    pack: 1 {result.unit}            # the page states none: say what one price buys (25 kg, 5 gal ...)")
    else:  # left out, the run reads the pack from the page, or takes one unit of the material
        lines.append("    # pack: 25 kg         # the page states none: say what one price buys, or leave it out for one unit")
    if result.selector:
        lines.append(f"    price: {json.dumps(result.selector)}")
    if found.status == "ok" and len(candidates) == 1 and result.variant:
        lines.append(f"    variant: {result.variant}")
    if found.status == "ambiguous":
        choice = next(iter(sorted(candidates[0].ids)), "SKU")
        lines.append(f"    variant: {choice}      # pick the SKU or name of the size you buy, from the list above")
    if found.status != "ok" and not candidates and not result.selector:
        pick = next((p.selector for p in found.visible if not p.excluded), 'css:.price::text')
        lines.append(f'    price: "{pick}"   # no structured price: point at the one you buy, from the list above')
    return "\n".join(lines)


def as_json(result: Probe | ValueError, target: str, supplier: str = "SUPPLIER-ID") -> dict[str, Any]:
    """One page's probe as plain data: the chosen price and every candidate, for scripts."""
    if isinstance(result, ValueError):
        return {"target": target, "status": "error", "error": str(result), "price": None, "currency": None, "in_stock": None,
                "pack": None, "method": None, "candidates": []}
    found = result.extraction
    candidates = [c.describe() for c in _unique(found.candidates)]
    for method, cs in result.others:
        candidates += [{**c.describe(), "used": False} for c in _unique(cs)]
    seen, visible = set(), []
    for p in found.visible:
        if (p.amount, p.text, p.selector) not in seen:
            seen.add((p.amount, p.text, p.selector))
            visible.append({"price": str(p.amount), "text": p.text, "currency": p.currency, "where": p.excluded or p.where,
                            "struck": p.struck, "usable": p.excluded is None, "selector": p.selector})
    locale = found.locale
    return {
        "target": target, "status": found.status, "price": str(found.price) if found.price is not None else None,
        "currency": found.currency, "currency_note": found.currency_note, "in_stock": found.in_stock, "pack": found.pack,
        "method": found.method, "raw": found.raw, "error": found.error,
        "locale": None if locale is None else {"name": locale.locale, "decimal_separator": locale.decimal, "source": locale.source,
                                               "read_as": locale.describe()},
        "agreed": list(found.agreed), "disputed": [d.as_dict() for d in found.disputed],
        "candidates": candidates, "visible_prices": visible,
        "config": report(result, supplier).split("Config to paste under the material's offers:\n", 1)[-1],
    }
