"""``quote``: an open quote lost its margin at tonight's costs. Built in, not written by the owner:
judged by :mod:`monitor.decisions.quotes` for every open quote."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import RuleKind, Scope, Severity


class QuoteMarginRule(RuleKind):
    """An open quote whose margin fell under what it was given at."""

    kind: Literal["quote"]
    alert_name: ClassVar[str] = "quote margin"
    severity: Severity = Severity.WARNING

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.QUOTE})
    directions: ClassVar[tuple[str, ...]] = ("lost",)
    judged_here: ClassVar[bool] = False

    def describe(self) -> str:
        return "quote margin"
