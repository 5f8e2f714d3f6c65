"""The SQLite file: opening it (migrated, WAL), keeping its suppliers, materials and offers in step
with the config, and copying it safely."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from . import schema
from .. import private_files, safe_text
from ..config import Config


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_db(path: str | Path, read_only: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) the store, in WAL mode, migrated to the current schema. The
    version is checked first: a newer supplywatch's file is refused exactly as it was.

    ``read_only`` (status, serve, cost): the file is never created, and opened read-only, so it may
    be a read-only file or sit in a read-only folder; an older schema is upgraded first when the
    file can be written (as tonight's run would), else refused."""
    if read_only:
        return _open_read_only(Path(path))
    _check_writable(Path(path))
    private_files.create_file(path)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    schema.check_version(db, str(path))  # before WAL mode changes the file
    db.enable_wal()
    # WAL with synchronous NORMAL: a commit is not synced to disk (a night of 2,000 supplier batches
    # pays no 2,000 fsyncs). The file stays consistent whatever stops the process, and a killed
    # process loses nothing committed; only a power cut may lose the last few commits. What must
    # survive even that (an alert with the message telling it, the run's end) is committed
    # :func:`durably`, which syncs every commit before it too.
    db.execute("PRAGMA synchronous = NORMAL")
    # 64 MB of pages kept (SQLite's default is 2 MB): a night's batches read the same history pages
    # (one night's rows of many offers share a page) again and again.
    db.execute(f"PRAGMA cache_size = {CACHE_KIB}")
    schema.migrate(db)
    return db


@contextmanager
def durably(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One transaction synced to disk when it commits (and with it every commit before it in the
    write-ahead log): for alerts and their messages, which must not be lost even by a power cut.
    (Inside a caller's transaction it is that transaction's part, synced when the caller commits.)"""
    level = db.execute("PRAGMA synchronous").fetchone()[0]
    if level != NORMAL or db.conn.in_transaction:  # OFF: a scratch file (a backtest); FULL: synced anyway
        with db.atomic():
            yield db
        return
    db.execute("PRAGMA synchronous = FULL")
    try:
        with db.atomic():
            yield db
    finally:
        db.execute("PRAGMA synchronous = NORMAL")


NORMAL = 1  # PRAGMA synchronous's number for NORMAL
CACHE_KIB = -65536  # PRAGMA cache_size: negative is KiB


def _check_writable(path: Path) -> None:
    if path.exists() and not (os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)):
        raise Unwritable(f"{path} is read-only here ({'the file' if not os.access(path, os.W_OK) else 'its folder'}), and this command "
                         "records prices: make it writable, or use status, cost or serve, which only read it")


def refuse_early(path: Path) -> None:
    """What :func:`open_db` would refuse (a file this user cannot write, a newer supplywatch's),
    found before a command that writes leaves anything beside the file, such as its run's lock."""
    if not path.is_file():
        return
    _check_writable(path)
    connection = _connect_read_only(path)
    try:
        schema.check_version(sqlite_utils.Database(connection), str(path))
    finally:
        connection.close()


class NoDatabase(ValueError):
    """A command that only reads found no database."""


class Unwritable(Exception):
    """A command that writes found the database (or its folder) read-only; nothing was changed."""


def read_only_mode(path: Path) -> str:
    """How SQLite can read ``path`` without writing it: ``ro``, or ``immutable`` for a WAL file in a
    folder this user cannot write (SQLite cannot make the -shm file a reader needs; nobody is
    writing it then, as a writer would need that folder too)."""
    if not path.is_file():
        raise NoDatabase(f"no database yet at {path}: run `supplywatch run` first")
    trial = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        trial.execute("PRAGMA user_version").fetchone()
        return "ro"
    except sqlite3.OperationalError:
        if Path(f"{path}-wal").exists() or os.access(path.parent, os.W_OK):
            raise
        return "immutable"
    finally:
        trial.close()


def _connect_read_only(path: Path) -> sqlite3.Connection:
    query = "mode=ro" if read_only_mode(path) == "ro" else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.as_uri()}?{query}", uri=True)


def _open_read_only(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(_connect_read_only(path))
    db.execute("PRAGMA busy_timeout = 10000")
    version = schema.check_version(db, str(path))
    if version == schema.SCHEMA_VERSION:
        return db
    db.conn.close()
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise schema.SchemaError(f"{path} is at schema {version} and this supplywatch needs {schema.SCHEMA_VERSION}, but the file "
                                 "is read-only here: run `supplywatch run` once where it can be written; the file was left as it was")
    open_db(path).conn.close()  # the upgrade tonight's run would make
    return _open_read_only(path)


def sync_config(db: sqlite_utils.Database, config: Config) -> None:
    """Make suppliers, materials and offers match the config; offers no longer in it become inactive."""
    with db.conn:
        db["suppliers"].upsert_all(
            ({"id": s.id, "name": s.name, "currency": s.currency, "locale": s.locale or ""} for s in config.suppliers), pk="id"
        )
        db["materials"].upsert_all(({"id": m.id, "name": m.name, "unit": m.unit} for m in config.materials), pk="id")
        db["products"].upsert_all(({"id": p.id, "name": p.name, "yield_quantity": p.yield_count, "yield_unit": p.yield_unit,
                                    "selling_price": p.price, "target_margin": p.target_margin} for p in config.products), pk="id")
        db.execute("UPDATE offers SET active = 0")
        db["offers"].upsert_all(
            (
                {"id": o.offer_id, "material_id": o.material, "supplier_id": o.supplier, "url": stored_url(o.url, config),
                 "pack": o.pack, "variant": o.variant, "price_selector": o.price_selector, "active": int(o.active)}
                for o in config.offers()
            ),
            pk="id",
        )
    from ..decisions import indexes  # the public series linked to materials

    indexes.sync(db, config)


def stored_url(url: str, config: Config) -> str:
    """An offer's URL as the database keeps it: no user name or password, and ``${NAME}`` where the
    config took a value from the environment (secrets stay out of the file)."""
    return safe_text.configured_url(url, config.secrets)


def backup(source: Path, destination: Path) -> int:
    """Copy the database with SQLite's online backup API (consistent while others write); returns
    how many observations the copy holds."""
    live = _connect_read_only(source)  # first: no empty copy of a database that is not there
    private_files.create_file(destination)
    with live, sqlite3.connect(destination) as copy:
        live.execute("PRAGMA busy_timeout = 10000")
        live.backup(copy)
        count = copy.execute("SELECT count(*) FROM observations").fetchone()[0]
        copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    return count
