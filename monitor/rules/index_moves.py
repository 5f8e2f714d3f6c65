"""``index_rise`` and ``index_fall``: the material's index moved ``percent`` one way while every
supplier moved less than ``flat_percent`` that way. Risen: "expect an increase; buy ahead"; fallen:
"ask for a better price". One rule read in either direction; two kinds, so the owner tunes and
silences each on its own."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import Severity
from .indexed import IndexRule


class IndexMoveRule(IndexRule):
    """The index moved ``percent`` one way while the suppliers moved less than ``flat_percent`` that way."""

    percent: float = Field(5.0, gt=0)
    flat_percent: float = Field(2.0, ge=0)

    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "months")
    sign: ClassVar[int]  # +1 for a rise, -1 for a fall: moves are read as ``sign * percent``

    def describe(self) -> str:
        return f"index {self.directions[0]} {self.percent:g}% in {self.months} months, suppliers flat"


class IndexRiseRule(IndexMoveRule):
    """The index rose ``percent`` while every supplier moved less than ``flat_percent``."""

    kind: Literal["index_rise"]
    severity: Severity = Severity.WARNING

    directions: ClassVar[tuple[str, ...]] = ("up",)
    sign: ClassVar[int] = 1


class IndexFallRule(IndexMoveRule):
    """The index fell ``percent`` while the suppliers stay within ``flat_percent``."""

    kind: Literal["index_fall"]
    severity: Severity = Severity.INFO

    directions: ClassVar[tuple[str, ...]] = ("down",)
    sign: ClassVar[int] = -1
