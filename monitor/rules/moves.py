"""What the rules on a price *move* share (change, trend, volatility): up and down against a
reference, escalation by a further percent move, and resolution only when the price comes back
toward where it was before the move, never because the reference caught up with it."""

from __future__ import annotations

import math
from typing import ClassVar, Iterator

from pydantic import Field

from .. import display
from . import detectors
from .base import Context, Finding, RuleKind, Scope, SeriesView, Severity, fingerprint, log_percent

WORDS = {"up": ("up", "rise"), "down": ("down", "fall")}


class MoveRule(RuleKind):
    """A move of the latest value against a reference, in either direction."""

    confirm: int = Field(2, ge=1, le=10)
    hysteresis_percent: float = Field(2.0, ge=0, le=50)
    escalate_percent: float = Field(10.0, gt=0)

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER, Scope.PRODUCT})
    directions: ClassVar[tuple[str, ...]] = ("up", "down")
    opposites: ClassVar[dict[str, str]] = {"up": "down", "down": "up"}
    anchored: ClassVar[bool] = True

    # ---- what a kind defines ---------------------------------------------------------------

    def reference(self, view: SeriesView) -> tuple[float, str] | None:
        """The value the latest one is compared with, and how it reads ("its 30-day median")."""
        raise NotImplementedError

    def strength(self, view: SeriesView, value: float, reference: float) -> float:
        """How big a move from ``reference`` to ``value`` is, in the rule's level's terms (signed)."""
        return detectors.percent_change(value, reference)

    @property
    def level(self) -> float:
        raise NotImplementedError

    @property
    def band(self) -> float:
        return self.hysteresis_percent

    def before(self, view: SeriesView, reference: float, sign: int) -> tuple[float, str | None]:
        """Where the value was before the move: the newest earlier value that was not part of it."""
        for point in reversed(view.history[:-1]):
            if sign * self.strength(view, point.unit_price, reference) < self.level - self.band:
                return point.unit_price, point.fetched_at
        return reference, None

    def severity_for(self, moved_percent: float) -> Severity:
        return self.severity

    def detail(self, view: SeriesView, value: float, reference: float) -> str | None:
        """More about a move, for the message (a volatility rule says how unusual it is)."""
        return None

    # ---- shared behaviour ------------------------------------------------------------------

    @property
    def escalate_step(self) -> float | None:
        return self.escalate_percent

    def further(self, told: float, now: float) -> float:
        """Percent further in the alert's direction since the owner was told (measures are logs)."""
        return (math.exp((now - told) / 100) - 1) * 100

    def evaluate(self, view: SeriesView, context: Context) -> Iterator[Finding]:
        latest = view.latest
        found = self.reference(view) if latest is not None else None
        if latest is None or found is None or not found[0]:
            return
        reference, what = found
        fmt, unit = context.fmt, view.unit
        fingerprints = {d: fingerprint(self, view.target, d, unit, view.currency) for d in self.directions}
        alerts = {d: context.firing(fp) for d, fp in fingerprints.items()}
        now = fmt.price(latest.unit_price, unit)
        for direction, sign in (("up", 1), ("down", -1)):
            alert = alerts[direction]
            if alert is not None and alert.anchor:  # on tonight's terms: a product's recipe may have changed since
                anchor, anchor_at = view.restated(alert.anchor, alert.anchor_at), alert.anchor_at
            else:
                anchor, anchor_at = self.before(view, reference, sign)
            moved = sign * self.strength(view, latest.unit_price, reference)
            holds = detectors.band(moved, self.level, self.band)
            if alert is not None and holds is not True:
                # Firing: over only once the value is back near where it was before the move.
                holds = False if sign * self.strength(view, latest.unit_price, anchor) < self.level - self.band else None
            word, noun = WORDS[direction]
            was = fmt.price(anchor, unit) + (f" on {display.day(anchor_at)}" if anchor_at else "")
            if holds:
                percent = sign * detectors.percent_change(latest.unit_price, reference)
                if alert is not None and alert.anchor:
                    # Told before: lead with the whole move since before it, so that worse news never
                    # reads smaller because the reference has caught up part of the way.
                    total = sign * detectors.percent_change(latest.unit_price, anchor)
                    side = "above" if direction == "up" else "below"
                    message = f"{view.subject} {word} {total:.1f}% since {was}: now {now}, {percent:.1f}% {side} {what} ({fmt.price(reference, unit)})"
                else:
                    message = f"{view.subject} {word} {percent:.1f}% against {what} ({fmt.price(reference, unit)}): now {now}, was {was}"
                more = self.detail(view, latest.unit_price, reference)
                if more:
                    message += f"; {more}"
                why = view.explain(direction)
                if why:
                    message += f"; {why}"
            elif holds is None and alert is not None and alert.anchor:
                # Still firing, in between: the alert's words must not read as if it were over.
                total = sign * detectors.percent_change(latest.unit_price, alert.anchor)
                message = f"{view.subject} still {word} {total:.1f}% since {was}: now {now}"
            else:
                # Over: back near where it was, or past it (a rise that ended in a fall says so, never "near").
                past = sign * detectors.percent_change(latest.unit_price, anchor) < -self.hysteresis_percent
                where = ("below" if direction == "up" else "above") if past else "near"
                message = f"{view.subject} back to {now}, {where} the {was} before the {noun}"
            closes = None
            other = alerts[self.opposites[direction]]
            if holds and other is not None:  # this move, once it fires, ends the opposite one
                _, other_noun = WORDS[other.direction]
                closes = f"{view.subject}: the {other_noun} is over, now {now} and {'rising' if direction == 'up' else 'falling'}"
                if other.anchor:
                    closes += f"; it was {fmt.price(other.anchor, unit)}" + (f" on {display.day(other.anchor_at)}" if other.anchor_at else "") + f" before the {other_noun}"
            # How urgent: the size of tonight's move against the reference (a move that took months
            # to build is told by escalations, not pushed as if it had happened overnight).
            severity = self.severity_for(sign * detectors.percent_change(latest.unit_price, reference))
            if direction == "down" and view.target.scope == Scope.PRODUCT:
                severity = Severity.INFO  # a product getting cheaper to make is good news: the digest, never the phone
            yield Finding(self, view.target, direction, holds, severity, message, latest.unit_price, reference,
                          sign * log_percent(latest.unit_price, anchor), anchor, anchor_at, observation_id=latest.id,
                          observed_at=latest.fetched_at, unit=unit, currency=view.currency, closes=closes)
