"""``volatility``: a move that is large for *this* series, measured as a robust z-score against
the median absolute deviation of its daily log moves (floored: supplier prices are sticky)."""

from __future__ import annotations

import math
import statistics
from typing import ClassVar, Literal

from pydantic import Field

from . import detectors
from .base import SAME_NIGHT, SeriesView
from .moves import MoveRule


class VolatilityRule(MoveRule):
    """Fires on a move that is large for *this* series: a robust z-score of the move against the
    median absolute deviation of its daily log moves (floored: supplier prices are sticky)."""

    kind: Literal["volatility"]
    alert_name: ClassVar[str] = "price swings"
    z: float = Field(5.0, gt=0)
    days: int = Field(90, ge=7)
    floor_percent: float = Field(1.0, gt=0)

    identity_fields: ClassVar[tuple[str, ...]] = ("z", "days")

    @property
    def level(self) -> float:
        return self.z

    @property
    def band(self) -> float:
        return 1.0

    def _before_the_move(self, view: SeriesView) -> list[float]:
        latest = view.latest
        assert latest is not None
        prices = [p.unit_price for p in view.history if p.day >= latest.day - self.days - SAME_NIGHT]
        return prices[:-self.confirm] if len(prices) > self.confirm else []

    def reference(self, view: SeriesView) -> tuple[float, str] | None:
        before = self._before_the_move(view)
        if len(before) < 10:
            return None
        # The move since just before it started, so the second night of a real move still counts.
        return statistics.median(before[-5:]), "its recent prices"

    def strength(self, view: SeriesView, value: float, reference: float) -> float:
        moves = detectors.log_moves(self._before_the_move(view))
        return detectors.robust_z(math.log(value / reference), moves, math.log(1 + self.floor_percent / 100))

    def detail(self, view: SeriesView, value: float, reference: float) -> str | None:
        usual = detectors.ewma_volatility(detectors.log_moves(self._before_the_move(view))) * 100
        return f"unusual for it: its usual daily move is ±{usual:.1f}%"

    def describe(self) -> str:
        return f"volatility z {self.z:g} over {self.days}d"

    def history_days(self) -> float:
        return self.days
