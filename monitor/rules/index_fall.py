"""``index_fall``: the material's index fell ``percent`` while the suppliers stay within
``flat_percent``: "ask for a better price"."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import Severity
from .indexed import IndexRule


class IndexFallRule(IndexRule):
    """The index fell ``percent`` while the suppliers stay within ``flat_percent``."""

    kind: Literal["index_fall"]
    percent: float = Field(5.0, gt=0)
    flat_percent: float = Field(2.0, ge=0)
    severity: Severity = Severity.INFO

    directions: ClassVar[tuple[str, ...]] = ("down",)
    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "months")

    def describe(self) -> str:
        return f"index down {self.percent:g}% in {self.months} months, suppliers flat"
