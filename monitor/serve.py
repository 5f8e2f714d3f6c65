"""Browse the store in Datasette with this project's metadata, canned queries and dashboards.

Mutable (never ``-i``: the nightly run writes while it serves), on 127.0.0.1 unless told otherwise;
any other address needs a password. Metadata (``datasette/metadata.yml``) and settings
(``datasette/settings.json``) are kept apart, as Datasette 1.0 will want them.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DATASETTE_DIR = Path(__file__).resolve().parent.parent / "datasette"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PASSWORD_ENV = "SUPPLYWATCH_PASSWORD_HASH"
MEMORY_LIMIT = 512 << 20  # bytes of heap Datasette may use, whatever SQL it is asked to run


def settings() -> dict[str, Any]:
    return json.loads((DATASETTE_DIR / "settings.json").read_text(encoding="utf-8"))


def metadata_for(database: Path, password: bool = False, hosts: list[str] | None = None, currency: str | None = None) -> dict[str, Any]:
    """The project's metadata with its database named after the actual file (``prices.db`` -> ``prices``);
    ``hosts``: the only host names answered (see :mod:`monitor.serve_guard`); ``currency``: the
    config's home currency, for the owner pages and the money in queries."""
    text = (DATASETTE_DIR / "metadata.yml").read_text(encoding="utf-8")
    if database.stem != "supplywatch":
        text = text.replace("/supplywatch/", f"/{database.stem}/").replace("db: supplywatch", f"db: {database.stem}")
    metadata = yaml.safe_load(text)
    metadata["databases"][database.stem] = metadata["databases"].pop("supplywatch")
    metadata["plugins"]["supplywatch"] = {"currency": currency} if currency else {}
    _default_choices(database, metadata["plugins"]["datasette-dashboards"])
    if password:
        # Only the owner, logged in at /-/login with the password whose hash is in the environment.
        metadata["allow"] = {"id": "owner"}
        metadata["plugins"]["datasette-auth-passwords"] = {"owner_password_hash": {"$env": PASSWORD_ENV}}
    if hosts is not None:
        from . import serve_guard

        metadata["plugins"][serve_guard.NAME] = {"hosts": hosts}
    return metadata


def served_hosts(host: str, base_url: str | None = None) -> list[str]:
    """The names a password-less local Datasette answers to: loopback, and where the links in
    messages point (``notify.base_url``, e.g. a reverse proxy's name)."""
    hosts = [*LOCAL_HOSTS, host]
    if base_url and urlsplit(base_url).hostname:
        hosts.append(urlsplit(base_url).hostname or "")
    return sorted(set(hosts))


def _default_choices(database: Path, dashboards: dict[str, Any]) -> None:
    """Open each dashboard on its first material or product (by name), not on an empty choice
    that would draw every one at once."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            for slug, table in (("material", "materials"), ("product", "products")):
                row = conn.execute(f"SELECT min(name) FROM {table}").fetchone()
                if row and row[0] and slug in dashboards:
                    dashboards[slug]["filters"][slug]["default"] = row[0]
    except sqlite3.Error:
        pass  # no database yet, or an older one: the dashboards fall back to the first name themselves


def hash_password(password: str) -> str:
    from datasette_auth_passwords.utils import hash_password as pbkdf2

    return pbkdf2(password)


def datasette_args(database: Path, metadata_file: Path, host: str = "127.0.0.1", port: int = 8001, immutable: bool = False) -> list[str]:
    """``datasette serve`` arguments: never ``-i`` (immutable: the nightly run writes while it serves),
    except for a file that nobody can write where it is; settings from settings.json; the owner
    pages' plugin and templates from datasette/."""
    args = ["serve", *(["-i"] if immutable else []), str(database), "--metadata", str(metadata_file), "--host", host, "--port", str(port),
            "--plugins-dir", str(DATASETTE_DIR / "plugins"), "--template-dir", str(DATASETTE_DIR / "templates")]
    for name, value in settings().items():
        args += ["--setting", name, str(value).lower() if isinstance(value, bool) else str(value)]
    return args


def limit_memory(limit: int = MEMORY_LIMIT) -> None:
    """Datasette runs any SQL it is given, and SQLite's cap on one value does not bound a query
    that returns thousands of large ones: past ``limit`` of heap a query fails with an error
    instead of taking the machine's memory."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def app(database: Path, password: bool = False, currency: str | None = None, hosts: list[str] | None = None) -> Any:
    """The Datasette that `serve` runs, in this process (for tests and scripts)."""
    from datasette.app import Datasette

    return Datasette([str(database)], metadata=metadata_for(database, password, hosts, currency), settings=settings(),
                     plugins_dir=str(DATASETTE_DIR / "plugins"), template_dir=str(DATASETTE_DIR / "templates"))


def needs_password(host: str) -> bool:
    """Whether serving on ``host`` needs the owner's password; ValueError when none is set."""
    password = host not in LOCAL_HOSTS
    if password and not os.environ.get(PASSWORD_ENV):
        raise ValueError(
            f"refusing to serve on {host} without a password: anyone on your network could read your supplier prices. "
            f"Run `supplywatch serve --set-password`, put the hash it prints in the {PASSWORD_ENV} environment variable, "
            "and start again (or serve on 127.0.0.1 and use an SSH tunnel)."
        )
    return password


def serve(database: Path, host: str = "127.0.0.1", port: int = 8001, base_url: str | None = None, immutable: bool = False,
          currency: str | None = None) -> int:
    """Run Datasette until Ctrl-C; returns its exit code."""
    password = needs_password(host)
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="supplywatch-metadata-") as metadata_file:
        json.dump(metadata_for(database, password, None if password else served_hosts(host, base_url), currency), metadata_file)
        metadata_file.flush()
        from datasette.cli import cli as datasette_cli
        from datasette.plugins import pm  # type: ignore[attr-defined]  # created at import, untyped

        from . import serve_guard

        if not pm.is_registered(serve_guard):
            pm.register(serve_guard, name=serve_guard.NAME)
        limit_memory()

        # In this process, so Ctrl-C or a SIGTERM stops Datasette with us; uvicorn handles both.
        try:
            datasette_cli.main(datasette_args(database, Path(metadata_file.name), host, port, immutable), prog_name="datasette", standalone_mode=False)
        except KeyboardInterrupt:
            pass
        return 0
