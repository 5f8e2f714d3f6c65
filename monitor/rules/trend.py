"""``trend``: a slow climb or slide of ``percent`` over ``days`` days, against the median of the
window's oldest quarter, so a six-week climb alerts before its peak though no night moved much."""

from __future__ import annotations

import statistics
from typing import ClassVar, Literal

from pydantic import Field

from .base import SAME_NIGHT, SeriesView
from .moves import MoveRule


class TrendRule(MoveRule):
    """Fires on a slow climb or slide: ``percent`` over ``days`` days (against the median of the
    window's oldest quarter), so a six-week climb alerts before its peak though no night moved much."""

    kind: Literal["trend"]
    alert_name: ClassVar[str] = "price trend"
    percent: float = Field(12.0, gt=0)
    days: int = Field(120, ge=7)
    hysteresis_percent: float = Field(3.0, ge=0, le=50)

    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "days")

    @property
    def level(self) -> float:
        return self.percent

    def _start(self, view: SeriesView) -> float | None:
        """The window's first day, or None when there is too little history to call anything a trend."""
        latest = view.latest
        if latest is None or latest.day - view.history[0].day < self.days / 4:
            return None
        return max(latest.day - self.days, view.history[0].day)

    def _window(self, view: SeriesView) -> tuple[float, list[float]] | None:
        start = self._start(view)
        if start is None:
            return None  # too little history to call anything a trend
        # The move over the window: against the median of its oldest quarter, so a steady climb
        # counts in full instead of against a median that climbs with it.
        latest = view.history[-1]
        quarter = (latest.day - start) / 4
        return start, [p.unit_price for p in view.history[:-1] if start - SAME_NIGHT <= p.day <= start + quarter + SAME_NIGHT]

    def reference(self, view: SeriesView) -> tuple[float, str] | None:
        window = self._window(view)
        if window is None or not window[1]:
            return None
        return statistics.median(window[1]), f"where it stood {self.days} days ago"

    def before(self, view: SeriesView, reference: float, sign: int) -> tuple[float, str | None]:
        """A climb's "before" is where the window started, not last night's slightly lower price."""
        start = self._start(view)  # the window's prices are not needed here: only where it starts
        first = next((p for p in view.history if start is not None and p.day >= start - SAME_NIGHT), None)
        return reference, first.fetched_at if first else None

    def describe(self) -> str:
        return f"trend {self.percent:g}% over {self.days} days"

    def history_days(self) -> float:
        return self.days
