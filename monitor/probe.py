"""``supplywatch probe``: show every price a page offers and the config lines to watch it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from spiders.candidates import Candidate
from spiders.extract import Extraction, every_source, extract_price
from spiders.platforms import shopify_js_url

from . import units


@dataclass
class Probe:
    source: str
    extraction: Extraction
    unit: str | None
    others: list[tuple[str, list[Candidate]]]  # sources the chain did not use, for comparison
    variant: str | None = None


def fetch(url: str, contact: str) -> dict[str, Any]:
    """One polite fetch through Scrapy (robots.txt obeyed, identifying User-Agent)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from spiders import settings as project_settings
    from spiders.spiders.probe import ProbeSpider

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict({"USER_AGENT": f"supplywatch/0.1 (price monitor; contact: {contact})", "LOG_LEVEL": "ERROR", "RETRY_TIMES": 1})
    process = CrawlerProcess(settings)
    found: list[dict[str, Any]] = []

    class Keep:
        def item(self, item: dict[str, Any]) -> None:
            found.append(item)

    keeper = Keep()
    crawler = process.create_crawler(ProbeSpider)
    crawler.signals.connect(keeper.item, signal=signals.item_scraped)
    process.crawl(crawler, url=url)
    process.start()
    return found[0] if found else {"url": url, "status": None, "error": "nothing fetched (robots.txt may forbid it)"}


def probe(target: str, *, locale: str, variant: str | None, selector: str | None, platform: str | None,
          unit: str | None, contact: str) -> Probe:
    path = Path(target)
    if path.exists():
        body: bytes | str = path.read_bytes()
        url, content_type = path.resolve().as_uri(), ""
    else:
        fetched = fetch(shopify_js_url(target) if platform == "shopify" else target, contact)
        if fetched.get("error"):
            raise ValueError(f"could not fetch {target}: {fetched['error']}")
        body, url, content_type = fetched["body"], fetched["url"], fetched["content_type"]
    found = extract_price(body, url, selector=selector, variant=variant, locale=locale, content_type=content_type, unit=unit)
    others = [] if "json" in content_type or target.endswith((".js", ".json")) else [
        (m, c) for m, c in every_source(body, url, locale) if m != found.method]
    return Probe(target, found, unit, others, variant)


def _unit_price(price: Decimal, pack: str | None, unit: str | None) -> str:
    if not (pack and unit):
        return ""
    try:
        return f"  = {units.unit_price(price, pack, unit):.4f} per {unit}"
    except ValueError as exc:
        return f"  ({exc})"


def _describe(c: Candidate, unit: str | None) -> list[str]:
    stock = {True: "in stock", False: "OUT OF STOCK", None: "stock not stated"}[c.in_stock]
    details = [f"ids: {', '.join(sorted(c.ids))}" if c.ids else "", f"pack: {c.pack}" if c.pack else "pack: not stated", stock]
    if c.list_price:
        details.append(f"was {c.list_price}")
    if c.tiers:
        details.append("tiers: " + ", ".join(f"{t.min_quantity}+ at {t.price}" for t in c.tiers))
    return [f"  {c.method:<11} {c.price} {c.currency or ''}  {c.name or ''}".rstrip(),
            "      " + "; ".join(d for d in details if d) + _unit_price(c.price, c.pack, unit)]


def report(result: Probe, supplier: str = "SUPPLIER-ID") -> str:
    found = result.extraction
    lines = [f"{result.source}:"]
    if not found.candidates:
        lines.append(f"  no price found: {found.error}")
    for c in found.candidates:
        lines += _describe(c, result.unit)
    if result.others:
        lines.append("\nAlso on the page (not used: an earlier source in the chain has a price):")
        for _, candidates in result.others:
            for c in candidates:
                lines += _describe(c, result.unit)
    lines.append("")
    if found.status == "ok":
        lines.append(f"Chosen: {found.price} {found.currency or ''} by {found.method}" + (f", pack {found.pack}" if found.pack else ""))
    else:
        lines.append(f"Not chosen ({found.status}): {found.error}")
    lines += ["", "Config to paste under the material's offers:", f"  - supplier: {supplier}", f"    url: {result.source}"]
    if found.pack:
        lines.append(f"    pack: {found.pack}")
    else:
        lines.append("    pack: 1 each            # say what one price buys: 25 kg, 5 gal, 10 board_foot ...")
    if found.status == "ok" and len(found.candidates) == 1 and result.variant:
        lines.append(f"    variant: {result.variant}")
    if found.status == "ambiguous":
        choice = next(iter(sorted(found.candidates[0].ids)), "SKU")
        lines.append(f"    variant: {choice}      # pick the SKU or name of the size you buy, from the list above")
    if found.status != "ok" and not found.candidates:
        lines.append('    price: "css:.price::text"   # the page has no shop markup: point at the price')
    return "\n".join(lines)
