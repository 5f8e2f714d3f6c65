"""``supplywatch prices``: what each material costs now, at every supplier, and how it moved.

Each offer's newest valid price, landed (shipping and fees included) per unit of the material in
the home currency, beside the same offer's price 7 and 30 days before; the cheapest offer in
stock is marked; an offer whose last valid price is old, or whose newest fetch was held back or
gave no price, says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import sqlite_utils

from . import display, units
from .config import Config, Material
from .rules.stale import StaleRule
from .store import now_iso
from .rules.base import parse_time
from .rules.registry import rules_for_material

DEFAULT_STALE_DAYS = 7


@dataclass
class OfferPrice:
    offer: str
    supplier: str
    supplier_name: str
    url: str
    unit_price: float | None = None  # the page's price per unit, home currency
    landed_unit_price: float | None = None  # with shipping and fees
    price: float | None = None  # as the page showed it, for one pack
    currency: str | None = None
    pack: str | None = None
    priced_at: str | None = None
    in_stock: bool | None = None
    change_7d_percent: float | None = None
    change_30d_percent: float | None = None
    cheapest: bool = False
    stale: bool = False
    problem: str | None = None  # the newest fetch gave no valid price: why


@dataclass
class MaterialPrices:
    material: str
    name: str
    unit: str
    unit_label: str
    offers: list[OfferPrice] = field(default_factory=list)


def _stale_days(config: Config, material: Material) -> float:
    return next((r.days for r in rules_for_material(config, material) if isinstance(r, StaleRule)), DEFAULT_STALE_DAYS)


def _before(db: sqlite_utils.Database, offer_id: str, moment: str, column: str) -> float | None:
    row = db.execute(f"SELECT {column} FROM observations WHERE offer_id = ? AND status = 'ok' AND fetched_at <= ? "
                     "ORDER BY fetched_at DESC LIMIT 1", [offer_id, moment]).fetchone()
    return row[0] if row else None


def _change(now: float | None, then: float | None) -> float | None:
    return None if now is None or not then else round((now / then - 1) * 100, 1)


def find_material(config: Config, wanted: str) -> Material:
    """A material by its id, its name, or a word of its name that fits one material only."""
    text = wanted.strip().lower()
    for test in (lambda m: m.id == wanted, lambda m: m.name.lower() == text, lambda m: text in m.name.lower() or text in m.id):
        found = [m for m in config.materials if test(m)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValueError(f"{wanted!r} fits several materials: {', '.join(m.name for m in found)}; say which")
    raise ValueError(f"no material called {wanted!r} (materials: {', '.join(m.name for m in config.materials) or 'none'})")


def current(db: sqlite_utils.Database, config: Config, materials: list[Material] | None = None, as_of: str | None = None) -> list[MaterialPrices]:
    """Every active offer's newest valid price per material, with its moves and flags."""
    as_of = as_of or now_iso()
    now = parse_time(as_of)
    suppliers = {s.id: s.name for s in config.suppliers}
    result = []
    for material in materials or config.materials:
        prices = MaterialPrices(material.id, material.name, material.unit, units.display(material.unit))
        stale_after = now - timedelta(days=_stale_days(config, material))
        for spec in config.offers():
            if spec.material != material.id or not spec.active:
                continue
            offer = OfferPrice(spec.offer_id, spec.supplier, suppliers[spec.supplier], spec.url)
            latest = db.execute(
                "SELECT o.unit_price, o.landed_unit_price, o.price, o.currency, o.pack, o.fetched_at, o.in_stock "
                "FROM latest_observations l JOIN observations o ON o.id = l.observation_id WHERE l.offer_id = ?", [spec.offer_id]).fetchone()
            if latest is not None:
                (offer.unit_price, offer.landed_unit_price, offer.price, offer.currency, offer.pack, offer.priced_at, stock) = latest
                offer.in_stock = None if stock is None else bool(stock)
                moment = parse_time(offer.priced_at)
                for days, name in ((7, "change_7d_percent"), (30, "change_30d_percent")):
                    then = _before(db, spec.offer_id, (moment - timedelta(days=days)).isoformat(), "landed_unit_price")
                    setattr(offer, name, _change(offer.landed_unit_price, then))
                offer.stale = moment < stale_after
            newest = db.execute("SELECT status, error, fetched_at FROM observations WHERE offer_id = ? ORDER BY fetched_at DESC LIMIT 1",
                                [spec.offer_id]).fetchone()
            if newest is not None and newest[0] != "ok":
                offer.problem = _problem(newest[0], newest[1], newest[2])
            prices.offers.append(offer)
        buyable = [o for o in prices.offers if o.landed_unit_price is not None and o.in_stock is not False and not o.stale]
        if buyable:
            min(buyable, key=lambda o: (o.landed_unit_price, o.offer)).cheapest = True
        prices.offers.sort(key=lambda o: (o.landed_unit_price is None, o.landed_unit_price or 0, o.supplier_name))
        result.append(prices)
    return result


def _problem(status: str, error: str | None, when: str) -> str:
    return f"{display.day(when)}: {display.no_price(status, error)}"


def as_json(found: list[MaterialPrices], currency: str, as_of: str) -> dict[str, Any]:
    return {"currency": currency, "as_of": as_of, "materials": [asdict(m) for m in found]}


def report(found: list[MaterialPrices], currency: str) -> str:
    """The table ``supplywatch prices`` prints: one block per material."""
    out: list[str] = []
    for material in found:
        out.append(f"{material.name}, {units.priced(material.unit)} (landed: shipping and fees included)")
        if not material.offers:
            out.append("  no offers in the config")
        width = max((len(o.supplier_name) for o in material.offers), default=8)
        priced = [o for o in material.offers if o.landed_unit_price is not None]
        if priced:
            out.append(f"    {'supplier':<{width}}  {'landed':>14}  {'7 days':>7}  {'30 days':>7}  on the page")
        for o in material.offers:
            if o.landed_unit_price is None:
                line = f"    {o.supplier_name:<{width}}  {'no price yet':>14}"
            else:
                page = f"{display.money(o.price, o.currency or currency)} {units.per_pack(o.pack or '')}, {display.day(o.priced_at)}"
                line = (f"  {'*' if o.cheapest else ' '} {o.supplier_name:<{width}}  {display.unit_price(o.landed_unit_price, currency, material.unit):>14}  "
                        f"{display.change(o.change_7d_percent):>7}  {display.change(o.change_30d_percent):>7}  {page}")
            flags = [f for f in ("out of stock" if o.in_stock is False else "",
                                 f"STALE: last valid price {display.day(o.priced_at)}" if o.stale else "",
                                 f"newest fetch {o.problem}" if o.problem else "") if f]
            out.append(line + ("  [" + "; ".join(flags) + "]" if flags else ""))
        if any(o.cheapest for o in material.offers):
            out.append("  * cheapest in stock")
        elif material.offers and not priced:
            out.append("  no valid price yet: run `supplywatch run` (`supplywatch status` says why a page gave none)")
        out.append("")
    return "\n".join(out).rstrip()


@dataclass
class PriceChange:
    """One offer's price tonight against its previous valid price, or why it gave none."""

    material_name: str
    supplier_name: str
    unit: str
    before: float | None
    now: float | None
    status: str  # ok, suspect, missing, ambiguous, error

    @property
    def percent(self) -> float | None:
        return _change(self.now, self.before)


def changes_in_run(db: sqlite_utils.Database, run_id: int) -> list[PriceChange]:
    """What moved in one run: offers whose landed unit price differs from their previous valid
    one (a first price counts), and offers that gave no valid price. Unchanged prices are left out."""
    rows = db.execute(
        "SELECT m.name, s.name, m.unit, o.status, o.landed_unit_price, "
        " (SELECT x.landed_unit_price FROM observations x WHERE x.offer_id = o.offer_id AND x.status = 'ok' "
        "  AND x.fetched_at < o.fetched_at ORDER BY x.fetched_at DESC LIMIT 1) "
        "FROM observations o JOIN materials m ON m.id = o.material_id JOIN suppliers s ON s.id = o.supplier_id "
        "WHERE o.run_id = ? AND o.id = (SELECT max(y.id) FROM observations y WHERE y.run_id = o.run_id AND y.offer_id = o.offer_id) "
        "ORDER BY m.name, s.name", [run_id]).fetchall()
    found = []
    for material, supplier, unit, status, now, before in rows:
        if status == "ok" and before is not None and round(now, 6) == round(before, 6):
            continue
        found.append(PriceChange(material, supplier, unit, before, now if status == "ok" else None, status))
    return found


def changes_report(changes: list[PriceChange], currency: str, limit: int = 20) -> str:
    """The short table ``supplywatch run`` ends with on a terminal."""
    if not changes:
        return "No price changed since the last run."
    width = max(len(f"{c.material_name} at {c.supplier_name}") for c in changes[:limit])
    lines = ["What changed:"]
    for c in sorted(changes, key=lambda c: (c.status == "ok", -abs(c.percent or 0)))[:limit]:
        what = f"{c.material_name} at {c.supplier_name}"
        if c.status != "ok":
            lines.append(f"  {what:<{width}}  {display.no_price(c.status)}")
        elif c.before is None:
            lines.append(f"  {what:<{width}}  first price {display.unit_price(c.now, currency, c.unit)}")
        else:
            lines.append(f"  {what:<{width}}  {display.unit_price(c.before, currency, c.unit)} -> "
                         f"{display.unit_price(c.now, currency, c.unit)} ({display.change(c.percent)})")
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more: `supplywatch prices` shows every offer")
    return "\n".join(lines)
