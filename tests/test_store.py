"""The store keeps each offer's last ten valid unit prices beside its latest price; what it keeps
must equal what the history says, also when a late feed brings an older price."""

from __future__ import annotations

import json

from monitor import config as config_module, pipeline, store
from monitor.store.items import PriceItem
from tests.conftest import write_config


def load(tmp_path):
    write_config(tmp_path, '- {id: walnut, name: Walnut, unit: kg, offers: [{supplier: acme, url: "http://127.0.0.1:9/p/w"}]}')
    config = config_module.load(tmp_path / "supplywatch.yml")
    db, _ = pipeline.open_store(config)
    return config, db


def record(db, config, day: int, price: str):
    item = PriceItem.from_mapping({"offer_id": "walnut@acme", "status": "ok", "price": price, "fetched_at": f"2026-03-{day:02d}T03:00:00+00:00"})
    run_id = store.start_run(db, "test", item.fetched_at)
    return store.record_observations(db, config, run_id, [item])[0]


def window_from_history(db) -> list[float]:
    return [r[0] for r in db.execute("SELECT unit_price FROM observations WHERE status = 'ok' ORDER BY fetched_at DESC LIMIT 10")]


def kept_window(db) -> list[float]:
    return json.loads(db.execute("SELECT recent_unit_prices FROM latest_observations").fetchone()[0])


def test_recent_prices_follow_the_history_including_a_late_older_price(tmp_path):
    config, db = load(tmp_path)
    for day in range(1, 14):
        record(db, config, day, f"{10 + day}.00")
    assert kept_window(db) == window_from_history(db) == [float(p) for p in range(23, 13, -1)]

    record(db, config, 20, "24.00")
    late = record(db, config, 15, "19.50")  # a feed crawled earlier, ingested late: not the newest
    assert late.status == "ok"
    assert db.execute("SELECT fetched_at FROM latest_observations").fetchone()[0].startswith("2026-03-20")
    assert kept_window(db) == window_from_history(db)
    assert 19.5 in kept_window(db)


def test_a_tenfold_glitch_is_judged_against_the_kept_prices(tmp_path):
    config, db = load(tmp_path)
    for day in range(1, 6):
        record(db, config, day, "12.00")
    glitch = record(db, config, 6, "120.00")
    assert glitch.status == "suspect" and "implausible jump" in glitch.error
    assert kept_window(db) == [12.0] * 5  # a suspect price does not enter the window
    assert record(db, config, 7, "12.10").status == "ok"
