"""A Datasette plugin that guards ``supplywatch serve``: it answers only requests that name the host it
serves, and keeps every SQL value small.

DNS rebinding: a web page the owner opens can point its own host name at 127.0.0.1 and then read the
password-less local Datasette through the owner's browser. Such requests still name the page's host,
so without a password only the served names (127.0.0.1, localhost, ::1, the host of ``notify.base_url``)
are answered. With a password (any other address) the login protects it and every name is answered.

Datasette runs any SQL it is given, and one ``select zeroblob(900000000)`` grew it to 23 GB: SQLite's
SQLITE_LIMIT_LENGTH on each of its connections refuses any string or blob above ``VALUE_LIMIT``.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Awaitable, Callable

from datasette.hookspecs import hookimpl

NAME = "supplywatch-guard"
VALUE_LIMIT = 1_000_000  # bytes: far above any value the store keeps (raw text is capped at 500 characters)

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def host_name(header: str) -> str:
    """``Example.COM:8001`` -> ``example.com``; ``[::1]:8001`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_LIMIT)


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    hosts = (datasette.plugin_config(NAME) or {}).get("hosts")

    def wrap(app: ASGIApp) -> ASGIApp:
        if hosts is None:  # served with a password: the login guards it
            return app
        allowed = {host_name(h) for h in hosts}

        async def guarded(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
                if host_name(header) not in allowed:
                    text = (f"This supplywatch answers only to {', '.join(sorted(allowed))}, not to {header or 'a request without a host'}: "
                            "a page on another site may be trying to read your prices through your browser.\n")
                    await send({"type": "http.response.start", "status": 403,
                                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                    await send({"type": "http.response.body", "body": text.encode()})
                    return
            await app(scope, receive, send)

        return guarded

    return wrap
