"""Rules on products: the unit cost's ``change``, ``threshold`` and ``trend`` (the same checks as
for a material's prices), and ``margin``: the margin at tonight's cost against the owner's target.

Only complete costs count: a night whose cost is incomplete (a line without a price) is skipped,
so a partial sum never raises or resolves anything. Messages name the input that drove the move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlite_utils

from . import detectors
from .checks import PRICE_RULES, Finding, Formatter, Point, describe, parse_time
from .kinds import ChangeRule
from .evaluate import window_days

if TYPE_CHECKING:  # the config imports the rule kinds: types only, no import cycle
    from ..config import Config, Product
    from ..costing import ProductCost

DEFAULT_PRODUCT_RULES = (ChangeRule(kind="change", percent=5, baseline="median_30d", confirm=1),)
MARGIN_HYSTERESIS = 1.0  # percentage points above the target before a margin alert resolves
DRIVER_DAYS = 30


@dataclass
class ProductView:
    """A product as the price checks see an offer: its unit cost over time."""

    id: str
    label: str
    material: Any  # .unit and .name, as the checks read them
    history: list[Point] = field(default_factory=list)

    @property
    def latest(self) -> Point | None:
        return self.history[-1] if self.history else None


def rules_for(product: Product) -> tuple[Any, ...]:
    return tuple(product.rules) or DEFAULT_PRODUCT_RULES


def _history(db: sqlite_utils.Database, product: Product, as_of: str, days: int) -> list[Point]:
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    return [Point(*row) for row in db.execute(
        "SELECT id, costed_at, unit_cost, NULL, julianday(costed_at) FROM product_costs "
        "WHERE product_id = ? AND complete = 1 AND costed_at > ? AND costed_at <= ? ORDER BY costed_at",
        [product.id, since, as_of])]


def drivers(db: sqlite_utils.Database, cost: ProductCost, days: int = DRIVER_DAYS) -> str:
    """'+8.3% in 30 days, mostly coconut oil +21% at Soap Supply Co': the move and its main input."""
    before = (parse_time(cost.as_of) - timedelta(days=days)).isoformat()
    query = ("SELECT id, costed_at, unit_cost FROM product_costs WHERE product_id = ? AND complete = 1 AND costed_at {} ? "
             "ORDER BY costed_at {} LIMIT 1")
    then = (db.execute(query.format("<=", "DESC"), [cost.product.id, before]).fetchone()
            or db.execute(query.format("<", "ASC"), [cost.product.id, cost.as_of]).fetchone())
    if then is None or not then[2]:
        return ""
    old = {m: (c, p) for m, c, p in db.execute(
        "SELECT material_id, cost, unit_price FROM product_cost_lines WHERE cost_id = ?", [then[0]])}
    change = (cost.unit_cost / then[2] - 1) * 100
    span = round((parse_time(cost.as_of) - parse_time(then[1])).total_seconds() / 86400)
    moves = [(line.cost - old[line.material_id][0], line) for line in cost.lines
             if line.cost is not None and old.get(line.material_id, (None,))[0] is not None]
    text = f"{change:+.1f}% in {span} days"
    same_way = [(delta, line) for delta, line in moves if delta * change > 0]
    if same_way:
        _, line = max(same_way, key=lambda m: abs(m[0]))
        moved = (line.unit_price / old[line.material_id][1] - 1) * 100
        text += f", mostly {line.material_name} {moved:+.0f}% at {line.supplier_name}"
    return text


def _margin(product: Product, cost: ProductCost, fmt: Formatter, why: str) -> Finding | None:
    margin, target = cost.margin_percent, product.target_margin
    if margin is None or target is None or product.price is None:
        return None
    holds = detectors.band(target - margin, 1e-9, MARGIN_HYSTERESIS)
    unit = product.yield_unit
    if holds:
        message = (f"{product.name}: margin {margin:.1f}% is below your target of {target:g}%, reprice now. "
                   f"Cost {fmt.price(cost.unit_cost, unit)}, sells at {fmt.price(product.price, unit)}" + (f"; {why}" if why else ""))
    else:
        message = f"{product.name}: margin back to {margin:.1f}% (target {target:g}%), cost {fmt.price(cost.unit_cost, unit)}"
    return Finding(f"margin#1:product:{product.id}:below", f"margin below {target:g}%", "margin", None, None, None,
                   "below", "critical", holds, margin, target, message, 1, None, None, product.id)


def evaluate(db: sqlite_utils.Database, config: Config, as_of: str, costs: dict[str, ProductCost]) -> list[Finding]:
    """Findings for every product whose cost tonight is complete."""
    fmt = Formatter(config.currency)
    findings: list[Finding] = []
    for product in config.products:
        cost = costs.get(product.id)
        if cost is None or not cost.complete:
            continue  # a partial sum is not a cost: alerts keep their state until the line is priced again
        rules = rules_for(product)
        view = ProductView(product.id, product.name, SimpleNamespace(unit=product.yield_unit, name=product.name),
                           _history(db, product, as_of, window_days(rules)))
        why = drivers(db, cost)
        rising = why.startswith("+")
        counters: dict[str, int] = {}
        for rule in rules:
            counters[rule.kind] = counters.get(rule.kind, 0) + 1
            for direction, holds, reference, message, severity in PRICE_RULES[type(rule)](rule, view, fmt, as_of):
                if holds and why and rising == (direction in ("up", "above")):  # the move that explains it, not the opposite
                    message = f"{message}; {why}"
                findings.append(Finding(
                    f"{rule.kind}#{counters[rule.kind]}:product:{product.id}:{direction}", describe(rule), rule.kind, None, None,
                    None, direction, severity, holds, cost.unit_cost, reference, message, getattr(rule, "confirm", 1),
                    view.latest.id if view.latest else None, getattr(rule, "escalate_percent", None), product.id))
        if (margin := _margin(product, cost, fmt, why)) is not None:
            findings.append(margin)
    return findings
