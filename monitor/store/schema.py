"""The database schema and its migrations: each version's SQL, applied in order, keeping all data.

``PRAGMA user_version`` holds the version a file is at. Never edit a released version's SQL:
add the next one.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

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

_VIEWS_V2 = """
CREATE VIEW latest_prices AS
SELECT o.offer_id, o.material_id, o.supplier_id, o.fetched_at, o.price, o.currency, o.pack,
       o.unit_price, o.landed_unit_price, m.unit, o.in_stock, o.method
FROM observations o JOIN materials m ON m.id = o.material_id
WHERE o.id = (SELECT id FROM observations x WHERE x.offer_id = o.offer_id AND x.status = 'ok'
              ORDER BY x.fetched_at DESC LIMIT 1);
CREATE VIEW cheapest_offers AS
SELECT material_id, offer_id, supplier_id, unit_price, landed_unit_price, unit, fetched_at
FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY material_id ORDER BY landed_unit_price) AS rank
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

# Version 2: ambiguous pages, packs read from the page, quantity breaks, exchange rates, landed cost.
_SCHEMA_V2 = """
DROP VIEW biggest_movers;
DROP VIEW cheapest_offers;
DROP VIEW latest_prices;
CREATE TABLE observations_v2 (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    offer_id TEXT NOT NULL REFERENCES offers(id),
    material_id TEXT NOT NULL REFERENCES materials(id),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    fetched_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'suspect', 'missing', 'ambiguous', 'error')),
    price REAL, currency TEXT, pack TEXT, pack_source TEXT,
    unit_price REAL, fx_rate REAL, landed_unit_price REAL, list_price REAL, tiers TEXT,
    in_stock INTEGER, method TEXT, raw TEXT, error TEXT, http_status INTEGER, note TEXT,
    CHECK (status NOT IN ('missing', 'ambiguous', 'error') OR price IS NULL)
);
INSERT INTO observations_v2 (id, run_id, offer_id, material_id, supplier_id, fetched_at, status, price, currency, pack,
    unit_price, landed_unit_price, in_stock, method, raw, error, http_status)
SELECT id, run_id, offer_id, material_id, supplier_id, fetched_at, status, price, currency, pack,
    unit_price, unit_price, in_stock, method, raw, error, http_status FROM observations;
DROP TABLE observations;
ALTER TABLE observations_v2 RENAME TO observations;
CREATE UNIQUE INDEX observations_offer_time ON observations(offer_id, fetched_at);
CREATE INDEX observations_material_time ON observations(material_id, fetched_at);
CREATE INDEX observations_run ON observations(run_id);
CREATE TABLE exchange_rates (
    date TEXT NOT NULL, currency TEXT NOT NULL, per_eur REAL NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (date, currency, source)
);
""" + _VIEWS_V2

# Version 3: escalation and reminders on alerts, alerts about suppliers, silences.
_SCHEMA_V3 = """
ALTER TABLE alerts ADD COLUMN supplier_id TEXT REFERENCES suppliers(id);
ALTER TABLE alerts ADD COLUMN notified_value REAL;
ALTER TABLE alerts ADD COLUMN notified_severity TEXT;
ALTER TABLE alerts ADD COLUMN last_reminded TEXT;
CREATE TABLE silences (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    until TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX silences_until ON silences(until);
CREATE INDEX observations_time ON observations(fetched_at);
"""

# Version 4: each offer's newest valid observation kept as it is written, so "what does it cost now"
# reads 10,000 rows instead of scanning years of history; views rebuilt on it.
_SCHEMA_V4 = """
CREATE TABLE latest_observations (
    offer_id TEXT PRIMARY KEY REFERENCES offers(id),
    observation_id INTEGER NOT NULL REFERENCES observations(id),
    fetched_at TEXT NOT NULL
);
INSERT INTO latest_observations (offer_id, observation_id, fetched_at)
SELECT offer_id, id, max(fetched_at) FROM observations WHERE status = 'ok' GROUP BY offer_id;
DROP VIEW biggest_movers;
DROP VIEW cheapest_offers;
DROP VIEW latest_prices;
CREATE VIEW latest_prices AS
SELECT o.offer_id, o.material_id, o.supplier_id, o.fetched_at, o.price, o.currency, o.pack,
       o.unit_price, o.landed_unit_price, m.unit, o.in_stock, o.method
FROM latest_observations l JOIN observations o ON o.id = l.observation_id JOIN materials m ON m.id = o.material_id;
CREATE VIEW cheapest_offers AS
SELECT material_id, offer_id, supplier_id, unit_price, landed_unit_price, unit, fetched_at
FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY material_id ORDER BY landed_unit_price) AS rank
      FROM latest_prices l WHERE in_stock IS NOT 0)
WHERE rank = 1;
CREATE VIEW biggest_movers AS
SELECT offer_id, material_id, supplier_id, unit_price, unit_price_30d_ago,
       ROUND(100.0 * (unit_price / unit_price_30d_ago - 1), 1) AS change_30d_percent
FROM (SELECT l.offer_id, l.material_id, l.supplier_id, l.unit_price,
             (SELECT x.unit_price FROM observations x WHERE x.offer_id = l.offer_id AND x.status = 'ok'
                AND x.fetched_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', l.fetched_at, '-30 days')
              ORDER BY x.fetched_at DESC LIMIT 1) AS unit_price_30d_ago
      FROM latest_prices l)
ORDER BY abs(change_30d_percent) DESC;
"""

# Version 5: crawl health per run (Scrapy's figures) and the run's log file.
_SCHEMA_V5 = """
ALTER TABLE runs ADD COLUMN crawl_stats TEXT;
ALTER TABLE runs ADD COLUMN log_file TEXT;
"""

# Version 6: each offer's last ten valid unit prices (newest first) kept beside its latest price, so
# the plausibility check of a night's prices reads one row per offer instead of ten.
_SCHEMA_V6 = """
ALTER TABLE latest_observations ADD COLUMN recent_unit_prices TEXT;
UPDATE latest_observations SET recent_unit_prices = (
    SELECT json_group_array(unit_price) FROM (
        SELECT unit_price FROM observations o WHERE o.offer_id = latest_observations.offer_id AND o.status = 'ok'
        ORDER BY o.fetched_at DESC LIMIT 10));
"""

# Version 7: what the owner makes. Each run costs every product's recipe from the offers of that
# night, keeping per line which offer priced it, so history stays exact when the cheapest supplier
# changes; product alerts name their product.
_SCHEMA_V7 = """
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    yield_quantity REAL NOT NULL,
    yield_unit TEXT NOT NULL,
    selling_price REAL,
    target_margin REAL
);
CREATE TABLE product_costs (
    id INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    run_id INTEGER REFERENCES runs(id),
    costed_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    batch_cost REAL,
    unit_cost REAL,
    complete INTEGER NOT NULL,
    missing TEXT,
    selling_price REAL,
    margin_percent REAL,
    target_margin REAL
);
CREATE UNIQUE INDEX product_costs_product_time ON product_costs(product_id, costed_at);
CREATE TABLE product_cost_lines (
    id INTEGER PRIMARY KEY,
    cost_id INTEGER NOT NULL REFERENCES product_costs(id),
    product_id TEXT NOT NULL,
    costed_at TEXT NOT NULL,
    material_id TEXT NOT NULL REFERENCES materials(id),
    quantity REAL NOT NULL,
    unit TEXT NOT NULL,
    unit_price REAL,
    cost REAL,
    offer_id TEXT REFERENCES offers(id),
    supplier_id TEXT,
    observation_id INTEGER REFERENCES observations(id),
    priced_at TEXT
);
CREATE INDEX product_cost_lines_cost ON product_cost_lines(cost_id);
CREATE INDEX product_cost_lines_product_time ON product_cost_lines(product_id, costed_at);
ALTER TABLE alerts ADD COLUMN product_id TEXT;
"""

# Version 8: which of the page's sources stated the price (JSON-LD, microdata, the visible buy box)
# and which stated another, so a first price whose sources disagree can be held and shown with both.
_SCHEMA_V8 = """
ALTER TABLE observations ADD COLUMN sources TEXT;
"""

# Version 9: decisions. Public index series beside the suppliers' prices (each value with the day it
# could first be known, so a replay never sees the future); stock counts and purchases; quotes given
# to customers and their nightly check; each night's outlook per material (runway, reorder date,
# buy-window verdict) and the owner's to-do list.
_SCHEMA_V9 = """
CREATE TABLE index_series (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    series TEXT NOT NULL,
    url TEXT,
    frequency TEXT NOT NULL,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT
);
CREATE TABLE index_values (
    index_id TEXT NOT NULL REFERENCES index_series(id),
    period TEXT NOT NULL,
    value REAL NOT NULL,
    available_on TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (index_id, period)
);
CREATE TABLE material_indexes (
    material_id TEXT NOT NULL REFERENCES materials(id),
    index_id TEXT NOT NULL REFERENCES index_series(id),
    PRIMARY KEY (material_id, index_id)
);
CREATE TABLE stock_events (
    id INTEGER PRIMARY KEY,
    material_id TEXT NOT NULL REFERENCES materials(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('count', 'bought')),
    quantity REAL NOT NULL CHECK (quantity >= 0),
    unit TEXT NOT NULL,
    as_written TEXT NOT NULL,
    price REAL,
    currency TEXT,
    unit_price REAL,
    supplier_id TEXT,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX stock_events_material_time ON stock_events(material_id, at);
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    customer TEXT,
    description TEXT NOT NULL,
    product_id TEXT,
    quantity REAL,
    bom TEXT NOT NULL,
    price REAL NOT NULL CHECK (price > 0),
    currency TEXT NOT NULL,
    given_on TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    cost_at_quote REAL,
    margin_at_quote REAL,
    target_margin REAL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'won', 'lost', 'withdrawn')),
    closed_at TEXT,
    note TEXT
);
CREATE TABLE quote_checks (
    quote_id INTEGER NOT NULL REFERENCES quotes(id),
    as_of TEXT NOT NULL,
    cost REAL,
    complete INTEGER NOT NULL,
    margin_percent REAL,
    lost_points REAL,
    driver TEXT,
    PRIMARY KEY (quote_id, as_of)
);
CREATE TABLE material_outlook (
    material_id TEXT NOT NULL REFERENCES materials(id),
    as_of TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    on_hand REAL,
    unit TEXT NOT NULL,
    daily_usage REAL,
    runway_days REAL,
    lead_time_days REAL,
    reorder_by TEXT,
    verdict TEXT NOT NULL,
    verdict_reason TEXT NOT NULL,
    buy_quantity REAL,
    price_state TEXT,
    best_offer_id TEXT,
    best_unit_price REAL,
    index_change_percent REAL,
    PRIMARY KEY (material_id, as_of)
);
CREATE TABLE to_do (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    material_id TEXT,
    quote_id INTEGER,
    due TEXT,
    urgent INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_told TEXT,
    done_at TEXT
);
CREATE UNIQUE INDEX to_do_open_key ON to_do(key) WHERE done_at IS NULL;
"""

# Version 10: alerts keyed by what their rule watches (re-keyed by the next run, which knows the
# config), retired when their rule or target is gone, with the unit and currency of their values,
# where the value was before the move and how far past it was when the owner was told; every
# transition kept in alert_events with its message as sent (before version 10 only the latest
# message was kept: an old alert's fired event links to the notification that told it). Each unit
# price records the unit and home currency it is in (the home currency of old rows is set by the
# next run, which knows the config), and a suspect price why it is suspect.
_SCHEMA_V10 = """
CREATE TABLE alerts_v10 (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL, kind TEXT NOT NULL,
    label TEXT,
    material_id TEXT REFERENCES materials(id), offer_id TEXT REFERENCES offers(id),
    supplier_id TEXT REFERENCES suppliers(id), product_id TEXT,
    direction TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved', 'retired')),
    value REAL, reference REAL, unit TEXT, currency TEXT,
    message TEXT NOT NULL,
    confirmations INTEGER NOT NULL DEFAULT 1, last_observation_id INTEGER,
    first_seen TEXT NOT NULL, first_fired TEXT, last_fired TEXT, resolved_at TEXT, retired_at TEXT,
    notified_value REAL, notified_severity TEXT, notified_measure REAL, last_reminded TEXT,
    anchor REAL, anchor_at TEXT
);
INSERT INTO alerts_v10 (id, fingerprint, rule, kind, material_id, offer_id, supplier_id, product_id, direction, severity, state,
    value, reference, message, confirmations, last_observation_id, first_seen, first_fired, last_fired, resolved_at,
    notified_value, notified_severity, last_reminded)
SELECT id, fingerprint, rule, kind, material_id, offer_id, supplier_id, product_id, direction, severity, state,
    value, reference, message, confirmations, last_observation_id, first_seen, first_fired, last_fired, resolved_at,
    notified_value, CASE WHEN state = 'firing' THEN coalesce(notified_severity, severity) ELSE notified_severity END, last_reminded
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v10 RENAME TO alerts;
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts(fingerprint) WHERE state IN ('pending', 'firing');
CREATE INDEX alerts_state ON alerts(state);
ALTER TABLE observations ADD COLUMN unit TEXT;
ALTER TABLE observations ADD COLUMN home_currency TEXT;
ALTER TABLE observations ADD COLUMN doubt TEXT;
UPDATE observations SET unit = (SELECT m.unit FROM materials m WHERE m.id = observations.material_id) WHERE unit_price IS NOT NULL;
ALTER TABLE materials ADD COLUMN currency TEXT;
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    run_id INTEGER REFERENCES runs(id),
    night TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('pending', 'fired', 'escalated', 'reminded', 'resolved', 'retired', 'silenced')),
    severity TEXT NOT NULL,
    told INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL,
    value REAL, reference REAL, unit TEXT, currency TEXT,
    observation_id INTEGER, observed_at TEXT,
    notification_id INTEGER REFERENCES notifications(id)
);
CREATE INDEX alert_events_alert ON alert_events(alert_id);
CREATE INDEX alert_events_night ON alert_events(night);
CREATE INDEX alert_events_untold ON alert_events(notification_id) WHERE told = 1 AND notification_id IS NULL;
INSERT INTO alert_events (alert_id, night, event, severity, told, message, notification_id)
SELECT id, first_fired, 'fired', severity, notification_id IS NOT NULL,
    '(told before supplywatch kept every message: see the notification)', notification_id
FROM (SELECT a.id, a.first_fired, coalesce(a.notified_severity, a.severity) AS severity,
        (SELECT min(n.id) FROM notifications n, json_each(n.alert_ids) j WHERE j.value = a.id) AS notification_id
      FROM alerts a WHERE a.first_fired IS NOT NULL);
INSERT INTO alert_events (alert_id, night, event, severity, told, message, value, reference, observation_id, notification_id)
SELECT id, resolved_at, 'resolved', severity, notification_id IS NOT NULL, message, value, reference, last_observation_id, notification_id
FROM (SELECT a.*, (SELECT max(n.id) FROM notifications n, json_each(n.alert_ids) j WHERE j.value = a.id) AS notification_id
      FROM alerts a WHERE a.state = 'resolved' AND a.first_fired IS NOT NULL);
"""

# Where a redirect moved an offer's page (on the supplier's own site), as read.
_SCHEMA_V11 = """
ALTER TABLE observations ADD COLUMN final_url TEXT;
"""


def _node_error_status(db: sqlite_utils.Database) -> None:
    """Version 12: ``node_error``, an offer not fetched because a crawling machine failed (not the
    supplier's fault). Only the CHECK constraint loosens, so the table's SQL is edited in place as
    https://www.sqlite.org/lang_altertable.html#otheralter describes, instead of copying millions of rows."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'observations'").fetchone()
    loosened = sql.replace("'ambiguous', 'error')),", "'ambiguous', 'error', 'node_error')),", 1)
    if loosened == sql:
        raise RuntimeError("observations: unexpected table definition; cannot add the node_error status")
    (version,) = db.execute("PRAGMA schema_version").fetchone()
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'observations'", [loosened])
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")


# Version 13: each recipe line as the owner wrote it ("12 floz"), so pages show "12 fl oz" and not
# the 0.09375 gal it converts to.
_SCHEMA_V13 = """
ALTER TABLE product_cost_lines ADD COLUMN as_written TEXT;
"""


# Version 14: the input behind a product's move, by name ("Walnut"), kept with each alert event, so
# a message composed again from the event log (after a crash) says ", mostly Walnut" as the first did.
_SCHEMA_V14 = """
ALTER TABLE alert_events ADD COLUMN driver TEXT;
"""


# Version 15: when a quote's baseline cost was taken: the moment it was given, or (given before its
# inputs had prices) the first night that costed it completely, so its margin is checked from then.
_SCHEMA_V15 = """
ALTER TABLE quotes ADD COLUMN costed_on TEXT;
UPDATE quotes SET costed_on = given_on WHERE margin_at_quote IS NOT NULL;
"""


# Version 16: the purchase the to-do list names, in its words ("6 lb from Yakima Hops"), kept with each
# night's outlook, so the stock page says what the to-do says instead of the amount in the material's
# unit ("2,722 g") when the supplier sells in another unit.
_SCHEMA_V16 = """
ALTER TABLE material_outlook ADD COLUMN buy_text TEXT;
"""


MIGRATIONS: dict[int, Any] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _SCHEMA_V4, 5: _SCHEMA_V5, 6: _SCHEMA_V6,
                              7: _SCHEMA_V7, 8: _SCHEMA_V8, 9: _SCHEMA_V9, 10: _SCHEMA_V10, 11: _SCHEMA_V11,
                              12: _node_error_status, 13: _SCHEMA_V13, 14: _SCHEMA_V14,
                              15: _SCHEMA_V15, 16: _SCHEMA_V16}
SCHEMA_VERSION = max(MIGRATIONS)


class SchemaError(Exception):
    """The file's schema does not fit this supplywatch and cannot be made to; nothing was changed."""


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def check_version(db: sqlite_utils.Database, name: str = "this database") -> int:
    """The file's schema version; a newer supplywatch's file is refused before anything touches it."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise SchemaError(f"{name} was written by a newer supplywatch (schema {current}; this one knows up to {SCHEMA_VERSION}): "
                          "upgrade supplywatch (pip install --upgrade supplywatch); the file was left as it was")
    return current


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration newer than the file's ``user_version``, each in its own transaction."""
    current = check_version(db)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        step = MIGRATIONS[version]
        if callable(step):  # a migration that needs Python between its statements
            db.conn.execute("BEGIN")
            try:
                step(db)
                db.conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            db.conn.execute("COMMIT")
        else:
            db.conn.executescript(f"BEGIN; {step} PRAGMA user_version = {version}; COMMIT;")
