"""The alert rules an owner can write in ``supplywatch.yml``, with their defaults.

Every price rule works on unit prices in the home currency; ``confirm`` is how many successive
observations must agree before anyone is told, ``escalate_percent`` how much further a firing
alert must move before it notifies again.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Severity = Literal["critical", "warning", "info"]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _PriceRule(_Rule):
    confirm: int = Field(2, ge=1, le=10)
    hysteresis_percent: float = Field(2.0, ge=0, le=50)
    escalate_percent: float = Field(10.0, gt=0)
    severity: Severity = "warning"


class ThresholdRule(_PriceRule):
    """Fires when the unit price crosses a level; re-arms once back past the hysteresis band."""

    kind: Literal["threshold"]
    above: float | None = Field(None, gt=0)
    below: float | None = Field(None, gt=0)
    severity: Severity = "critical"

    @model_validator(mode="after")
    def _has_a_level(self) -> "ThresholdRule":
        if self.above is None and self.below is None:
            raise ValueError("a threshold rule needs 'above', 'below' or both")
        return self


class ChangeRule(_PriceRule):
    """Fires when the unit price moves ``percent`` against a baseline, in either direction;
    a move of ``critical_percent`` or more is critical."""

    kind: Literal["change"]
    percent: float = Field(gt=0)
    baseline: str = "median_30d"
    critical_percent: float | None = Field(None, gt=0)

    @field_validator("baseline")
    @classmethod
    def _known_baseline(cls, value: str) -> str:
        if not re.fullmatch(r"previous|(median|mean)_[1-9]\d*d", value):
            raise ValueError(f"{value!r} is not a baseline: use previous, median_30d, mean_14d ...")
        return value


class VolatilityRule(_PriceRule):
    """Fires on a move that is large for *this* series: a robust z-score of the move against the
    median absolute deviation of its daily log moves (floored: supplier prices are sticky)."""

    kind: Literal["volatility"]
    z: float = Field(5.0, gt=0)
    days: int = Field(90, ge=7)
    floor_percent: float = Field(1.0, gt=0)


class TrendRule(_PriceRule):
    """Fires on a slow climb or slide: ``percent`` over ``days`` days (against the median of the
    window's oldest quarter), so a six-week climb alerts before its peak though no night moved much."""

    kind: Literal["trend"]
    percent: float = Field(12.0, gt=0)
    days: int = Field(120, ge=7)
    hysteresis_percent: float = Field(3.0, ge=0, le=50)


class ExtremeRule(_PriceRule):
    """Fires on a new ``days``-day low (a buying signal) or high."""

    kind: Literal["extreme"]
    days: int = Field(90, ge=7)
    direction: Literal["low", "high", "both"] = "low"
    confirm: int = Field(1, ge=1, le=10)
    severity: Severity = "info"


class StockRule(_Rule):
    """Fires when an offer goes out of stock; resolves when it is back."""

    kind: Literal["stock"]
    confirm: int = Field(1, ge=1, le=10)
    severity: Severity = "warning"


class CheapestRule(_Rule):
    """Fires when the cheapest supplier of a material changes, or (``spread_percent``) when the
    dearest valid offer costs that much more than the cheapest."""

    kind: Literal["cheapest"]
    spread_percent: float | None = Field(None, gt=0)
    severity: Severity = "info"


class StaleRule(_Rule):
    """Fires when an offer has had no valid price for ``days`` days, or twice its usual gap."""

    kind: Literal["stale"]
    days: float = Field(7, gt=0)
    severity: Severity = "warning"


class ExtractionRule(_Rule):
    """Supplier-level: fires when fewer than ``min_valid_share`` of a supplier's pages gave a price
    in a run, and holds back that supplier's price alerts until it recovers."""

    kind: Literal["extraction"]
    min_valid_share: float = Field(0.5, gt=0, le=1)
    severity: Severity = "warning"


class _IndexRule(_Rule):
    """Rules that read a material's linked public index beside its suppliers' prices."""

    months: int = Field(3, ge=1, le=24)  # the span both moves are measured over


class IndexRiseRule(_IndexRule):
    """The index rose ``percent`` while every supplier moved less than ``flat_percent``:
    "expect an increase; buy ahead"."""

    kind: Literal["index_rise"]
    percent: float = Field(5.0, gt=0)
    flat_percent: float = Field(2.0, ge=0)
    severity: Severity = "warning"


class IndexFallRule(_IndexRule):
    """The index fell ``percent`` while the suppliers stay within ``flat_percent``: "ask for a better price"."""

    kind: Literal["index_fall"]
    percent: float = Field(5.0, gt=0)
    flat_percent: float = Field(2.0, ge=0)
    severity: Severity = "info"


class AboveIndexRule(_IndexRule):
    """A supplier rose ``percent`` or more, half again as much as its index or more, and now costs
    ``gap_points`` percent more against its index than at the start of the span: "this rise is not
    the market"."""

    kind: Literal["above_index"]
    percent: float = Field(10.0, gt=0)
    gap_points: float = Field(8.0, gt=0)
    severity: Severity = "warning"


Rule = Annotated[
    Union[ThresholdRule, ChangeRule, VolatilityRule, TrendRule, ExtremeRule, StockRule, CheapestRule, StaleRule, ExtractionRule,
          IndexRiseRule, IndexFallRule, AboveIndexRule],
    Field(discriminator="kind"),
]
RULE_KINDS = ("threshold", "change", "volatility", "trend", "extreme", "stock", "cheapest", "stale", "extraction",
              "index_rise", "index_fall", "above_index")
INDEX_RULE_KINDS = ("index_rise", "index_fall", "above_index")
DEFAULT_INDEX_RULES: tuple[Rule, ...] = (
    IndexRiseRule(kind="index_rise"), IndexFallRule(kind="index_fall"), AboveIndexRule(kind="above_index"),
)

DEFAULT_RULES: tuple[Rule, ...] = (
    ChangeRule(kind="change", percent=10, baseline="median_30d", critical_percent=25),
    TrendRule(kind="trend", percent=12, days=120),
    StaleRule(kind="stale", days=7),
    StockRule(kind="stock"),
)
