"""The SQLite store: schema, migrations, and the writes a run makes, through sqlite-utils."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from . import units
from .config import Config

SCHEMA_VERSION = 1
IMPLAUSIBLE_RATIO = 5  # a unit price 5x above or below the recent median is held as suspect

_SCHEMA_V1 = """
CREATE TABLE suppliers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, locale TEXT NOT NULL
);
CREATE TABLE materials (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL
);
CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    material_id TEXT NOT NULL REFERENCES materials(id),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    url TEXT NOT NULL, pack TEXT NOT NULL, variant TEXT, price_selector TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT, as_of TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    offers INTEGER, prices INTEGER, missing INTEGER, errors INTEGER, suspect INTEGER,
    suppliers_json TEXT, message TEXT
);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    offer_id TEXT NOT NULL REFERENCES offers(id),
    material_id TEXT NOT NULL REFERENCES materials(id),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    fetched_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'suspect', 'missing', 'error')),
    price REAL, currency TEXT, pack TEXT,
    unit_price REAL, in_stock INTEGER, method TEXT, raw TEXT, error TEXT, http_status INTEGER,
    CHECK (status NOT IN ('missing', 'error') OR price IS NULL)
);
CREATE UNIQUE INDEX observations_offer_time ON observations(offer_id, fetched_at);
CREATE INDEX observations_material_time ON observations(material_id, fetched_at);
CREATE INDEX observations_run ON observations(run_id);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL, kind TEXT NOT NULL,
    material_id TEXT REFERENCES materials(id), offer_id TEXT REFERENCES offers(id),
    direction TEXT NOT NULL, severity TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    value REAL, reference REAL, message TEXT NOT NULL,
    confirmations INTEGER NOT NULL DEFAULT 1, last_observation_id INTEGER,
    first_seen TEXT NOT NULL, first_fired TEXT, last_fired TEXT, resolved_at TEXT
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts(fingerprint) WHERE state != 'resolved';
CREATE INDEX alerts_state ON alerts(state);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    created_at TEXT NOT NULL,
    tag TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, alert_ids TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, delivered_at TEXT, delivered_to TEXT, last_error TEXT
);
CREATE INDEX notifications_pending ON notifications(delivered_at);

CREATE VIEW latest_prices AS
SELECT o.offer_id, o.material_id, o.supplier_id, o.fetched_at, o.price, o.currency, o.pack,
       o.unit_price, m.unit, o.in_stock, o.method
FROM observations o JOIN materials m ON m.id = o.material_id
WHERE o.id = (SELECT id FROM observations x WHERE x.offer_id = o.offer_id AND x.status = 'ok'
              ORDER BY x.fetched_at DESC LIMIT 1);
CREATE VIEW cheapest_offers AS
SELECT material_id, offer_id, supplier_id, unit_price, unit, fetched_at
FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY material_id ORDER BY unit_price) AS rank
      FROM latest_prices l WHERE in_stock IS NOT 0)
WHERE rank = 1;
CREATE VIEW biggest_movers AS
SELECT l.offer_id, l.material_id, l.supplier_id, l.unit_price,
       (SELECT x.unit_price FROM observations x WHERE x.offer_id = l.offer_id AND x.status = 'ok'
          AND x.fetched_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', l.fetched_at, '-30 days') ORDER BY x.fetched_at DESC LIMIT 1) AS unit_price_30d_ago,
       ROUND(100.0 * (l.unit_price / (SELECT x.unit_price FROM observations x WHERE x.offer_id = l.offer_id
          AND x.status = 'ok' AND x.fetched_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', l.fetched_at, '-30 days')
          ORDER BY x.fetched_at DESC LIMIT 1) - 1), 1) AS change_30d_percent
FROM latest_prices l
ORDER BY abs(change_30d_percent) DESC;
"""

MIGRATIONS = {1: _SCHEMA_V1}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the store, in WAL mode, migrated to the current schema."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    db.enable_wal()
    migrate(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration newer than the file's ``user_version``, each in its own transaction."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"{db.conn} was written by a newer supplywatch (schema {current} > {SCHEMA_VERSION})")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.conn:
            db.conn.executescript(f"BEGIN; {MIGRATIONS[version]} PRAGMA user_version = {version}; COMMIT;")


def sync_config(db: sqlite_utils.Database, config: Config) -> None:
    """Make suppliers, materials and offers match the config; offers no longer in it become inactive."""
    with db.conn:
        db["suppliers"].upsert_all(
            ({"id": s.id, "name": s.name, "currency": s.currency, "locale": s.locale} for s in config.suppliers), pk="id"
        )
        db["materials"].upsert_all(({"id": m.id, "name": m.name, "unit": m.unit} for m in config.materials), pk="id")
        db.execute("UPDATE offers SET active = 0")
        db["offers"].upsert_all(
            (
                {"id": o.offer_id, "material_id": o.material, "supplier_id": o.supplier, "url": o.url,
                 "pack": o.pack, "variant": o.variant, "price_selector": o.price_selector, "active": int(o.active)}
                for o in config.offers()
            ),
            pk="id",
        )


def start_run(db: sqlite_utils.Database, source: str, as_of: str | None = None) -> int:
    """Record a new run. Called under the run lock, so a run still marked running was killed."""
    with db.conn:
        started = now_iso()
        db.execute("UPDATE runs SET status = 'crashed', message = 'interrupted: the process stopped before the run finished' "
                   "WHERE status = 'running'")
        return db["runs"].insert({"source": source, "started_at": started, "as_of": as_of or started, "status": "running"}).last_pk


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, summary: dict[str, Any], message: str) -> None:
    with db.conn:
        db["runs"].update(run_id, {
            "finished_at": now_iso(), "status": status, "message": message,
            "offers": summary["offers"], "prices": summary["prices"], "missing": summary["missing"],
            "errors": summary["errors"], "suspect": summary["suspect"],
            "suppliers_json": json.dumps(summary["suppliers"], sort_keys=True),
        })


def _recent_median(db: sqlite_utils.Database, offer_id: str, before: str) -> float | None:
    rows = db.execute(
        "SELECT unit_price FROM observations WHERE offer_id = ? AND status = 'ok' AND fetched_at < ? "
        "ORDER BY fetched_at DESC LIMIT 10", [offer_id, before]
    ).fetchall()
    return statistics.median(r[0] for r in rows) if rows else None


def _offer_context(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Each offer with its material's unit and its supplier's currency, read once per batch."""
    return {row["id"]: row for row in db.query(
        "SELECT o.id, o.material_id, o.supplier_id, o.pack, m.unit, s.currency AS supplier_currency "
        "FROM offers o JOIN materials m ON m.id = o.material_id JOIN suppliers s ON s.id = o.supplier_id"
    )}


def observation_row(db: sqlite_utils.Database, config: Config, run_id: int, item: dict[str, Any], offer: dict[str, Any]) -> dict[str, Any]:
    """Turn a spider item into an observations row: unit price in the home currency, suspects held."""
    status, error = item["status"], item.get("error")
    price = Decimal(str(item["price"])) if status == "ok" and item.get("price") is not None else None
    row = {
        "run_id": run_id, "offer_id": offer["id"], "material_id": offer["material_id"], "supplier_id": offer["supplier_id"],
        "fetched_at": item["fetched_at"], "price": float(price) if price is not None else None,
        "currency": item.get("currency") or offer["supplier_currency"], "pack": item.get("pack") or offer["pack"],
        "unit_price": None, "in_stock": None if item.get("in_stock") is None else int(bool(item["in_stock"])),
        "method": item.get("method"), "raw": item.get("raw"), "http_status": item.get("http_status"),
    }
    if price is not None:
        if row["currency"] != offer["supplier_currency"]:
            status, error = "suspect", f"currency {row['currency']} differs from the supplier's {offer['supplier_currency']}"
        elif price <= 0:
            status, error = "suspect", f"price {price} is not above zero"
        else:
            rate = Decimal("1") if row["currency"] == config.currency else Decimal(str(config.exchange_rates[row["currency"]]))
            unit_price = float(round(units.unit_price(price, row["pack"], offer["unit"]) * rate, 6))
            row["unit_price"] = unit_price
            median = _recent_median(db, offer["id"], row["fetched_at"])
            if median and not (1 / IMPLAUSIBLE_RATIO <= unit_price / median <= IMPLAUSIBLE_RATIO):
                status, error = "suspect", f"implausible jump: x{unit_price / median:.2f} against the recent median {median:.2f}"
    row["status"], row["error"] = status, error
    return row


def record_observations(db: sqlite_utils.Database, config: Config, run_id: int, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a run's items in one transaction: a crash leaves all of them or none."""
    offers = _offer_context(db)
    rows = [observation_row(db, config, run_id, item, offers[item["offer_id"]]) for item in items]
    with db.conn:
        # ignore: the same feed ingested twice stores nothing twice (unique offer_id + fetched_at)
        db["observations"].insert_all(rows, ignore=True, batch_size=500)
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per run and per supplier, for the runs table and the exit status."""
    per_supplier: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = per_supplier.setdefault(row["supplier_id"], {"offers": 0, "ok": 0, "suspect": 0, "missing": 0, "error": 0})
        counts["offers"] += 1
        counts[row["status"]] += 1
    total = lambda key: sum(c[key] for c in per_supplier.values())  # noqa: E731
    return {
        "offers": len(rows), "prices": total("ok"), "missing": total("missing"),
        "errors": total("error"), "suspect": total("suspect"), "suppliers": per_supplier,
    }
