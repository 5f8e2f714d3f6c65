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
from monitor.store.items import read_items  # noqa: E402


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
    db.close()
    return timings


def raw_baseline(db_path: Path, as_of: str, offers: int) -> float:
    """The same night's inserts and the rules' window read, in raw sqlite3: the floor we build on."""
    db = sqlite3.connect(db_path)
    t0 = time.perf_counter()
    with db:
        db.executemany("INSERT INTO observations (run_id, offer_id, material_id, supplier_id, fetched_at, status, price, unit_price) "
                       "VALUES (1, ?, ?, 's0', ?, 'ok', 1.0, 1.0)", [(f"m{i}@s{i % 100}", f"m{i}", as_of) for i in range(offers)])
    since = store_time_minus(as_of, 121)
    db.execute("SELECT offer_id, id, fetched_at, unit_price, in_stock FROM observations WHERE fetched_at > ? AND fetched_at <= ? "
               "AND status = 'ok' ORDER BY offer_id, fetched_at", [since, as_of]).fetchall()
    seconds = time.perf_counter() - t0
    db.close()
    return seconds


def store_time_minus(as_of: str, days: int) -> str:
    return (rules.parse_time(as_of) - timedelta(days=days)).isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    config = config_module.load(args.database.parent / "supplywatch.yml")
    print(f"config with {len(config.materials):,} materials validated in {time.perf_counter() - started:.1f} s")
    db = sqlite3.connect(args.database)
    first, last, count = db.execute("SELECT min(fetched_at), max(fetched_at), count(*) FROM observations").fetchone()
    db.close()
    print(f"history: {count:,} observations from {first[:10]} to {last[:10]}")
    with tempfile.TemporaryDirectory(dir=args.database.parent) as scratch:
        for label, as_of in (("after 1 year", store_time_minus(first, -365)),
                             ("after 3 years", (rules.parse_time(last) + timedelta(days=1)).isoformat())):
            copy = Path(scratch) / "night.db"
            shutil.copy(args.database, copy)
            for suffix in ("-wal", "-shm"):
                Path(f"{args.database}{suffix}").exists() and shutil.copy(f"{args.database}{suffix}", f"{copy}{suffix}")
            as_of = as_of.replace("T03:00:00", "T15:00:00")
            timings = night(copy, config, as_of)
            base = raw_baseline(copy, as_of.replace("T15", "T16"), len(config.materials))
            print(f"night {label} ({as_of[:10]}): {timings['total']:.2f} s = store {timings['store']:.2f} + rules {timings['rules']:.2f} "
                  f"+ alerts {timings['alerts']:.2f}; {timings['observations']:,} observations, {timings['findings']:,} findings, "
                  f"{timings['transitions']} alert changes; raw sqlite3 insert + window read: {base:.2f} s")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
