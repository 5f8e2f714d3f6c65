"""The store keeps each offer's last ten valid unit prices beside its latest price; what it keeps
must equal what the history says, also when a late feed brings an older price."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import config as config_module, pipeline, store
from monitor.store import items
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


@pytest.mark.parametrize("added, problem", [
    ("    seen: tuple[str, ...] = __import__('dataclasses').field(default_factory=tuple)\n", "field seen has a default_factory"),
    ("    def __post_init__(self) -> None:\n        pass\n", "it has a __post_init__"),
    ("    seen: str | None = None\n", "from_mapping fills no field seen"),
])
def test_items_module_refuses_to_load_once_price_item_has_a_field_its_fast_construction_gets_wrong(tmp_path, added, problem):
    # items._made fills an item's __dict__ from the fields' defaults: a default_factory's default is MISSING,
    # and a __post_init__ would never run; the module must refuse to load rather than store such items
    source = Path(items.__file__).read_text()
    anchor = "\n    final_url: str | None = None  # where the page was read, when a redirect moved it\n"
    assert anchor in source
    package = tmp_path / "copied"  # the module beside what it imports, outside supplywatch
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "collector.py").write_text((Path(items.__file__).parent / "collector.py").read_text())
    (package / "items_as_is.py").write_text(source)
    (package / "items_changed.py").write_text(source.replace(anchor, anchor + added, 1))
    as_is = subprocess.run([sys.executable, "-c", "import copied.items_as_is"], cwd=tmp_path, capture_output=True, text=True)
    assert as_is.returncode == 0, as_is.stderr
    changed = subprocess.run([sys.executable, "-c", "import copied.items_changed"], cwd=tmp_path, capture_output=True, text=True)
    assert changed.returncode == 1
    assert f"TypeError: PriceItem can no longer be built by items._made ({problem})" in changed.stderr, changed.stderr
