"""Open quotes: prices promised to customers, re-costed every night until they end.

A quote is a product times a quantity, or a bill of materials, at a price, valid until a day. It is
costed when given (with that day's prices) and again every night: "Quote 112 (Walnut table, $4,200,
valid to 20 Dec) has lost 6.0 margin points since 2 Nov, mostly Black walnut +14% at Oakridge: buy
the walnut now or re-quote". A suggested validity comes from how far its inputs' cost has moved
over past spans of the same length.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from .. import costing, display, units
from ..config import Config, Product
from ..costing import ProductCost
from ..rules.base import Finding, Formatter, Scope, Severity, Target, parse_time
from ..rules.registry import QUOTE_MARGIN
from ..store import now_iso
from . import prices
from .runway import day_words

HORIZONS = (7, 14, 21, 30, 45, 60, 90, 120, 180)
MIN_HISTORY_DAYS = 90
ABOUT_TO_LOSE_POINTS = 1.0  # within this of the target margin, a quote rings the phone


@dataclass
class Quote:
    id: int
    number: str
    customer: str | None
    description: str
    product_id: str | None
    quantity: float | None
    lines: dict[str, dict[str, Any]]  # material id -> quantity (material unit), unit, supplier, unit price when quoted
    price: float
    currency: str
    given_on: str
    valid_until: str
    cost_at_quote: float | None
    margin_at_quote: float | None
    target_margin: float | None
    state: str
    costed_on: str | None = None  # when cost_at_quote was taken: given_on, or the first night with every input priced

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Quote":
        return cls(row["id"], row["number"], row["customer"], row["description"], row["product_id"], row["quantity"],
                   json.loads(row["bom"]), row["price"], row["currency"], row["given_on"], row["valid_until"], row["cost_at_quote"],
                   row["margin_at_quote"], row["target_margin"], row["state"], row.get("costed_on"))

    def title(self, fmt: Formatter, today: date) -> str:
        """"Quote 112 (Walnut side table for Smith, $4,200.00, valid to 20 Dec)"."""
        who = f" for {self.customer}" if self.customer else ""
        return (f"Quote {self.number} ({self.description}{who}, {fmt.prefix}{self.price:,.2f}{fmt.suffix}, "
                f"valid to {day_words(date.fromisoformat(self.valid_until), today)})")

    def baseline_words(self, today: date) -> str:
        """"when given", or "when first costed on 9 Dec" for a quote given before its inputs had prices."""
        costed = self.costed_on or self.given_on
        return "when given" if costed == self.given_on else f"when first costed on {day_words(parse_time(costed).date(), today)}"


def _as_product(config: Config, quote_lines: dict[str, dict[str, Any]], name: str) -> Product:
    """A quote's bill of materials as a one-unit product, so it is costed exactly as products are."""
    recipe = {m: {"quantity": f"{line['quantity']!r} {line['unit']}", "supplier": line.get("supplier")} for m, line in quote_lines.items()}
    return Product.model_validate({"id": "quote", "name": name, "recipe": recipe, "yield": "1"})


def parse_bom(config: Config, text: str) -> dict[str, dict[str, Any]]:
    """``"walnut-8-4=40 board_foot, wood-glue=1 qt"`` as quote lines in each material's unit."""
    materials = {m.id: m for m in config.materials}
    lines: dict[str, dict[str, Any]] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        material_id, _, quantity = part.partition("=")
        material_id, quantity = material_id.strip(), quantity.strip()
        if material_id not in materials:
            raise ValueError(f"{part!r}: unknown material {material_id!r} (materials: {', '.join(materials)})")
        material = materials[material_id]
        try:
            amount = float(units.amount_in(units.parse_quantity(quantity), material.unit, material.density))
        except ValueError as exc:
            raise ValueError(f"{part!r}: {exc} ({material.name} is priced per {material.unit})") from None
        lines[material_id] = {"quantity": amount, "unit": material.unit, "supplier": None}
    if not lines:
        raise ValueError("a bill of materials lists material=quantity pairs, e.g. 'walnut-8-4=40 board_foot, wood-glue=1 qt'")
    return lines


def product_lines(config: Config, product: Product, quantity: float) -> dict[str, dict[str, Any]]:
    """What ``quantity`` units of a product use, line by line, in each material's unit."""
    materials = {m.id: m for m in config.materials}
    lines = {}
    for material_id, line in product.lines().items():
        material = materials[material_id]
        amount = float(units.amount_in(units.parse_quantity(line.quantity), material.unit, material.density))
        lines[material_id] = {"quantity": amount * quantity / product.yield_count, "unit": material.unit, "supplier": line.supplier}
    return lines


def cost(db: sqlite_utils.Database, config: Config, quote_lines: dict[str, dict[str, Any]], as_of: str, name: str = "quote") -> ProductCost:
    return costing.cost_at(db, config, _as_product(config, quote_lines, name), as_of)


def add(db: sqlite_utils.Database, config: Config, *, number: str | None, price: float, valid_until: date, given_on: str,
        product_id: str | None = None, quantity: float = 1, bom: str | None = None, customer: str | None = None,
        description: str | None = None, target_margin: float | None = None, note: str | None = None) -> Quote:
    """Register a quote, costed with the prices known when it was given."""
    products = {p.id: p for p in config.products}
    if (product_id is None) == (bom is None):
        raise ValueError("a quote is for a product (--product) or a bill of materials (--bom), one of the two")
    if price <= 0:
        raise ValueError("a quote's price must be above zero")
    if valid_until < parse_time(given_on).date():
        raise ValueError(f"valid until {valid_until} is before the day it was given ({given_on[:10]})")
    if product_id is not None:
        if product_id not in products:
            raise ValueError(f"unknown product {product_id!r} (products: {', '.join(products) or 'none in the config'})")
        if quantity <= 0:
            raise ValueError("the quantity must be above zero")
        product = products[product_id]
        lines = product_lines(config, product, quantity)
        description = description or (product.name if quantity == 1 else f"{quantity:g} x {product.name}")
        target_margin = target_margin if target_margin is not None else product.target_margin
    else:
        lines = parse_bom(config, bom or "")
        description = description or "bill of materials"
    if number is None:
        number = str((db.execute("SELECT count(*) FROM quotes").fetchone()[0] or 0) + 1)
    if db.execute("SELECT 1 FROM quotes WHERE number = ?", [number]).fetchone():
        raise ValueError(f"there is already a quote {number}; give another --number")
    costed = cost(db, config, lines, given_on, description)
    for line in costed.lines:
        lines[line.material_id]["unit_price"] = line.unit_price
    margin = (price - costed.batch_cost) / price * 100 if costed.complete else None
    row = {"number": number, "customer": customer, "description": description, "product_id": product_id,
           "quantity": quantity if product_id else None, "bom": json.dumps(lines), "price": price, "currency": config.currency,
           "given_on": given_on, "valid_until": valid_until.isoformat(), "cost_at_quote": costed.batch_cost if costed.complete else None,
           "margin_at_quote": margin, "target_margin": target_margin, "state": "open", "note": note,
           "costed_on": given_on if costed.complete else None}
    with db.conn:
        row["id"] = db["quotes"].insert(row).last_pk
    return Quote.from_row(row)


@dataclass(frozen=True)
class Closed:
    quote: Quote
    was: str | None  # how it had been closed before ("lost on 7 Dec 2026"), for a correction or a repeat


def close(db: sqlite_utils.Database, number: str, state: str) -> Closed:
    """Close a quote; closing it again corrects how it ended and says how it had been closed (the
    same answer twice keeps its first day), so a won quote never silently turns lost."""
    found = list(db.query("SELECT * FROM quotes WHERE number = ?", [number]))
    if not found:
        numbers = [str(r["number"]) for r in db.query("SELECT number FROM quotes WHERE state = 'open' ORDER BY number")]
        raise ValueError(f"no quote {number} (open quotes: {', '.join(numbers) or 'none'})")
    row = found[0]
    was = f"{row['state']} on {display.day(row['closed_at'])}" if row["state"] != "open" else None
    if row["state"] != state:
        with db.conn:
            db["quotes"].update(row["id"], {"state": state, "closed_at": now_iso()})
    return Closed(Quote.from_row({**row, "state": state}), was)


def open_quotes(db: sqlite_utils.Database, as_of: str | None = None) -> list[Quote]:
    """Quotes still open and not past their last day (at ``as_of``)."""
    day = (as_of or now_iso())[:10]
    return [Quote.from_row(r) for r in db.query("SELECT * FROM quotes WHERE state = 'open' AND valid_until >= ? ORDER BY valid_until", [day])]


@dataclass
class QuoteCheck:
    quote: Quote
    as_of: str
    cost: ProductCost
    margin: float | None
    lost_points: float | None
    driver: str  # "Black walnut 8/4 FAS +14% at Oakridge"

    def at_risk(self, points: float) -> bool:
        """It has lost ``points`` margin points or more since it was given."""
        return self.lost_points is not None and self.lost_points >= points

    @property
    def below_target(self) -> bool:
        """Its margin is within a point of the target, or under it (whatever it was when given)."""
        target = self.quote.target_margin
        return self.margin is not None and target is not None and self.margin < target + ABOUT_TO_LOSE_POINTS

    def losing_its_margin(self, points: float) -> bool:
        """About to fall under the target because prices moved: it was above it when given, or it
        has lost ``points`` since. (A quote given under the target is the owner's choice, not news.)"""
        given = self.quote.margin_at_quote
        target = self.quote.target_margin
        was_above = given is not None and target is not None and given >= target + ABOUT_TO_LOSE_POINTS
        return self.below_target and (was_above or self.at_risk(points)) and (self.lost_points or 0) > 0

    def message(self, fmt: Formatter) -> str:
        today = parse_time(self.as_of).date()
        head = self.quote.title(fmt, today)
        if self.margin is None:
            return f"{head}: cannot be costed tonight (no valid price for {', '.join(self.cost.missing_names)})"
        since = day_words(parse_time(self.quote.costed_on or self.quote.given_on).date(), today)
        lost = round(self.quote.margin_at_quote or 0, 1) - round(self.margin, 1)  # the points as the two margins read
        text = f"{head} has lost {lost:.1f} margin points since {since} ({display.percent(self.quote.margin_at_quote)} -> {display.percent(self.margin)}"
        target = self.quote.target_margin
        if target is not None:
            text += (f", under the target of {target:g}%" if self.margin < target else
                     f", {self.margin - target:.1f} points above the target of {target:g}%" if self.below_target else f", target {target:g}%")
        text += ")"
        if self.driver:
            text += f", mostly {self.driver}"
        main = self.driver.split(" +")[0] if self.driver else "the inputs"
        return f"{text}: buy {main} now or re-quote"


def check(db: sqlite_utils.Database, config: Config, quote: Quote, as_of: str) -> QuoteCheck:
    """Tonight's cost and margin of a quote against when it was given."""
    costed = cost(db, config, quote.lines, as_of, quote.description)
    margin = (quote.price - costed.batch_cost) / quote.price * 100 if costed.complete else None
    lost = None if margin is None or quote.margin_at_quote is None else quote.margin_at_quote - margin
    driver = ""
    rises = [(line.cost - quote.lines[line.material_id]["quantity"] * quote.lines[line.material_id]["unit_price"], line)
             for line in costed.lines if line.cost is not None and quote.lines[line.material_id].get("unit_price")]
    rises = [r for r in rises if r[0] > 0]
    if rises:
        _, line = max(rises, key=lambda r: r[0])
        moved = (line.unit_price / quote.lines[line.material_id]["unit_price"] - 1) * 100
        driver = f"{line.material_name} {display.signed_percent(moved)} at {line.supplier_name}"
    return QuoteCheck(quote, as_of, costed, margin, lost, driver)


def adopt_baseline(db: sqlite_utils.Database, found: QuoteCheck) -> QuoteCheck:
    """A quote given before its inputs had prices takes its first complete costing as the cost it
    was given at, so from then on its margin is checked like any other (else it never could be)."""
    quote = found.quote
    lines = {m: {**line, "unit_price": None} for m, line in quote.lines.items()}
    for line in found.cost.lines:
        lines[line.material_id]["unit_price"] = line.unit_price
    baseline = {"bom": json.dumps(lines), "cost_at_quote": found.cost.batch_cost, "margin_at_quote": found.margin, "costed_on": found.as_of}
    db["quotes"].update(quote.id, baseline)
    adopted = replace(quote, lines=lines, cost_at_quote=found.cost.batch_cost, margin_at_quote=found.margin, costed_on=found.as_of)
    return QuoteCheck(adopted, found.as_of, found.cost, found.margin, 0.0, "")


def quote_target(quote_id: int, number: str, product_id: str | None) -> Target:
    """What a quote's margin alert is about: the quote (a silence on its product covers it)."""
    return Target(Scope.QUOTE, str(quote_id), f"Quote {number}", product_id=product_id)


def nightly(db: sqlite_utils.Database, config: Config, as_of: str) -> tuple[list[QuoteCheck], list[Finding]]:
    """Check every open quote; store the checks; findings for quotes at risk (critical when about to
    fall below the target margin), and resolutions for quotes no longer open or valid."""
    fmt = Formatter(config.currency)
    points = config.decisions.quote_points
    checks, findings = [], []
    with db.conn:
        for quote in open_quotes(db, as_of):
            found = check(db, config, quote, as_of)
            if quote.margin_at_quote is None and found.margin is not None:
                found = adopt_baseline(db, found)
            checks.append(found)
            db["quote_checks"].upsert({"quote_id": quote.id, "as_of": as_of, "cost": found.cost.batch_cost, "complete": int(found.cost.complete),
                                       "margin_percent": found.margin, "lost_points": found.lost_points, "driver": found.driver or None},
                                      pk=("quote_id", "as_of"))
            if found.margin is None or found.lost_points is None:
                continue  # a partial cost is not a cost: the alert keeps its state
            critical = found.losing_its_margin(points)
            holds = True if found.at_risk(points) or critical else False if found.lost_points < points / 2 else None
            message = found.message(fmt) if holds is not False else \
                f"{quote.title(fmt, parse_time(as_of).date())}: margin back to {display.percent(found.margin)}"
            findings.append(Finding(QUOTE_MARGIN, quote_target(quote.id, quote.number, quote.product_id), "lost",
                                    holds, Severity.CRITICAL if critical else Severity.WARNING, message, found.margin,
                                    quote.margin_at_quote, unit="%"))
    ended = db.execute("SELECT q.id, q.number, q.state, q.valid_until, q.product_id FROM alerts a JOIN quotes q "
                       "ON a.fingerprint = 'quote():quote:' || q.id || ':lost' "
                       "WHERE a.state IN ('pending', 'firing') AND (q.state != 'open' OR q.valid_until < ?)", [as_of[:10]]).fetchall()
    for quote_id, number, state, valid_until, product_id in ended:
        why = f"was {state}" if state != "open" else f"ended on {valid_until}"
        findings.append(Finding(QUOTE_MARGIN, quote_target(quote_id, number, product_id), "lost", False, Severity.WARNING,
                                f"Quote {number} {why}"))
    return checks, findings


@dataclass(frozen=True)
class Validity:
    days: int | None
    reason: str


def suggest_validity(db: sqlite_utils.Database, config: Config, quote_lines: dict[str, dict[str, Any]], price: float,
                     target_margin: float | None, as_of: str) -> Validity:
    """The longest span over which, in 95 % of the past, the inputs' cost rose less than the margin
    this price can spare (down to the target, or ``quote_points`` when there is no target)."""
    cost_now = cost(db, config, quote_lines, as_of)
    if not cost_now.complete:
        return Validity(None, f"no valid price tonight for {', '.join(cost_now.missing_names)}")
    margin = (price - cost_now.batch_cost) / price * 100
    spare = margin - target_margin if target_margin is not None else config.decisions.quote_points
    if spare <= 0:
        return Validity(None, f"the margin is already {display.percent(margin)}, under the target of {target_margin:g}%: reprice first")
    allowed = spare * price / cost_now.batch_cost  # percent the cost may rise before the spare points are gone
    series = {m: prices.daily_cheapest(db, m, as_of, days=3 * 365) for m in quote_lines}
    starts = [s[0].day for s in series.values() if s]
    if len(starts) < len(series):
        return Validity(None, "some inputs have no price history")
    first, today = max(starts), parse_time(as_of).date()
    if (today - first).days < MIN_HISTORY_DAYS:
        return Validity(None, f"{prices.days_known_words((today - first).days)} for all its inputs (a suggestion needs {MIN_HISTORY_DAYS} days)")

    def batch(day: date) -> float:
        return sum(line["quantity"] * (prices.value_on(series[m], day) or 0) for m, line in quote_lines.items())

    days = [first + timedelta(days=k) for k in range((today - first).days + 1)]
    costs = {d: batch(d) for d in days}
    best = None
    for horizon in HORIZONS:
        rises = [(costs[d] / costs[d - timedelta(days=horizon)] - 1) * 100 for d in days
                 if d - timedelta(days=horizon) in costs and costs[d - timedelta(days=horizon)] > 0]
        if len(rises) < 10:
            break
        rises.sort()
        p95 = rises[min(math.ceil(0.95 * len(rises)) - 1, len(rises) - 1)]
        if p95 > allowed:
            break
        best = (horizon, p95)
    if best is None:
        return Validity(7, f"its inputs move fast: in more than 1 of 20 past {HORIZONS[0]}-day spans they rose more than the "
                           f"{spare:.1f} margin points ({allowed:.1f}% of cost) this price can spare")
    horizon, p95 = best
    return Validity(horizon, f"in 95% of past {horizon}-day spans its inputs rose at most {max(p95, 0):.1f}%, "
                             f"within the {spare:.1f} margin points ({allowed:.1f}% of cost) this price can spare")
