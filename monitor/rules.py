"""Evaluate alert rules on stored history (never on a single page).

Each rule looks at valid unit prices up to the run's time and says, per direction, whether its
condition holds (True), has cleared past its hysteresis band (False), or sits in between (None:
the alert keeps its state). One query reads the window every rule needs for every offer, so a
night costs what its window holds, not the whole history.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, NamedTuple

import sqlite_utils
from babel.numbers import format_currency

from . import detectors
from .config import Config, Material
from .rule_kinds import (ChangeRule, CheapestRule, ExtractionRule, ExtremeRule, Rule, StaleRule, StockRule,
                         ThresholdRule, TrendRule, VolatilityRule)


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    rule: str
    kind: str
    material_id: str | None
    offer_id: str | None
    supplier_id: str | None
    direction: str
    severity: str
    holds: bool | None
    value: float | None
    reference: float | None
    message: str
    confirm: int = 1
    observation_id: int | None = None
    escalate_percent: float | None = None


class Point(NamedTuple):
    id: int
    fetched_at: str
    unit_price: float
    in_stock: int | None
    day: float  # Julian day of fetched_at, read by SQLite once, so windows are plain comparisons


@dataclass
class OfferView:
    """One offer as the rules see it: its recent valid prices and who sells it."""

    id: str
    supplier_id: str
    supplier_name: str
    material: Material
    history: list[Point] = field(default_factory=list)

    @property
    def latest(self) -> Point | None:
        return self.history[-1] if self.history else None

    @property
    def label(self) -> str:
        return f"{self.material.name} at {self.supplier_name}"


def parse_time(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _days_between(a: str, b: str) -> float:
    return (parse_time(b) - parse_time(a)).total_seconds() / 86400


def describe(rule: Rule) -> str:
    """How a rule reads in messages and in the alerts table."""
    if isinstance(rule, ThresholdRule):
        parts = [f"above {rule.above:g}" if rule.above else "", f"below {rule.below:g}" if rule.below else ""]
        return "threshold " + " / ".join(p for p in parts if p)
    if isinstance(rule, ChangeRule):
        return f"change {rule.percent:g}% vs {rule.baseline}"
    if isinstance(rule, VolatilityRule):
        return f"volatility z {rule.z:g} over {rule.days}d"
    if isinstance(rule, TrendRule):
        return f"trend {rule.percent:g}% vs {rule.days}-day median"
    if isinstance(rule, ExtremeRule):
        return f"extreme {rule.days}-day {rule.direction}"
    if isinstance(rule, StaleRule):
        return f"stale {rule.days:g} days"
    if isinstance(rule, CheapestRule):
        return "cheapest supplier" + (f" / spread {rule.spread_percent:g}%" if rule.spread_percent else "")
    if isinstance(rule, ExtractionRule):
        return f"extraction: under {rule.min_valid_share:.0%} of pages priced"
    return "stock"


def history_ranges(rules: Iterable[Rule]) -> list[tuple[float, float]]:
    """The stretches of history the rules read, as (days ago from, days ago to): the whole window
    for most, but only the oldest quarter (and the latest price) for a trend, so the nightly read
    stays small."""
    rules = tuple(rules)
    trend_days = [r.days for r in rules if isinstance(r, TrendRule)]
    full = window_days(tuple(r for r in rules if not isinstance(r, TrendRule)))
    ranges = {(float(full), 0.0)}
    ranges |= {(d + 1.0, d * 0.75 - 1.0) for d in set(trend_days) if d * 0.75 - 1.0 > full}
    ranges |= {(d + 1.0, 0.0) for d in set(trend_days) if d * 0.75 - 1.0 <= full}
    return sorted(ranges)


def window_days(rules: Iterable[Rule]) -> int:
    """How many days of history the rules look at."""
    rules = tuple(rules)
    days = [int(m.group(1)) for r in rules if isinstance(r, ChangeRule) and (m := re.search(r"_(\d+)d$", r.baseline))]
    days += [r.days for r in rules if isinstance(r, (VolatilityRule, TrendRule, ExtremeRule))]
    days += [int(r.days * 2) for r in rules if isinstance(r, StaleRule)]
    return max(days, default=1) + 1


class Formatter:
    """Money and units as a phone's lock screen shows them: "$22.71/board_foot"."""

    def __init__(self, currency: str):
        self.currency = currency
        # Babel is slow per call and the night formats thousands: learn the pattern once.
        sample = format_currency(1234.5, currency, locale="en_US")
        self.prefix, self.suffix = sample.split("1,234.50") if "1,234.50" in sample else (f"{currency} ", "")

    def price(self, value: float, unit: str) -> str:
        return f"{self.prefix}{value:,.2f}{self.suffix}/{unit}"


# ---- price rules on one offer ---------------------------------------------------------------

def baseline(history: list[Point], spec: str) -> float | None:
    """The reference the latest price is compared with: ``previous``, ``median_30d``, ``mean_7d`` ..."""
    earlier = history[:-1]
    if not earlier:
        return None
    if spec == "previous":
        return earlier[-1].unit_price
    match = re.fullmatch(r"(median|mean)_(\d+)d", spec)
    if match is None:
        raise ValueError(f"unknown baseline {spec!r}")
    since = history[-1].day - int(match.group(2))
    window = [p.unit_price for p in earlier if p.day >= since]
    if not window:
        return None
    return statistics.median(window) if match.group(1) == "median" else statistics.fmean(window)


def _two_way(offer: OfferView, rule: Any, fmt: Formatter, change: float, reference: float, what: str,
             severity_for: Callable[[float], str] | None = None) -> Iterable[tuple[str, bool | None, float, str, str]]:
    """Up and down findings for a percent move against ``reference``."""
    latest = offer.latest
    assert latest is not None
    unit = offer.material.unit
    for direction, sign in (("up", 1), ("down", -1)):
        holds = detectors.band(sign * change, rule.percent, rule.hysteresis_percent)
        word = "up" if direction == "up" else "down"
        if holds:
            message = (f"{offer.label} {word} {abs(change):.1f}%: {fmt.price(reference, unit)} → "
                       f"{fmt.price(latest.unit_price, unit)} ({what})")
        else:
            message = f"{offer.label} no longer {word} {rule.percent:g}%: {fmt.price(latest.unit_price, unit)}, {change:+.1f}% ({what})"
        severity = severity_for(abs(change)) if severity_for and holds else rule.severity
        yield direction, holds, reference, message, severity


def _threshold(rule: ThresholdRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202 (yields tuples)
    latest = offer.latest
    if latest is None:
        return
    unit = offer.material.unit
    for level, direction in ((rule.above, "above"), (rule.below, "below")):
        if level is None:
            continue
        past = latest.unit_price - level if direction == "above" else level - latest.unit_price
        holds = detectors.band(past / level * 100, 1e-9, rule.hysteresis_percent)
        if holds:
            message = f"{offer.label}: {fmt.price(latest.unit_price, unit)} is {direction} your limit of {fmt.price(level, unit)}"
        else:
            message = f"{offer.label}: {fmt.price(latest.unit_price, unit)}, back {'under' if direction == 'above' else 'over'} {fmt.price(level, unit)}"
        yield direction, holds, level, message, rule.severity


def _change(rule: ChangeRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202
    reference = baseline(offer.history, rule.baseline)
    if not reference or offer.latest is None:
        return
    change = detectors.percent_change(offer.latest.unit_price, reference)
    critical = rule.critical_percent
    severity_for = (lambda moved: "critical" if critical is not None and moved >= critical else rule.severity)
    yield from _two_way(offer, rule, fmt, change, reference, f"vs {rule.baseline.replace('_', ' ')}", severity_for)


def _trend(rule: TrendRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202
    latest = offer.latest
    if latest is None:
        return
    # The move over the window: against the median of its oldest quarter, so a steady climb counts
    # in full instead of against a median that climbs with it.
    if latest.day - offer.history[0].day < rule.days / 4:
        return  # too little history to call anything a trend
    start = max(latest.day - rule.days, offer.history[0].day)
    quarter = (latest.day - start) / 4
    oldest = [p.unit_price for p in offer.history[:-1] if start <= p.day <= start + quarter]
    if not oldest:
        return
    reference = statistics.median(oldest)
    change = detectors.percent_change(latest.unit_price, reference)
    yield from _two_way(offer, rule, fmt, change, reference, f"over {rule.days} days")


def _volatility(rule: VolatilityRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202
    latest = offer.latest
    if latest is None:
        return
    prices = [p.unit_price for p in offer.history if p.day >= latest.day - rule.days]
    before = prices[:-rule.confirm] if len(prices) > rule.confirm else []
    if len(before) < 10:
        return
    # The move since just before it started, so the second night of a real move still counts.
    reference = statistics.median(before[-5:])
    moves = detectors.log_moves(before)
    z = detectors.robust_z(math.log(latest.unit_price / reference), moves, math.log(1 + rule.floor_percent / 100))
    usual = detectors.ewma_volatility(moves) * 100
    unit = offer.material.unit
    for direction, sign in (("up", 1), ("down", -1)):
        holds = detectors.band(sign * z, rule.z, 1.0)
        change = detectors.percent_change(latest.unit_price, reference)
        message = (f"{offer.label}: unusual move {change:+.1f}% ({fmt.price(reference, unit)} → {fmt.price(latest.unit_price, unit)}), "
                   f"z {z:+.1f}; its usual daily move is ±{usual:.1f}%")
        yield direction, holds, reference, message, rule.severity


def _extreme(rule: ExtremeRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202
    latest = offer.latest
    if latest is None or latest.day - offer.history[0].day < rule.days * 0.9:
        return
    prior = [p.unit_price for p in offer.history[:-1] if p.day >= latest.day - rule.days]
    if not prior:
        return
    unit = offer.material.unit
    for direction in (("low", "high") if rule.direction == "both" else (rule.direction,)):
        if direction == "low":
            mark = min(prior)
            holds = True if latest.unit_price < mark else False if latest.unit_price > mark * (1 + rule.hysteresis_percent / 100) else None
            word = "lowest"
        else:
            mark = max(prior)
            holds = True if latest.unit_price > mark else False if latest.unit_price < mark * (1 - rule.hysteresis_percent / 100) else None
            word = "highest"
        message = f"{offer.label}: {fmt.price(latest.unit_price, unit)} is the {word} in {rule.days} days (was {fmt.price(mark, unit)})"
        yield direction, holds, mark, message, rule.severity


def _stock(rule: StockRule, offer: OfferView, fmt: Formatter, as_of: str):  # noqa: ANN202
    latest = offer.latest
    if latest is None or latest.in_stock is None:
        return
    holds = latest.in_stock == 0
    message = f"{offer.label} is out of stock" if holds else f"{offer.label} is back in stock at {fmt.price(latest.unit_price, offer.material.unit)}"
    yield "out", holds, None, message, rule.severity


PRICE_RULES: dict[type, Callable[..., Iterable[tuple[str, bool | None, float | None, str, str]]]] = {
    ThresholdRule: _threshold, ChangeRule: _change, TrendRule: _trend, VolatilityRule: _volatility,
    ExtremeRule: _extreme, StockRule: _stock,
}


def _stale(rule: StaleRule, offer: OfferView, last_valid: str | None, first_seen: str | None, as_of: str, fmt: Formatter) -> Finding | None:
    since = last_valid or first_seen
    if since is None:
        return None  # never fetched: nothing can be stale
    gap = detectors.usual_gap_days([p.day for p in offer.history])
    limit = max(rule.days, 2 * gap) if gap else rule.days
    age = _days_between(since, as_of)
    holds = age > limit
    if holds:
        message = f"{offer.label}: no valid price for {age:.0f} days (last: {last_valid[:10] if last_valid else 'never'})"
    else:
        latest = offer.latest
        message = f"{offer.label}: valid prices again" + (f" ({fmt.price(latest.unit_price, offer.material.unit)})" if latest else "")
    return Finding(f"stale#1:{offer.id}:stale", describe(rule), "stale", offer.material.id, offer.id, offer.supplier_id,
                   "stale", rule.severity, holds, None, None, message)


def _cheapest(rule: CheapestRule, number: int, material: Material, offers: list[OfferView], as_of: str, fmt: Formatter) -> list[Finding]:
    fresh = [o for o in offers if o.latest and o.latest.in_stock != 0 and _days_between(o.latest.fetched_at, as_of) <= 7]
    if len(fresh) < 2:
        return []
    fresh.sort(key=lambda o: o.latest.unit_price)  # type: ignore[union-attr]
    best, dearest = fresh[0], fresh[-1]
    assert best.latest is not None and dearest.latest is not None
    unit = material.unit
    name = describe(rule)
    findings = [
        Finding(f"cheapest#{number}:{material.id}:{o.id}", name, "cheapest", material.id, o.id, o.supplier_id, "cheapest",
                rule.severity, o is best, o.latest.unit_price if o.latest else None, None,
                f"{o.supplier_name} is now the cheapest for {material.name}: {fmt.price(best.latest.unit_price, unit)}"
                f" (next: {fresh[1].supplier_name} at {fmt.price(fresh[1].latest.unit_price, unit)})")  # type: ignore[union-attr]
        for o in offers if o.latest
    ]
    if rule.spread_percent:
        spread = detectors.percent_change(dearest.latest.unit_price, best.latest.unit_price)
        holds = detectors.band(spread, rule.spread_percent, 2.0)
        findings.append(Finding(
            f"cheapest#{number}:{material.id}:spread", name, "cheapest", material.id, None, None, "spread", rule.severity, holds,
            spread, rule.spread_percent,
            f"{material.name}: {dearest.supplier_name} charges {spread:.0f}% more than {best.supplier_name} "
            f"({fmt.price(dearest.latest.unit_price, unit)} vs {fmt.price(best.latest.unit_price, unit)})"))
    return findings


# ---- reading history and putting it together ------------------------------------------------

def load_offers(db: sqlite_utils.Database, config: Config, as_of: str, column: str,
                ranges: list[tuple[float, float]]) -> dict[str, OfferView]:
    """Every active offer with its valid prices in the ``ranges`` the rules read, in one query."""
    materials = {m.id: m for m in config.materials}
    views = {
        row[0]: OfferView(row[0], row[2], row[3], materials[row[1]])
        for row in db.execute(
            "SELECT o.id, o.material_id, o.supplier_id, s.name FROM offers o JOIN suppliers s ON s.id = o.supplier_id WHERE o.active"
        ).fetchall() if row[1] in materials
    }
    now = parse_time(as_of)
    where = " OR ".join("(fetched_at > ? AND fetched_at <= ?)" for _ in ranges)
    params = [t for start, end in ranges for t in ((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat())]
    for offer_id, obs_id, fetched_at, price, in_stock, day in db.execute(
        f"SELECT offer_id, id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations "
        f"WHERE ({where}) AND status = 'ok' AND {column} IS NOT NULL ORDER BY offer_id, fetched_at",
        params,
    ):
        if (view := views.get(offer_id)) is not None:
            view.history.append(Point(obs_id, fetched_at, price, in_stock, day))  # noqa: PLW2901
    deepest = max(start for start, _ in ranges)
    reaches_back = (now - timedelta(days=min(end for _, end in ranges if end > 0) if len(ranges) > 1 else 0)).isoformat()
    for view in views.values():
        if len(ranges) > 1 and (not view.history or view.history[0].fetched_at > reaches_back):
            # A young offer whose history does not reach the trend's far range: read all of it.
            view.history = [Point(*r) for r in db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? "
                f"AND status = 'ok' AND {column} IS NOT NULL AND fetched_at > ? AND fetched_at <= ? ORDER BY fetched_at",
                [view.id, (now - timedelta(days=deepest)).isoformat(), as_of])]
        if len(view.history) < 2:  # a rarely priced offer: its last two prices, however old
            rows = db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? AND status = 'ok' "
                f"AND {column} IS NOT NULL AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 2", [view.id, as_of]
            ).fetchall()
            view.history = [Point(*r) for r in reversed(rows)]
    return views


def evaluate(db: sqlite_utils.Database, config: Config, as_of: str, held_suppliers: Iterable[str] = ()) -> list[Finding]:
    """Findings for every active offer and material at ``as_of``; offers of ``held_suppliers``
    (whose extraction broke this run) are left alone so their alerts keep their state."""
    held = set(held_suppliers)
    column = "landed_unit_price" if config.compare == "landed" else "unit_price"
    all_rules = {m.id: config.rules_for(m) for m in config.materials}
    views = load_offers(db, config, as_of, column, history_ranges(r for rules in all_rules.values() for r in rules))
    fmt = Formatter(config.currency)
    findings: list[Finding] = []
    by_material: dict[str, list[OfferView]] = {}
    for view in views.values():
        by_material.setdefault(view.material.id, []).append(view)
        if view.supplier_id in held:
            continue
        counters: dict[str, int] = {}
        for rule in all_rules[view.material.id]:
            counters[rule.kind] = counters.get(rule.kind, 0) + 1
            if isinstance(rule, StaleRule):
                last_valid = view.latest.fetched_at if view.latest else None
                first_seen = None if last_valid else db.execute(
                    "SELECT min(fetched_at) FROM observations WHERE offer_id = ? AND fetched_at <= ?", [view.id, as_of]).fetchone()[0]
                if (found := _stale(rule, view, last_valid, first_seen, as_of, fmt)) is not None:
                    findings.append(found)
                continue
            evaluator = PRICE_RULES.get(type(rule))
            if evaluator is None:
                continue
            for direction, holds, reference, message, severity in evaluator(rule, view, fmt, as_of):
                findings.append(Finding(
                    f"{rule.kind}#{counters[rule.kind]}:{view.id}:{direction}", describe(rule), rule.kind, view.material.id,
                    view.id, view.supplier_id, direction, severity, holds, view.latest.unit_price if view.latest else None,
                    reference, message, getattr(rule, "confirm", 1), view.latest.id if view.latest else None,
                    getattr(rule, "escalate_percent", None)))
    for material in config.materials:
        cheapest_rules = [r for r in all_rules[material.id] if isinstance(r, CheapestRule)]
        offers = [o for o in by_material.get(material.id, []) if o.supplier_id not in held]
        for number, rule in enumerate(cheapest_rules, 1):
            findings += _cheapest(rule, number, material, offers, as_of, fmt)
    return findings


def extraction_findings(config: Config, rows: list[dict[str, Any]]) -> list[Finding]:
    """Per supplier in this run: did enough of its pages give a price? (Held suppliers are those holding.)"""
    rule = config.extraction_rule()
    names = {s.id: s.name for s in config.suppliers}
    counts: dict[str, list[int]] = {}
    for row in rows:
        total_valid = counts.setdefault(row["supplier_id"], [0, 0])
        total_valid[0] += 1
        total_valid[1] += row["status"] in ("ok", "suspect")
    findings = []
    for supplier, (total, valid) in counts.items():
        holds = valid / total < rule.min_valid_share
        message = (f"{names.get(supplier, supplier)}: only {valid} of {total} pages gave a price; its price alerts are held back until it recovers"
                   if holds else f"{names.get(supplier, supplier)}: pages give prices again ({valid} of {total})")
        findings.append(Finding(f"extraction#1:{supplier}:broken", describe(rule), "extraction", None, None, supplier,
                                "broken", rule.severity, holds, valid / total, rule.min_valid_share, message))
    return findings
