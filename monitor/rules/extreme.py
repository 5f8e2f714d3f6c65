"""``extreme``: the lowest price in ``days`` days (a buying signal), or the highest."""

from __future__ import annotations

from typing import ClassVar, Iterator, Literal

from pydantic import Field

from .base import SAME_NIGHT, Context, Finding, RuleKind, Scope, SeriesView, Severity, log_percent


class ExtremeRule(RuleKind):
    """Fires on a new ``days``-day low (a buying signal) or high."""

    kind: Literal["extreme"]
    alert_name: ClassVar[str] = "record price"
    days: int = Field(90, ge=7)
    direction: Literal["low", "high", "both"] = "low"
    confirm: int = Field(1, ge=1, le=10)
    hysteresis_percent: float = Field(2.0, ge=0, le=50)
    escalate_percent: float = Field(10.0, gt=0)
    severity: Severity = Severity.INFO

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER})
    directions: ClassVar[tuple[str, ...]] = ("low", "high")
    identity_fields: ClassVar[tuple[str, ...]] = ("days",)

    @property
    def escalate_step(self) -> float | None:
        return self.escalate_percent

    def describe(self) -> str:
        return f"extreme {self.days}-day {self.direction}"

    def history_days(self) -> float:
        return self.days

    def evaluate(self, view: SeriesView, context: Context) -> Iterator[Finding]:
        latest = view.latest
        if latest is None or latest.day - view.history[0].day < self.days * 0.9:
            return
        prior = [p.unit_price for p in view.history[:-1] if p.day >= latest.day - self.days - SAME_NIGHT]
        if not prior:
            return
        fmt, unit = context.fmt, view.unit
        for direction in (("low", "high") if self.direction == "both" else (self.direction,)):
            if direction == "low":
                mark = min(prior)
                holds = True if latest.unit_price < mark else False if latest.unit_price > mark * (1 + self.hysteresis_percent / 100) else None
                word, sign = "lowest", -1
            else:
                mark = max(prior)
                holds = True if latest.unit_price > mark else False if latest.unit_price < mark * (1 - self.hysteresis_percent / 100) else None
                word, sign = "highest", 1
            message = f"{view.label}: {fmt.price(latest.unit_price, unit)} is the {word} in {self.days} days (the {word} before: {fmt.price(mark, unit)})"
            yield Finding(self, view.target, direction, holds, self.severity, message, latest.unit_price, mark,
                          sign * log_percent(latest.unit_price, mark), observation_id=latest.id, observed_at=latest.fetched_at, unit=unit, currency=view.currency)

    def further(self, told: float, now: float) -> float:
        import math

        return (math.exp((now - told) / 100) - 1) * 100
