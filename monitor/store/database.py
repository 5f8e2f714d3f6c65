"""The SQLite file: opening it (migrated, WAL), keeping its suppliers, materials and offers in step
with the config, and copying it safely."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from . import schema
from .. import private_files, safe_text
from ..config import Config


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store, in WAL mode, migrated to the current schema."""
    private_files.create_file(path)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    db.enable_wal()
    schema.migrate(db)
    return db


def sync_config(db: sqlite_utils.Database, config: Config) -> None:
    """Make suppliers, materials and offers match the config; offers no longer in it become inactive."""
    with db.conn:
        db["suppliers"].upsert_all(
            ({"id": s.id, "name": s.name, "currency": s.currency, "locale": s.locale} for s in config.suppliers), pk="id"
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


def stored_url(url: str, config: Config) -> str:
    """An offer's URL as the database keeps it: no user name or password, and ``${NAME}`` where the
    config took a value from the environment (secrets stay out of the file)."""
    return safe_text.without_userinfo(safe_text.conceal(url, config.secrets))


def backup(source: Path, destination: Path) -> int:
    """Copy the database with SQLite's online backup API (consistent while others write); returns
    how many observations the copy holds."""
    import sqlite3

    private_files.create_file(destination)
    with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
        live.execute("PRAGMA busy_timeout = 10000")
        live.backup(copy)
        count = copy.execute("SELECT count(*) FROM observations").fetchone()[0]
        copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    return count
