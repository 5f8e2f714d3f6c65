"""The statistics behind the rules, as plain functions over price lists: testable on their own."""

from __future__ import annotations

import math
import statistics
from typing import Sequence

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
