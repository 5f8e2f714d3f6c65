"""``change``: the unit price moved ``percent`` against a baseline (the previous price, or the
median or mean of the last N days), in either direction; a move of ``critical_percent`` is critical."""

from __future__ import annotations

import re
import statistics
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from .base import SAME_NIGHT, SeriesView, Severity
from .moves import MoveRule

_BASELINE = re.compile(r"(median|mean)_([1-9]\d*)d")
# How far back "the previous price" is looked for: last night's is a day old, or a little more as cron
# starts a minute late; a week spans missed nights too (a day read missed yesterday's by seconds).
PREVIOUS_DAYS = 7


def baseline(history: list, spec: str) -> float | None:
    """The reference the latest price is compared with: ``previous``, ``median_30d``, ``mean_7d`` ..."""
    earlier = history[:-1]
    if not earlier:
        return None
    if spec == "previous":
        return earlier[-1].unit_price
    match = _BASELINE.fullmatch(spec)
    if match is None:
        raise ValueError(f"unknown baseline {spec!r}")
    since = history[-1].day - int(match.group(2)) - SAME_NIGHT
    window = [p.unit_price for p in earlier if p.day >= since]
    if not window:
        return None
    return statistics.median(window) if match.group(1) == "median" else statistics.fmean(window)


class ChangeRule(MoveRule):
    """Fires when the unit price moves ``percent`` against a baseline, in either direction;
    a move of ``critical_percent`` or more is critical."""

    kind: Literal["change"]
    alert_name: ClassVar[str] = "price change"
    percent: float = Field(gt=0)
    baseline: str = "median_30d"
    critical_percent: float | None = Field(None, gt=0)

    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "baseline")

    @field_validator("baseline")
    @classmethod
    def _known_baseline(cls, value: str) -> str:
        if value != "previous" and not _BASELINE.fullmatch(value):
            raise ValueError(f"{value!r} is not a baseline: use previous, median_30d, mean_14d ...")
        return value

    @property
    def level(self) -> float:
        return self.percent

    def reference(self, view: SeriesView) -> tuple[float, str] | None:
        value = baseline(view.history, self.baseline)
        if value is None:
            return None
        if self.baseline == "previous":
            return value, "the previous price"
        match = _BASELINE.fullmatch(self.baseline)
        assert match is not None
        return value, f"its {match.group(2)}-day {match.group(1)}"

    def severity_for(self, moved_percent: float) -> Severity:
        if self.critical_percent is not None and moved_percent >= self.critical_percent:
            return Severity.CRITICAL
        return self.severity

    def describe(self) -> str:
        return f"change {self.percent:g}% vs {self.baseline}"

    def history_days(self) -> float:
        match = _BASELINE.fullmatch(self.baseline)
        return int(match.group(2)) if match else PREVIOUS_DAYS
