"""What a batch costs: each product's recipe priced from its materials' offers at one moment.

A line is priced at the landed unit price (shipping and fees included, home currency) of the
cheapest in-stock offer of its material, or of the supplier the owner names, using each offer's
newest valid price of the last ``MAX_PRICE_AGE_DAYS``. A line with no such price leaves the cost
*incomplete*: the partial sum is shown as such and never alerted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from . import units
from .config import Config, Product

MAX_PRICE_AGE_DAYS = 30
GONE = "no longer in the config"  # a quote's line whose material the owner has since removed or renamed


@dataclass
class CostLine:
    material_id: str
    material_name: str
    quantity: float  # in the material's unit, so quantity x unit_price = cost
    unit: str
    as_written: str  # the recipe's own words: "0.38 kg"
    unit_price: float | None = None
    cost: float | None = None
    offer_id: str | None = None
    supplier_id: str | None = None
    supplier_name: str | None = None
    observation_id: int | None = None
    priced_at: str | None = None
    unpriced_because: str | None = None  # why a line has no price: "out of stock", "no price in 30 days" ...
    config_changed: bool = False  # a stored quote's line the config no longer fits: its reason is said with its name


@dataclass
class ProductCost:
    product: Product
    as_of: str
    currency: str
    lines: list[CostLine] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(line.cost is not None for line in self.lines)

    @property
    def missing(self) -> list[str]:
        return [line.material_id for line in self.lines if line.cost is None]

    @property
    def missing_names(self) -> list[str]:
        """The unpriced lines by name, for messages ("Black walnut 8/4 FAS"); a line the config no longer
        fits says why ("walnut-8-4, no longer in the config": a removed material is known only by its id)."""
        return [line.material_name + (f", {line.unpriced_because}" if line.config_changed else "")
                for line in self.lines if line.cost is None]

    @property
    def batch_cost(self) -> float:
        """The sum of the priced lines (a partial sum when the cost is incomplete)."""
        return sum(line.cost for line in self.lines if line.cost is not None)

    @property
    def unit_cost(self) -> float:
        return self.batch_cost / self.product.yield_count

    @property
    def margin_percent(self) -> float | None:
        price = self.product.price
        return None if price is None or not self.complete else (price - self.unit_cost) / price * 100

    def as_dict(self) -> dict[str, Any]:
        """The shape ``supplywatch cost --json`` prints."""
        return {
            "product": self.product.id, "name": self.product.name, "date": self.as_of[:10], "as_of": self.as_of,
            "currency": self.currency, "batch_cost": round(self.batch_cost, 4), "unit_cost": round(self.unit_cost, 4),
            "yield": self.product.yield_count, "yield_unit": self.product.yield_unit,
            "complete": self.complete, "missing": self.missing, "selling_price": self.product.price,
            "margin_percent": None if self.margin_percent is None else round(self.margin_percent, 2),
            "target_margin": self.product.target_margin,
            "lines": [{
                "material": line.material_id, "quantity": round(line.quantity, 6), "unit": line.unit, "as_written": line.as_written,
                "unit_price": None if line.unit_price is None else round(line.unit_price, 6),
                "cost": None if line.cost is None else round(line.cost, 4),
                "supplier": line.supplier_id, "offer": line.offer_id, "priced_at": line.priced_at,
            } for line in self.lines],
        }


def _offer_prices(db: sqlite_utils.Database, material_id: str, as_of: str, unit: str, currency: str) -> dict[str, tuple]:
    """Each offer's newest valid landed unit price of the material within the age limit (in the
    material's unit and the home currency: a price not re-expressed after a change is left out)."""
    oldest = (datetime.fromisoformat(as_of) - timedelta(days=MAX_PRICE_AGE_DAYS)).isoformat()
    newest: dict[str, tuple] = {}
    for row in db.execute(
        "SELECT offer_id, supplier_id, id, fetched_at, landed_unit_price, in_stock FROM observations "
        "WHERE material_id = ? AND status = 'ok' AND landed_unit_price IS NOT NULL AND fetched_at > ? AND fetched_at <= ? "
        "AND unit = ? AND home_currency = ? ORDER BY fetched_at", [material_id, oldest, as_of, unit, currency],
    ):
        newest[row[0]] = row
    return newest


def cost_at(db: sqlite_utils.Database, config: Config, product: Product, as_of: str) -> ProductCost:
    """The cost of one batch of ``product`` with the prices known at ``as_of``."""
    materials = {m.id: m for m in config.materials}
    suppliers = {s.id: s.name for s in config.suppliers}
    active = {o.offer_id for o in config.offers() if o.active}
    cost = ProductCost(product, as_of, config.currency)
    for material_id, recipe_line in product.lines().items():
        # Only a stored quote can name a material gone from the config, or one now priced in a unit
        # its line cannot convert to: the config's own recipes are checked on load.
        as_written = units.parse_quantity(recipe_line.quantity)
        material = materials.get(material_id)
        if material is None:
            cost.lines.append(CostLine(material_id, material_id, float(as_written.magnitude), str(as_written.units),
                                       recipe_line.quantity, unpriced_because=GONE, config_changed=True))
            continue
        try:
            quantity = float(units.amount_in(as_written, material.unit, material.density))
        except ValueError:
            why = f"its {units.quantity_as_written(recipe_line.quantity)} cannot be priced {units.priced(material.unit)}, as it is now"
            cost.lines.append(CostLine(material_id, material.name, float(as_written.magnitude), str(as_written.units),
                                       recipe_line.quantity, unpriced_because=why, config_changed=True))
            continue
        line = CostLine(material_id, material.name, quantity, material.unit, recipe_line.quantity)
        candidates = [r for offer_id, r in _offer_prices(db, material_id, as_of, material.unit, config.currency).items() if offer_id in active]
        if recipe_line.supplier:
            candidates = [r for r in candidates if r[1] == recipe_line.supplier]
            if not candidates:
                line.unpriced_because = f"no valid price at {suppliers.get(recipe_line.supplier, recipe_line.supplier)} in the last {MAX_PRICE_AGE_DAYS} days"
        else:
            in_stock = [r for r in candidates if r[5] != 0]  # out of stock: cannot be bought tonight
            if candidates and not in_stock:
                line.unpriced_because = "out of stock at every supplier"
            elif not candidates:
                line.unpriced_because = f"no valid price in the last {MAX_PRICE_AGE_DAYS} days"
            candidates = in_stock
        if candidates:
            offer_id, supplier_id, observation_id, fetched_at, unit_price, _ = min(candidates, key=lambda r: (r[4], r[0]))
            line.unit_price, line.cost = unit_price, quantity * unit_price
            line.offer_id, line.supplier_id, line.supplier_name = offer_id, supplier_id, suppliers.get(supplier_id, supplier_id)
            line.observation_id, line.priced_at = observation_id, fetched_at
        cost.lines.append(line)
    return cost


def record_costs(db: sqlite_utils.Database, config: Config, run_id: int | None, as_of: str) -> dict[str, ProductCost]:
    """Cost every product at ``as_of`` and store it with its lines (again at the same time: replaced)."""
    costs = {p.id: cost_at(db, config, p, as_of) for p in config.products}
    with db.atomic():
        for cost in costs.values():
            old = [r[0] for r in db.execute("SELECT id FROM product_costs WHERE product_id = ? AND costed_at = ?", [cost.product.id, as_of])]
            for old_id in old:
                db.execute("DELETE FROM product_cost_lines WHERE cost_id = ?", [old_id])
                db.execute("DELETE FROM product_costs WHERE id = ?", [old_id])
            cost_id = db["product_costs"].insert({
                "product_id": cost.product.id, "run_id": run_id, "costed_at": as_of, "currency": cost.currency,
                "batch_cost": cost.batch_cost, "unit_cost": cost.unit_cost, "complete": int(cost.complete),
                "missing": json.dumps(cost.missing) if cost.missing else None, "selling_price": cost.product.price,
                "margin_percent": cost.margin_percent, "target_margin": cost.product.target_margin,
            }).last_pk
            db["product_cost_lines"].insert_all({
                "cost_id": cost_id, "product_id": cost.product.id, "costed_at": as_of, "material_id": line.material_id,
                "quantity": line.quantity, "unit": line.unit, "unit_price": line.unit_price, "cost": line.cost,
                "offer_id": line.offer_id, "supplier_id": line.supplier_id, "observation_id": line.observation_id,
                "priced_at": line.priced_at, "as_written": line.as_written,
            } for line in cost.lines)
    return costs


def format_cost(cost: ProductCost) -> str:
    """The breakdown as ``supplywatch cost`` prints it: the recipe's own quantities, unit prices per
    the material's unit, money in the home currency; no total before a line has a price."""
    from . import display

    p = cost.product
    money = lambda v: display.money(v, cost.currency)  # noqa: E731
    made = units.quantity_text(p.yield_count, p.yield_unit)
    out = [f"{p.name}: one batch makes {made}; prices as of {display.moment(cost.as_of)} UTC"]
    width = max(len(line.material_name) for line in cost.lines)
    amounts = [units.quantity_as_written(line.as_written) for line in cost.lines]
    amount_width = max(len(a) for a in amounts)
    for line, amount in zip(cost.lines, amounts):
        if line.cost is None or line.unit_price is None:
            out.append(f"  {line.material_name:<{width}}  {amount:>{amount_width}}  {line.unpriced_because or 'no valid price'}")
            continue
        out.append(f"  {line.material_name:<{width}}  {amount:>{amount_width}}  x {display.unit_price(line.unit_price, cost.currency, line.unit):>14}"
                   f"  = {money(line.cost):>11}  {line.supplier_name}, {display.day(line.priced_at)}")
    if not any(line.cost is not None for line in cost.lines):
        out.append("  No line has a valid price, so there is no cost to show (`supplywatch prices` shows what is known).")
        return "\n".join(out)
    if cost.complete:
        out.append(f"  Batch cost {money(cost.batch_cost)}; per {p.yield_unit}: {money(cost.unit_cost)}")
    else:
        out.append(f"  INCOMPLETE: {money(cost.batch_cost)} for the priced lines only; "
                   "no cost or margin alert until every line has a price")
    if cost.margin_percent is not None:
        target = f" (target {p.target_margin:g}%)" if p.target_margin else ""
        out.append(f"  Sells at {money(p.price or 0)} a {p.yield_unit}: margin {display.percent(cost.margin_percent)}{target}")
    return "\n".join(out)
