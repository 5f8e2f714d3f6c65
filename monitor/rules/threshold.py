"""``threshold``: the unit price (or a product's unit cost) is above or below a level the owner set.

Escalates by how far past the limit the value goes, in percentage points of the limit. The level
is per unit of the material in the home currency, so the unit and currency are part of what the
rule watches: a rule re-expressed in other units is a different rule.
"""

from __future__ import annotations

from typing import ClassVar, Iterator, Literal

from pydantic import Field, model_validator

from . import detectors
from .base import Context, Finding, RuleKind, Scope, SeriesView, Severity


class ThresholdRule(RuleKind):
    """Fires when the unit price crosses a level; re-arms once back past the hysteresis band."""

    kind: Literal["threshold"]
    alert_name: ClassVar[str] = "price limit"
    above: float | None = Field(None, gt=0)
    below: float | None = Field(None, gt=0)
    severity: Severity = Severity.CRITICAL
    confirm: int = Field(2, ge=1, le=10)
    hysteresis_percent: float = Field(2.0, ge=0, le=50)
    escalate_percent: float = Field(10.0, gt=0, description="percentage points of the limit further past it before telling again")

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER, Scope.PRODUCT})
    directions: ClassVar[tuple[str, ...]] = ("above", "below")

    @model_validator(mode="after")
    def _has_a_level(self) -> "ThresholdRule":
        if self.above is None and self.below is None:
            raise ValueError("a threshold rule needs 'above', 'below' or both")
        return self

    def identity(self, direction: str, unit: str | None = None, currency: str | None = None) -> str:
        if self.id:
            return f"id={self.id}"
        level = self.above if direction == "above" else self.below
        return f"{direction} {level:g} {currency or ''}/{unit or ''}" if level is not None else f"{direction} none"

    @property
    def escalate_step(self) -> float | None:
        return self.escalate_percent

    def describe(self) -> str:
        parts = [f"above {self.above:g}" if self.above else "", f"below {self.below:g}" if self.below else ""]
        return "threshold " + " / ".join(p for p in parts if p)

    def evaluate(self, view: SeriesView, context: Context) -> Iterator[Finding]:
        latest = view.latest
        if latest is None:
            return
        fmt, unit = context.fmt, view.unit
        for level, direction in ((self.above, "above"), (self.below, "below")):
            if level is None:
                continue
            past = (latest.unit_price - level if direction == "above" else level - latest.unit_price) / level * 100
            holds = detectors.band(past, 1e-9, self.hysteresis_percent)
            if holds:
                message = f"{view.subject}: {fmt.price(latest.unit_price, unit)} is {direction} your limit of {fmt.price(level, unit)}"
                why = view.explain("up" if direction == "above" else "down")
                if why:
                    message += f"; {why}"
            else:
                message = f"{view.subject}: {fmt.price(latest.unit_price, unit)}, back {'under' if direction == 'above' else 'over'} {fmt.price(level, unit)}"
            yield Finding(self, view.target, direction, holds, self.severity, message, latest.unit_price, level, past,
                          observation_id=latest.id, observed_at=latest.fetched_at, unit=unit, currency=view.currency)
