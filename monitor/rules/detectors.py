"""The statistics behind the rules, as plain functions over price lists: testable on their own."""

from __future__ import annotations

import math
import statistics
from typing import NamedTuple, Sequence

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


# ---- run-ups ------------------------------------------------------------------------------------

class Rise(NamedTuple):
    """How far the price level stands above where its current climb started."""

    percent: float  # the level against ``reference``
    level: float  # tonight's level: the median of the last three prices
    reference: float  # where the rise counts from: the climb's low, or the usual level when that low was a crash
    since: float  # the day the rise counts from (the days' own scale)
    low: float  # the climb's low (below ``reference`` when the climb began in a crash)


def median3(a: float, b: float, c: float) -> float:
    return max(min(a, b), min(max(a, b), c))


def climb_start(levels: Sequence[float], fall_percent: float) -> int:
    """Index of the low the current climb started from: the lowest level since the last fall of
    ``fall_percent`` from a high. A smaller dip does not restart a climb; a larger one ends it, so
    the next climb is a new run-up."""
    keep = 1 - fall_percent / 100
    low = high = 0
    for i in range(1, len(levels)):
        level = levels[i]
        if level <= levels[high] * keep or level <= levels[low]:
            low = high = i
        elif level > levels[high]:
            high = i
    return low


def run_up(prices: Sequence[float], days: Sequence[float], window_days: float, fall_percent: float = 20.0,
           usual_days: float = 365.0) -> Rise | None:
    """How far tonight's level stands above where the current climb started, within ``window_days``.

    A level is the median of three successive prices, so a single odd night (a typo the plausibility
    check let through) is never a low, a high or tonight's level, and a move shows on its second
    night. The climb starts at its low, unless that low was below the usual level (the median price
    of the ``usual_days`` before it): then the rise counts from the usual level, which a crash does
    not drag down, so a rebound to where the price used to be is no rise. ``prices`` (above zero)
    and ``days`` are in time order and may reach ``usual_days`` before the window, for the usual level.
    """
    if len(prices) != len(days):
        raise ValueError("prices and days must be the same length")
    if len(prices) < 3:
        return None
    now = days[-1]
    # Levels from the third price on: a level is always a median of three, even at the window's start.
    first = max(next(i for i, d in enumerate(days) if d >= now - window_days), 2)
    levels = [median3(prices[i - 2], prices[i - 1], prices[i]) for i in range(first, len(prices))]
    window = days[first:]
    low = climb_start(levels, fall_percent)
    before = [p for p, d in zip(prices[:first + low], days[:first + low]) if d >= window[low] - usual_days]
    reference = max(levels[low], statistics.median(before)) if before else levels[low]
    if reference == levels[low]:  # the day of the lowest of the three prices whose median is the low
        at = first + low
        since = days[min(range(max(at - 2, 0), at + 1), key=lambda i: (prices[i], -i))]
    else:  # the first day of the three prices whose median reached the usual level
        at = next((first + i for i in range(low, len(levels)) if levels[i] >= reference), len(prices) - 1)
        since = days[next(i for i in range(max(at - 2, first + low), at + 1) if prices[i] >= reference or i == at)]
    return Rise(percent_change(levels[-1], reference), levels[-1], reference, since, levels[low])
