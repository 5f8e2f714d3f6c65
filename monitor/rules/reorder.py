"""``reorder``: a material's order-by date has come (its stock runs out before a new order arrives).
Built in, not written by the owner: it follows the stock and lead times of ``decisions:`` and is
judged by :mod:`monitor.decisions.nightly`."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import RuleKind, Scope, Severity


class ReorderRule(RuleKind):
    """Critical (the phone) when the order-by date has come."""

    kind: Literal["reorder"]
    alert_name: ClassVar[str] = "reorder date"
    severity: Severity = Severity.CRITICAL

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.MATERIAL})
    directions: ClassVar[tuple[str, ...]] = ("due",)
    judged_here: ClassVar[bool] = False

    def describe(self) -> str:
        return "reorder by the lead time"
