"""``index_rise``: the material's index rose ``percent`` while every supplier moved less than
``flat_percent``: "expect an increase; buy ahead"."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import Severity
from .indexed import IndexRule


class IndexRiseRule(IndexRule):
    """The index rose ``percent`` while every supplier moved less than ``flat_percent``."""

    kind: Literal["index_rise"]
    percent: float = Field(5.0, gt=0)
    flat_percent: float = Field(2.0, ge=0)
    severity: Severity = Severity.WARNING

    directions: ClassVar[tuple[str, ...]] = ("up",)
    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "months")

    def describe(self) -> str:
        return f"index up {self.percent:g}% in {self.months} months, suppliers flat"
