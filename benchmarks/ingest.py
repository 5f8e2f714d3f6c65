"""Ingest: observations per second through the store, against raw ``sqlite3.executemany``.

A database with ``--history`` nights of ``--offers`` offers is built first; then one night's feed
is ingested the way ``supplywatch ingest`` / ``run`` store it (unit conversion, exchange rate,
plausibility against the recent median, the latest-price table, one transaction). Two baselines,
in the same run, each into a copy of the database as it was before (same schema, same indexes,
same PRAGMAs, one transaction): raw ``executemany`` of the very observation rows the store wrote;
and raw ``executemany`` of every row the store wrote, the observations and the rows of the
latest-price table (each offer's newest observation and its last ten unit prices, as the store
left them), so the difference is supplywatch's own work. The target is judged on the second: the
store's night is both tables in one transaction. Each is timed ``--repeat`` times on fresh copies,
taken in turn; the best is reported, and the ratio pair by pair.

    python benchmarks/ingest.py --offers 10000 --history 30
"""

from __future__ import annotations

import argparse
import math
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import config as config_module, pipeline, store  # noqa: E402
from monitor.store.items import read_items  # noqa: E402
from monitor.store.pricing import COLUMNS  # noqa: E402

SUPPLIERS = 20
CLOCK = time.perf_counter  # --cpu: time.process_time, this process's CPU seconds (a shared machine's load left out)


def make_config(directory: Path, offers: int) -> config_module.Config:
    lines = ["database: bench.db", "currency: USD", "exchange_rates: {EUR: 1.08}", "crawl: {contact: bench@example.com}", "suppliers:"]
    lines += [f"  - {{id: s{s}, name: Supplier {s}, currency: {'EUR' if s % 4 == 0 else 'USD'}}}" for s in range(SUPPLIERS)]
    lines.append("materials:")
    for i in range(offers):
        lines += [f"  - id: m{i}", f"    name: Material {i}", "    unit: kg",
                  f'    offers: [{{supplier: s{i % SUPPLIERS}, url: "http://127.0.0.{2 + i % SUPPLIERS}/p/{i}", pack: {"25 kg" if i % 2 else "50 lb"}}}]']
    path = directory / "supplywatch.yml"
    path.write_text("\n".join(lines))
    return config_module.load(path)


def night_items(config: config_module.Config, night: int, start: datetime) -> list[dict]:
    as_of = (start + timedelta(days=night)).isoformat()
    return [{"offer_id": o.offer_id, "status": "ok", "fetched_at": as_of, "currency": o.currency, "pack": o.pack,
             "price": f"{50 * (1 + 0.3 * math.sin((night // 7) / 8 + i)):.2f}", "method": "json-ld", "http_status": 200}
            for i, o in enumerate(config.offers())]


LATEST = ("INSERT INTO latest_observations (offer_id, observation_id, fetched_at, recent_unit_prices) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at, "
          "recent_unit_prices = excluded.recent_unit_prices")


def timed_store(path: Path, config: config_module.Config, items: list[dict]) -> tuple[float, list, dict[str, int], list]:
    """The store's time; the observations it wrote, its PRAGMAs and the latest-price rows it left."""
    db = store.open_db(path)
    run_id = store.start_run(db, "bench", items[0]["fetched_at"])
    started = CLOCK()
    rows = store.record_observations(db, config, run_id, read_items(items)[0])
    elapsed = CLOCK() - started
    pragmas = {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("synchronous", "cache_size")}
    latest = db.execute("SELECT offer_id, observation_id, fetched_at, recent_unit_prices FROM latest_observations "
                        "WHERE observation_id IN (SELECT id FROM observations WHERE run_id = ?)", [run_id]).fetchall()
    db.close()
    return elapsed, rows, pragmas, latest


def timed_raw(path: Path, rows: list, pragmas: dict[str, int], latest: list | None = None) -> float:
    """Raw executemany of the store's observation rows, and of its latest-price rows when given."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    for name, value in pragmas.items():  # the store's own: the difference is its work, not a setting
        raw.execute(f"PRAGMA {name} = {value}")
    raw.execute("INSERT INTO runs (id, source, started_at, as_of) VALUES (?, 'bench', '', '')", [rows[0].run_id])
    columns = COLUMNS
    values = [r.values() for r in rows]
    started = CLOCK()
    raw.execute("BEGIN")
    raw.executemany(f"INSERT INTO observations ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
    if latest is not None:
        raw.executemany(LATEST, latest)
    raw.execute("COMMIT")
    elapsed = CLOCK() - started
    raw.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=30, help="nights already in the database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="time CPU seconds of this process rather than wall seconds")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    start = datetime(2025, 1, 1, 3, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = make_config(directory, args.offers)
        db, _ = pipeline.open_store(config)
        filled = time.perf_counter()
        for night in range(args.history):
            items = night_items(config, night, start)
            store.record_observations(db, config, store.start_run(db, "history", items[0]["fetched_at"]), read_items(items)[0])
        filled = time.perf_counter() - filled
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        tonight = night_items(config, args.history, start)

        store_times, raw_times, all_times = [], [], []
        for attempt in range(args.repeat):
            copy = directory / f"store-{attempt}.db"
            shutil.copy(config.database_path, copy)
            elapsed, rows, pragmas, latest = timed_store(copy, config, tonight)
            store_times.append(elapsed)
            copy = directory / f"raw-{attempt}.db"
            shutil.copy(config.database_path, copy)
            raw_times.append(timed_raw(copy, rows, pragmas))
            copy = directory / f"all-{attempt}.db"
            shutil.copy(config.database_path, copy)
            all_times.append(timed_raw(copy, rows, pragmas, latest))
        assert all(r.status == "ok" for r in rows), "every benchmark price should be plausible"
        assert len(latest) == len(tonight), "every offer's latest price should have moved"

    count = len(tonight)
    print(f"offers: {args.offers}, history: {args.history} nights ({args.offers * args.history:,} observations, filled in {filled:.1f} s); "
          f"PRAGMAs {pragmas} for all; {'CPU' if args.cpu else 'wall'} seconds")
    print(f"store (supplywatch: units, fx, plausibility, latest prices): {count / min(store_times):,.0f} observations/s  "
          f"(best of {args.repeat}: {min(store_times):.3f} s)")
    for name, times, judged in (("raw sqlite3.executemany of the same observation rows:       ", raw_times, ""),
                                ("raw executemany of every row the store wrote (+ latest):    ", all_times, " (target >= 70 %, judged on this one)")):
        ratios = sorted(raw / ours for ours, raw in zip(store_times, times))  # pair by pair: taken in turn
        print(f"{name}{count / min(times):,.0f} observations/s  (best of {args.repeat}: {min(times):.3f} s); store at "
              f"{100 * min(times) / min(store_times):.0f} % of it (best of each); pair by pair median {100 * statistics.median(ratios):.0f} %, "
              f"from {100 * ratios[0]:.0f} to {100 * ratios[-1]:.0f} %{judged}")


if __name__ == "__main__":
    main()
