"""The product side of the rules: a product's unit cost as a series (for ``change``, ``threshold``,
``trend``), its margin (for ``margin``), and the input that drove a move, named in messages.

Only complete costs count: a night whose cost is incomplete (a line without a price) is skipped,
so a partial sum never raises or resolves anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlite_utils

from .. import display
from .base import Point, Scope, SeriesView, Target, parse_time

if TYPE_CHECKING:
    from ..config import Product
    from ..costing import ProductCost

DRIVER_DAYS = 30


@dataclass(frozen=True)
class Drivers:
    """How a product's cost moved over the last days, and the input that moved it most that way."""

    change_percent: float
    span_days: int
    material_name: str | None = None
    material_moved_percent: float | None = None
    supplier_name: str | None = None

    @property
    def rising(self) -> bool:
        return self.change_percent > 0

    @property
    def moved(self) -> bool:
        """Worth saying: a tenth of a percent or more ("+0.0% in 0 days" says nothing)."""
        return round(abs(self.change_percent), 1) > 0

    def text(self) -> str:
        """'+8.3% in 30 days, mostly coconut oil +21% at Soap Supply Co'."""
        # Under a day: several runs on one day (an owner trying a new config), measured from the day's first.
        span = f"in {self.span_days} day{'s' if self.span_days != 1 else ''}" if self.span_days >= 1 else "since it was first costed"
        text = f"cost {'up' if self.rising else 'down'} {abs(self.change_percent):.1f}% {span}"
        if self.material_name and self.material_moved_percent is not None:
            text += f", mostly {self.material_name} {display.signed_percent(self.material_moved_percent)} at {self.supplier_name}"
        return text


@dataclass
class ProductView(SeriesView):
    """A product as the price rules see an offer: its unit cost over time, tonight's cost, and why."""

    product: "Product | None" = None
    cost: "ProductCost | None" = None
    drivers: Drivers | None = None
    database: sqlite_utils.Database | None = None  # for the drivers of a move since a given day
    _since: dict[str, Drivers | None] = field(default_factory=dict, repr=False)

    def explain(self, direction: str, since: str | None = None) -> str | None:
        """The move that explains it (over the last 30 days, or ``since`` a day), not the opposite one."""
        found = self._moved(direction, since)
        return found.text() if found else None

    def driver(self, direction: str, since: str | None = None) -> str | None:
        found = self._moved(direction, since)
        return found.material_name if found else None

    def _moved(self, direction: str, since: str | None) -> Drivers | None:
        found = self.drivers
        if since is not None and self.database is not None and self.cost is not None:
            if since not in self._since:  # read once for the message and the title
                self._since[since] = drivers(self.database, self.cost,
                                             max(1, (parse_time(self.cost.as_of).date() - date.fromisoformat(since[:10])).days))
            found = self._since[since]
        if found is None or found.rising != (direction in ("up", "above")) or not found.moved:
            return None
        return found


def product_target(product: "Product") -> Target:
    return Target(Scope.PRODUCT, product.id, product.name, product_id=product.id)


def history(db: sqlite_utils.Database, product: "Product", as_of: str, days: float, currency: str) -> list[Point]:
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    return [Point(*row) for row in db.execute(
        "SELECT id, costed_at, unit_cost, NULL, julianday(costed_at) FROM product_costs "
        "WHERE product_id = ? AND complete = 1 AND currency = ? AND costed_at > ? AND costed_at <= ? ORDER BY costed_at",
        [product.id, currency, since, as_of])]


def drivers(db: sqlite_utils.Database, cost: "ProductCost", days: int = DRIVER_DAYS) -> Drivers | None:
    """The move of the product's unit cost over ``days`` days and the input behind most of it."""
    before = (parse_time(cost.as_of) - timedelta(days=days)).isoformat()
    query = ("SELECT id, costed_at, unit_cost FROM product_costs WHERE product_id = ? AND complete = 1 AND currency = ? "
             "AND costed_at {} ? ORDER BY costed_at {} LIMIT 1")
    params = [cost.product.id, cost.currency]
    then = (db.execute(query.format("<=", "DESC"), params + [before]).fetchone()
            or db.execute(query.format("<", "ASC"), params + [cost.as_of]).fetchone())
    if then is None or not then[2]:
        return None
    old = {m: (c, p) for m, c, p in db.execute(
        "SELECT material_id, cost, unit_price FROM product_cost_lines WHERE cost_id = ?", [then[0]])}
    change = (cost.unit_cost / then[2] - 1) * 100
    span = round((parse_time(cost.as_of) - parse_time(then[1])).total_seconds() / 86400)
    moves = [(line.cost - old[line.material_id][0], line) for line in cost.lines
             if line.cost is not None and old.get(line.material_id, (None,))[0] is not None]
    same_way = [(delta, line) for delta, line in moves if delta * change > 0]
    if not same_way:
        return Drivers(change, span)
    _, line = max(same_way, key=lambda m: abs(m[0]))
    previous_price = old[line.material_id][1]
    moved = (line.unit_price / previous_price - 1) * 100 if line.unit_price and previous_price else None
    return Drivers(change, span, line.material_name, moved, line.supplier_name)

