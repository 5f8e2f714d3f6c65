"""One night of supplywatch on a large database: store the night's prices, evaluate every rule,
move every alert. Run it after ``generate.py``; it times a night in the first year and one at the
end of the history, to show a night costs what it adds, not what is already stored.

    python benchmarks/generate.py /tmp/bench/big.db --offers 10000 --days 1095
    python benchmarks/nightly_evaluation.py /tmp/bench/big.db
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import alerts, config as config_module, notify, pipeline, rules, store  # noqa: E402
from monitor.rules.evaluate import history_ranges  # noqa: E402
from monitor.store.items import read_items  # noqa: E402
from monitor.store.pricing import COLUMNS  # noqa: E402


def night(db_path: Path, config: config_module.Config, as_of: str) -> dict[str, float]:
    db, _ = pipeline.open_store(config, db_path)
    latest = {r[0]: r[1] for r in db.execute(
        "SELECT offer_id, price FROM observations WHERE fetched_at = (SELECT max(fetched_at) FROM observations WHERE fetched_at < ?)", [as_of])}
    rng = random.Random(1)
    items, _ = read_items({"offer_id": o, "status": "ok", "fetched_at": as_of, "price": f"{p * (1 + rng.gauss(0, 0.01)):.2f}"}
                          for o, p in latest.items())
    timings = {}
    t0 = time.perf_counter()
    run_id = store.start_run(db, "bench", as_of)
    rows = store.record_observations(db, config, run_id, items)
    t1 = time.perf_counter()
    context = rules.Context(as_of, rules.Formatter(config.currency), alerts.open_alerts(db))
    pages: dict[str, tuple[int, int]] = {}
    for row in rows:
        total, priced = pages.get(row.supplier_id, (0, 0))
        pages[row.supplier_id] = (total + 1, priced + (row.status in ("ok", "suspect")))
    findings = rules.evaluate_suppliers(config, context, pages) + rules.evaluate_offers(db, config, context)
    t2 = time.perf_counter()
    transitions = alerts.apply(db, findings, as_of, known=context.open_alerts)
    notify.compose(transitions, notify.DigestContext(as_of[:10]))
    t3 = time.perf_counter()
    timings.update(store=t1 - t0, rules=t2 - t1, alerts=t3 - t2, total=t3 - t0, observations=len(items),
                   findings=len(findings), transitions=len(transitions))
    timings["rows"] = [row.values() for row in rows]  # type: ignore[assignment]
    timings["run_id"] = run_id
    db.close()
    return timings


def raw_baseline(db_path: Path, config: config_module.Config, as_of: str, rows: list[tuple], run_id: int) -> float:
    """Raw sqlite3 doing the night's inserts and reads: the recent prices read before storing, the
    very rows the store wrote, the latest-price table and windows updated, the offers and the
    stretches of history the rules read, the open alerts. What supplywatch adds is its own work."""
    db = sqlite3.connect(db_path, isolation_level=None)
    wanted = [r for m in config.materials for r in rules.rules_for_material(config, m)]
    now = rules.parse_time(as_of)
    ranges = history_ranges(wanted)
    where = " OR ".join("(o.fetched_at > ? AND o.fetched_at <= ?)" for _ in ranges)
    params = [t for start, end in ranges for t in ((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat())]
    db.execute("INSERT INTO runs (id, source, started_at, as_of) VALUES (?, 'bench', ?, ?)", [run_id, as_of, as_of])
    t0 = time.perf_counter()
    db.execute("SELECT l.offer_id, l.fetched_at, l.recent_unit_prices, o.pack FROM latest_observations l "
               "JOIN observations o ON o.id = l.observation_id").fetchall()
    db.execute("BEGIN")
    last_id = db.execute("SELECT max(id) FROM observations").fetchone()[0] or 0
    db.executemany(f"INSERT INTO observations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    db.execute("INSERT INTO latest_observations (offer_id, observation_id, fetched_at) "
               "SELECT offer_id, id, fetched_at FROM observations WHERE run_id = ? AND id > ? AND status = 'ok' ORDER BY id "
               "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at "
               "WHERE excluded.fetched_at > latest_observations.fetched_at", [run_id, last_id])
    db.executemany("UPDATE latest_observations SET recent_unit_prices = ? WHERE offer_id = ?",
                   [("[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]", row[COLUMNS.index("offer_id")]) for row in rows])
    db.execute("COMMIT")
    db.execute("SELECT o.id, o.material_id, o.supplier_id, s.name FROM offers o JOIN suppliers s ON s.id = o.supplier_id WHERE o.active").fetchall()
    db.execute(f"SELECT o.offer_id, o.id, o.fetched_at, o.unit_price, o.in_stock, julianday(o.fetched_at) FROM observations o "
               f"JOIN materials m ON m.id = o.material_id WHERE ({where}) AND o.status = 'ok' AND o.unit_price IS NOT NULL "
               f"AND o.unit = m.unit AND o.home_currency = ? ORDER BY o.offer_id, o.fetched_at", params + [config.currency]).fetchall()
    db.execute("SELECT * FROM alerts WHERE state IN ('pending', 'firing')").fetchall()
    seconds = time.perf_counter() - t0
    db.close()
    return seconds


def store_time_minus(as_of: str, days: int) -> str:
    return (rules.parse_time(as_of) - timedelta(days=days)).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", type=Path)
    parser.add_argument("--last-only", action="store_true", help="only the night at the end of the history")
    args = parser.parse_args()
    started = time.perf_counter()
    config = config_module.load(args.database.parent / "supplywatch.yml")
    print(f"config with {len(config.materials):,} materials validated in {time.perf_counter() - started:.1f} s")
    db = sqlite3.connect(args.database)
    first, last, count = db.execute("SELECT min(fetched_at), max(fetched_at), count(*) FROM observations").fetchone()
    db.close()
    print(f"history: {count:,} observations from {first[:10]} to {last[:10]}")
    with tempfile.TemporaryDirectory(dir=args.database.parent) as scratch:
        years = [("after 3 years", (rules.parse_time(last) + timedelta(days=1)).isoformat())]
        if not args.last_only:
            years.insert(0, ("after 1 year", store_time_minus(first, -365)))
        for label, as_of in years:
            copies = []
            for name in ("night.db", "raw.db"):
                copy = Path(scratch) / name
                shutil.copy(args.database, copy)
                for suffix in ("-wal", "-shm"):
                    Path(f"{args.database}{suffix}").exists() and shutil.copy(f"{args.database}{suffix}", f"{copy}{suffix}")
                copies.append(copy)
            as_of = as_of.replace("T03:00:00", "T15:00:00")
            timings = night(copies[0], config, as_of)
            base = raw_baseline(copies[1], config, as_of, timings.pop("rows"), timings.pop("run_id"))  # type: ignore[arg-type]
            print(f"night {label} ({as_of[:10]}): {timings['total']:.2f} s = store {timings['store']:.2f} + rules {timings['rules']:.2f} "
                  f"+ alerts {timings['alerts']:.2f}; {timings['observations']:,} observations, {timings['findings']:,} findings, "
                  f"{timings['transitions']} alert changes; raw sqlite3 same inserts and reads: {base:.2f} s ({timings['total'] / base:.2f} x)")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
