"""``runup``: a climb that builds over weeks rings the phone once, before its peak.

The price level (the median of the last three prices, so one odd night never counts) has risen
``percent`` within ``days`` from where its climb started: the climb's low, or, when that low was a
crash, the usual level before it, so a rebound to where the price used to be is not a spike, even
when the crash is older than ``days`` (:func:`monitor.rules.detectors.run_up`). The phone rings
again when the price has gone ``escalate_percent`` further than when it last rang, or when a new
climb reaches ``percent``. A climb ends with a fall of 20 % from its high, or, once it has risen
``percent``, a pullback of 15 %: the leg that follows climbs from a new low and is a run-up of its
own (a resumed climb rings again, a sag that never gives back much does not). So is a climb that,
once it rang, paused (no new high for a third of ``days``) with a sag of 5 % or more and then climbed
``percent`` from the sag's low: it resumed as far as a new climb must go. A climb that has made no
new high for ``days`` has settled (the price held at its new level: the new normal), and a rise from
that plateau is a climb of its own. The alert is over when its climb has ended (a fall, a pullback,
a pause, settled: a climb that began after the phone rang for the one told), when the run-up told
began longer ago than the rule reads (``days`` and a year: a run-up is at most that long), or when
the price is back where the climb counts from: a rise that holds is not reminded as open for years.
When the climb under way has already risen ``percent`` that night, it rings as a new run-up at once.

``percent`` left unset is 20 % (a raw material's bar) or, for a price that usually moves little, four
times its usual move over a quarter, never under 14 %: the median quarterly move in the year before
the window (the year the usual level is read from), so the climb the window holds does not raise it
(:meth:`RunUpRule.threshold`). A steady producer price index is in a run-up at a smaller rise than
crude oil, which moves 20 % in a quarter routinely. Left unset, it is also four fifths of that bar
(16 % for a raw material, never under 14 %) once the rise has held four weeks, every price judged
since then at or above it (:meth:`RunUpRule.held_threshold`): the evidence is the time the rise held,
not the count of prices, so a monthly price's two successive prices (a month) count as much as a
nightly price's month of nights, and two nights at 17 % ring nothing. The owner's ``percent``, when
set, is the bar.

A climb's low, high and falls are judged on two nights a week (Mondays and Thursdays; the year
before the window, for the usual level, on Thursdays), tonight only on how far up it stands (the
median of the last three prices): a night reads some 160 prices of the last two years instead of
730, always the same nights, so what it sees of the past does not change from one night to the
next, and a night off the grid never ends a climb the grid would not remember ending. A grid night
without a price (a glitch held as suspect, a holiday) holds the grid's last price, so a missing
night shifts no median. A series priced less often than that is read and judged in full.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import ClassVar, Iterator, Literal, Sequence

from pydantic import Field

from .. import display
from . import detectors
from .base import Context, Finding, Point, RuleKind, Scope, SeriesView, Severity, fingerprint, log_percent

FALL_PERCENT = 20.0  # a fall this far from the climb's high ends it: what follows is a new climb
PULLBACK_PERCENT = 15.0  # once a climb has risen ``percent`` (it rang), a fall this far from its high ends it too
SAG_PERCENT, PAUSE_SHARE = 5.0, 1 / 3  # once it rang: no new high for a third of ``days`` and a sag this far from its
# high, then ``percent`` up from the sag's low, is a run-up of its own (a climb that paused, then resumed)
USUAL_DAYS = 365  # the usual level is the median price of this many days before the climb's low
GRID_NIGHTS = (0, 3)  # the nights a climb is judged on: Julian day number % 7 (Mondays and Thursdays;
# before the climb's window, Thursdays only)
DENSE = 10, 35  # a series with 10 prices in 35 days is priced about nightly: judged on its grid nights
# Unless the owner set ``percent``: a price that usually moves little is in a run-up once it has risen
# ``STEADY_TIMES`` its usual move over a quarter (``STEADY_SPAN`` days; the median move in the year before
# the window), never less than ``STEADY_FLOOR`` percent nor more than ``percent``. With fewer than
# ``STEADY_MOVES`` such moves to go by, ``percent``.
STEADY_TIMES, STEADY_FLOOR, STEADY_SPAN, STEADY_MOVES = 4.0, 14.0, 91, 4
# Unless the owner set ``percent``: a rise that has held ``HELD_DAYS`` (every price since then, two at least,
# at or above the lower bar) rings at ``HELD_SHARE`` of the bar, never under ``STEADY_FLOOR``: four weeks held
# is more evidence than two nights, and a month is what two successive monthly prices span. Tuned on the
# shipped histories (benchmarks/README.md, spikes.py): 0.7 adds daily oil pushes, 35 days loses the monthly catches.
HELD_DAYS, HELD_SHARE = 28.0, 0.8


def calendar_day(julian: float) -> date:
    """The UTC date of a Julian day (SQLite's julianday)."""
    return date(2000, 1, 1) + timedelta(days=math.floor(julian + 0.5) - 2451545)


class RunUpRule(RuleKind):
    """Rings the phone once when the price has run up ``percent`` within ``days`` (from the climb's
    low, or from its usual level after a crash), and again when it goes ``escalate_percent`` further.
    Unless the owner set ``percent``, a price that usually moves little rings at a smaller rise
    (:meth:`threshold`)."""

    kind: Literal["runup"]
    alert_name: ClassVar[str] = "run-up"
    percent: float = Field(20.0, gt=0, le=1000, description="how far above where its climb started (unset: 20, "
                           "or less for a price that usually moves little: four times its usual quarterly move, at least 14; "
                           "and four fifths of that, at least 14, for a rise that has held four weeks)")
    days: int = Field(365, ge=30, le=1095, description="how long ago a climb may have started")
    escalate_percent: float = Field(100.0, gt=0, description="how much further up than when the phone last rang before it rings again")
    severity: Severity = Severity.CRITICAL

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER, Scope.PRODUCT})
    directions: ClassVar[tuple[str, ...]] = ("up",)
    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "days")

    @property
    def escalate_step(self) -> float | None:
        return self.escalate_percent

    def further(self, told: float, now: float) -> float:
        """Percent further up since the phone last rang (measures are logs of the price)."""
        return (math.exp((now - told) / 100) - 1) * 100

    def describe(self) -> str:
        steady = f" (less for a steady price or a rise held four weeks, at least {STEADY_FLOOR:g}%)" if self.scaled else ""
        return f"run-up {self.percent:g}%{steady} within {self.days} days"

    def history_days(self) -> float:
        return self.days + USUAL_DAYS

    @property
    def scaled(self) -> bool:
        """Is ``percent`` the rule's default (lowered for a steady price), not a figure the owner set?"""
        return "percent" not in self.model_fields_set

    def threshold(self, days: Sequence[float], prices: Sequence[float]) -> float:
        """How far up, in percent, a climb must be to ring: ``percent`` when the owner set it. By default
        ``percent`` (20 %: a raw material's bar) or, for a price that usually moves little, four times
        its usual move over a quarter in the year before the window (the year the usual level is read
        from, before the climb the window holds), never under 14 %: a steady producer price index is in
        a run-up at a smaller rise than crude oil, which moves 20 % in a quarter routinely."""
        if not self.scaled or not days:
            return self.percent
        usual = detectors.usual_move(prices, days, STEADY_SPAN, days[-1] - self.days, STEADY_MOVES)
        if usual is None:
            return self.percent
        return min(self.percent, max(STEADY_FLOOR, (math.exp(STEADY_TIMES * usual) - 1) * 100))

    def held_threshold(self, percent: float, rise: detectors.Rise, days: Sequence[float], prices: Sequence[float],
                       tonight: float | None, now: float) -> float:
        """The bar tonight: by default four fifths of ``percent`` (never under 14 %) once the rise has
        held four weeks, every price since then (two at least) at or above it, else ``percent``. Two
        prices 20 % up are two nights of a nightly price; a month 16 % up is a month the owner paid 16 %
        more, and at a monthly price's pace two successive prices are that month. Only for a climb whose
        start lies within ``days``: one older is measured from where the nights read begin, which move
        each night, not from its start (a rebound's second year looked like a climb from the window's
        edge). The owner's ``percent``, when set, is the bar, however long the rise has held."""
        held = max(STEADY_FLOOR, percent * HELD_SHARE)
        if not self.scaled or not held <= rise.percent < percent or rise.since < now - self.days:
            return percent
        if detectors.held_days(prices, days, rise.reference * (1 + held / 100), now, tonight) >= HELD_DAYS:
            return held
        return percent

    def evaluate(self, view: SeriesView, context: Context) -> Iterator[Finding]:
        latest = view.latest
        days, prices, tonight = climb_points(view, self.days, self.history_days()) if latest is not None else ([], [], None)
        percent = self.threshold(days, prices)
        rise = detectors.run_up(prices, days, self.days, FALL_PERCENT, USUAL_DAYS, tonight, (percent, PULLBACK_PERCENT),
                                  self.days, (SAG_PERCENT, self.days * PAUSE_SHARE)) if days else None
        if latest is None or rise is None:
            return
        percent = self.held_threshold(percent, rise, days, prices, tonight, latest.day)
        # Over only once the price is back where its climb counts from, or the climb has ended (a
        # fall, a pullback after it rang, a pause, or no new high for ``days``): a climb that sags and
        # resumes without a pause is still the one told of.
        holds = detectors.band(rise.percent, percent, percent)
        fmt, unit = context.fmt, view.unit
        today, since = calendar_day(latest.day), calendar_day(rise.since)
        told = context.firing(fingerprint(self, view.target, "up", unit, view.currency))
        now, start = fmt.price(latest.unit_price, unit), fmt.price(rise.reference, unit)

        def over() -> str:
            """The resolved alert's words: the run-up told of, by the day it began and its price then."""
            if told is None or not told.anchor or not told.anchor_at:
                return f"{view.subject}: no run-up, now {now}"
            began = date.fromisoformat(told.anchor_at[:10])
            return (f"{view.subject}: the run-up since {display.day_of_year(began, today)} is over, now {now} "
                    f"({detectors.percent_change(latest.unit_price, told.anchor):+.0f}% on its {fmt.price(told.anchor, unit)} then)")

        # The climb the owner was told of has ended when tonight's began after the phone rang for it,
        # within the window: only a fall, a pullback, a pause or a plateau since then starts a climb
        # that late, and a night sees it within ``days``. A low older than that is where the nights
        # read begin, which move on each night (its climb began before them): not a new climb.
        if holds is not False and told is not None and told.first_fired and told.anchor_at and (
                (rise.began >= latest.day - self.days and calendar_day(rise.began).isoformat() > told.first_fired[:10])
                or told.anchor_at[:10] < calendar_day(latest.day - self.history_days()).isoformat()):
            yield Finding(self, view.target, "up", False, self.severity, over(), latest.unit_price, rise.reference,
                          log_percent(latest.unit_price, 1.0), rise.reference, since.isoformat(),
                          observation_id=latest.id, observed_at=latest.fetched_at, unit=unit, currency=view.currency)
            if not holds:
                return
            # The climb under way has already run up ``percent``: news of its own, told tonight.
        if holds is not False:
            up = detectors.percent_change(latest.unit_price, rise.reference)
            message = f"{view.subject} up {up:.0f}% since {display.day_of_year(since, today)}, now {now}"
            if rise.reference > rise.low * 1.1:  # the climb began in a crash: counted from where the price used to be
                message += f" (back at its usual {start} then, after a low of {fmt.price(rise.low, unit)})"
            elif rise.reference > rise.low:  # counted from its usual level, which that day's price was above, not at
                message += f" (from its usual {start})"
            else:
                message += f" (was {start})"
            why = view.explain("up", since.isoformat())
            if why:
                message += f"; {why}"
        else:
            message = over()
        # Escalation is measured in the price itself: the phone rings again once it is
        # ``escalate_percent`` above where it was when the phone last rang. A product's cost is measured
        # from then on tonight's recipe: an edited recipe is no move further.
        measure = log_percent(latest.unit_price, 1.0)
        if view.target.scope == Scope.PRODUCT and told is not None and told.notified_measure is not None and told.notified_value:
            measure = told.notified_measure + log_percent(latest.unit_price, view.restated(told.notified_value, told.last_fired))
        yield Finding(self, view.target, "up", holds, self.severity, message, latest.unit_price, rise.reference,
                      measure, rise.reference, since.isoformat(),
                      observation_id=latest.id, observed_at=latest.fetched_at, unit=unit, currency=view.currency,
                      driver=view.driver("up", since.isoformat()) if holds else None)


def is_dense(history: list[Point]) -> bool:
    """Priced about nightly: ``DENSE[0]`` prices or more in its last ``DENSE[1]`` days."""
    return len(history) >= DENSE[0] and history[-DENSE[0]].day > history[-1].day - DENSE[1]


def grid_days(now_day: float, window_days: float, reach_days: float) -> list[int]:
    """The grid nights (day numbers, oldest first): Mondays and Thursdays of the last ``window_days``,
    Thursdays before that back to ``reach_days``."""
    # Stepped through by weeks rather than tested day by day (a night reads this for every offer).
    today, first = math.floor(now_day + 0.5), math.floor(now_day - reach_days)
    days: list[int] = []
    for night in GRID_NIGHTS:
        start = first if night == GRID_NIGHTS[-1] else max(first, math.ceil(now_day - window_days))
        days.extend(range(start + (night - start) % 7, today + 1, 7))
    days.sort()
    return days


def grid_ranges(now_day: float, window_days: float, reach_days: float) -> list[tuple[float, float]]:
    """The grid nights of the last ``window_days``, and the last grid night of each week before that
    back to ``reach_days`` (enough for the median of a year that the usual level is), as (days ago
    from, days ago to): each night from its UTC midnight to the next, newest first."""
    return [(now_day - (day - 0.5), max(now_day - (day + 0.5), 0.0)) for day in reversed(grid_days(now_day, window_days, reach_days))]


def climb_points(view: SeriesView, window_days: float, reach_days: float) -> tuple[list[float], list[float], float | None]:
    """The (days, prices) a climb is judged on, and tonight's level when they are a sample: a dense
    series' grid nights and the median of its last three prices, or every price of a sparse one (and
    None). ``view.sampled`` holds the (day, price) pairs read of the far past for it, when they were
    read apart from the history (offers); else the history is all.

    A grid night without a price (a glitch held as suspect, a holiday, a page that failed) holds the
    grid's last price, once: a missing night neither shifts the medians of three nor the median of a
    year that the climb is judged on."""
    history = view.history
    far = view.sampled if view.sampled is not None else [(p.day, p.unit_price) for p in history]
    if not is_dense(history):
        pairs = sorted(dict(far + [(p.day, p.unit_price) for p in history]).items())
        return [d for d, _ in pairs], [price for _, price in pairs], None
    nights = {math.floor(d + 0.5): (d, price) for d, price in sorted(far + [(p.day, p.unit_price) for p in history])}
    days: list[float] = []
    prices: list[float] = []
    carried = False
    for night in grid_days(history[-1].day, window_days, reach_days):
        if night in nights:
            day, price = nights[night]
            days.append(day)
            prices.append(price)
            carried = False
        elif prices and not carried:
            days.append(days[-1])
            prices.append(prices[-1])
            carried = True
    a, b, c = (p.unit_price for p in history[-3:])
    return days, prices, detectors.median3(a, b, c)
