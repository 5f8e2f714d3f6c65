"""``cheapest``: which supplier is cheapest for a material changed, or (``spread_percent``) the
dearest valid offer costs that much more than the cheapest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Literal

from pydantic import Field

from . import detectors
from .base import Context, Finding, OfferView, RuleKind, Scope, Severity, Target, days_between


@dataclass
class MaterialView:
    """A material's offers side by side, as the cheapest rule compares them."""

    target: Target
    name: str
    unit: str
    currency: str
    offers: list[OfferView] = field(default_factory=list)


class CheapestRule(RuleKind):
    """Fires when the cheapest supplier of a material changes, or (``spread_percent``) when the
    dearest valid offer costs that much more than the cheapest."""

    kind: Literal["cheapest"]
    alert_name: ClassVar[str] = "cheapest supplier"
    spread_percent: float | None = Field(None, gt=0)
    severity: Severity = Severity.INFO

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.MATERIAL})
    directions: ClassVar[tuple[str, ...]] = ("cheapest", "spread")
    tells_resolution: ClassVar[bool] = False  # the old cheapest supplier losing its place is not news of its own

    def identity(self, direction: str, unit: str | None = None, currency: str | None = None) -> str:
        if self.id:
            return f"id={self.id}"
        if direction != "spread":
            return ""
        return f"spread_percent={self.spread_percent:g}" if self.spread_percent is not None else "spread none"

    def describe(self) -> str:
        return "cheapest supplier" + (f" / spread {self.spread_percent:g}%" if self.spread_percent else "")

    def evaluate(self, view: MaterialView, context: Context) -> Iterator[Finding]:
        fresh = [o for o in view.offers if o.latest and o.latest.in_stock != 0 and days_between(o.latest.fetched_at, context.as_of) <= 7]
        if len(fresh) < 2:
            return
        fresh.sort(key=lambda o: o.latest.unit_price)  # type: ignore[union-attr]
        best, dearest = fresh[0], fresh[-1]
        assert best.latest is not None and dearest.latest is not None
        fmt, unit = context.fmt, view.unit
        runner_up = fresh[1]
        assert runner_up.latest is not None
        for offer in view.offers:
            if offer.latest is None:
                continue
            message = (f"{offer.supplier_name} is now the cheapest for {view.name}: {fmt.price(best.latest.unit_price, unit)}"
                       f" (next: {runner_up.supplier_name} at {fmt.price(runner_up.latest.unit_price, unit)})")
            yield Finding(self, offer.target, "cheapest", offer is best, self.severity, message, offer.latest.unit_price,
                          observation_id=offer.latest.id, observed_at=offer.latest.fetched_at, unit=unit, currency=view.currency)
        if self.spread_percent:
            spread = detectors.percent_change(dearest.latest.unit_price, best.latest.unit_price)
            holds = detectors.band(spread, self.spread_percent, 2.0)
            message = (f"{view.name}: {dearest.supplier_name} charges {spread:.0f}% more than {best.supplier_name} "
                       f"({fmt.price(dearest.latest.unit_price, unit)} vs {fmt.price(best.latest.unit_price, unit)})")
            yield Finding(self, view.target, "spread", holds, self.severity, message, spread, self.spread_percent,
                          unit=unit, currency=view.currency)
