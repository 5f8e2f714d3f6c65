"""Runway and reorder date per material, joined with where its prices stand and the buy-window call.

"Lye: 18 days left, lead time 10 days: order by 3 Dec; 7 % above its 90-day median at Acme, in range
at Corner Shop; wait: falling, down 4.1 % in 30 days."
"""

from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

import sqlite_utils

from spiders.offer import OfferSpec

from .. import display, units
from ..config import Config, Material
from ..rules.base import Formatter, parse_time
from . import buywindow, indexes, prices, stock

IN_RANGE_PERCENT = 3.0  # an offer this close to its 90-day median is "in range"
FRESH_DAYS = 14



def amount_words(amount: float, unit: str) -> str:
    """"66 bd ft", "4.8 sheets", "0.38 gal": an amount as an owner counts it, with its unit in words."""
    return units.quantity_text(display.amount(amount), unit)

@dataclass(frozen=True)
class OfferState:
    offer_id: str
    supplier_id: str
    supplier_name: str
    unit_price: float  # landed, home currency
    in_stock: bool
    against_median: float | None  # percent against its own 90-day median
    at_low: bool

    def words(self, fmt: Formatter, unit: str) -> str:
        if self.at_low:
            where = f"at its 90-day low at {self.supplier_name}"
        elif self.against_median is None:  # fewer than 3 earlier prices: no median to be in range of
            where = f"too few yet at {self.supplier_name}"
        elif abs(self.against_median) < IN_RANGE_PERCENT:
            where = f"in range at {self.supplier_name}"
        else:
            where = f"{abs(self.against_median):.0f}% {'above' if self.against_median > 0 else 'below'} its 90-day median at {self.supplier_name}"
        return where + ("" if self.in_stock else " (out of stock)")


@dataclass
class Outlook:
    """One material tonight: stock, runway, when to order, and what the prices say."""

    material: Material
    as_of: str
    on_hand: stock.OnHand | None
    daily_usage: float | None
    lead_time_days: float
    safety_days: float
    offers: list[OfferState] = field(default_factory=list)
    verdict: buywindow.Verdict = buywindow.Verdict(buywindow.NO_CALL, "not judged")
    index_change: float | None = None
    index_name: str | None = None

    @property
    def today(self) -> date:
        return parse_time(self.as_of).date()

    @property
    def runway_days(self) -> float | None:
        if self.on_hand is None or not self.daily_usage:
            return None
        return self.on_hand.quantity / self.daily_usage

    @property
    def reorder_by(self) -> date | None:
        """The last day an order still arrives before the stock (less the safety days) runs out."""
        runway = self.runway_days
        if runway is None:
            return None
        return self.today + timedelta(days=int(runway - self.lead_time_days - self.safety_days))

    @property
    def best(self) -> OfferState | None:
        stocked = [o for o in self.offers if o.in_stock]
        return min(stocked, key=lambda o: o.unit_price) if stocked else None

    @property
    def buy_quantity(self) -> float | None:
        """How much a "buy now" buys: the verdict's cover in days of usage, less what is on hand."""
        if self.verdict.call != buywindow.BUY or self.verdict.cover_days is None or not self.daily_usage:
            return None
        have = self.on_hand.quantity if self.on_hand else 0.0
        return max(self.verdict.cover_days * self.daily_usage - have, 0.0)

    def stock_words(self) -> str:
        """"Lye: 18 days left, lead time 10 days: order by 3 Dec" (or what is missing to say it)."""
        name, unit = self.material.name, self.material.unit
        if self.on_hand is None:
            return f"{name}: stock not counted yet (supplywatch stock {self.material.id} <quantity> {units.display(unit)})"
        if not self.daily_usage:
            return f"{name}: {amount_words(self.on_hand.quantity, unit)} on hand; usage unknown (give weekly_usage or a product's weekly_plan)"
        runway = self.runway_days or 0.0
        text = f"{name}: {runway:.0f} days left ({amount_words(self.on_hand.quantity, unit)}), lead time {self.lead_time_days:g} days"
        due = self.reorder_by
        if due is None:
            return text
        return f"{text}: {order_words(due, self.today, runway, self.lead_time_days)}"

    def price_words(self, fmt: Formatter) -> str:
        return ", ".join(o.words(fmt, self.material.unit) for o in self.offers) or "no recent price"

    def verdict_words(self) -> str:
        return f"{self.verdict.call}: {self.verdict.reason}"

    def as_row(self, run_id: int | None, fmt: Formatter) -> dict[str, Any]:
        best = self.best
        return {
            "material_id": self.material.id, "as_of": self.as_of, "run_id": run_id,
            "on_hand": None if self.on_hand is None else round(self.on_hand.quantity, 6), "unit": self.material.unit,
            "daily_usage": self.daily_usage, "runway_days": None if self.runway_days is None else round(self.runway_days, 2),
            "lead_time_days": self.lead_time_days, "reorder_by": self.reorder_by.isoformat() if self.reorder_by else None,
            "verdict": self.verdict.call, "verdict_reason": self.verdict.reason,
            "buy_quantity": None if self.buy_quantity is None else round(self.buy_quantity, 4), "buy_text": None,
            "price_state": self.price_words(fmt), "best_offer_id": best.offer_id if best else None,
            "best_unit_price": best.unit_price if best else None, "index_change_percent": self.index_change,
        }


def order_words(due: date, today: date, runway_days: float, lead_time_days: float) -> str:
    """When to order, as the terminal, the digest and the stock page all say it: "order by 11 Dec",
    or once that day has come "order today, it arrives with 3 days' stock left" (never a date
    already past)."""
    if due > today:
        return f"order by {day_words(due, today)}"
    if runway_days <= lead_time_days:
        return "order today, it may run out before it arrives"
    left = round(runway_days - lead_time_days)
    if left < 1:  # not "0 days' stock left"
        return "order today, it arrives as the last of the stock is used"
    return f"order today, it arrives with {left} day's stock left" if left == 1 else f"order today, it arrives with {left} days' stock left"


def order_words_seen(reorder_by: str, as_of: str, runway_days: float, lead_time_days: float) -> str:
    """:func:`order_words` for a stored night (the stock page, `status`), as of that night, beside the
    runway of that night: an order-by day already come reads "order today", never a date gone by."""
    return order_words(date.fromisoformat(reorder_by[:10]), parse_time(as_of).date(), runway_days, lead_time_days)


def day_words(day: date, today: date) -> str:
    """"3 Dec" this year, "8 Jan 2027" otherwise: the same order as every other day the owner reads."""
    text = f"{day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def lead_times(config: Config) -> dict[str, float]:
    """Every offer's lead time: its own, else its supplier's, else the config's default."""
    suppliers = {s.id: s for s in config.suppliers}
    found = {}
    for material in config.materials:
        for offer in material.offers:
            own = offer.lead_time_days if offer.lead_time_days is not None else suppliers[offer.supplier].lead_time_days
            found[offer.id or f"{material.id}@{offer.supplier}"] = own if own is not None else config.decisions.lead_time_days
    return found


def active_offers(config: Config) -> dict[str, list[OfferSpec]]:
    """Each material's active offers (flattened once: a night asks for every material's)."""
    found: dict[str, list[OfferSpec]] = {}
    for offer in config.offers():
        if offer.active:
            found.setdefault(offer.material, []).append(offer)
    return found


def offer_states(config: Config, material: Material, as_of: str, active: list[OfferSpec],
                 recent: dict[str, list[prices.Seen]], names: dict[str, str] | None = None) -> list[OfferState]:
    """Each active offer's newest fresh landed price against its own 90-day history."""
    names = names if names is not None else {s.id: s.name for s in config.suppliers}
    since = (parse_time(as_of) - timedelta(days=90)).isoformat()
    fresh = (parse_time(as_of) - timedelta(days=FRESH_DAYS)).isoformat()
    states = []
    for offer in active:
        rows = recent.get(offer.offer_id, [])  # in fetched_at's order (recent_by_offer): the 90 days are its tail
        history = rows[bisect.bisect_right(rows, since, key=itemgetter(prices.FETCHED)):]
        if not history or history[-1][prices.FETCHED] < fresh:
            continue
        latest = history[-1][prices.PRICE]
        earlier = [h[prices.PRICE] for h in history[:-1]]
        median = statistics.median(earlier) if len(earlier) >= 3 else None
        states.append(OfferState(
            offer.offer_id, offer.supplier, names.get(offer.supplier, offer.supplier), latest, bool(history[-1][prices.IN_STOCK]),
            None if median is None else (latest / median - 1) * 100, len(earlier) >= 10 and latest < min(earlier)))
    return sorted(states, key=lambda s: s.unit_price)


def window_days(config: Config) -> int:
    """How far back tonight's outlook reads: the verdict's windows, and enough to know it has its minimum history."""
    settings = config.decisions.buy_window
    return max(settings.low_days, settings.trend_days, settings.min_history_days, 90) + 1


@dataclass
class NightReads:
    """What every material's outlook of one night reads, read once for all of them."""

    leads: dict[str, float]
    offers: dict[str, list[OfferSpec]]
    recent: dict[str, list[prices.Seen]]
    stock: dict[str, list[stock.StockEvent]]
    names: dict[str, str]
    fmt: Formatter

    @classmethod
    def read(cls, db: sqlite_utils.Database, config: Config, as_of: str, material_id: str | None = None) -> "NightReads":
        return cls(lead_times(config), active_offers(config), prices.recent_by_offer(db, as_of, window_days(config), material_id),
                   stock.events_by_material(db, as_of, material_id), {s.id: s.name for s in config.suppliers}, Formatter(config.currency))


def outlook(db: sqlite_utils.Database, config: Config, material: Material, as_of: str, reads: NightReads | None = None) -> Outlook:
    """Tonight's outlook of one material (``reads``: read once when called for every material of a night)."""
    reads = reads or NightReads.read(db, config, as_of, material.id)
    offers = reads.offers.get(material.id, [])
    window = window_days(config)
    recent = reads.recent
    fmt = reads.fmt
    today = parse_time(as_of).date()
    states = offer_states(config, material, as_of, offers, recent, reads.names)
    stocked = [s for s in states if s.in_stock]
    best = min(stocked, key=lambda s: s.unit_price) if stocked else None
    result = Outlook(material, as_of, stock.on_hand(db, config, material, as_of, reads.stock.get(material.id, [])),
                     stock.daily_usage(config, material),
                     reads.leads.get(best.offer_id, config.decisions.lead_time_days) if best else config.decisions.lead_time_days,
                     material.safety_days if material.safety_days is not None else config.decisions.safety_days, states)
    for index_id in material.indexes:
        moved = indexes.change_percent(indexes.series(db, index_id, known_on=today), 3)
        if moved is not None:
            result.index_change = moved[0]
            result.index_name = next(i.name for i in config.indexes if i.id == index_id)
            break
    settings = config.decisions.buy_window
    series = prices.cheapest_by_day(recent, [o.offer_id for o in offers])
    # Prices from the window's first days mean at least the window is known: all the verdict asks.
    seen = [s[prices.FETCHED] for o in offers for s in recent.get(o.offer_id, ())[:1]]
    first = parse_time(min(seen)).date() if seen else None
    if first is not None and (today - first).days >= window - 2:
        first = today - timedelta(days=window)
    result.verdict = buywindow.verdict(
        series, today, settings, history_start=first, index_change=result.index_change,
        runway_days=result.runway_days, lead_days=result.lead_time_days, safety_days=result.safety_days,
        shelf_life_days=material.shelf_life_days, base_cover_days=config.decisions.cover_weeks * 7,
        money=lambda price: fmt.price(price, material.unit))  # "$0.031/g": the unit in words, a small price's digits kept
    return result
