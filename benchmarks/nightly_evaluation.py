"""A night of supplywatch on a long history, through the real pipeline, beside raw sqlite3.

Run it after ``generate.py`` (10,000 offers of 100 suppliers x 3 years of nightly prices). Each
night, the way ``supplywatch run`` handles one: the store opened (migrated, config synced), a
:class:`~monitor.pipeline.Run` given the night's prices one supplier's batch at a time (stored,
judged by the default rules, alerts moved, pushes queued) and finished (missing offers, the
digest, the run's row). Beside it, in turn, on its own copy of the same database: raw sqlite3
doing the same inserts (the very rows the run stored, the latest-price table and its recent
prices) and reading the same history the night reads (each batch's recent prices, the stretches
of history of the change, trend and stale rules, the run-up's grid nights, the open alerts, and
the window every material's buy-window verdict reads), with the store's PRAGMAs.
``--nights`` nights are taken in turn, one after the other at the end of the history.

    python benchmarks/generate.py /tmp/bench/big.db --offers 10000 --days 1095
    python benchmarks/nightly_evaluation.py /tmp/bench/big.db --nights 3
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import config as config_module, pipeline, rules  # noqa: E402
from monitor.decisions import runway  # noqa: E402
from monitor.rules import runup  # noqa: E402
from monitor.rules.evaluate import history_ranges, julian_day  # noqa: E402
from monitor.rules.runup import RunUpRule  # noqa: E402
from monitor.store.pricing import COLUMNS, window_text  # noqa: E402

INSERT = f"INSERT OR IGNORE INTO observations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def night_batches(path: Path, as_of: str, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Tonight's prices, one list per supplier: each offer's last price moved by about 1 %."""
    db = sqlite3.connect(path)
    rng = random.Random(seed)
    batches: dict[str, list[dict[str, Any]]] = {}
    for offer_id, supplier_id, price in db.execute(
            "SELECT l.offer_id, o.supplier_id, o.price FROM latest_observations l JOIN observations o ON o.id = l.observation_id "
            "ORDER BY o.supplier_id, l.offer_id"):
        batches.setdefault(supplier_id, []).append(
            {"offer_id": offer_id, "status": "ok", "fetched_at": as_of, "price": f"{price * (1 + rng.gauss(0, 0.01)):.2f}"})
    db.close()
    return batches


def our_night(path: Path, config: config_module.Config, as_of: str, batches: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The night through the real pipeline; the rows it stored, batch by batch, for the baseline."""
    t0 = time.perf_counter()
    db, notes = pipeline.open_store(config, path)
    t1, cpu = time.perf_counter(), time.process_time()
    stored: dict[str, list[tuple[Any, ...]]] = {}
    offers = [o for o in config.offers() if o.active]
    with pipeline.Run(db, config, "bench", as_of, expected=offers, echo=lambda _: None, notes=notes) as night:
        for supplier, items in batches.items():
            stored[supplier] = [row.values() for row in night.accept(items)]
        result = night.finish()
    t2, cpu = time.perf_counter(), time.process_time() - cpu
    pragmas = {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("synchronous", "cache_size")}
    db.close()
    return {"open": t1 - t0, "night": t2 - t1, "cpu": cpu, "stored": stored, "run_id": result.run_id, "message": result.message,
            "transitions": len(result.transitions), "pragmas": pragmas}


def raw_night(path: Path, config: config_module.Config, as_of: str, stored: dict[str, list[tuple[Any, ...]]], run_id: int,
              pragmas: dict[str, int]) -> tuple[float, float, int]:
    """Raw sqlite3, the same PRAGMAs: per supplier batch, its recent prices read, its rows stored
    with the latest-price table and its recent prices (one transaction), then the history the rules
    read for its offers; at the end, the window the decisions read for every material's outlook
    (its buy-window verdict). Returns wall and CPU seconds and how many history rows it read."""
    wanted = [r for m in config.materials for r in rules.rules_for_material(config, m) if r.judged_here]
    ranges = history_ranges(wanted)
    widest = max((r.history_days() for r in wanted if isinstance(r, RunUpRule)), default=0)
    days = max((r.days for r in wanted if isinstance(r, RunUpRule)), default=0)
    now = rules.parse_time(as_of)
    ago = lambda d: (now - timedelta(days=d)).isoformat()  # noqa: E731
    grid = [(ago(start), ago(end)) for start, end in runup.grid_ranges(julian_day(as_of), days, widest)] if widest else []
    grid_query = ("WITH nights(after, until) AS (VALUES " + ", ".join("(?, ?)" for _ in grid) + ") "
                  "SELECT o.offer_id, o.fetched_at, o.unit_price FROM json_each(?) w CROSS JOIN nights "
                  "CROSS JOIN observations o WHERE o.offer_id = w.value AND o.fetched_at > nights.after "
                  "AND o.fetched_at <= nights.until AND o.status = 'ok'")
    offer_column, run_column, price_column = COLUMNS.index("offer_id"), COLUMNS.index("run_id"), COLUMNS.index("unit_price")
    db = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        db.execute(f"PRAGMA {name} = {value}")
    db.execute("INSERT INTO runs (id, source, started_at, as_of) VALUES (?, 'bench', ?, ?)", [run_id, as_of, as_of])
    read = 0
    t0, cpu = time.perf_counter(), time.process_time()
    db.execute("SELECT * FROM alerts WHERE state IN ('pending', 'firing')").fetchall()
    for rows in stored.values():
        ids = json.dumps([row[offer_column] for row in rows])
        windows = db.execute("SELECT l.offer_id, l.recent_unit_prices, o.pack FROM latest_observations l "
                             "JOIN observations o ON o.id = l.observation_id WHERE l.offer_id IN (SELECT value FROM json_each(?))",
                             [ids]).fetchall()
        recent = {offer_id: json.loads(text or "[]") for offer_id, text, _ in windows}
        db.execute("BEGIN")
        last_id = db.execute("SELECT max(id) FROM observations").fetchone()[0] or 0
        db.executemany(INSERT, [row[:run_column] + (run_id,) + row[run_column + 1:] for row in rows])
        db.execute("INSERT INTO latest_observations (offer_id, observation_id, fetched_at) "
                   "SELECT offer_id, id, fetched_at FROM observations WHERE id > ? AND status = 'ok' "
                   "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at",
                   [last_id])
        db.executemany("UPDATE latest_observations SET recent_unit_prices = ? WHERE offer_id = ?",
                       [(window_text([row[price_column], *recent.get(row[offer_column], [])][:10]), row[offer_column])
                        for row in rows if row[price_column] is not None])
        db.execute("COMMIT")
        for start, end in ranges:
            read += len(db.execute("SELECT id, offer_id, fetched_at, unit_price, in_stock FROM observations "
                                   "WHERE offer_id IN (SELECT value FROM json_each(?)) AND fetched_at > ? AND fetched_at <= ? "
                                   "AND status = 'ok'", [ids, ago(start), ago(end)]).fetchall())
        if grid:
            read += len(db.execute(grid_query, [t for pair in grid for t in pair] + [ids]).fetchall())
    read += len(db.execute("SELECT offer_id, fetched_at, landed_unit_price, in_stock FROM observations WHERE fetched_at > ? "
                           "AND fetched_at <= ? AND status = 'ok' AND landed_unit_price IS NOT NULL",
                           [ago(runway.window_days(config)), as_of]).fetchall())
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu
    db.close()
    return seconds, cpu, read


def copy_database(source: Path, destination: Path) -> None:
    shutil.copy(source, destination)
    for suffix in ("-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{destination}{suffix}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path)
    parser.add_argument("--nights", type=int, default=3, help="nights taken in turn, each on the night before's database")
    parser.add_argument("--last-only", action="store_true", help="(kept for targets.py) the same as the default")
    args = parser.parse_args()
    started = time.perf_counter()
    config = config_module.load(args.database.parent / "supplywatch.yml")
    print(f"config with {len(config.materials):,} materials validated in {time.perf_counter() - started:.1f} s")
    db = sqlite3.connect(args.database)
    first, last, count = db.execute("SELECT min(fetched_at), max(fetched_at), count(*) FROM observations").fetchone()
    db.close()
    print(f"history: {count:,} observations from {first[:10]} to {last[:10]}")
    ours, raws, opens, cpu_ratios = [], [], [], []
    with tempfile.TemporaryDirectory(dir=args.database.parent) as scratch:
        mine, theirs = Path(scratch) / "night.db", Path(scratch) / "raw.db"
        copy_database(args.database, mine)
        copy_database(args.database, theirs)
        for n in range(args.nights):
            as_of = (rules.parse_time(last) + timedelta(days=n + 1)).isoformat().replace("T03:00:00", "T15:00:00")
            batches = night_batches(mine, as_of, seed=n)
            night = our_night(mine, config, as_of, batches)
            raw, raw_cpu, read = raw_night(theirs, config, as_of, night["stored"], night["run_id"], night["pragmas"])
            stored = sum(len(rows) for rows in night["stored"].values())
            ours.append(night["night"])
            raws.append(raw)
            cpu_ratios.append(night["cpu"] / raw_cpu)
            opens.append(night["open"])
            print(f"night {as_of[:10]}: {len(batches)} supplier batches, {stored:,} observations, {night['transitions']} alert changes; "
                  f"supplywatch {night['night']:.2f} s (+ opening the store {night['open']:.2f} s); raw sqlite3 same inserts and "
                  f"reads ({read:,} history rows): {raw:.2f} s; {night['night'] / raw:.2f} x; CPU {night['cpu']:.2f} s against {raw_cpu:.2f} s, "
                  f"{night['cpu'] / raw_cpu:.2f} x  [{night['message'][:100]}]")
    ratios = [a / b for a, b in zip(ours, raws)]
    print(f"night after 3 years: {statistics.median(ours):.2f} s (median of {len(ours)}); raw sqlite3 same inserts and reads: "
          f"{statistics.median(raws):.2f} s; ratio {statistics.median(ratios):.2f} x (each night: {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"opening the store (migrate, sync 10,000 offers) {statistics.median(opens):.2f} s more; CPU seconds ratio "
          f"{statistics.median(cpu_ratios):.2f} x")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
