"""What-if on margins: tonight's costing of every product with some inputs moved, and the price
that restores the target margin; sensitivity (margin points per 10 % move of each input).

Built on :mod:`monitor.costing`: the same lines, priced from the same offers, then scaled. A move
is given (``+20%``) or read from history (``p95-12m``: the 95th percentile of the material's
12-month moves, from its own prices or, when those are too short, from its linked index).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from .. import costing, display, units
from ..config import Config, Material, Product
from ..costing import ProductCost
from ..rules.base import Formatter, parse_time
from . import indexes, prices

SCENARIO = re.compile(r"^p(\d{1,2}(?:\.\d+)?)-(\d+)([dwmy])$")
MOVE = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*%$")
MIN_WINDOWS = 24  # fewer distinct horizons than this in a history: too little to read a percentile from


@dataclass(frozen=True)
class Move:
    """One input moved: by how much, and where that figure came from (for the owner to judge)."""

    material: Material
    percent: float
    source: str  # "given", or "95th percentile of its 12-month moves, own prices Mar 2019 to Nov 2026"


@dataclass
class ProductOutcome:
    product: Product
    now: ProductCost
    moved: dict[str, float]  # material id -> multiplier applied

    @property
    def unit_cost_now(self) -> float:
        return self.now.unit_cost

    @property
    def unit_cost_new(self) -> float:
        return sum((line.cost or 0) * self.moved.get(line.material_id, 1.0) for line in self.now.lines) / self.product.yield_count

    def margin(self, unit_cost: float) -> float | None:
        price = self.product.price
        return None if price is None or not self.now.complete else (price - unit_cost) / price * 100

    @property
    def below_target(self) -> bool:
        new, target = self.margin(self.unit_cost_new), self.product.target_margin
        return new is not None and target is not None and new < target

    @property
    def price_for_target(self) -> float | None:
        """The selling price that gives the target margin at the new cost (or keeps today's margin
        when no target is set)."""
        target = self.product.target_margin
        if target is None:
            target = self.margin(self.unit_cost_now)
        if target is None or not self.now.complete:
            return None
        return self.unit_cost_new / (1 - target / 100)

    def as_dict(self) -> dict[str, Any]:
        r = lambda v, n=4: None if v is None else round(v, n)  # noqa: E731
        return {
            "product": self.product.id, "name": self.product.name, "unit": self.product.yield_unit, "complete": self.now.complete,
            "missing": self.now.missing, "unit_cost_now": r(self.unit_cost_now), "unit_cost_new": r(self.unit_cost_new),
            "selling_price": self.product.price, "margin_now": r(self.margin(self.unit_cost_now), 2),
            "margin_new": r(self.margin(self.unit_cost_new), 2), "target_margin": self.product.target_margin,
            "below_target": self.below_target, "price_for_target": r(self.price_for_target, 2),
        }


@dataclass
class WhatIf:
    as_of: str
    currency: str
    moves: list[Move]
    outcomes: list[ProductOutcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of, "currency": self.currency,
            "moves": [{"material": m.material.id, "name": m.material.name, "percent": round(m.percent, 2), "source": m.source} for m in self.moves],
            "products": [o.as_dict() for o in self.outcomes],
        }


def parse_move(text: str) -> float:
    """``+20%``, ``-5 %`` or ``12.5%`` as a percent."""
    match = MOVE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a move: write it as +20% or -5%")
    percent = float(match.group(1))
    if percent <= -100:
        raise ValueError(f"{text!r} would make the price zero or less")
    return percent


def parse_scenario(text: str) -> tuple[float, int]:
    """``p95-12m`` -> (95, 365 days)."""
    match = SCENARIO.match(text.strip().lower())
    if not match or not 0 < float(match.group(1)) < 100:
        raise ValueError(f"{text!r} is not a scenario: write it as p95-12m (the 95th percentile of 12-month moves), p90-3m, p50-30d")
    count, unit = int(match.group(2)), match.group(3)
    days = count * {"d": 1, "w": 7, "m": 30.44, "y": 365.25}[unit]
    if days < 1:
        raise ValueError(f"{text!r}: the horizon must be at least a day")
    return float(match.group(1)), round(days)


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile, interpolated between the two nearest values."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _own_moves(series: list[prices.DayPrice], days: int) -> list[float]:
    moves: list[float] = []
    if series:
        cursor = series[0].day + timedelta(days=days)
        while cursor <= series[-1].day:
            then, now = prices.value_on(series, cursor - timedelta(days=days)), prices.value_on(series, cursor)
            if then and now:
                moves.append(math.log(now / then))
            cursor += timedelta(days=max(1, days // 12))  # a dozen samples per horizon: overlap, not repetition
    return moves


SHORTER = [(730, "2y"), (365, "12m"), (183, "6m"), (91, "3m"), (61, "2m"), (30, "30d"), (14, "14d"), (7, "7d")]


def historical_move(db: sqlite_utils.Database, config: Config, material: Material, scenario: str, as_of: str) -> Move:
    """The ``pNN-H`` move of a material: from its own daily prices when they span enough horizons,
    else from its linked index series; ValueError saying what is missing, and the longest horizon
    its history does answer, otherwise."""
    q, days = parse_scenario(scenario)
    today = parse_time(as_of).date()
    series = prices.daily_cheapest(db, material.id, as_of, days=max(days, 365) * 30)
    moves = _own_moves(series, days)
    if len(moves) >= MIN_WINDOWS:
        value = (math.exp(_percentile(moves, q)) - 1) * 100
        return Move(material, value, f"{_ordinal(q)} percentile of its {_horizon(days)} moves, own prices "
                                     f"{series[0].day:%b %Y} to {series[-1].day:%b %Y}")
    own = _own_span(series, today)
    short = [own]
    linked: list[list[indexes.IndexPoint]] = []
    for index_id in material.indexes:
        points = indexes.series(db, index_id, known_on=today)
        linked.append(points)
        index_moves = _index_moves(points, days)
        name = next(i.name for i in config.indexes if i.id == index_id)
        if len(index_moves) >= MIN_WINDOWS:
            value = (math.exp(_percentile(index_moves, q)) - 1) * 100
            return Move(material, value, f"{_ordinal(q)} percentile of {_horizon(days)} moves of {name}, "
                                         f"{points[0].period:%b %Y} to {points[-1].period:%b %Y} ({own})")
        short.append(f"{name} gives {display.count(len(index_moves), 'such move')}" + (f" ({points[0].period:%b %Y} to {points[-1].period:%b %Y})" if points else " (no values yet)"))
    hint = "" if material.indexes else "; link a public index to it (indexes: in the config) to use that history"
    answer = next((f"p{q:g}-{label}" for shorter, label in SHORTER if shorter < days and (
        len(_own_moves(series, shorter)) >= MIN_WINDOWS or any(len(_index_moves(p, shorter)) >= MIN_WINDOWS for p in linked))), None)
    then = f". Its history is long enough for {answer} (--scenario {answer})" if answer else ""
    raise ValueError(f"{material.name}: too little history for {scenario}: {'; '.join(short)}, and a percentile needs "
                     f"{MIN_WINDOWS} moves over {_span_words(days)}{hint}{then}")


def _own_span(series: list[prices.DayPrice], today: date) -> str:
    """"its own prices cover 9 days (3 Mar to 12 Mar)", "its own prices are of one day (3 Mar)": never "span 0 days"."""
    if not series:
        return "it has no prices yet"
    first, last = (display.day_of_year(p.day, today) for p in (series[0], series[-1]))
    days = prices.span_days(series)
    return f"its own prices are of one day only ({first})" if days == 0 else f"its own prices cover {display.count(days, 'day')} ({first} to {last})"


def _span_words(days: int) -> str:
    """"12 months", "3 years", "30 days": a horizon as a length of time (not "24 12-month moves")."""
    horizon = _horizon(days)
    if horizon == "12-month":
        return "12 months"
    number, _, unit = horizon.partition("-")
    return display.count(int(number), unit)


def _index_moves(points: list[indexes.IndexPoint], days: int) -> list[float]:
    moves = []
    for k, now in enumerate(points):
        target = now.period - timedelta(days=days)
        earlier = [p for p in points[:k] if p.period <= target + timedelta(days=3)]
        if earlier and earlier[-1].value > 0 and now.value > 0 and earlier[-1].period >= target - timedelta(days=31):
            moves.append(math.log(now.value / earlier[-1].value))
    return moves


def _ordinal(q: float) -> str:
    n = int(q) if q == int(q) else q
    suffix = "th" if isinstance(n, float) or 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _horizon(days: int) -> str:
    if days % 365 == 0 or abs(days - 365 * round(days / 365)) <= 2 and days >= 360:
        years = round(days / 365)
        return "12-month" if years == 1 else f"{years}-year"
    if days >= 28 and abs(days / 30.44 - round(days / 30.44)) < 0.1:
        return f"{round(days / 30.44)}-month"
    return f"{days}-day"


def what_if(db: sqlite_utils.Database, config: Config, moves: list[Move], as_of: str) -> WhatIf:
    """Every product that uses a moved material, costed tonight and with the moves applied."""
    result = WhatIf(as_of, config.currency, moves)
    factors = {m.material.id: 1 + m.percent / 100 for m in moves}
    for product in config.products:
        if not set(product.lines()) & set(factors):
            continue
        now = costing.cost_at(db, config, product, as_of)
        result.outcomes.append(ProductOutcome(product, now, {k: v for k, v in factors.items() if k in product.lines()}))
    return result


def sensitivity(cost: ProductCost) -> list[tuple[str, float]]:
    """Margin points each input takes when it rises 10 %, largest first (none without a selling price)."""
    price = cost.product.price
    if price is None or not cost.complete:
        return []
    points = [(line.material_name, 0.10 * (line.cost or 0) / cost.product.yield_count / price * 100) for line in cost.lines]
    return sorted(points, key=lambda p: -p[1])


def format_what_if(result: WhatIf) -> str:
    """The what-if as ``supplywatch whatif`` prints it, in the owner's words."""
    money = Formatter(result.currency).money
    lines = [f"What if {', '.join(f'{m.material.name} {display.signed_percent(m.percent, 0 if round(m.percent, 1).is_integer() else 1)}' for m in result.moves)} "
             f"(the latest prices, {display.day(result.as_of)}):"]
    for move in result.moves:
        if move.source != "given":
            lines.append(f"  {move.material.name} {display.change(move.percent)}: the {move.source}")
    if not result.outcomes:
        lines.append("  No product uses these materials.")
    for o in result.outcomes:
        per = units.priced(o.product.yield_unit)  # "per table", "per bd ft", or "each": the unit's display name
        if not o.now.complete:
            lines.append(f"  {o.product.name}: no valid price tonight for {', '.join(o.now.missing_names)}; cannot say")
            continue
        text = f"  {o.product.name}: cost {money(o.unit_cost_now)} -> {money(o.unit_cost_new)} {per}"
        now_margin, new_margin = o.margin(o.unit_cost_now), o.margin(o.unit_cost_new)
        if now_margin is None or new_margin is None:
            lines.append(text + " (no selling price in the config, so no margin)")
            continue
        text += f"; margin {display.percent(now_margin)} -> {display.percent(new_margin)}"
        target = o.product.target_margin
        if target is not None:
            text += f" (target {target:g}%)"
            if o.below_target:
                text += f": BELOW TARGET; sell at {money(o.price_for_target or 0)} {per} to get {target:g}% back"
            else:
                text += f": still above target at {money(o.product.price or 0)}"
        elif o.price_for_target is not None:
            text += f"; {money(o.price_for_target)} {per} keeps today's margin"
        lines.append(text)
    return "\n".join(lines)


def format_sensitivity(db: sqlite_utils.Database, config: Config, as_of: str) -> str:
    lines = ["Margin points lost when one input rises 10 % (the latest prices):"]
    for product in config.products:
        cost = costing.cost_at(db, config, product, as_of)
        found = sensitivity(cost)
        if not found:
            why = "no selling price in the config" if product.price is None else f"no valid price for {', '.join(cost.missing_names)}"
            lines.append(f"  {product.name}: {why}")
            continue
        lines.append(f"  {product.name}: " + ", ".join(f"{name} {points:.1f} points" for name, points in found))  # not a bare "1.8"
    return "\n".join(lines)

