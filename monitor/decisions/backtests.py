"""The decisions replayed on real public histories: what a buyer following the buy-window verdict
paid against one buying on a fixed schedule, and how the index rules would have fired on a
supplier-like series (how far ahead the index moved, how often each rule fired, how often the
supplier then did what the rule said).

Both replays use the nightly code itself (:func:`buywindow.verdict`, :func:`market.judge` and the
alert engine's states on a scratch database), day by day, with only what was known that day: an
index value counts from its period's end plus its publication lag.
"""

from __future__ import annotations

import bisect
import math
import statistics
import tempfile
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Sequence

from .. import alerts, store
from ..config import BuyWindow, Material
from ..rules.indexed import IndexRule
from ..rules.registry import DEFAULT_INDEX_RULES
from . import buywindow, indexes, market
from .prices import DayPrice


# ---- the buy-window verdict against a fixed schedule ------------------------------------------

@dataclass
class Buyer:
    """A buyer's stock as lots (units, price paid), used first in, first out."""

    lots: deque[list[float]] = field(default_factory=deque)
    bought_units: float = 0.0
    purchases: int = 0
    used_cost: float = 0.0
    used_units: float = 0.0
    short_units: float = 0.0
    stock_days: float = 0.0  # summed stock (units) over days, for the average held

    @property
    def stock(self) -> float:
        return sum(lot[0] for lot in self.lots)

    def buy(self, units: float, price: float) -> None:
        if units > 1e-9:
            self.lots.append([units, price])
            self.bought_units += units
            self.purchases += 1

    def use(self, units: float) -> None:
        while units > 1e-9 and self.lots:
            take = min(units, self.lots[0][0])
            self.used_cost += take * self.lots[0][1]
            self.used_units += take
            self.lots[0][0] -= take
            units -= take
            if self.lots[0][0] <= 1e-9:
                self.lots.popleft()
        self.short_units += max(units, 0.0)

    @property
    def paid_per_unit(self) -> float:
        return self.used_cost / self.used_units if self.used_units else float("nan")


@dataclass
class BuyWindowResult:
    name: str
    first: date
    last: date
    days: int
    verdict: Buyer
    schedule: Buyer
    calls: dict[str, int]

    @property
    def saving_percent(self) -> float:
        return (1 - self.verdict.paid_per_unit / self.schedule.paid_per_unit) * 100

    def as_dict(self) -> dict[str, Any]:
        def buyer(b: Buyer) -> dict[str, Any]:
            return {"paid_per_unit": round(b.paid_per_unit, 4), "purchases": b.purchases, "units_used": round(b.used_units, 2),
                    "average_stock_days": round(b.stock_days / self.days, 1), "short_units": round(b.short_units, 2)}
        return {"series": self.name, "first": self.first.isoformat(), "last": self.last.isoformat(), "days": self.days,
                "verdict": buyer(self.verdict), "schedule": buyer(self.schedule), "saving_percent": round(self.saving_percent, 2),
                "calls": self.calls}


def buy_window(series: Sequence[tuple[date, float]], settings: BuyWindow = BuyWindow(), *, name: str = "series",  # noqa: B008 (frozen)
               index: Sequence[indexes.IndexPoint] = (), usage_per_day: float = 1.0, lead_days: float = 7, safety_days: float = 7,
               cover_days: float = 28, shelf_life_days: float | None = None, schedule_days: int = 28) -> BuyWindowResult:
    """Replay two buyers over ``series`` with the same daily usage: one buys ``schedule_days`` of
    usage every ``schedule_days`` days; the other follows the verdict each day (buying up to its
    cover when it says buy now, and only what it needs when the stock reaches the lead time).
    Both start the day a call becomes possible, holding ``cover_days`` of stock bought that day."""
    points = [DayPrice(d, p) for d, p in sorted(series) if p > 0]
    days_list = [p.day for p in points]
    start = points[0].day + timedelta(days=settings.min_history_days)
    end = points[-1].day
    lookback = max(settings.low_days, settings.trend_days) + 1
    verdict_buyer, schedule_buyer = Buyer(), Buyer()
    first_price = points[bisect.bisect_right(days_list, start) - 1].unit_price
    verdict_buyer.buy(cover_days * usage_per_day, first_price)
    schedule_buyer.buy(cover_days * usage_per_day, first_price)
    calls = {buywindow.BUY: 0, buywindow.WAIT: 0, buywindow.NO_CALL: 0, "needed": 0}
    index_known = sorted(index, key=lambda p: p.available_on)
    day = start
    k = 0
    while day <= end:
        position = bisect.bisect_right(days_list, day)
        price = points[position - 1].unit_price
        if k > 0 and k % schedule_days == 0:
            schedule_buyer.buy(schedule_days * usage_per_day, price)
        change = None
        if index_known:
            known = [p for p in index_known if p.available_on <= day]
            known.sort(key=lambda p: p.period)
            moved = indexes.change_percent(known, 3)
            change = moved[0] if moved else None
        window = points[bisect.bisect_left(days_list, day - timedelta(days=lookback)):position]
        runway = verdict_buyer.stock / usage_per_day
        call = buywindow.verdict(window, day, settings, history_start=points[0].day, index_change=change, runway_days=runway,
                                 lead_days=lead_days, safety_days=safety_days, shelf_life_days=shelf_life_days,
                                 base_cover_days=cover_days)
        calls["needed" if call.needed else call.call] += 1
        if call.call == buywindow.BUY and call.cover_days is not None:
            wanted = call.cover_days * usage_per_day - verdict_buyer.stock
            if wanted >= usage_per_day * 7 or call.needed:  # a purchase smaller than a week's use is not worth an order
                verdict_buyer.buy(wanted, price)
        for buyer in (verdict_buyer, schedule_buyer):
            buyer.use(usage_per_day)
            buyer.stock_days += buyer.stock / usage_per_day
        day += timedelta(days=1)
        k += 1
    return BuyWindowResult(name, start, end, k, verdict_buyer, schedule_buyer, calls)


def matched_schedule(series: Sequence[tuple[date, float]], result: BuyWindowResult, settings: BuyWindow | None = None,
                     usage_per_day: float = 1.0) -> tuple[int, Buyer]:
    """The second baseline: a fixed schedule holding as much stock on average as the verdict's
    buyer (S days' usage every S days holds about S/2), over the same days. Prices that mostly
    rise over decades reward any buyer who holds more; this one shows how much of the verdict's
    saving is only that."""
    every = max(28, round(2 * result.verdict.stock_days / result.days))
    points = [DayPrice(d, p) for d, p in sorted(series) if p > 0]
    days_list = [p.day for p in points]
    buyer = Buyer()
    day, k = result.first, 0
    while day <= result.last:
        if k % every == 0:
            buyer.buy(every * usage_per_day, points[bisect.bisect_right(days_list, day) - 1].unit_price)
        buyer.use(usage_per_day)
        buyer.stock_days += buyer.stock / usage_per_day
        day += timedelta(days=1)
        k += 1
    return every, buyer


# ---- the index rules on a supplier-like series ------------------------------------------------

@dataclass
class IndexRulesResult:
    supplier_name: str
    index_name: str
    first: date
    last: date
    lead_months: int  # where the index's monthly moves best match the supplier's later ones
    lead_correlation: float
    same_month_correlation: float
    fired: dict[str, list[date]]
    followed: dict[str, int]  # firings the supplier then bore out (moved 3 % the rule's way within 6 months)
    follow_days: dict[str, list[int]]
    base_rate: dict[str, float]  # the same "borne out" test on every replayed week: what chance alone gives

    def as_dict(self) -> dict[str, Any]:
        years = max((self.last - self.first).days / 365.25, 1 / 365.25)
        return {
            "supplier": self.supplier_name, "index": self.index_name, "first": self.first.isoformat(), "last": self.last.isoformat(),
            "lead_months": self.lead_months, "lead_correlation": round(self.lead_correlation, 3),
            "same_month_correlation": round(self.same_month_correlation, 3),
            "rules": {kind: {"fired": len(days), "per_year": round(len(days) / years, 2), "borne_out": self.followed[kind],
                             "borne_out_percent": round(100 * self.followed[kind] / len(days), 1) if days else None,
                             "any_week_percent": round(100 * self.base_rate[kind], 1),
                             "median_days_to_move": statistics.median(self.follow_days[kind]) if self.follow_days[kind] else None,
                             "dates": [d.isoformat() for d in days]} for kind, days in self.fired.items()},
        }


def _monthly_changes(values: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    changes = {}
    for (y, m), v in values.items():
        prev = (y, m - 1) if m > 1 else (y - 1, 12)
        if prev in values and values[prev] > 0 and v > 0:
            changes[(y, m)] = math.log(v / values[prev])
    return changes


def _shift(month: tuple[int, int], k: int) -> tuple[int, int]:
    total = month[0] * 12 + month[1] - 1 + k
    return total // 12, total % 12 + 1


def _correlation(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 12:
        return float("nan")
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return float("nan")


def lead(index_monthly: dict[tuple[int, int], float], supplier_monthly: dict[tuple[int, int], float], max_lag: int = 6) -> tuple[int, float, float]:
    """The lag (months) at which the index's monthly moves correlate best with the supplier's later
    moves: (lag, correlation at it, correlation in the same month)."""
    a, b = _monthly_changes(index_monthly), _monthly_changes(supplier_monthly)
    found = []
    for k in range(0, max_lag + 1):
        pairs = [(a[m], b[_shift(m, k)]) for m in a if _shift(m, k) in b]
        found.append((k, _correlation([x for x, _ in pairs], [y for _, y in pairs])))
    best = max((f for f in found if not math.isnan(f[1])), key=lambda f: f[1], default=(0, float("nan")))
    return best[0], best[1], found[0][1]


def index_rules(supplier: Sequence[tuple[date, float]], index: Sequence[tuple[date, float]], *, supplier_name: str = "supplier",
                index_name: str = "index", frequency: str = "monthly", publication_lag_days: int = 15,
                rules: Sequence[IndexRule] = DEFAULT_INDEX_RULES, follow_percent: float = 3.0, follow_days: int = 182,
                step_days: int = 7) -> IndexRulesResult:
    """Replay the index rules every ``step_days`` over the supplier series, with the index known as
    published, through the alert engine's states; count firings and whether the supplier followed."""
    supplier_points = [DayPrice(d, p) for d, p in sorted(supplier) if p > 0]
    days_list = [p.day for p in supplier_points]
    index_points = [indexes.IndexPoint(d, v, indexes.period_end(d, frequency) + timedelta(days=publication_lag_days))
                    for d, v in sorted(index) if v > 0]
    material = Material(id="series", name=supplier_name, unit="each")
    history_days = max(getattr(r, "months", 3) for r in rules) * 31 + 150
    fired: dict[str, list[date]] = {r.kind: [] for r in rules}
    start = max(supplier_points[0].day, index_points[0].available_on) + timedelta(days=history_days)
    end = supplier_points[-1].day
    with tempfile.TemporaryDirectory() as scratch:
        db = store.open_db(Path(scratch) / "replay.db")
        db.execute("PRAGMA synchronous = OFF")
        day = start
        while day <= end:
            position = bisect.bisect_right(days_list, day)
            recent = supplier_points[bisect.bisect_left(days_list, day - timedelta(days=history_days)):position]
            known = [p for p in index_points if p.available_on <= day]
            findings = market.judge(material, index_name, "index", known, {("series@supplier", "supplier", supplier_name): recent},
                                    rules, day, frequency)
            for t in alerts.apply(db, findings, f"{day.isoformat()}T03:00:00+00:00"):
                if t.event == "fired":
                    fired[t.alert.kind].append(day)
            day += timedelta(days=step_days)
        db.close()

    def price_on(day: date) -> float:
        return supplier_points[max(bisect.bisect_right(days_list, day) - 1, 0)].unit_price

    def moved(when: date, up: bool) -> DayPrice | None:
        """The first later price within ``follow_days`` that is ``follow_percent`` past today's, that way."""
        base = price_on(when)
        first, last = bisect.bisect_right(days_list, when), bisect.bisect_right(days_list, when + timedelta(days=follow_days))
        for p in supplier_points[first:last]:
            change = (p.unit_price / base - 1) * 100
            if (change >= follow_percent) if up else (-change >= follow_percent):
                return p
        return None

    followed = {kind: 0 for kind in fired}
    delays: dict[str, list[int]] = {kind: [] for kind in fired}
    for kind, days in fired.items():
        for when in days:
            hit = moved(when, up=kind == "index_rise")
            if hit is not None:
                followed[kind] += 1
                delays[kind].append((hit.day - when).days)
    weeks = [start + timedelta(days=k) for k in range(0, (end - start).days - follow_days, step_days)]
    ups = sum(moved(w, up=True) is not None for w in weeks) / max(len(weeks), 1)
    downs = sum(moved(w, up=False) is not None for w in weeks) / max(len(weeks), 1)
    base_rate = {kind: ups if kind == "index_rise" else downs for kind in fired}
    monthly_index = {(p.period.year, p.period.month): p.value for p in index_points}
    monthly_supplier: dict[tuple[int, int], list[float]] = {}
    for p in supplier_points:
        monthly_supplier.setdefault((p.day.year, p.day.month), []).append(p.unit_price)
    lag, at_lag, same = lead(monthly_index, {m: statistics.fmean(v) for m, v in monthly_supplier.items()})
    return IndexRulesResult(supplier_name, index_name, start, end, lag, at_lag, same, fired, followed, delays, base_rate)


# ---- for `supplywatch backtest --index FILE --buy-window` -----------------------------------------

RULE_WORDS = {"index_rise": ("expect an increase; buy ahead", "rose"), "index_fall": ("ask for a better price", "fell"),
              "above_index": ("this rise is not the market", "fell back")}


def frequency_of(rows: Sequence[tuple[date, float]]) -> str:
    """monthly when values are about a month apart, else daily."""
    gaps = [(b[0] - a[0]).days for a, b in zip(rows, rows[1:])]
    return "monthly" if gaps and statistics.median(gaps) >= 25 else "daily"


def cli_report(prices: Sequence[tuple[date, float]], index: Sequence[tuple[date, float]] | None, buy: bool, name: str,
               index_name: str, shelf_life_days: float | None = None) -> tuple[dict[str, Any], str]:
    """The decisions' part of a backtest: the index rules against the prices, the buy-window verdict."""
    found: dict[str, Any] = {}
    lines: list[str] = []
    points: list[indexes.IndexPoint] = []
    if index:
        frequency = frequency_of(index)
        lag = 15 if frequency == "monthly" else 1
        monthly = [(d.replace(day=1), v) for d, v in index] if frequency == "monthly" else list(index)
        points = [indexes.IndexPoint(d, v, indexes.period_end(d, frequency) + timedelta(days=lag)) for d, v in monthly]
        result = index_rules(prices, monthly, supplier_name=name, index_name=index_name, frequency=frequency, publication_lag_days=lag)
        found["index_rules"] = result.as_dict()
        lines.append(f"\nIndex rules against {name} with {index_name} (each value known from its period's end + {lag} days), replayed weekly:")
        lines.append(f"  {index_name}'s monthly moves best match the prices' {result.lead_months} month(s) later "
                     f"(correlation {result.lead_correlation:.2f}; same month {result.same_month_correlation:.2f})")
        for kind, days in result.fired.items():
            words, moved = RULE_WORDS[kind]
            share = f" ({100 * result.followed[kind] / len(days):.0f}%)" if days else ""
            lines.append(f"  {kind} ({words}): fired {'once' if len(days) == 1 else f'{len(days)} times'} ({found['index_rules']['rules'][kind]['per_year']} a year); "
                         f"the price then {moved} 3% within 6 months after {result.followed[kind]}{share}; "
                         f"after any week: {100 * result.base_rate[kind]:.0f}%")
    if buy:
        outcome = buy_window(prices, BuyWindow(), name=name, index=points, shelf_life_days=shelf_life_days)
        found["buy_window"] = outcome.as_dict()
        v, s = outcome.verdict, outcome.schedule
        lines.append(f"\nBuy-window verdict against a fixed schedule (4 weeks' usage every 4 weeks), one unit a day, "
                     f"{outcome.first} to {outcome.last}:")
        lines.append(f"  following it: {v.paid_per_unit:,.4g} a unit, {v.purchases} purchases, {v.stock_days / outcome.days:.0f} days of stock on average")
        lines.append(f"  on schedule:  {s.paid_per_unit:,.4g} a unit, {s.purchases} purchases, {s.stock_days / outcome.days:.0f} days of stock on average")
        every, m = matched_schedule(prices, outcome)
        matched = (1 - v.paid_per_unit / m.paid_per_unit) * 100
        found["buy_window"]["matched_schedule"] = {"every_days": every, "paid_per_unit": round(m.paid_per_unit, 4),
                                                   "average_stock_days": round(m.stock_days / outcome.days, 1), "saving_percent": round(matched, 2)}
        lines.append(f"  holding as much: {m.paid_per_unit:,.4g} a unit, {every} days' usage every {every} days, "
                     f"{m.stock_days / outcome.days:.0f} days of stock on average")
        lines.append(f"  the verdict paid {abs(outcome.saving_percent):.2f}% {'less' if outcome.saving_percent >= 0 else 'more'} than the schedule, "
                     f"{abs(matched):.2f}% {'less' if matched >= 0 else 'more'} than the schedule holding as much; "
                     f"calls: {', '.join(f'{k} {n}' for k, n in outcome.calls.items())}")
    return found, "\n".join(lines)
