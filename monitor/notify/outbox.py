"""The notification outbox: every message is stored first, then delivered through Apprise.

A message that fails stays in the outbox and is tried again on the next run; a delivered one
is never sent again.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import apprise
import sqlite_utils

from ..config import Config
from ..store import now_iso

REPORT_AFTER_ATTEMPTS = 2  # a message that failed this often is mentioned in the next digest


def queue(db: sqlite_utils.Database, run_id: int | None, messages: list[dict[str, Any]]) -> None:
    with db.conn:
        for m in messages:
            db["notifications"].insert({**m, "alert_ids": json.dumps(m["alert_ids"]), "run_id": run_id, "created_at": now_iso()})


def sender_for(config: Config) -> tuple[apprise.Apprise, set[str]]:
    """An Apprise object with the config's URLs, and the tags they carry."""
    sender = apprise.Apprise()
    tags: set[str] = set()
    for i, target in enumerate(config.notify.urls):
        if not sender.add(target.url, tag=target.tags or None):
            raise ValueError(f"notify.urls[{i}].url: Apprise does not understand this URL")
        tags.update(target.tags)
    return sender, tags


def send(sender: apprise.Apprise, tags: set[str], tag: str, title: str, body: str) -> tuple[bool, str]:
    """Send one message; a tag no URL carries goes to every URL rather than nowhere."""
    result = sender.notify(body=body, title=title, tag=tag if tag in tags else apprise.common.MATCH_ALL_TAG)
    if result:
        return True, ""
    failed = [f"{r.name}: {r.status.name}" for r in result.results if not r]
    return False, f"{result.status.name}: " + ("; ".join(failed) or "no service accepted the message")


def deliver_pending(db: sqlite_utils.Database, config: Config, echo: Callable[[str], None] = print) -> tuple[int, int]:
    """Try every undelivered message, oldest first. Returns (delivered, still queued)."""
    pending = list(db.query("SELECT * FROM notifications WHERE delivered_at IS NULL ORDER BY id"))
    if not pending:
        return 0, 0
    delivered = failed = 0
    sender, tags = sender_for(config) if config.notify.urls else (None, set())
    for message in pending:
        if sender is None:
            echo(f"--- {message['title']} [{message['tag']}] ---\n{message['body']}")
            ok, error, where = True, "", "stdout"
        else:
            ok, error = send(sender, tags, message["tag"], message["title"], message["body"])
            where = "apprise"
        with db.conn:
            update = {"attempts": message["attempts"] + 1, "last_error": error or None}
            if ok:
                update.update(delivered_at=now_iso(), delivered_to=where)
            db["notifications"].update(message["id"], update)
        delivered += ok
        failed += not ok
    return delivered, failed


def undelivered(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Messages that keep failing, for the digest and `supplywatch status`."""
    return list(db.query("SELECT * FROM notifications WHERE delivered_at IS NULL AND attempts >= ? ORDER BY id", [REPORT_AFTER_ATTEMPTS]))
