"""The checks behind each rule kind, on one offer's (or one material's) recent valid prices.

Each price check yields, per direction: whether its condition holds (True), has cleared past its
hysteresis band (False) or sits in between (None), with the reference and a message for people.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple

from babel.numbers import format_currency

from . import detectors
from .kinds import (ChangeRule, CheapestRule, ExtractionRule, ExtremeRule, Rule, StaleRule, StockRule,
                         ThresholdRule, TrendRule, VolatilityRule)

if TYPE_CHECKING:  # the config imports the rule kinds: types only, no import cycle
    from ..config import Material


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
    product_id: str | None = None


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
