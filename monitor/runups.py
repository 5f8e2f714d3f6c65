"""Run-ups found in hindsight: the rises a spike rule should ring the phone for, before their peak.

This is the yardstick the spike rule is measured with (``benchmarks/spikes.py``), not a rule: it
knows where each peak was, which no nightly rule can.

How a run-up is identified, in four steps:

1. **Legs.** The history is cut into rising legs by a zig-zag: a leg starts at a trough and climbs
   to its peak; it ends when the price falls ``interrupt_percent`` (default 20 %) below the highest
   price since the trough (the trough is the last day at the lowest price). A smaller dip does not interrupt it, so lumber's autumn 2020 pause stays
   inside the 2020-21 run-up. The peak is the leg's highest price (its first day at that price).
2. **Where the rise counts from.** A leg that starts in a crash trough is partly a rebound: the
   price recovering toward its usual level is not a spike (oil in May 2020). The rise counts from
   the *usual level* at the trough, the median price of the ``usual_days`` (default 365) before it,
   when that is above the trough; the run-up then starts on the first day the price is back at it.
3. **Not a decade of inflation.** A leg that climbed for longer than ``span_days`` (default two
   years) counts only its last two years, from their lowest price: steel's climb from 1939 to 2008
   is not one spike, its 2007-08 run-up is.
4. **Large enough.** A leg is a run-up when its peak is ``rise_percent`` (default 30 %) or more above
   where its rise counts from. Legs that only rose that much from their crash trough are kept apart
   as rebounds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence


@dataclass(frozen=True)
class RunUp:
    """One rise from ``start`` (the trough, or the usual level a rebound climbed back to) to ``peak``."""

    trough_date: str
    trough: float
    start_date: str
    start: float
    peak_date: str
    peak: float
    ongoing: bool = False  # the history ends inside it: the peak may still be ahead

    @property
    def rise_percent(self) -> float:
        return (self.peak / self.start - 1) * 100

    @property
    def rebound(self) -> bool:
        """Did part of the climb only bring the price back to its usual level after a fall?"""
        return self.start > self.trough

    def share_behind(self, price: float) -> float:
        """How much of the rise was already behind at ``price`` (0 at the start, 1 at the peak)."""
        return (price - self.start) / (self.peak - self.start)


def rising_legs(prices: Sequence[float], interrupt_percent: float) -> list[tuple[int, int]]:
    """(trough index, peak index) of every rising leg of the zig-zag of ``prices``."""
    if not prices:
        return []
    keep = 1 - interrupt_percent / 100
    legs: list[tuple[int, int]] = []
    low = high = 0
    for i, price in enumerate(prices):
        if price <= prices[high] * keep:
            if high > low:
                legs.append((low, high))
            low = high = i
        elif price <= prices[low]:
            low = high = i  # a new low (or the old one again): the little that rose since was given back
        elif price > prices[high]:
            high = i
    if high > low:
        legs.append((low, high))
    return legs


def usual_level(series: Sequence[tuple[str, float]], index: int, usual_days: int) -> float | None:
    """The median price of the ``usual_days`` before ``series[index]`` (None when nothing is before it)."""
    since = (date.fromisoformat(series[index][0][:10]) - timedelta(days=usual_days)).isoformat()
    before = [price for day, price in series[:index] if day >= since]
    return statistics.median(before) if before else None


def find_runups(series: Sequence[tuple[str, float]], rise_percent: float = 30.0, interrupt_percent: float = 20.0,
                usual_days: int = 365, span_days: int = 730, rebounds: bool = False) -> list[RunUp]:
    """Every run-up of ``series`` ((ISO date, price) rows in date order, prices above zero).

    With ``rebounds``, the legs that rose ``rise_percent`` only from a crash trough are returned
    instead: what a spike rule must *not* mistake for a spike.
    """
    if any(price <= 0 for _, price in series):
        raise ValueError("run-ups are measured on prices above zero: drop or fix the rows at or below zero first")
    prices = [price for _, price in series]
    found: list[RunUp] = []
    for low, high in rising_legs(prices, interrupt_percent):
        earliest = (date.fromisoformat(series[high][0][:10]) - timedelta(days=span_days)).isoformat()
        if series[low][0] < earliest:  # a climb of decades: only its last ``span_days`` can be a spike
            low = min((i for i in range(low, high + 1) if series[i][0] >= earliest), key=lambda i: prices[i])
        trough, peak = prices[low], prices[high]
        usual = usual_level(series, low, usual_days)
        start = max(trough, usual) if usual is not None else trough
        large = peak >= start * (1 + rise_percent / 100)
        if rebounds:
            if large or start == trough or peak < trough * (1 + rise_percent / 100):
                continue
        elif not large:
            continue
        first = low if start == trough else next((i for i in range(low, high + 1) if prices[i] >= start), high)
        found.append(RunUp(series[low][0], trough, series[first][0], start, series[high][0], peak,
                           ongoing=high == len(prices) - 1 or all(p > peak * (1 - interrupt_percent / 100) for p in prices[high:])))
    return found
