"""Notify: where a judgement is told. The owner's words (pushes and digests) and the outbox that
delivers them through Apprise."""

from .compose import DIGEST, PHONE, DigestContext, Message, Problem, compose, digest, is_push, link_maker, lock_screen, pushes
from .outbox import REPORT_AFTER_ATTEMPTS, deliver_pending, queue, send, sender_for, undelivered, waiting

__all__ = [
    "DIGEST", "PHONE", "REPORT_AFTER_ATTEMPTS", "DigestContext", "Message", "Problem", "compose", "digest", "deliver_pending", "is_push", "link_maker", "lock_screen",
    "pushes", "queue", "send", "sender_for", "undelivered", "waiting",
]
