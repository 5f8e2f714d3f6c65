"""``stale``: an offer has had no valid price for ``days`` days, or twice its usual gap."""

from __future__ import annotations

from typing import ClassVar, Iterator, Literal

from pydantic import Field

from . import detectors
from .. import display
from .base import Context, Finding, OfferView, RuleKind, Scope, Severity, days_between


class StaleRule(RuleKind):
    """Fires when an offer has had no valid price for ``days`` days, or twice its usual gap."""

    kind: Literal["stale"]
    alert_name: ClassVar[str] = "no new price"
    days: float = Field(7, gt=0)
    severity: Severity = Severity.WARNING

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER})
    directions: ClassVar[tuple[str, ...]] = ("stale",)
    identity_fields: ClassVar[tuple[str, ...]] = ("days",)
    needs_first_seen: ClassVar[bool] = True

    def describe(self) -> str:
        return f"stale {self.days:g} days"

    def history_days(self) -> float:
        return self.days * 2

    def evaluate(self, view: OfferView, context: Context) -> Iterator[Finding]:
        last_valid = view.latest.fetched_at if view.latest else None
        since = last_valid or view.first_seen
        if since is None:
            return  # never fetched: nothing can be stale
        gap = detectors.usual_gap_days([p.day for p in view.history])
        limit = max(self.days, 2 * gap) if gap else self.days
        age = days_between(since, context.as_of)
        holds = age > limit
        if holds:
            last = f"the last one on {display.day(last_valid)}" if last_valid else "never one yet"
            message = f"{view.label}: no valid price for {age:.0f} days ({last})"
        else:
            latest = view.latest
            message = f"{view.label}: valid prices again" + (f" ({context.fmt.price(latest.unit_price, view.unit)})" if latest else "")
        yield Finding(self, view.target, "stale", holds, self.severity, message, age, limit, unit=view.unit, currency=view.currency)
