"""``stock``: an offer went out of stock; resolves when it is back."""

from __future__ import annotations

from typing import ClassVar, Iterator, Literal

from .base import Context, Finding, OfferView, RuleKind, Scope, Severity


class StockRule(RuleKind):
    """Fires when an offer goes out of stock; resolves when it is back."""

    kind: Literal["stock"]
    alert_name: ClassVar[str] = "out of stock"
    severity: Severity = Severity.WARNING

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER})
    directions: ClassVar[tuple[str, ...]] = ("out",)

    def describe(self) -> str:
        return "stock"

    def evaluate(self, view: OfferView, context: Context) -> Iterator[Finding]:
        latest = view.latest
        if latest is None or latest.in_stock is None:
            return
        holds = latest.in_stock == 0
        message = (f"{view.label} is out of stock" if holds
                   else f"{view.label} is back in stock at {context.fmt.price(latest.unit_price, view.unit)}")
        yield Finding(self, view.target, "out", holds, self.severity, message, latest.unit_price,
                      observation_id=latest.id, observed_at=latest.fetched_at, unit=view.unit, currency=view.currency)
