"""What the owner is told: one push per critical alert, one digest of everything else in a run.

Critical alerts go at once to the ``phone`` tag; everything else of a run goes into one digest
for the ``digest`` tag. Each message says which transitions it carries, so the event log can
point at the notification that told each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable
from urllib.parse import quote

from .. import display, safe_text
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
    label: str | None = None  # "Black walnut 8/4 at Holz Berger": the offer as the owner reads it

    def words(self) -> str:
        """"Walnut at Corner Shop: the page is gone (404 Not Found) ...": the offer by name, then why."""
        return f"{self.label or self.offer_id}: {display.no_price(self.status, self.error)}"


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
    typed: list[Problem] = field(default_factory=list)  # prices the owner typed (add-price) and the run held back: not a page's fault


def link_maker(base_url: str | None, database_name: str) -> Callable[[Alert], str | None]:
    """Links into `supplywatch serve` for a material's prices, when the config says where it runs."""
    if not base_url:
        return lambda alert: None
    base = base_url.rstrip("/")

    def link(alert: Alert) -> str:
        if alert.product_id:
            return f"{base}/product/{quote(alert.product_id)}"
        if alert.material_id:
            return f"{base}/material/{quote(alert.material_id)}"
        return f"{base}/{database_name}/run_log"

    return link


def _price(t: Transition, value: float | None) -> str:
    return display.unit_price(value, t.currency or "USD", t.unit) if t.unit and t.unit not in ("%", "days") else f"{value or 0:g}"


def headline(t: Transition) -> str:
    """What happened, in words, for a phone's lock screen ("Walnut 8/4 at Holz Berger above $22.00/bd ft"):
    read from the transition's kind, direction, values, unit and currency, never from its message."""
    a, label, value, ref = t.alert, t.alert.label or "supplywatch", t.value, t.reference
    now = "now " if t.event == Event.ESCALATED else ""
    subject = _subject(a, label)
    if a.kind == "threshold" and ref is not None:
        word = "further " + a.direction if t.event == Event.ESCALATED else a.direction
        return f"{subject} {word} {_price(t, ref)}" + (f": {_price(t, value)}" if t.event == Event.ESCALATED else "")
    if a.kind in ("change", "trend", "volatility") and value and ref:
        moved = abs(value / ref - 1) * 100
        return f"{subject} {a.direction} {moved:.0f}% to {now}{_price(t, value)}"
    if a.kind == "runup" and value and ref:
        return runup_title(t)
    if a.kind == "extreme" and value is not None:
        return f"{label} at a new {'high' if a.direction == 'high' else 'low'}: {_price(t, value)}"
    if a.kind == "margin" and value is not None:
        return f"{label}: margin {'further ' if now else ''}down to {display.percent(value)}" + (f", target {ref:g}%" if ref is not None else "")
    if a.kind == "stock":
        return f"{label} is out of stock"
    if a.kind == "stale" and value is not None:
        return f"{label}: no valid price for {value:.0f} days"
    if a.kind == "cheapest" and a.direction == "cheapest":
        return f"Cheapest now: {label}, {_price(t, value)}"
    if a.kind == "cheapest" and value is not None:
        return f"{label}: suppliers {value:.0f}% apart"
    if a.kind == "extraction":
        return f"{label}: its pages give no prices" if not value else f"{label}: only {value * 100:.0f}% of its pages give a price"
    if a.kind == "reorder" and value is not None:
        return f"{label}: order now, {value:.0f} days of stock left"
    if a.kind == "quote" and value is not None:
        return f"{label}: margin {'further ' if now else ''}down to {display.percent(value)}" + (f" ({display.percent(ref)} when given)" if ref is not None else "")
    if a.kind in ("index_rise", "index_fall"):
        return f"{label}: its price index is {'rising' if a.direction == 'up' else 'falling'}"
    if a.kind == "above_index":
        return f"{label}: rising far more than its index"
    return label


def _subject(a: Alert, label: str | None) -> str:
    """What a title is about: a product's number is its cost, not its selling price ("Side table cost")."""
    return f"{label} cost" if a.product_id else str(label)


def runup_title(t: Transition) -> str:
    """"Walnut at Acme Lumber up 22% since 26 Feb: $12.20/bd ft"; a product's "Side table cost
    up 15% since 6 Mar: $230.00 each, mostly Walnut". From the run-up's values, the day its climb
    began (the alert's anchor) and the input behind a product's move."""
    a, value, ref = t.alert, t.value or 0.0, t.reference or 1.0
    up = f"{'now ' if t.event == Event.ESCALATED else ''}up {(value / ref - 1) * 100:.0f}%"
    today = (t.observed_at or a.last_fired or a.anchor_at or "")[:10]
    if a.anchor_at and today:
        up += f" since {display.day_of_year(date.fromisoformat(a.anchor_at[:10]), date.fromisoformat(today))}"
    title = f"{_subject(a, a.label)} {up}: {_price(t, value)}"
    return title + (f", mostly {t.driver}" if t.driver else "")


def lock_screen(t: Transition, link: str | None) -> str:
    """The alert as a phone shows it: what moved, from and to, since when (if not tonight), where to look."""
    lines = [t.message]
    first = t.alert.first_fired or t.alert.first_seen
    if t.event == Event.ESCALATED and first:
        lines.append(f"First told {display.day(first)}.")
    if link:
        lines.append(link)
    return "\n".join(lines)


def _line(t: Transition) -> str:
    mark = {Event.RESOLVED: "RESOLVED", Event.REMINDED: "STILL OPEN", Event.RETIRED: "CLOSED"}.get(t.event, t.severity.value.upper())
    extra = f" (first told {display.day(t.alert.first_fired or t.alert.first_seen)})" if t.event == Event.REMINDED else ""
    return f"[{mark}] {t.message}{extra}"


def pushes(transitions: list[Transition], link: Callable[[Alert], str | None] = lambda alert: None) -> list[Message]:
    """One push to the phone per critical alert the owner is told fired or escalated."""
    return [Message(PHONE, headline(t), lock_screen(t, link(t.alert)), [i], [t.alert.id or 0])
            for i, t in enumerate(transitions) if is_push(t)]


def is_push(t: Transition) -> bool:
    """Whether a transition goes to the phone at once (a critical alert the owner is told fired or escalated)."""
    return t.told and t.event in (Event.FIRED, Event.ESCALATED) and t.severity == Severity.CRITICAL


LISTED = 20  # pages named one by one in a digest: a night when a whole supplier (or 2,000) fails stays readable


def _listed(lines: list[str], total: int, where: str = "") -> list[str]:
    """The first :data:`LISTED` lines of a list, and how many more there are (and where to see them)."""
    if total <= LISTED:
        return lines
    return [*lines, f"  ... and {total - LISTED:,} more" + (f": {where}" if where else "")]


def digest(transitions: list[Transition], context: DigestContext) -> Message | None:
    """One digest of everything told that is not a push, with the night's problems; None if empty."""
    rest = [(i, t) for i, t in enumerate(transitions) if t.told and not is_push(t)]
    sections = [
        ("New alerts:", Event.FIRED), ("Moved further:", Event.ESCALATED), ("Resolved:", Event.RESOLVED),
        ("Closed by a change to the config (not resolved):", Event.RETIRED), ("Still open (weekly reminder):", Event.REMINDED),
    ]
    # A to-do item that says word for word what a new alert in this digest says is told once, as the alert.
    news = {t.message for _, t in rest if t.event in (Event.FIRED, Event.ESCALATED)}
    context = replace(context, to_do=[item for item in context.to_do if item.removeprefix("NOW: ") not in news])
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
        lines += ["Pages without a valid price:"] + _listed(
            [f"  {p.words()}" + (f" ({safe_text.redact_url(p.url)})" if p.url else "") for p in context.problems[:LISTED]],
            len(context.problems), "`supplywatch status` and the page 'Pages that need a look' list them all")
        if any(p.status in ("missing", "ambiguous") for p in context.problems):  # the page changed: the owner points at the price
            lines.append("  To point at the right price: supplywatch probe <the page's address> lists them, with the line to paste")
    if context.typed:
        lines += ["Prices you typed, held back until confirmed (if one is right, type it again):"] + [f"  {p.words()}" for p in context.typed]
    if context.crawl_problems:
        lines += ["Crawling machines (this one or scrapyd nodes), not the suppliers:"] + [f"  {p}" for p in context.crawl_problems]
    if context.not_fetched:
        lines += [f"Not fetched tonight because a crawling machine failed ({len(context.not_fetched)} pages; the suppliers are not to blame):"] + _listed(
            [f"  {p.label or p.offer_id}: {p.error or 'no detail'}" for p in context.not_fetched[:LISTED]], len(context.not_fetched))
    if context.undelivered:
        worst = max(context.undelivered, key=lambda n: n["attempts"])
        lines += [f"{display.count(len(context.undelivered), 'message')} not delivered yet (up to {display.count(worst['attempts'], 'attempt')}; "
                  f"last error: {worst['last_error']})"]
    silenced = sum(t.event == Event.SILENCED for t in transitions)
    if lines and silenced:
        lines.append(f"({display.count(silenced, 'alert change')} not shown: silenced)")
    if not lines:
        return None
    return Message(DIGEST, digest_title(context.run_label, [t for _, t in rest], context), "\n".join(lines), [i for i, _ in rest],
                   sorted({t.alert.id or 0 for _, t in rest}))


def compose(transitions: list[Transition], context: DigestContext) -> list[Message]:
    """A run's messages: one push per critical alert that fired or escalated, one digest of the rest."""
    found = digest(transitions, context)
    return pushes(transitions, context.link) + ([found] if found else [])


def digest_title(night: str, told: list[Transition], context: DigestContext) -> str:
    """"supplywatch, 25 Nov 2026: 2 new alerts, 1 resolved": the night in words and what is in it,
    so two digests (tonight's and one retried from before) never read the same."""
    counts = [(sum(t.event == Event.FIRED for t in told), "new alert", ""), (sum(t.event == Event.ESCALATED for t in told), "alert", " moved further"),
              (sum(t.event == Event.RESOLVED for t in told), "resolved alert", ""),
              (len(context.problems) + len(context.not_fetched), "page", " without a price"),
              (len(context.typed), "typed price", " held back"),
              (sum(t.event == Event.RETIRED for t in told), "alert", " closed by a config change")]
    said = [display.count(n, noun) + rest for n, noun, rest in counts if n]
    if context.to_do:
        said.insert(0, "to do this week")
    if not said:  # nothing new tonight: say what the digest holds instead
        quiet = [(sum(t.event == Event.REMINDED for t in told), "alert", " still open"), (len(context.notes), "note", " about your prices"),
                 (len(context.held_back), "supplier", " with price alerts held back"), (len(context.undelivered), "message", " not delivered yet")]
        said = [display.count(n, noun) + rest for n, noun, rest in quiet if n] or ["crawling machines failed" if context.crawl_problems else "notes"]
    return f"supplywatch, {display.day(night)}: " + ", ".join(said)
