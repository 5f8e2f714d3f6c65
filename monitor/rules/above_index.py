"""``above_index``: a supplier rose ``percent`` or more, half again as much as the material's index or
more, and now costs ``gap_points`` percent more against the index than at the start of the span:
"this rise is not the market"."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import Scope, Severity
from .indexed import IndexRule


class AboveIndexRule(IndexRule):
    """A supplier rose far more than its index (judged per offer of the material)."""

    kind: Literal["above_index"]
    alert_name: ClassVar[str] = "rise above its index"
    percent: float = Field(10.0, gt=0)
    gap_points: float = Field(8.0, gt=0)
    severity: Severity = Severity.WARNING

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.MATERIAL})
    directions: ClassVar[tuple[str, ...]] = ("above",)
    identity_fields: ClassVar[tuple[str, ...]] = ("percent", "gap_points", "months")

    def describe(self) -> str:
        return f"supplier up {self.percent:g}%, {self.gap_points:g} points above its index"
