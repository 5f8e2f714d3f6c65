"""Order size: which purchase covers the next weeks of usage at the lowest landed cost per unit.

Among what is already stored for each offer (its pack, its quantity breaks, its supplier's shipping,
fees and minimum order), every sensible pack count is priced delivered, kept only if it fits the
shelf life and the cash limit, and ranked: "2 x 25 lb from Bulk Naturals (free shipping over
$500): $4.10/lb, $0.41/lb below 7 lb at Acme".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlite_utils

from .. import display, units
from ..config import Config, Material
from ..rules.base import Formatter, parse_time
from . import stock

MAX_PRICE_AGE_DAYS = 30


@dataclass(frozen=True)
class Purchase:
    offer_id: str
    supplier_name: str
    pack: str
    packs: int
    units: float  # of the material's unit
    goods: float  # supplier's currency
    shipping: float
    fees: float
    total_home: float  # everything, home currency
    why: tuple[str, ...] = ()  # "free shipping over 500", "price break from 10"
    currency: str = ""  # the supplier's, in which goods, shipping and fees are paid ("" read as home)

    @property
    def landed_per_unit(self) -> float:
        return self.total_home / self.units

    @property
    def paid(self) -> float:
        """Everything, in the supplier's currency: what its invoice will say."""
        return self.goods + self.shipping + self.fees

    def total_words(self, home: str, then: str = "", aside: str = "") -> str:
        """"$80.96 in all", or for a supplier paid in another currency what its invoice says first and
        the home amount after: "€7,086.21 in all (about $7,794.83)" (``then``: " in all"). ``aside`` goes
        in the same parentheses ("(about $7,794.83; $18.39/bd ft delivered)"), never a second pair."""
        if not self.currency or self.currency == home:
            return display.money(self.total_home, home, 2) + then + (f" ({aside})" if aside else "")
        about = f"about {display.money(self.total_home, home, 2)}" + (f"; {aside}" if aside else "")
        return f"{display.money(self.paid, self.currency, 2)}{then} ({about})"

    def label(self) -> str:
        """"11 x 2 kg from Acme", or "317 bd ft from Acme" when it is sold by the unit (not "317 x 1 bd ft")."""
        one = re.fullmatch(r"\s*1(?:\.0*)?\s*([^\d\s].*?)\s*", self.pack)
        if one:
            sold = str(self.packs) if units.display(one.group(1)) == "each" else units.quantity_text(self.packs, one.group(1))
            return f"{sold} from {self.supplier_name}"
        return f"{self.packs} x {units.quantity_as_written(self.pack)} from {self.supplier_name}"


@dataclass
class OrderPlan:
    material: Material
    needed: float  # units to buy to cover the weeks asked for
    weeks: float
    on_hand: float | None
    cap: float | None  # the most worth buying (shelf life), units
    cash_limit: float | None
    options: list[Purchase] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # options dropped, and why
    within_cash: list[Purchase] = field(default_factory=list)  # when none covers the weeks: the most the cash buys at each
    currency: str = ""  # the home currency ("total" in as_dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "material": self.material.id, "name": self.material.name, "unit": self.material.unit, "weeks": self.weeks,
            "needed": round(self.needed, 4), "on_hand": self.on_hand, "shelf_life_cap": self.cap, "cash_limit": self.cash_limit,
            "options": [{"offer": p.offer_id, "supplier": p.supplier_name, "pack": p.pack, "packs": p.packs, "units": round(p.units, 4),
                         "goods": round(p.goods, 2), "shipping": round(p.shipping, 2), "fees": round(p.fees, 2),
                         "total": round(p.total_home, 2), "landed_per_unit": round(p.landed_per_unit, 4), "why": list(p.why),
                         "currency": p.currency or self.currency, "total_in_currency": round(p.paid, 2)}
                        for p in self.options],
            "left_out": self.left_out,
            "within_cash": [{"offer": p.offer_id, "supplier": p.supplier_name, "pack": p.pack, "packs": p.packs, "units": round(p.units, 4),
                             "total": round(p.total_home, 2), "landed_per_unit": round(p.landed_per_unit, 4),
                             "currency": p.currency or self.currency, "total_in_currency": round(p.paid, 2)} for p in self.within_cash],
        }


def _tier_price(base: float, tiers: list[dict[str, Any]], packs: int) -> tuple[float, float | None]:
    """The price per pack for ``packs`` packs, and the break it came from."""
    chosen, start = base, None
    for tier in sorted(tiers, key=lambda t: float(t["min"])):
        if packs >= float(tier["min"]):
            chosen, start = float(tier["price"]), float(tier["min"])
    return chosen, start


def _latest(db: sqlite_utils.Database, offer_id: str, as_of: str) -> dict[str, Any] | None:
    since = (parse_time(as_of) - timedelta(days=MAX_PRICE_AGE_DAYS)).isoformat()
    rows = list(db.query(
        "SELECT price, pack, fx_rate, tiers, in_stock FROM observations WHERE offer_id = ? AND status = 'ok' AND price IS NOT NULL "
        "AND fetched_at > ? AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 1", [offer_id, since, as_of]))
    return rows[0] if rows else None


@dataclass(frozen=True)
class _Pricer:
    """One offer's purchase of any number of packs, delivered: its breaks, shipping, fees, minimum."""

    offer_id: str
    supplier: Any  # config.Supplier
    pack: str
    per_pack: float
    base: float
    tiers: list[dict[str, Any]]
    fx: float

    def price(self, packs: int) -> tuple[Purchase | None, str | None]:
        supplier = self.supplier
        money = Formatter(supplier.currency).money
        price, tier_start = _tier_price(self.base, self.tiers, packs)
        goods = packs * price
        why = []
        if tier_start is not None and tier_start > 1:
            why.append(f"price break from {tier_start:g}")
        if supplier.minimum_order and goods < supplier.minimum_order:
            short = Purchase(self.offer_id, supplier.name, self.pack, packs, packs * self.per_pack, goods, 0.0, 0.0, 0.0)
            return None, f"{short.label()}: under its minimum order of {money(supplier.minimum_order)}"  # "2 x 10 bd ft from ..."
        freight = 0.0
        shipping = supplier.shipping
        if shipping:
            free = shipping.free_over is not None and goods >= shipping.free_over
            freight = (0.0 if free else shipping.flat) + shipping.per_unit * packs * self.per_pack
            if free and shipping.flat:
                why.append(f"free shipping over {money(shipping.free_over)}")
        fees = goods * supplier.fees_percent / 100
        return Purchase(self.offer_id, supplier.name, self.pack, packs, packs * self.per_pack, goods, freight, fees,
                        (goods + freight + fees) * self.fx, tuple(why), supplier.currency), None


def plan(db: sqlite_utils.Database, config: Config, material: Material, as_of: str, weeks: float | None = None,
         quantity: float | None = None, cash_limit: float | None = None) -> OrderPlan:
    """Rank the purchases of ``material`` covering ``weeks`` of usage (or ``quantity`` units)."""
    weeks = weeks if weeks is not None else config.decisions.cover_weeks
    usage = stock.daily_usage(config, material)
    held = stock.on_hand(db, config, material, as_of)
    have = held.quantity if held else 0.0
    if quantity is None:
        if not usage:
            raise ValueError(f"{material.name}: usage unknown; give weekly_usage (or a product's weekly_plan) or --quantity")
        quantity = max(usage * weeks * 7 - have, 0.0)
    cap = None
    if material.shelf_life_days is not None and usage:
        cap = max(usage * material.shelf_life_days - have, 0.0)
    cash_limit = cash_limit if cash_limit is not None else config.decisions.cash_limit
    result = OrderPlan(material, quantity, weeks, held.quantity if held else None, cap, cash_limit, currency=config.currency)
    if quantity <= 0:
        return result
    suppliers = {s.id: s for s in config.suppliers}
    home = Formatter(config.currency).money
    pricers = []
    for offer in (o for o in config.offers() if o.material == material.id and o.active):
        latest = _latest(db, offer.offer_id, as_of)
        supplier = suppliers[offer.supplier]
        if latest is None or latest["in_stock"] == 0:
            result.left_out.append(f"{material.name} at {supplier.name}: " + ("out of stock" if latest else "no recent price"))
            continue
        per_pack = float(units.units_per_pack(latest["pack"], material.unit, material.density))
        tiers = json.loads(latest["tiers"]) if latest["tiers"] else []
        base = float(tiers[0]["price"]) if tiers else latest["price"]
        fewest = max(math.ceil(quantity / per_pack - 1e-9), 1)
        counts = {fewest}
        counts |= {int(float(t["min"])) for t in tiers if float(t["min"]) > fewest}
        shipping = supplier.shipping
        if shipping and shipping.free_over:
            counts.add(math.ceil(shipping.free_over / _tier_price(base, tiers, fewest)[0] - 1e-9))
        if supplier.minimum_order:
            counts.add(math.ceil(supplier.minimum_order / _tier_price(base, tiers, fewest)[0] - 1e-9))
        pricer = _Pricer(offer.offer_id, supplier, latest["pack"], per_pack, base, tiers, latest["fx_rate"] or 1.0)
        pricers.append((pricer, fewest))
        for packs in sorted(c for c in counts if c >= fewest):
            purchase, refused = pricer.price(packs)
            if purchase is None:
                result.left_out.append(refused or "")
                continue
            if cap is not None and purchase.units > cap + per_pack and packs > fewest:
                result.left_out.append(f"{purchase.label()}: more than you can use within its shelf life of {material.shelf_life_days:g} days")
                continue
            if cash_limit is not None and purchase.total_home > cash_limit:
                result.left_out.append(f"{purchase.label()}: {home(purchase.total_home)} is over your cash limit of {home(cash_limit)}")
                continue
            result.options.append(purchase)
    if not result.options and cash_limit is not None:
        for pricer, fewest in pricers:  # nothing covers the weeks within the cash: the most each supplier sells for it
            for packs in range(fewest - 1, 0, -1):
                purchase, _ = pricer.price(packs)
                if purchase is not None and purchase.total_home <= cash_limit:
                    result.within_cash.append(purchase)
                    break
        result.within_cash.sort(key=lambda p: (p.landed_per_unit, -p.units))
    result.options.sort(key=lambda p: (p.landed_per_unit, p.total_home))
    return result


def best(result: OrderPlan) -> Purchase | None:
    """The purchase to name in the to-do list: the cheapest delivered per unit among those that do
    not buy half as much again as needed (a careful buyer does not tie up cash for a better unit
    price unasked), else the smallest."""
    if not result.options:
        return None
    modest = [p for p in result.options if p.units <= result.needed * 1.5]
    return modest[0] if modest else min(result.options, key=lambda p: p.units)


def format_plan(result: OrderPlan, config: Config) -> str:
    """The ranking as ``supplywatch order`` prints it."""
    fmt = Formatter(config.currency)
    unit = result.material.unit
    money = lambda v: f"{fmt.prefix}{v:,.2f}{fmt.suffix}"  # noqa: E731
    head = f"{result.material.name}: {units.quantity_text(display.amount(result.needed), unit)} to buy for {display.weeks(result.weeks)}"
    if result.on_hand is not None:
        head += f" ({units.quantity_text(display.amount(result.on_hand), unit)} on hand)"
    if result.cap is not None:
        head += f"; at most {units.quantity_text(display.amount(result.cap), unit)} keep within its shelf life"
    lines = [head + ":"]
    if result.needed <= 0:
        lines.append("  Nothing to buy: what you hold covers it.")
        return "\n".join(lines)
    if not result.options:
        lines.append("  No purchase fits." + ("" if result.left_out else " No offer has a recent price."))
    usage = stock.daily_usage(config, result.material)
    for p in result.within_cash[:3]:
        cover = f", {p.units / usage / 7:.1f} weeks of use" if usage else ""
        lines.append(f"  Within your cash limit of {money(result.cash_limit or 0)}: {p.label()}: {fmt.price(p.landed_per_unit, unit)} delivered, "
                     f"{p.total_words(config.currency, ' in all', units.quantity_text(display.amount(p.units), unit) + cover)}")
    others: dict[str, Any] = {}
    for p in result.options:
        others.setdefault(p.offer_id, p)
    for rank, p in enumerate(result.options[:8], 1):
        text = f"  {rank}. {p.label()}" + (f" ({', '.join(p.why)})" if p.why else "")
        text += f": {fmt.price(p.landed_per_unit, unit)} delivered, {p.total_words(config.currency, ' in all')}"
        if rank == 1:
            rival = next((o for o in others.values() if o.offer_id != p.offer_id), None)
            if rival is not None:
                # Against the other offer's best purchase as its own line names it ("4 sheets from Holz Berger"),
                # not its pack ("below 1 sheet at ..." read as a quantity).
                lead = fmt.price(rival.landed_per_unit - p.landed_per_unit, unit)
                text += f"; the same price as {rival.label()}" if lead == fmt.price(0.0, unit) else f"; {lead} less than {rival.label()}"
        lines.append(text)
    if result.left_out:
        lines.append("  Left out: " + "; ".join(result.left_out))
    return "\n".join(lines)
