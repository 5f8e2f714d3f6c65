"""``margin``: a product's margin at tonight's cost fell below the owner's target. Escalates when it
falls a further ``escalate_points`` percentage points; resolves once back above the target."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Iterator, Literal

from pydantic import Field

from .. import display
from . import detectors
from .base import Context, Finding, RuleKind, Scope, Severity, fingerprint

if TYPE_CHECKING:
    from .products import ProductView


class MarginRule(RuleKind):
    """Fires when the margin at tonight's cost is below the product's ``target_margin``."""

    kind: Literal["margin"]
    target: float | None = Field(None, gt=0, lt=100, description="percent of the selling price; default the product's target_margin")
    severity: Severity = Severity.CRITICAL
    hysteresis_points: float = Field(1.0, ge=0, le=50, description="margin points above the target before the alert resolves")
    escalate_points: float = Field(5.0, gt=0, description="margin points further below the target before telling again")

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.PRODUCT})
    directions: ClassVar[tuple[str, ...]] = ("below",)

    identity_fields: ClassVar[tuple[str, ...]] = ("target",)

    @property
    def escalate_step(self) -> float | None:
        return self.escalate_points

    def describe(self) -> str:
        return "margin below target"

    def evaluate(self, view: "ProductView", context: Context) -> Iterator[Finding]:
        product, cost = view.product, view.cost
        margin, target = cost.margin_percent if cost else None, self.target or product.target_margin
        if cost is None or margin is None or target is None or product.price is None:
            return
        holds = detectors.band(target - margin, 1e-9, self.hysteresis_points)
        fmt, unit = context.fmt, view.unit
        if holds:
            why = view.explain("up") or view.recipe_words()  # an edited recipe is said as such, with or without a price move
            told = context.firing(fingerprint(self, view.target, "below", "%", view.currency))
            fallen = ""
            if told is not None and told.told and told.notified_value is not None and told.notified_value - margin >= 0.05:
                # Each time it gets worse, how far it has fallen since the owner was last told.
                fallen = f", down {told.notified_value - margin:.1f} points since you were told ({told.notified_value:.1f}%)"
            message = (f"{product.name}: margin {display.percent(margin)}{fallen}, below your target of {target:g}%: reprice now. "
                       f"Cost {fmt.price(cost.unit_cost, unit)}, sells at {fmt.price(product.price, unit)}" + (f"; {why}" if why else ""))
        else:
            message = f"{product.name}: margin back to {display.percent(margin)} (target {target:g}%), cost {fmt.price(cost.unit_cost, unit)}"
        latest = view.latest
        yield Finding(self, view.target, "below", holds, self.severity, message, margin, target, target - margin,
                      observation_id=latest.id if latest else None, observed_at=cost.as_of, unit="%", currency=view.currency)
