"""What the owner is told: one push per critical alert, one digest of everything else in a run.

Critical alerts go at once to the ``phone`` tag; everything else of a run goes into one digest
for the ``digest`` tag. Each message says which transitions it carries, so the event log can
point at the notification that told each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from .. import safe_text
from ..alerts import Alert, Event, Transition
from ..rules import Severity

PHONE, DIGEST = "phone", "digest"


@dataclass
class Message:
    """One notification as queued: its tag, title and body, and the transitions it tells."""

    tag: str
    title: str
    body: str
    carries: list[int] = field(default_factory=list)  # indexes into the run's transitions
    alert_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """An offer without a valid price tonight, as the digest lists it."""

    offer_id: str
    status: str
    error: str | None
    url: str | None = None


@dataclass
class DigestContext:
    """What a digest needs besides the alerts: problems, notes, links, the outbox's state."""

    run_label: str
    problems: list[Problem] = field(default_factory=list)
    not_fetched: list[Problem] = field(default_factory=list)  # a crawling machine failed, not the supplier
    crawl_problems: list[str] = field(default_factory=list)  # what went wrong with the scrapyd nodes, in words
    held_back: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-off news about the data (a unit or currency re-expressed)
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    link: Callable[[Alert], str | None] = lambda alert: None
    to_do: list[str] = field(default_factory=list)  # "to do this week", when it is worth telling tonight


def link_maker(base_url: str | None, database_name: str) -> Callable[[Alert], str | None]:
    """Links into `supplywatch serve` for a material's prices, when the config says where it runs."""
    if not base_url:
        return lambda alert: None
    base = base_url.rstrip("/")

    def link(alert: Alert) -> str:
        if alert.product_id:
            return f"{base}/-/dashboards/product?product={quote(alert.product_id)}"
        if alert.material_id:
            return f"{base}/-/dashboards/material?material={quote(alert.material_id)}"
        return f"{base}/{database_name}/run_log"

    return link


def lock_screen(t: Transition, link: str | None) -> str:
    """The alert as a phone shows it: what moved, from and to, since when, which rule, where to look."""
    lines = [t.message, f"since {(t.alert.first_seen or '')[:10]} · rule: {t.alert.rule}"]
    if link:
        lines.append(link)
    return "\n".join(lines)


def _line(t: Transition) -> str:
    mark = {Event.RESOLVED: "RESOLVED", Event.REMINDED: "STILL FIRING", Event.RETIRED: "CLOSED"}.get(t.event, t.severity.value.upper())
    extra = f" (since {(t.alert.first_fired or t.alert.first_seen or '')[:10]})" if t.event == Event.REMINDED else ""
    return f"[{mark}] {t.message}{extra}"


def pushes(transitions: list[Transition], link: Callable[[Alert], str | None] = lambda alert: None) -> list[Message]:
    """One push to the phone per critical alert the owner is told fired or escalated."""
    return [Message(PHONE, f"supplywatch: {t.alert.product_id or t.alert.material_id or t.alert.supplier_id or t.alert.kind} {t.alert.direction}",
                    lock_screen(t, link(t.alert)), [i], [t.alert.id or 0])
            for i, t in enumerate(transitions) if is_push(t)]


def is_push(t: Transition) -> bool:
    """Whether a transition goes to the phone at once (a critical alert the owner is told fired or escalated)."""
    return t.told and t.event in (Event.FIRED, Event.ESCALATED) and t.severity == Severity.CRITICAL


def digest(transitions: list[Transition], context: DigestContext) -> Message | None:
    """One digest of everything told that is not a push, with the night's problems; None if empty."""
    rest = [(i, t) for i, t in enumerate(transitions) if t.told and not is_push(t)]
    sections = [
        ("New alerts:", Event.FIRED), ("Moved further:", Event.ESCALATED), ("Resolved:", Event.RESOLVED),
        ("No longer watched (closed, not resolved):", Event.RETIRED), ("Still firing (weekly reminder):", Event.REMINDED),
    ]
    lines: list[str] = []
    if context.to_do:
        lines += ["To do this week:"] + [f"  {item}" for item in context.to_do]
    for title, event in sections:
        items = [t for _, t in rest if t.event == event]
        if items:
            lines += [title] + [f"  {_line(t)}" + (f"\n    {context.link(t.alert)}" if context.link(t.alert) and event != Event.REMINDED else "")
                                for t in items]
    if context.notes:
        lines += ["Notes:"] + [f"  {note}" for note in context.notes]
    if context.held_back:
        lines += ["Held back (the supplier's pages look broken):"] + [f"  {note}" for note in context.held_back]
    if context.problems:
        lines += ["Pages without a valid price:"] + [
            f"  {p.offer_id}: {p.status} - {p.error or 'no detail'}" + (f" ({safe_text.redact_url(p.url)})" if p.url else "") for p in context.problems
        ]
    if context.crawl_problems:
        lines += ["Crawling machines (scrapyd nodes), not the suppliers:"] + [f"  {p}" for p in context.crawl_problems]
    if context.not_fetched:
        lines += [f"Not fetched tonight because a crawling machine failed ({len(context.not_fetched)} pages; the suppliers are not to blame):"] + [
            f"  {p.offer_id}: {p.error or 'no detail'}" for p in context.not_fetched[:20]
        ] + ([f"  ... and {len(context.not_fetched) - 20} more"] if len(context.not_fetched) > 20 else [])
    if context.undelivered:
        worst = max(context.undelivered, key=lambda n: n["attempts"])
        lines += [f"Messages not delivered yet: {len(context.undelivered)} (up to {worst['attempts']} attempts; "
                  f"last error: {worst['last_error']})"]
    silenced = sum(t.event == Event.SILENCED for t in transitions)
    if lines and silenced:
        lines.append(f"({silenced} alert change(s) not shown: silenced)")
    if not lines:
        return None
    return Message(DIGEST, f"supplywatch digest {context.run_label}", "\n".join(lines), [i for i, _ in rest],
                   sorted({t.alert.id or 0 for _, t in rest}))


def compose(transitions: list[Transition], context: DigestContext) -> list[Message]:
    """A run's messages: one push per critical alert that fired or escalated, one digest of the rest."""
    found = digest(transitions, context)
    return pushes(transitions, context.link) + ([found] if found else [])
