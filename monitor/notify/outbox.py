"""The notification outbox: every message is stored first, then delivered through Apprise.

A message is queued in the same transaction as the alert changes it tells, so a crash never
leaves an alert firing that nobody will be told about. A message that fails stays in the outbox
and is tried again on the next run. Delivery is at-least-once: a crash after Apprise sent a
message but before it was marked delivered sends it again on the next run, so every message
ends with its number ("message #12"), the same on both copies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import apprise
import sqlite_utils
from apprise.common import NotifyFormat, NotifyType

from .. import display, safe_text
from ..config import Config
from ..store import now_iso
from .compose import PHONE, Message

REPORT_AFTER_ATTEMPTS = 2  # a message that failed this often is mentioned in the next digest


def queue(db: sqlite_utils.Database, run_id: int | None, messages: list[Message]) -> list[int]:
    """Store messages for delivery (in the caller's transaction); returns their ids."""
    ids = []
    with db.atomic():
        for m in messages:
            row_id = db["notifications"].insert({"tag": m.tag, "title": m.title, "body": m.body, "alert_ids": json.dumps(m.alert_ids),
                                                 "run_id": run_id, "created_at": now_iso()}).last_pk
            # The number lets the owner recognise a copy sent twice after a crash (at-least-once).
            db.execute("UPDATE notifications SET body = body || ? WHERE id = ?", [f"\n(message #{row_id})", row_id])
            ids.append(int(row_id or 0))
    return ids


# Services that render markdown and mentions in whatever they are sent, plain text included: the
# text is escaped for them. (Services whose plain text Apprise turns into HTML or markdown, such as
# Telegram, HTML e-mail, Slack or Rocket.Chat, get it escaped by Apprise; mentions are still ours.)
RENDERS_MARKDOWN_ANYWAY = {"NotifyDiscord", "NotifyMattermost", "NotifyGuilded"}


@dataclass
class Group:
    """Services that get the same text: as written, escaped for markdown, or without mentions."""

    prepare: Callable[[str], str]
    apprise: apprise.Apprise = field(default_factory=apprise.Apprise)
    tags: set[str] = field(default_factory=set)


@dataclass
class Sender:
    """The config's notification URLs, grouped by how their service shows plain text."""

    groups: dict[str, Group] = field(default_factory=lambda: {
        "plain": Group(lambda text: text), "markdown": Group(safe_text.for_markdown), "mentions": Group(safe_text.without_mentions)})

    def add(self, url: str, tags: list[str]) -> bool:
        service = apprise.Apprise.instantiate(url, tag=tags or None)
        if not service:
            return False
        if type(service).__name__ in RENDERS_MARKDOWN_ANYWAY:
            group = self.groups["markdown"]
        elif service.resolve_format(NotifyFormat.TEXT) == NotifyFormat.MARKDOWN:
            group = self.groups["mentions"]
        else:
            group = self.groups["plain"]
        group.apprise.add(service)
        group.tags.update(tags)
        return True


def sender_for(config: Config) -> tuple[Sender, set[str]]:
    """A Sender with the config's URLs, and the tags they carry."""
    sender = Sender()
    tags: set[str] = set()
    for i, target in enumerate(config.notify.urls):
        if not sender.add(target.url, target.tags):
            raise ValueError(f"notify.urls[{i}].url: Apprise does not understand this URL")
        tags.update(target.tags)
    return sender, tags


def send(sender: Sender, tags: set[str], tag: str, title: str, body: str, notify_type: NotifyType = NotifyType.INFO) -> tuple[bool, str]:
    """Send one message as plain text (``body_format`` TEXT: supplier text never becomes HTML or
    markdown, and an e-mail keeps its line breaks); a tag no URL carries goes to every URL rather
    than nowhere. On failure the reason is what Apprise said (its warnings, without secrets), so
    `status` can show why, not just "FAILURE"."""
    title, body = safe_text.one_line(title), safe_text.for_terminal(body)
    ok, failed = True, []
    for group in sender.groups.values():
        if not len(group.apprise) or (tag in tags and tag not in group.tags):
            continue
        with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as said:
            result = group.apprise.notify(body=group.prepare(body), title=group.prepare(title), body_format=NotifyFormat.TEXT, notify_type=notify_type,
                                          tag=tag if tag in tags else apprise.common.MATCH_ALL_TAG)
        if not result:
            ok = False
            services = ", ".join(dict.fromkeys(r.name for r in result.results if not r)) or "no service"
            reasons = [safe_text.redact(line.strip()) for line in said.getvalue().splitlines() if line.strip()]
            failed.append(f"{services} not delivered: " + ("; ".join(dict.fromkeys(reasons)) or "no service accepted the message"))
    return ok, "; ".join(failed)


def deliver_pending(db: sqlite_utils.Database, config: Config, echo: Callable[[str], None] = print,
                    only: list[int] | None = None, skip: set[int] | frozenset[int] = frozenset()) -> tuple[int, int]:
    """Try every undelivered message (or those of ``only``, never those of ``skip``), oldest first.
    Returns (delivered, still queued)."""
    pending = [m for m in db.query("SELECT * FROM notifications WHERE delivered_at IS NULL ORDER BY id")
               if (only is None or m["id"] in only) and m["id"] not in skip]
    if not pending:
        return 0, 0
    delivered = failed = 0
    sender, tags = sender_for(config) if config.notify.urls else (None, set())
    for message in pending:
        title = message["title"]
        if message["attempts"]:  # a retry beside tonight's messages: it says it is late, and from when
            title += f" (sent late, written {display.day(message['created_at'])} {message['created_at'][11:16]} UTC)"
        if sender is None:
            heading = f"For your phone: {title}" if message["tag"] == PHONE else title
            echo(safe_text.for_terminal(f"--- {heading} ---\n{message['body']}"))
            ok, error, where = True, "", "stdout"
        else:
            ok, error = send(sender, tags, message["tag"], title, message["body"], kind_of(db, message))
            where = "apprise"
        with db.atomic():
            update = {"attempts": message["attempts"] + 1, "last_error": error or None}
            if ok:
                update.update(delivered_at=now_iso(), delivered_to=where)
            db["notifications"].update(message["id"], update)
        delivered += ok
        failed += not ok
    return delivered, failed


def waiting(db: sqlite_utils.Database) -> list[int]:
    """The ids of every message not delivered yet, oldest first."""
    return [row[0] for row in db.execute("SELECT id FROM notifications WHERE delivered_at IS NULL ORDER BY id")]


def undelivered(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Messages that keep failing, for the digest and `supplywatch status`."""
    return list(db.query("SELECT * FROM notifications WHERE delivered_at IS NULL AND attempts >= ? ORDER BY id", [REPORT_AFTER_ATTEMPTS]))


def kind_of(db: sqlite_utils.Database, message: dict[str, Any]) -> NotifyType:
    """Apprise's notification type, so a phone can treat them apart: a critical push is a *failure*,
    a digest with a new or worse warning a *warning*, any other digest *info*. Read from the
    severities of the events the message carries, never from its text."""
    if message["tag"] == PHONE:
        return NotifyType.FAILURE
    worst = db.execute("SELECT max(CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) FROM alert_events "
                       "WHERE notification_id = ? AND event IN ('fired', 'escalated')", [message["id"]]).fetchone()[0]
    return NotifyType.WARNING if worst else NotifyType.INFO
