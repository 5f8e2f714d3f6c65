"""What the owner is told: one push per critical alert, one digest of everything else in a run.

Critical alerts go at once to the ``phone`` tag; everything else of a run goes into one digest
for the ``digest`` tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from .. import safe_text
from ..alerts import Transition, silences

PHONE, DIGEST = "phone", "digest"


QUIET = {("resolved", "cheapest")}  # the old cheapest supplier losing its place is not news of its own


@dataclass
class DigestContext:
    """What a digest needs besides the alerts: problems, silences, links, the outbox's state."""

    run_label: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    silenced: set[str] = field(default_factory=set)
    held_back: list[str] = field(default_factory=list)
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    link: Callable[[dict[str, Any]], str | None] = lambda alert: None
    to_do: list[str] = field(default_factory=list)  # "to do this week", when it is worth telling tonight


def link_maker(base_url: str | None, database_name: str) -> Callable[[dict[str, Any]], str | None]:
    """Links into `supplywatch serve` for a material's prices, when the config says where it runs."""
    if not base_url:
        return lambda alert: None
    base = base_url.rstrip("/")

    def link(alert: dict[str, Any]) -> str:
        if alert.get("product_id"):
            return f"{base}/-/dashboards/product?product={quote(alert['product_id'])}"
        if alert.get("material_id"):
            return f"{base}/-/dashboards/material?material={quote(alert['material_id'])}"
        return f"{base}/{database_name}/run_log"

    return link


def lock_screen(alert: dict[str, Any], link: str | None) -> str:
    """The alert as a phone shows it: what moved, from and to, since when, which rule, where to look."""
    lines = [alert["message"], f"since {(alert.get('first_seen') or '')[:10]} · rule: {alert['rule']}"]
    if link:
        lines.append(link)
    return "\n".join(lines)


def _line(t: Transition) -> str:
    a = t.alert
    mark = {"resolved": "RESOLVED", "reminder": "STILL FIRING"}.get(t.event, a["severity"].upper())
    extra = f" (since {(a.get('first_fired') or a.get('first_seen') or '')[:10]})" if t.event == "reminder" else ""
    return f"[{mark}] {a['message']}{extra}"


def compose(transitions: list[Transition], context: DigestContext) -> list[dict[str, Any]]:
    """This run's messages: one push per critical alert that fired or escalated, one digest of the rest."""
    told = [t for t in transitions if not silences.is_silenced(t.alert, context.silenced) and (t.event, t.alert["kind"]) not in QUIET]
    pushes = [t for t in told if t.event in ("fired", "escalated") and t.alert["severity"] == "critical"]
    messages = [{"tag": PHONE, "title": f"supplywatch: {t.alert.get('product_id') or t.alert.get('material_id') or t.alert.get('supplier_id') or t.alert['kind']} {t.alert['direction']}",
                 "body": lock_screen(t.alert, context.link(t.alert)), "alert_ids": [t.alert["id"]]} for t in pushes]
    rest = [t for t in told if t not in pushes]
    sections = [
        ("New alerts:", [t for t in rest if t.event == "fired"]),
        ("Moved further:", [t for t in rest if t.event == "escalated"]),
        ("Resolved:", [t for t in rest if t.event == "resolved"]),
        ("Still firing (weekly reminder):", [t for t in rest if t.event == "reminder"]),
    ]
    lines: list[str] = []
    if context.to_do:
        lines += ["To do this week:"] + [f"  {item}" for item in context.to_do]
    for title, items in sections:
        if items:
            lines += [title] + [f"  {_line(t)}" + (f"\n    {context.link(t.alert)}" if context.link(t.alert) and t.event != "reminder" else "") for t in items]
    if context.held_back:
        lines += ["Held back (the supplier's pages look broken):"] + [f"  {note}" for note in context.held_back]
    if context.problems:
        lines += ["Pages without a valid price:"] + [
            f"  {p['offer_id']}: {p['status']} - {p['error'] or 'no detail'}" + (f" ({safe_text.redact_url(p['url'])})" if p.get("url") else "")
            for p in context.problems
        ]
    if context.undelivered:
        worst = max(context.undelivered, key=lambda n: n["attempts"])
        lines += [f"Messages not delivered yet: {len(context.undelivered)} (up to {worst['attempts']} attempts; "
                  f"last error: {worst['last_error']})"]
    silenced = len(transitions) - len([t for t in transitions if not silences.is_silenced(t.alert, context.silenced)])
    if lines and silenced:
        lines.append(f"({silenced} alert change(s) not shown: silenced)")
    if lines:
        messages.append({"tag": DIGEST, "title": f"supplywatch digest {context.run_label}", "body": "\n".join(lines),
                         "alert_ids": [t.alert["id"] for t in rest]})
    return messages


