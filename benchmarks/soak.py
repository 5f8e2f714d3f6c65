"""A year of nights in one go: 500 offers at 10 local suppliers (127.0.0.2-127.0.0.11, each its own
download slot), crawled night after night through the real spider, store, rules and alerts.

Reports per-night wall time (first month vs last month), database growth (bytes per observation),
open file descriptors and threads (first vs last night: nothing may leak), and whether the alerts
the nightly job raised match what the backtest of the same series gives for a sample of offers.

    python benchmarks/soak.py --nights 365 --offers 500
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import backtest, config as config_module, pipeline  # noqa: E402
from monitor.rules import DEFAULT_RULES  # noqa: E402

SUPPLIERS = 10


def price_series(offer: int, nights: int) -> list[float]:
    """Sticky prices with occasional steps and, for some offers, a real climb: alerts to find."""
    rng = random.Random(offer)
    price, series = rng.uniform(5, 50), []
    climb_from = rng.randrange(nights) if offer % 7 == 0 else None
    for night in range(nights):
        if rng.random() < 0.06:
            price *= 1 + rng.gauss(0, 0.04)
        if climb_from is not None and climb_from <= night < climb_from + 40:
            price *= 1.006
        series.append(round(price, 2))
    return series


class Site:
    """The suppliers' pages; ``night`` says which night's prices they show."""

    def __init__(self, offers: int, nights: int):
        self.night = 0
        self.prices = {i: price_series(i, nights) for i in range(offers)}
        self.servers = []
        for s in range(SUPPLIERS):
            site = self

            class Handler(BaseHTTPRequestHandler):
                def do_GET(self) -> None:  # noqa: N802
                    if self.path == "/robots.txt":
                        body = b"User-agent: *\nAllow: /\n"
                    else:
                        i = int(self.path.rsplit("/", 1)[-1])
                        price = site.prices[i][site.night]  # noqa: B023 (site is this class's own, bound above)
                        body = (f'<html><head><script type="application/ld+json">{{"@type": "Product", "name": "Item {i}", '
                                f'"offers": {{"@type": "Offer", "price": "{price}", "priceCurrency": "USD"}}}}</script></head></html>').encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args: object) -> None:
                    pass

            server = ThreadingHTTPServer((f"127.0.0.{s + 2}", 0), Handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    def url(self, i: int) -> str:
        host, port = self.servers[i % SUPPLIERS].server_address
        return f"http://{host}:{port}/p/{i}"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--offers", type=int, default=500)
    parser.add_argument("--sample", type=int, default=25, help="Offers whose alerts are checked against the backtest.")
    args = parser.parse_args()
    site = Site(args.offers, args.nights)
    start = datetime(2025, 1, 1, 3, tzinfo=timezone.utc)
    nights = [(start + timedelta(days=n)).isoformat() for n in range(args.nights)]
    with tempfile.TemporaryDirectory() as scratch:
        lines = ["database: soak.db", "currency: USD", "crawl: {contact: soak@example.com, delay_seconds: 0, retries: 0}", "suppliers:"]
        lines += [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS)]
        lines += ["materials:"] + [f'  - {{id: m{i}, name: Item {i}, unit: kg, offers: [{{supplier: s{i % SUPPLIERS}, url: "{site.url(i)}", pack: 1 kg}}]}}'
                                   for i in range(args.offers)]
        (Path(scratch) / "supplywatch.yml").write_text("\n".join(lines))
        config = config_module.load(Path(scratch) / "supplywatch.yml")
        db, _ = pipeline.open_store(config)
        offers = [o for o in config.offers() if o.active]
        walls, fds, threads, sizes = [], [], [], []
        began = [time.perf_counter()]

        def before(as_of: str | None) -> None:
            site.night = nights.index(as_of)
            began[0] = time.perf_counter()

        def handle(as_of: str | None, items: list, stats: dict) -> None:
            with pipeline.Run(db, config, "soak", as_of, expected=offers, echo=lambda _: None) as run:
                run.accept(items)
                run.finish(stats)
            walls.append(time.perf_counter() - began[0])
            fds.append(open_fds())
            threads.append(threading.active_count())
            sizes.append(sum(Path(f"{config.database_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{config.database_path}{s}").exists()))

        from monitor.crawl.local import crawl_nights

        crawl_nights(config, nights, handle, before_each=before, log_level="ERROR")
        observations = db.execute("SELECT count(*) FROM observations").fetchone()[0]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        final_size = config.database_path.stat().st_size
        month = min(30, len(walls) // 2)
        print(f"{args.nights} nights x {args.offers} offers: {observations:,} observations, {sum(walls):.0f} s in all")
        print(f"night wall time: first month {statistics.mean(walls[:month]):.2f} s, last month {statistics.mean(walls[-month:]):.2f} s")
        print(f"database: {final_size / 1e6:.1f} MB, {final_size / observations:.0f} bytes per observation "
              f"(after night {len(sizes) // 2}: {sizes[len(sizes) // 2 - 1] / 1e6:.1f} MB, at the end before checkpoint: {sizes[-1] / 1e6:.1f} MB)")
        print(f"open file descriptors: first night {fds[0]}, last night {fds[-1]}; threads: {threads[0]} -> {threads[-1]}")
        mismatches = 0
        for i in range(0, args.offers, max(args.offers // args.sample, 1)):
            series = [(n[:10], p) for n, p in zip(nights, site.prices[i])]
            expected = backtest.backtest(series, DEFAULT_RULES, unit="kg").count()
            got = db.execute("SELECT count(*) FROM alerts WHERE offer_id = ? AND first_fired IS NOT NULL AND kind != 'extraction'",
                             [f"m{i}@s{i % SUPPLIERS}"]).fetchone()[0]
            escalations = sum(1 for e in backtest.backtest(series, DEFAULT_RULES, unit="kg").events if e.event == "escalated")
            mismatches += got != expected - escalations
        print(f"alerts vs backtest of the same series: {args.sample - mismatches} of {args.sample} sampled offers match")


if __name__ == "__main__":
    main()
