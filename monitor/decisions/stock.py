"""Stock and usage: what the owner has on hand, and how fast it goes.

The owner counts (``supplywatch stock lye 12 kg``) and records purchases (``supplywatch bought lye
50 lb --price 179``). On hand at any moment is the last count, plus what was bought since, minus
the usage of the days in between. Usage is the material's ``weekly_usage`` plus, for every product
with a ``weekly_plan``, its recipe times the batches made a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple
from decimal import Decimal

import sqlite_utils

from .. import units
from ..config import Config, Material
from ..rules.base import parse_time
from ..store import now_iso


@dataclass(frozen=True)
class OnHand:
    quantity: float  # in the material's unit, never below zero
    unit: str
    counted_at: str  # when the last count (or first purchase) was
    bought_since: float


def in_material_unit(material: Material, text: str) -> float:
    """``"50 lb"`` as a quantity of the material's unit (kg, board_foot ...); ValueError if it cannot convert."""
    return float(units.amount_in(units.parse_quantity(text), material.unit, material.density))


def daily_usage(config: Config, material: Material) -> float | None:
    """Units of the material used per day, from its weekly usage and the products' weekly plans;
    None when neither says (then runway is unknown, not infinite)."""
    weekly = 0.0
    said = False
    if material.weekly_usage:
        weekly += in_material_unit(material, material.weekly_usage)
        said = True
    for product in config.products:
        line = product.lines().get(material.id)
        if line is not None and product.weekly_plan is not None:
            weekly += product.batches_per_week * in_material_unit(material, line.quantity)
            said = True
    return weekly / 7 if said else None


class BadEntry(ValueError):
    """A count or purchase that cannot be stored; ``field`` says which of what the owner typed is wrong
    ("material", "quantity", "supplier", "price"), so a command can point at that argument."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def record(db: sqlite_utils.Database, config: Config, material_id: str, kind: str, quantity_text: str, at: str | None = None,
           price: float | None = None, currency: str | None = None, supplier_id: str | None = None, note: str | None = None) -> dict:
    """Store a count or a purchase; returns the stored row. :class:`BadEntry` with a message a person can act on."""
    materials = {m.id: m for m in config.materials}
    if material_id not in materials:
        raise BadEntry(f"unknown material {material_id!r} (materials: {', '.join(materials) or 'none in the config'})", "material")
    material = materials[material_id]
    try:
        quantity = units.parse_quantity(quantity_text) if kind == "bought" else _count(quantity_text)
        amount = float(units.amount_in(quantity, material.unit, material.density))
    except ValueError as exc:
        raise BadEntry(f"{quantity_text!r}: {exc} ({material.name} is counted in {material.unit})", "quantity") from None
    if supplier_id is not None and supplier_id not in {s.id for s in config.suppliers}:
        raise BadEntry(f"unknown supplier {supplier_id!r} (suppliers: {', '.join(s.id for s in config.suppliers)})", "supplier")
    if price is not None and price <= 0:
        raise BadEntry("a price must be above zero", "price")
    row = {
        "material_id": material_id, "at": at or now_iso(), "kind": kind, "quantity": amount, "unit": material.unit,
        "as_written": quantity_text, "price": price, "currency": (currency or config.currency) if price is not None else None,
        "unit_price": price / amount if price is not None and amount else None, "supplier_id": supplier_id, "note": note,
        "created_at": now_iso(),
    }
    with db.conn:
        row["id"] = db["stock_events"].insert(row).last_pk
    return row


def paid_words(db: sqlite_utils.Database, config: Config, row: dict, supplier: Any = None) -> str:
    """What a stored purchase cost, in the currency it was typed in, said so when it is not the home
    one, with what it comes to at home: " for €120.00 (in euros, Holzhandel Berger's currency: $132.00
    at $1.10 per euro; €3.00/bd ft)". Empty when no price was given."""
    from .. import display
    from ..store.pricing import Pricing

    price, currency, unit = row["price"], row["currency"], row["unit"]
    if price is None:
        return ""
    each = display.unit_price(row["unit_price"], currency, unit)
    theirs = supplier.currency if supplier is not None else config.currency
    if currency == config.currency:
        if theirs == currency:
            return f" for {display.money(price, currency)} ({each})"
        return (f" for {display.money(price, currency)} (in {display.currency_name(currency)}, as you said, not "
                f"{supplier.name}'s {display.currency_name(theirs)}; {each})")
    whose = f"{supplier.name}'s currency" if theirs == currency else "as you said"
    rate = Pricing(db, config).exchange_rate(currency, row["at"])
    home = (f"{display.money(price * float(rate), config.currency)} at {display.money(float(rate), config.currency)} per "
            f"{display.currency_name(currency, 1)}" if rate is not None
            else f"no rate from {display.currency_name(currency)} to {display.currency_name(config.currency)} is known yet, so it is not converted")
    return f" for {display.money(price, currency)} (in {display.currency_name(currency)}, {whose}: {home}; {each})"


def _count(text: str):  # noqa: ANN202 (a pint quantity)
    """A count may be zero ("0 kg": we are out); a purchase may not."""
    cleaned = text.strip()
    if cleaned.split(" ", 1)[0] in ("0", "0.0") and " " in cleaned:
        return units.registry().Quantity(Decimal(0), units.parse_unit(cleaned.split(" ", 1)[1]))
    return units.parse_quantity(cleaned)


class StockEvent(NamedTuple):
    """A count or a purchase, as stored: its quantity in the unit the material was counted in then."""

    at: str
    kind: str  # "count" or "bought"
    quantity: float
    unit: str


def events_by_material(db: sqlite_utils.Database, as_of: str, material_id: str | None = None) -> dict[str, list[StockEvent]]:
    """Counts and purchases up to ``as_of``, per material, in time order (one read for a night)."""
    query = "SELECT material_id, at, kind, quantity, unit FROM stock_events WHERE at <= ?"
    args = [as_of]
    if material_id is not None:
        query += " AND material_id = ?"
        args.append(material_id)
    found: dict[str, list[StockEvent]] = {}
    for material, at, kind, quantity, unit in db.execute(query + " ORDER BY at, id", args):
        found.setdefault(material, []).append(StockEvent(at, kind, quantity, unit))
    return found


def in_todays_unit(material: Material, events: list[StockEvent]) -> list[StockEvent]:
    """Each event's quantity in the material's unit of today's config. A count made when the material
    was counted in gallons is still that many gallons after the owner switches it to litres; an
    event whose unit does not convert (gallons to kg, no density) is left out rather than misread."""
    factors: dict[str, float | None] = {material.unit: 1.0}
    converted = []
    for event in events:
        unit = event.unit
        if unit not in factors:
            try:
                factors[unit] = float(units.units_per_pack(f"1 {unit}", material.unit, material.density))
            except ValueError:
                factors[unit] = None
        factor = factors[unit]
        if factor is not None:
            converted.append(event._replace(quantity=event.quantity * factor, unit=material.unit))
    return converted


def on_hand(db: sqlite_utils.Database, config: Config, material: Material, as_of: str,
            events: list[StockEvent] | None = None) -> OnHand | None:
    """Stock at ``as_of``: the newest count before it, plus purchases since, minus usage day by day
    (never below zero: what ran out was not used). None when the owner never counted nor bought it."""
    if events is None:
        events = events_by_material(db, as_of, material.id).get(material.id, [])
    told = in_todays_unit(material, events)
    # Events come in time order, then in the order they were told: a purchase told after a count
    # of the same moment (both given the same --date, or in the same second) adds to it.
    last_count = max((i for i, e in enumerate(told) if e.kind == "count"), default=None)
    count = told[last_count] if last_count is not None else None
    purchases = [e for e in told[0 if last_count is None else last_count + 1:] if e.kind == "bought"]
    if count is None and not purchases:
        return None
    usage = daily_usage(config, material) or 0.0
    moment, quantity = (count.at, count.quantity) if count else (purchases[0].at, 0.0)
    for at, _, amount, _ in [*purchases, StockEvent(as_of, "now", 0.0, material.unit)]:
        days = max((parse_time(at) - parse_time(moment)).total_seconds() / 86400, 0)
        quantity = max(quantity - usage * days, 0.0) + amount
        moment = at
    return OnHand(quantity, material.unit, count.at if count else purchases[0].at, sum(p.quantity for p in purchases))
