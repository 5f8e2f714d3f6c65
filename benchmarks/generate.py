"""Build a large supplywatch database for benchmarks: N offers x D days of daily prices.

Written with raw sqlite3 into the real schema (so it is fast to build), with prices that move like
supplier prices: sticky for days, then a step, with slow drifts. Reused by other benchmarks.

    python benchmarks/generate.py /tmp/big.db --offers 10000 --days 1095
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.store import schema  # noqa: E402

END = datetime(2026, 11, 1, 3, tzinfo=timezone.utc)


def config_text(offers: int, database: str) -> str:
    """A supplywatch.yml for the generated offers: 100 suppliers, one material per offer."""
    lines = [f"database: {database}", "currency: USD", "crawl: {contact: bench@example.com, delay_seconds: 0}", "suppliers:"]
    lines += [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(100)]
    lines.append("materials:")
    for i in range(offers):
        lines.append(f'  - {{id: m{i}, name: Material {i}, unit: kg, offers: [{{supplier: s{i % 100}, url: "http://127.0.0.1:9/p/{i}", pack: 25 kg}}]}}')
    return "\n".join(lines) + "\n"


def generate(path: Path, offers: int, days: int, seed: int = 7) -> float:
    start = time.perf_counter()
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    schema.migrate(sqlite_utils.Database(db))
    rng = random.Random(seed)
    with db:
        db.executemany("INSERT INTO suppliers VALUES (?, ?, 'USD', 'en_US')", [(f"s{s}", f"Supplier {s}") for s in range(100)])
        db.executemany("INSERT INTO materials (id, name, unit, currency) VALUES (?, ?, 'kg', 'USD')", [(f"m{i}", f"Material {i}") for i in range(offers)])
        db.executemany("INSERT INTO offers VALUES (?, ?, ?, ?, '25 kg', NULL, NULL, 1)",
                       [(f"m{i}@s{i % 100}", f"m{i}", f"s{i % 100}", f"http://127.0.0.1:9/p/{i}") for i in range(offers)])
        db.executemany("INSERT INTO runs (id, source, started_at, finished_at, as_of, status) VALUES (?, 'bench', ?, ?, ?, 'ok')",
                       [(d + 1, t, t, t) for d in range(days) for t in [(END - timedelta(days=days - d)).isoformat()]])
    price = [rng.uniform(20, 200) for _ in range(offers)]
    drift = [rng.uniform(-0.0005, 0.0008) for _ in range(offers)]
    recent: list[list[float]] = [[] for _ in range(offers)]  # each offer's last ten unit prices, as the store keeps them
    for d in range(days):
        fetched = (END - timedelta(days=days - d)).isoformat()
        rows = []
        for i in range(offers):
            if rng.random() < 0.08:  # suppliers reprice now and then, not every night
                price[i] *= 1 + drift[i] * 12 + rng.gauss(0, 0.02)
            p = round(price[i], 2)
            rows.append((d + 1, f"m{i}@s{i % 100}", f"m{i}", f"s{i % 100}", fetched, p, p / 25))
            if d >= days - 10:
                recent[i].insert(0, p / 25)
        with db:
            db.executemany(
                "INSERT INTO observations (run_id, offer_id, material_id, supplier_id, fetched_at, status, price, currency, pack, "
                "pack_source, unit_price, fx_rate, landed_unit_price, in_stock, method, unit, home_currency) "
                "VALUES (?, ?, ?, ?, ?, 'ok', ?, 'USD', '25 kg', 'config', ?, 1.0, ?7, 1, 'json-ld', 'kg', 'USD')", rows)
    with db:  # each offer's latest price and its recent window, as a run leaves them
        db.execute("INSERT INTO latest_observations (offer_id, observation_id, fetched_at) "
                   "SELECT offer_id, id, fetched_at FROM observations WHERE run_id = ?", [days])
        db.executemany("UPDATE latest_observations SET recent_unit_prices = ? WHERE offer_id = ?",
                       [(json.dumps(recent[i]), f"m{i}@s{i % 100}") for i in range(offers)])
    db.close()
    (path.parent / "supplywatch.yml").write_text(config_text(offers, path.name))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1095)
    args = parser.parse_args()
    seconds = generate(args.path, args.offers, args.days)
    rows = args.offers * args.days
    print(f"{rows:,} observations ({args.offers:,} offers x {args.days} days) in {seconds:.0f} s "
          f"({rows / seconds:,.0f} rows/s), {args.path.stat().st_size / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
