"""A database written by an older schema opens and upgrades in place, keeping every row."""

import sqlite3

import sqlite_utils

from monitor import store
from monitor.store import schema


def test_version_1_database_upgrades_in_place_keeping_observations(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(schema._SCHEMA_V1 + "PRAGMA user_version = 1;")
    old.executescript("""
        INSERT INTO suppliers VALUES ('acme', 'Acme', 'USD', 'en_US');
        INSERT INTO materials VALUES ('walnut', 'Walnut', 'board_foot');
        INSERT INTO offers VALUES ('walnut@acme', 'walnut', 'acme', 'http://127.0.0.1:9/w', '1 board_foot', NULL, NULL, 1);
        INSERT INTO runs (id, source, started_at, as_of, status) VALUES (1, 'crawl', '2025-01-01', '2025-01-01', 'ok');
        INSERT INTO observations (run_id, offer_id, material_id, supplier_id, fetched_at, status, price, currency, pack, unit_price)
        VALUES (1, 'walnut@acme', 'walnut', 'acme', '2025-01-01T03:00:00+00:00', 'ok', 12.5, 'USD', '1 board_foot', 12.5);
    """)
    old.close()
    db = store.open_db(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    (row,) = db.query("SELECT * FROM observations")
    assert (row["price"], row["unit_price"], row["landed_unit_price"]) == (12.5, 12.5, 12.5)
    assert [r["offer_id"] for r in db.query("SELECT * FROM latest_prices")] == ["walnut@acme"]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.open_db(path)  # opening again changes nothing
    assert schema.schema_version(db) == schema.SCHEMA_VERSION


def test_database_of_schema_5_checked_into_tests_opens_with_every_row(tmp_path):
    """A real database written by schema 5 (a 12-night demo); later schemas must keep opening it."""
    import shutil
    from pathlib import Path

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema-v5.db", path)
    before = {t: sqlite3.connect(path).execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("observations", "runs", "alerts", "notifications", "latest_observations")}
    db = store.open_db(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    assert {t: db[t].count for t in before} == before
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(list(db.query("SELECT * FROM latest_prices"))) == 7


def test_a_version_13_database_upgrades_and_keeps_its_untold_events(tmp_path):
    """Version 14 keeps the input behind a product's move with each alert event; events written before
    have none and still compose."""
    from monitor import alerts

    path = tmp_path / "v13.db"
    old = sqlite3.connect(path)
    for version in range(1, 14):
        step = schema.MIGRATIONS[version]
        if callable(step):
            step(sqlite_utils.Database(old))
        else:
            old.executescript(step)
    old.executescript("""
        PRAGMA user_version = 13;
        INSERT INTO alerts (id, fingerprint, rule, kind, label, product_id, direction, severity, state, value, reference, unit, currency,
                            message, first_seen, first_fired, last_fired, anchor_at)
        VALUES (1, 'f', 'runup', 'runup', 'Side table', 'side-table', 'up', 'critical', 'firing', 230.8, 190.0, 'table', 'USD',
                'Side table up 21%', '2026-03-20', '2026-03-25', '2026-03-25', '2026-03-05');
        INSERT INTO alert_events (alert_id, night, event, severity, told, message, value, reference, unit, currency, observed_at)
        VALUES (1, '2026-03-25T03:00:00+00:00', 'fired', 'critical', 1, 'Side table up 21%', 230.8, 190.0, 'table', 'USD',
                '2026-03-25T03:00:00+00:00');
    """)
    old.close()
    db = store.open_db(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION >= 14
    assert "driver" in db["alert_events"].columns_dict
    ((_, event),) = alerts.untold(db)
    assert (event.message, event.value, event.driver) == ("Side table up 21%", 230.8, None)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
