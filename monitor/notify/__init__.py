"""Notify: where a judgement is told. The owner's words (pushes and digests) and the outbox that
delivers them through Apprise."""

from .compose import DIGEST, PHONE, DigestContext, compose, link_maker, lock_screen
from .outbox import REPORT_AFTER_ATTEMPTS, deliver_pending, queue, send, sender_for, undelivered

__all__ = [
    "DIGEST", "PHONE", "REPORT_AFTER_ATTEMPTS", "DigestContext", "compose", "deliver_pending", "link_maker", "lock_screen",
    "queue", "send", "sender_for", "undelivered",
]
