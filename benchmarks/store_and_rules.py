"""How fast the store takes observations, and how long a year of nightly rule evaluation takes.

Baseline, in the same run: raw ``sqlite3.executemany`` of the same rows into the same schema.

    python benchmarks/store_and_rules.py --offers 200 --nights 365
"""

from __future__ import annotations

import argparse
import math
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import alerts, config as config_module, pipeline, rules, store  # noqa: E402
from monitor.store import schema  # noqa: E402
from monitor.store.items import read_items  # noqa: E402
from monitor.store.pricing import COLUMNS  # noqa: E402


def make_config(directory: Path, offers: int) -> config_module.Config:
    lines = ["database: bench.db", "currency: USD", "crawl: {contact: bench@example.com}",
             "suppliers:", "  - {id: acme, name: Acme}", "materials:"]
    for i in range(offers):
        lines += [f"  - id: m{i}", f"    name: Material {i}", "    unit: kg",
                  f'    offers: [{{supplier: acme, url: "http://127.0.0.1:9/p/{i}", pack: 25 kg}}]']
    path = directory / "supplywatch.yml"
    path.write_text("\n".join(lines))
    return config_module.load(path)


def night_items(offers: int, night: int, start: datetime) -> list[dict]:
    as_of = (start + timedelta(days=night)).isoformat()
    # A slow climb with weekly steps, like a real supplier's sticky prices.
    return [{"offer_id": f"m{i}@acme", "status": "ok", "fetched_at": as_of,
             "price": f"{50 * (1 + 0.3 * math.sin((night // 7) / 8 + i)):.2f}"} for i in range(offers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--nights", type=int, default=365)
    args = parser.parse_args()
    start = datetime(2025, 1, 1, 3, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = make_config(directory, args.offers)
        db, _ = pipeline.open_store(config)

        store_seconds = rules_seconds = 0.0
        rows_written: list = []
        began = time.perf_counter()
        for night in range(args.nights):
            items, _ = read_items(night_items(args.offers, night, start))
            as_of = items[0].fetched_at
            run_id = store.start_run(db, "bench", as_of)
            t0 = time.perf_counter()
            rows_written += store.record_observations(db, config, run_id, items)
            t1 = time.perf_counter()
            context = rules.Context(as_of, rules.Formatter(config.currency), alerts.open_alerts(db))
            alerts.apply(db, rules.evaluate_offers(db, config, context), as_of, known=context.open_alerts)
            rules_seconds += time.perf_counter() - t1
            store_seconds += t1 - t0
        total = time.perf_counter() - began
        count = len(rows_written)

        raw = sqlite3.connect(directory / "raw.db")
        schema.migrate(sqlite_utils.Database(raw))
        raw.execute("PRAGMA journal_mode=WAL")
        raw.executemany("INSERT INTO runs (id, source, started_at, as_of) VALUES (?, 'bench', '', '')",
                        [(r,) for r in range(1, args.nights + 1)])
        raw.execute("PRAGMA foreign_keys = OFF")
        columns = COLUMNS
        values = [r.values() for r in rows_written]
        t0 = time.perf_counter()
        with raw:
            raw.executemany(f"INSERT INTO observations ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
        raw_seconds = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"offers: {args.offers}, nights: {args.nights}, observations: {count}")
    print(f"store (supplywatch, incl. unit conversion and plausibility): {count / store_seconds:,.0f} rows/s")
    print(f"raw sqlite3.executemany of the same rows:                    {count / raw_seconds:,.0f} rows/s")
    print(f"store / raw: {100 * (count / store_seconds) / (count / raw_seconds):.1f} %")
    print(f"rules + alerts, {args.nights} nights: {rules_seconds:.1f} s ({1000 * rules_seconds / args.nights:.1f} ms per night)")
    print(f"a year of history end to end (store + rules, no crawl): {total:.1f} s")
    print(f"peak memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
