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
    recipe: tuple[str, ...] = ()  # how the recipe changed since then ("Black walnut 12 bd ft -> 14 bd ft"): no price move

    @property
    def rising(self) -> bool:
        return self.change_percent > 0

    @property
    def moved(self) -> bool:
        """Worth saying: a tenth of a percent or more ("+0.0% in 0 days" says nothing)."""
        return round(abs(self.change_percent), 1) > 0

    def recipe_words(self) -> str | None:
        """"the recipe changed: Black walnut 12 bd ft -> 14 bd ft (not a price move)", or None."""
        return f"the recipe changed: {', '.join(self.recipe)} (not a price move)" if self.recipe else None

    def text(self) -> str:
        """'+8.3% in 30 days, mostly coconut oil +21% at Soap Supply Co' (the move of its inputs' prices,
        measured on today's recipe: an edited recipe is said as such, never as a price move)."""
        # Under a day: several runs on one day (an owner trying a new config), measured from the day's first.
        span = f"in {self.span_days} day{'s' if self.span_days != 1 else ''}" if self.span_days >= 1 else "since it was first costed"
        text = f"cost {'up' if self.rising else 'down'} {abs(self.change_percent):.1f}% {span}"
        if self.material_name and self.material_moved_percent is not None:
            text += f", mostly {self.material_name} {display.signed_percent(self.material_moved_percent)} at {self.supplier_name}"
        return text + (f"; {self.recipe_words()}" if self.recipe else "")


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

    def recipe_words(self) -> str | None:
        """How the recipe changed over the last 30 days, if it did (a margin message says it)."""
        return self.drivers.recipe_words() if self.drivers else None

    def restated(self, value: float, at: str | None) -> float:
        """The cost an alert was anchored on, at that night's prices on tonight's recipe: an edited
        recipe neither escalates an open cost rise ("up 268.7% since $163.75" for 10 -> 30 bd ft of
        walnut at one price) nor resolves it. ``value`` when that night is not stored."""
        if at is None or self.database is None or self.cost is None:
            return value
        row = self.database.execute("SELECT id, unit_cost, batch_cost FROM product_costs WHERE product_id = ? AND costed_at = ? "
                                    "AND complete = 1 AND currency = ?", [self.cost.product.id, at, self.currency]).fetchone()
        if row is None:
            return value
        stored = {m: (q, u, p) for m, q, u, p in self.database.execute(
            "SELECT material_id, quantity, unit, unit_price FROM product_cost_lines WHERE cost_id = ?", [row[0]])}
        if _same_recipe(self.cost, stored, row[2] / row[1] if row[1] else None):
            return value
        return _on_todays_recipe(self.cost, stored) or value

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


def history(db: sqlite_utils.Database, product: "Product", as_of: str, days: float, currency: str,
            cost: "ProductCost | None" = None) -> list[Point]:
    """The product's unit cost night by night. With tonight's ``cost``, each night is taken at its own
    prices but on tonight's recipe, so editing the recipe (more walnut, another yield) is no move; an
    input added since is counted at tonight's price, and a night sharing no input with tonight is left out."""
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    rows = db.execute(
        "SELECT id, costed_at, unit_cost, NULL, julianday(costed_at), batch_cost FROM product_costs "
        "WHERE product_id = ? AND complete = 1 AND currency = ? AND costed_at > ? AND costed_at <= ? ORDER BY costed_at",
        [product.id, currency, since, as_of]).fetchall()
    if cost is None or not rows:
        return [Point(*row[:5]) for row in rows]
    lines: dict[int, dict[str, tuple[float, str, float | None]]] = {}
    for cost_id, material_id, quantity, unit, unit_price in db.execute(
            "SELECT cost_id, material_id, quantity, unit, unit_price FROM product_cost_lines WHERE product_id = ? "
            "AND costed_at > ? AND costed_at <= ?", [product.id, since, as_of]):
        lines.setdefault(cost_id, {})[material_id] = (quantity, unit, unit_price)
    points = []
    for row in rows:
        then = _on_todays_recipe(cost, lines.get(row[0], {}))
        if then is None:
            continue
        same = _same_recipe(cost, lines.get(row[0], {}), row[5] / row[2] if row[2] else None)
        points.append(Point(*row[:5]) if same else Point(row[0], row[1], then, None, row[4]))
    return points


def _same_recipe(cost: "ProductCost", stored: dict[str, tuple[float, str, float | None]], stored_yield: float | None) -> bool:
    today = {line.material_id: (line.quantity, line.unit) for line in cost.lines}
    return (set(stored) == set(today) and stored_yield is not None and abs(stored_yield - cost.product.yield_count) < 1e-9
            and all(stored[m][1] == u and abs(stored[m][0] - q) <= 1e-9 * max(1.0, abs(q)) for m, (q, u) in today.items()))


def _on_todays_recipe(cost: "ProductCost", stored: dict[str, tuple[float, str, float | None]]) -> float | None:
    """A past night's unit cost with its own prices and tonight's recipe. An input it lacks (added to
    the recipe since, or now priced in another unit) is counted at tonight's price: its move is not
    known, and leaving the night out silenced the other inputs' real moves for as long as the rule
    looks back. None when it shares no priced input with tonight (nothing to compare)."""
    total, shared = 0.0, False
    for line in cost.lines:
        found = stored.get(line.material_id)
        if found is not None and found[2] is not None and found[1] == line.unit:
            total, shared = total + line.quantity * found[2], True
        elif line.unit_price is not None:
            total += line.quantity * line.unit_price
        else:
            return None
    return total / cost.product.yield_count if shared else None


def _recipe_changes(db: sqlite_utils.Database, cost: "ProductCost", cost_id: int, stored: dict[str, tuple[float, str, float | None]],
                    stored_yield: float | None) -> tuple[str, ...]:
    """The edits between a past costing's recipe and tonight's, by name: "Black walnut 12 bd ft -> 14 bd ft"."""
    from .. import units

    said = []
    written = dict(db.execute("SELECT material_id, as_written FROM product_cost_lines WHERE cost_id = ?", [cost_id]).fetchall())
    for line in cost.lines:
        now = units.quantity_as_written(line.as_written)  # the recipe's own words, "12.5 bd ft"
        old = stored.get(line.material_id)
        if old is None:
            said.append(f"{line.material_name} {now} added")
        elif old[1] == line.unit and abs(old[0] - line.quantity) > 1e-9 * max(1.0, abs(line.quantity)):
            was = units.quantity_as_written(written[line.material_id]) if written.get(line.material_id) else units.quantity_text(old[0], old[1])
            said.append(f"{line.material_name} {was} -> {now}")
    gone = [m for m in stored if m not in {line.material_id for line in cost.lines}]
    if gone:
        names = dict(db.execute(f"SELECT id, name FROM materials WHERE id IN ({', '.join('?' * len(gone))})", gone).fetchall())
        said += [f"{names.get(m, 'an input no longer in the config')} left out" for m in gone]
    made = cost.product.yield_count
    if stored_yield is not None and abs(stored_yield - made) > 1e-6:
        unit = cost.product.yield_unit
        said.append(f"one batch makes {units.quantity_text(made, unit)} (was {units.quantity_text(display.amount(stored_yield), unit)})")
    return tuple(said)


def drivers(db: sqlite_utils.Database, cost: "ProductCost", days: int = DRIVER_DAYS) -> Drivers | None:
    """The move of the product's unit cost over ``days`` days and the input behind most of it: the move
    of its inputs' prices on tonight's recipe, with the recipe's edits since said apart."""
    before = (parse_time(cost.as_of) - timedelta(days=days)).isoformat()
    query = ("SELECT id, costed_at, unit_cost, batch_cost FROM product_costs WHERE product_id = ? AND complete = 1 AND currency = ? "
             "AND costed_at {} ? ORDER BY costed_at {} LIMIT 1")
    params = [cost.product.id, cost.currency]
    then = (db.execute(query.format("<=", "DESC"), params + [before]).fetchone()
            or db.execute(query.format("<", "ASC"), params + [cost.as_of]).fetchone())
    if then is None or not then[2]:
        return None
    stored = {m: (q, u, p) for m, q, u, p in db.execute(
        "SELECT material_id, quantity, unit, unit_price FROM product_cost_lines WHERE cost_id = ?", [then[0]])}
    stored_yield = then[3] / then[2] if then[3] else None
    recipe = () if _same_recipe(cost, stored, stored_yield) else _recipe_changes(db, cost, then[0], stored, stored_yield)
    span = round((parse_time(cost.as_of) - parse_time(then[1])).total_seconds() / 86400)
    old_unit_cost = _on_todays_recipe(cost, stored)
    if not old_unit_cost:
        return Drivers(0.0, span, recipe=recipe) if recipe else None
    change = (cost.unit_cost / old_unit_cost - 1) * 100
    # Each line's move at its own prices and tonight's quantity: what the prices did, not the recipe.
    moves = [((line.unit_price - stored[line.material_id][2]) * line.quantity, line) for line in cost.lines
             if line.unit_price is not None and stored.get(line.material_id, (0, "", None))[2] is not None]
    same_way = [(delta, line) for delta, line in moves if delta * change > 0]
    if not same_way:
        return Drivers(change, span, recipe=recipe)
    _, line = max(same_way, key=lambda m: abs(m[0]))
    previous_price = stored[line.material_id][2]
    moved = (line.unit_price / previous_price - 1) * 100 if line.unit_price and previous_price else None
    return Drivers(change, span, line.material_name, moved, line.supplier_name, recipe)
