"""``extraction``: too few of a supplier's pages gave a price in a run. It holds back that
supplier's price alerts until its pages give prices again (a redesign is not a price move)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterator, Literal

from pydantic import Field

from .base import Context, Finding, RuleKind, Scope, Severity, Target


@dataclass(frozen=True)
class SupplierView:
    """How one supplier's pages did in a run."""

    target: Target
    pages: int
    priced: int  # pages that gave a price (valid or held as suspect)


class ExtractionRule(RuleKind):
    """Supplier-level: fires when fewer than ``min_valid_share`` of a supplier's pages gave a price
    in a run, and holds back that supplier's price alerts until it recovers."""

    kind: Literal["extraction"]
    alert_name: ClassVar[str] = "pages without a price"
    min_valid_share: float = Field(0.5, gt=0, le=1)
    severity: Severity = Severity.WARNING

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.SUPPLIER})
    directions: ClassVar[tuple[str, ...]] = ("broken",)
    identity_fields: ClassVar[tuple[str, ...]] = ()

    def describe(self) -> str:
        return f"extraction: under {self.min_valid_share:.0%} of pages priced"

    def holds_back(self, view: SupplierView) -> bool:
        return view.pages > 0 and view.priced / view.pages < self.min_valid_share

    def evaluate(self, view: SupplierView, context: Context) -> Iterator[Finding]:
        if not view.pages:
            return
        holds = self.holds_back(view)
        name = view.target.label
        if not holds:
            message = f"{name}: its pages give prices again ({view.priced} of {view.pages})"
        elif view.priced == 0:
            pages = "its page gave no price" if view.pages == 1 else f"none of its {view.pages} pages gave a price"
            message = f"{name}: {pages} tonight; its price alerts wait until it recovers"
        else:
            message = f"{name}: only {view.priced} of its {view.pages} pages gave a price tonight; its price alerts wait until it recovers"
        yield Finding(self, view.target, "broken", holds, self.severity, message, view.priced / view.pages, self.min_valid_share)
