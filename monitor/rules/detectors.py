"""The statistics behind the rules, as plain functions over price lists: testable on their own."""

from __future__ import annotations

import bisect
import math
import statistics
from typing import Callable, NamedTuple, Sequence

MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation per median absolute deviation


def log_moves(prices: Sequence[float]) -> list[float]:
    """Night-to-night log changes; prices must be positive (suspects never reach the rules)."""
    return [math.log(b / a) for a, b in zip(prices, prices[1:])]


def robust_z(move: float, moves: Sequence[float], floor: float) -> float:
    """How unusual ``move`` is for a series whose usual moves are ``moves``: a z-score on the
    median and the median absolute deviation, the MAD floored because sticky prices make it 0."""
    centre = statistics.median(moves) if moves else 0.0
    mad = statistics.median(abs(m - centre) for m in moves) if moves else 0.0
    return (move - centre) / (MAD_TO_SIGMA * max(mad, floor))


def ewma_volatility(moves: Sequence[float], decay: float = 0.94) -> float:
    """RiskMetrics-style exponentially weighted volatility of the moves (recent ones count most)."""
    variance = 0.0
    for move in moves:
        variance = decay * variance + (1 - decay) * move * move
    return math.sqrt(variance)


def percent_change(value: float, reference: float) -> float:
    return (value / reference - 1) * 100


def band(moved: float, level: float, hysteresis: float) -> bool | None:
    """Past ``level`` (True), back below ``level - hysteresis`` (False), or in between (None)."""
    return True if moved >= level else False if moved < level - hysteresis else None


def usual_gap_days(times: Sequence[float]) -> float | None:
    """The median gap between successive valid prices, in days (``times`` in days)."""
    gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
    return statistics.median(gaps) if gaps else None


def usual_move(prices: Sequence[float], days: Sequence[float], span: float, before: float, least: int) -> float | None:
    """The usual size of a move over ``span`` days: the median absolute log change from each price
    dated before ``before`` to the price nearest ``span`` days before it (none within a quarter of a
    ``span`` is a gap in the history, no move), or None with fewer than ``least`` such moves. The
    median, so a crash or a spike among them does not make the usual move large."""
    moves = []
    for i in range(bisect.bisect_left(days, before)):
        back = days[i] - span
        k = bisect.bisect_left(days, back, 0, i)
        j = k - 1 if k == i or (k > 0 and back - days[k - 1] <= days[k] - back) else k
        if j >= 0 and abs(days[j] - back) <= span / 4:
            moves.append(abs(math.log(prices[i] / prices[j])))
    return statistics.median(moves) if len(moves) >= least else None


def held_days(prices: Sequence[float], days: Sequence[float], bar: float, now: float, tonight: float | None = None) -> float:
    """How long the price has held at or above ``bar``: days from the first of the last prices that
    all stand there to ``now``, counted only over two prices or more (one price alone, a typo, holds
    nothing: 0). ``tonight``: tonight's level when the prices are a sample; it must stand there too."""
    if tonight is not None and tonight < bar:
        return 0.0
    first = len(prices)
    while first > 0 and prices[first - 1] >= bar:
        first -= 1
    if len(prices) - first < 2:
        return 0.0
    return now - days[first]


# ---- run-ups ------------------------------------------------------------------------------------

class Rise(NamedTuple):
    """How far the price level stands above where its current climb started."""

    percent: float  # the level against ``reference``
    level: float  # tonight's level: the median of the last three prices
    reference: float  # where the rise counts from: the climb's low, or the usual level when that low was a crash
    since: float  # the day the rise counts from (the days' own scale)
    low: float  # the climb's low (below ``reference`` when the climb began in a crash)
    began: float = 0.0  # the day the climb began (its low since the last fall, however long ago): a later one is a new climb


def median3(a: float, b: float, c: float) -> float:
    return max(min(a, b), min(max(a, b), c))


def climb_start(levels: Sequence[float], fall_percent: float, rearm: tuple[float, float] | None = None,
                reference: Callable[[int], float] | None = None,
                settle: tuple[Sequence[float], float] | None = None, pause: tuple[float, float] | None = None) -> int:
    """Index of the low the current climb started from: the lowest level since the last fall of
    ``fall_percent`` from a high. A smaller dip does not restart a climb; a larger one ends it, so
    the next climb is a new run-up.

    ``rearm`` (rise, pullback percent): once a climb has risen ``rise`` percent above where it counts
    from (``reference(low)``, default its low), a pullback of ``pullback`` percent from its high also
    ends it: the leg that follows climbs from a new low and is a run-up of its own.

    ``settle`` (the days of the levels, span): a climb that has made no new high for ``span`` days
    has settled: its plateau is the new normal, and a rise from it is a climb of its own.

    ``pause`` (sag percent, span; with ``rearm`` and ``settle``'s days): once a climb has risen
    ``rise`` percent, a pause of ``span`` days without a new high in which it sagged ``sag`` percent
    below its high, followed by a climb of ``rise`` percent from the sag's low, is a run-up of its
    own starting at that low: the climb resumed as far as a new one would have to climb."""
    if pause and not (rearm and settle):
        raise ValueError("a pause is judged after a climb rang (rearm) on the levels' days (settle)")
    keep = 1 - fall_percent / 100
    rise, pullback = (1 + rearm[0] / 100, 1 - rearm[1] / 100) if rearm else (0.0, 0.0)
    sag, paused = (1 - pause[0] / 100, pause[1]) if pause else (0.0, 0.0)
    settle_days, span = settle if settle else ((), 0.0)
    low = high = dip = 0
    rang, threshold, resumed = False, None, None
    # The low's, the high's and the sag's levels are held in locals: the same comparisons, without indexing each time.
    lowest = highest = deepest = levels[0] if levels else 0.0
    for i in range(1, len(levels)):
        level = levels[i]
        if (level <= highest * keep or level <= lowest or (rang and rearm and level <= highest * pullback)
                or (settle and level <= highest and settle_days[i] - settle_days[high] > span)):
            low = high = dip = i
            lowest = highest = deepest = level
            rang, threshold, resumed = False, None, None
        elif level < deepest:
            dip, deepest = i, level  # the lowest level since the high
        elif level > highest:
            if pause and rang and deepest <= highest * sag and settle_days[i] - settle_days[high] >= paused:
                resumed = dip  # it rang, paused and sagged: a climb of ``rise`` from this low is a run-up of its own
            high, highest = i, level
            dip, deepest = i, level
            if resumed is not None and level >= levels[resumed] * rise:
                low, lowest, resumed = resumed, levels[resumed], None
                threshold = (reference(low) if reference else lowest) * rise
                rang = level >= threshold
            elif rearm and not rang and level >= lowest * rise:
                if threshold is None:
                    threshold = (reference(low) if reference else lowest) * rise
                rang = level >= threshold
    return low


def run_up(prices: Sequence[float], days: Sequence[float], window_days: float, fall_percent: float = 20.0,
           usual_days: float = 365.0, tonight: float | None = None, rearm: tuple[float, float] | None = None,
           settle_days: float | None = None, pause: tuple[float, float] | None = None) -> Rise | None:
    """How far tonight's level stands above where the current climb started, within ``window_days``.

    A level is the median of three successive prices, so a single odd night (a typo the plausibility
    check let through) is never a low, a high or tonight's level, and a move shows on its second
    night. The climb starts at its low, unless that low was below the usual level (the median price
    of the ``usual_days`` before it): then the rise counts from the usual level, which a crash does
    not drag down, so a rebound to where the price used to be is no rise. A climb that began before
    the window in a crash still counts from the usual level before it. ``prices`` (above zero) and
    ``days`` are in time order and may reach ``usual_days`` before the window, for the usual level.

    ``tonight``: tonight's level, when ``prices`` are a sample of the past (a nightly series' grid
    nights): the climb's low, high and falls are then judged on the sample alone, which is the same
    every night, and only the rise is tonight's. A night that is not on the grid never ends a climb
    that the grid will not remember ending. ``rearm``: see :func:`climb_start`. ``settle_days``: a
    climb with no new high for that long has settled (:func:`climb_start`); the next rise is new.
    ``pause`` (sag percent, days; with ``rearm`` and ``settle_days``): a climb that resumes after a
    pause is new (:func:`climb_start`).
    """
    if len(prices) != len(days):
        raise ValueError("prices and days must be the same length")
    if len(prices) < 3:
        return None
    now = days[-1]
    # level i - 2 ends at price i: median3 written out as comparisons, the very value (and object)
    # max(min(a, b), min(max(a, b), c)) gives, without four calls (this runs for every price of every
    # series each night: 3,000,000 a night of 10,000 offers)
    every = [((m if (m := (c if c < a else a)) > b else b) if b < a else (m if (m := (c if c < b else b)) > a else a))
             for a, b, c in zip(prices, prices[1:], prices[2:])]

    def usual(at: int) -> float | None:
        """The median price of the ``usual_days`` before price ``at``."""
        before = prices[bisect.bisect_left(days, days[at] - usual_days, 0, at):at]
        return statistics.median(before) if before else None

    def counts_from(at: int) -> float:
        """Where a climb whose low is the level ending at price ``at`` counts from."""
        return max(every[at - 2], usual(at) or 0.0)

    # Levels from the third price on: a level is always a median of three, even at the window's start.
    first = max(bisect.bisect_left(days, now - window_days), 2)  # days are in time order
    levels = every[first - 2:]
    low = climb_start(levels, fall_percent, rearm, lambda i: counts_from(first + i),
                      None if settle_days is None else (days[first:], settle_days), pause)
    reference = counts_from(first + low)
    lowest = levels[low]
    # A climb that began before the window, in a crash, is still a rebound inside it: it counts from
    # the usual level before that crash, not from a low the window happens to start on.
    began = 2 + climb_start(every, fall_percent, rearm, lambda i: counts_from(i + 2),
                            None if settle_days is None else (days[2:], settle_days), pause)
    if began < first:
        usual_then = usual(began) or 0.0
        if usual_then > reference:
            reference, lowest = usual_then, min(lowest, every[began - 2])
    if reference == levels[low]:  # the day of the lowest of the three prices whose median is the low
        at = first + low
        since = days[min(range(max(at - 2, 0), at + 1), key=lambda i: (prices[i], -i))]
    else:  # the first day of the three prices whose median reached the usual level
        at = next((first + i for i in range(low, len(levels)) if levels[i] >= reference), len(prices) - 1)
        since = days[next(i for i in range(max(at - 2, first + low), at + 1) if prices[i] >= reference or i == at)]
    level = levels[-1] if tonight is None else tonight
    start = days[min(range(began - 2, began + 1), key=lambda i: (prices[i], -i))]  # as ``since`` is told: the lowest of the three
    return Rise(percent_change(level, reference), level, reference, since, lowest, start)
