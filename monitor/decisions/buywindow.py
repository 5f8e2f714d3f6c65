"""The buy-window verdict: *buy now*, *wait* or *no call*, for one material on one day, with why.

What a careful buyer weighs: is the price at its N-day low, is it climbing or sliding, does the
linked public index say the market is moving, how long the stock lasts against the lead time, and
how long the goods keep. It abstains (no call) with too little history, and says so.

The function is pure (a price list in, a verdict out), so the nightly outlook and the backtest on
public histories run exactly the same judgement.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .. import display
from ..config import BuyWindow
from .prices import DayPrice, days_known_words

BUY, WAIT, NO_CALL = "buy now", "wait", "no call"
STALE_DAYS = 14  # a newest price older than this says nothing about today


@dataclass(frozen=True)
class Verdict:
    call: str  # buy now | wait | no call
    reason: str  # in the owner's words, with the numbers
    cover_days: float | None = None  # buy now: enough for this many days of usage, counting what is on hand
    needed: bool = False  # the stock runs out within the lead time: buying is not a choice


def _value_on(series: list[DayPrice], days: list[date], day: date) -> float | None:
    position = bisect.bisect_right(days, day)
    return series[position - 1].unit_price if position else None


def verdict(series: list[DayPrice], today: date, settings: BuyWindow, *, history_start: date | None = None,
            index_change: float | None = None, runway_days: float | None = None, lead_days: float = 7,
            safety_days: float = 7, shelf_life_days: float | None = None, base_cover_days: float = 56,
            money: Callable[[float], str] = "{:,.2f}".format) -> Verdict:
    """The call for ``today`` from the material's daily prices up to it (older ones may be cut off:
    ``history_start`` says when its prices began)."""
    if series and series[-1].day > today:
        series = [p for p in series if p.day <= today]
    start = history_start or (series[0].day if series else today)
    needed = runway_days is not None and runway_days <= lead_days + safety_days
    longest = min(settings.ahead_weeks * 7, shelf_life_days or float("inf"))
    base = min(base_cover_days, longest)
    must = (f"you need it: {runway_days:.0f} days of stock left, {lead_days:g} days lead time" if needed else "")

    days_known = (today - start).days
    if len(series) < 2 or days_known < settings.min_history_days:
        why = (days_known_words(days_known) if series else "no prices yet") + f" (a call needs {settings.min_history_days} days)"
        return Verdict(BUY, f"{must}; {why}, so only what you need", base, True) if needed else Verdict(NO_CALL, why)
    latest = series[-1]
    if (today - latest.day).days > STALE_DAYS:
        why = f"no valid price since {display.day_of_year(latest.day, today)}"
        return Verdict(BUY, f"{must}; {why}", base, True) if needed else Verdict(NO_CALL, why)

    days = [p.day for p in series]
    recent = [p.unit_price for p in series[bisect.bisect_right(days, today - timedelta(days=settings.low_days)):]]
    low, median = min(recent), statistics.median(recent)
    price = latest.unit_price
    then = _value_on(series, days, today - timedelta(days=settings.trend_days))
    trend = (price / then - 1) * 100 if then else 0.0
    at_low = price <= low * (1 + settings.near_low_percent / 100)
    signs = []
    if trend >= settings.trend_percent:
        signs.append(f"up {trend:.1f}% in {settings.trend_days} days")
    if index_change is not None and index_change >= settings.index_percent:
        signs.append(f"its index up {index_change:.1f}% in 3 months")
    falls = []
    if trend <= -settings.trend_percent:
        falls.append(f"down {-trend:.1f}% in {settings.trend_days} days")
    if index_change is not None and index_change <= -settings.index_percent:
        falls.append(f"its index down {-index_change:.1f}% in 3 months")
    above = (price / median - 1) * 100

    if at_low and not falls:
        call, why = BUY, f"at its {settings.low_days}-day low ({money(price)})" + (f", {', '.join(signs)}" if signs else "")
    elif signs and not falls:
        call, why = BUY, f"rising: {', '.join(signs)}"
    elif falls:
        call, why = WAIT, f"falling: {', '.join(falls)}"
    elif above >= settings.high_percent:
        call, why = WAIT, f"{above:.0f}% above its {settings.low_days}-day median of {money(median)}"
    else:
        call, why = NO_CALL, f"in its usual range ({display.signed_percent(above)} against its {settings.low_days}-day median), no trend"

    if call == BUY:
        if runway_days is not None and runway_days + 7 >= longest:
            limit = f"its shelf life of {display.span(shelf_life_days)}" if shelf_life_days and shelf_life_days <= settings.ahead_weeks * 7 \
                else f"{display.weeks(settings.ahead_weeks)} ahead"
            why = f"{why}, but your stock already lasts {display.span(runway_days)} ({limit})"
            return Verdict(BUY, f"{must}; {why}", base, True) if needed else Verdict(NO_CALL, why)
        return Verdict(BUY, f"{must}; {why}" if needed else why, longest, needed)
    if needed:
        return Verdict(BUY, f"{must}; only what you need, prices are {why}" if call == WAIT else f"{must}; {why}", base, True)
    return Verdict(call, why)
