"""The performance targets of issue 16, measured side by side in one run, each beside its baseline:

1. crawl: ``supplywatch run`` against a bare Scrapy spider fetching the same pages from the same
   suppliers with the same politeness (``crawl.py``: robots.txt, one request at a time per supplier,
   the delay, as many requests in flight as supplywatch allows) -- target >= 95 % of bare Scrapy's
   pages per second. Measured at the default delay (2 s, a real night) and at ``--fast-delay`` (0:
   no politeness wait, the CPU bound);
2. store: a night of ``--store-offers`` observations stored the way a run stores them against raw
   ``executemany`` of every row the store writes (the observations and the latest-price rows) into a
   copy of the same database (``ingest.py``, which also prints raw of the observations alone) --
   target >= 70 %;
3. a night on a long history: ``--night-offers`` offers stored, judged by every rule and their
   alerts moved, on ``--database`` (three years by default, built by ``generate.py`` when missing),
   against raw sqlite3 doing the same inserts and reading the same rows the rules read
   (``nightly_evaluation.py``) -- target <= 1.5 x.

    python benchmarks/targets.py                                   # all three
    python benchmarks/targets.py --only crawl --crawl-offers 2000 --suppliers 40
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def crawl(offers: int, suppliers: int, delay: float, runs: int) -> tuple[float, float]:
    """Pages per second of supplywatch and of the bare spider (crawl.py: same pages, same politeness,
    taken in turn), as the median pair's."""
    from crawl import compare

    pairs = compare(offers, suppliers, delay, runs, echo=lambda line: print("  " + line.replace("\n", "\n  ")))
    ours, bare = sorted(pairs, key=lambda pair: pair[0].rate / pair[1].rate)[len(pairs) // 2]
    return ours.rate, bare.rate


def store(offers: int, history: int, repeat: int) -> tuple[float, float]:
    """Observations per second: the store's, and raw executemany's of every row it writes (ingest.py's
    last baseline, the one the target is judged on)."""
    output = subprocess.run([sys.executable, str(HERE / "ingest.py"), "--offers", str(offers), "--history", str(history),
                             "--repeat", str(repeat)], capture_output=True, text=True, check=True).stdout
    print("  " + output.strip().replace("\n", "\n  "))
    rates = [float(line.split("observations/s")[0].rsplit(":", 1)[1].replace(",", "")) for line in output.splitlines()
             if "observations/s" in line]
    return rates[0], rates[-1]


def night(database: Path, offers: int, days: int) -> tuple[float, float]:
    """Seconds of a night at the end of the history, and of raw sqlite3's same inserts and reads."""
    if not database.exists():
        print(f"  building {database} ({offers:,} offers x {days:,} days) with generate.py ...")
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(database), "--offers", str(offers), "--days", str(days)], check=True)
    output = subprocess.run([sys.executable, str(HERE / "nightly_evaluation.py"), str(database), "--last-only"],
                            capture_output=True, text=True, check=True).stdout
    print("  " + output.strip().replace("\n", "\n  "))
    line = next(line for line in output.splitlines() if line.startswith("night after"))
    ours = float(line.split(": ", 1)[1].split(" s", 1)[0])
    raw = float(line.rsplit("reads: ", 1)[1].split(" s", 1)[0])
    return ours, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("crawl", "store", "night"), action="append")
    parser.add_argument("--crawl-offers", type=int, default=2000)
    parser.add_argument("--suppliers", type=int, default=40)
    parser.add_argument("--delay", type=float, default=2.0, help="the real night's delay (default: the default, 2 s)")
    parser.add_argument("--fast-delay", type=float, default=0.0, help="the CPU-bound crawl's delay (default 0)")
    parser.add_argument("--runs", type=int, default=3, help="pairs of crawls, taken in turn (the median pair counts)")
    parser.add_argument("--store-offers", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=30)
    parser.add_argument("--night-offers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--database", type=Path, default=Path(tempfile.gettempdir()) / "supplywatch-bench" / "three-years.db")
    args = parser.parse_args()
    only = set(args.only or ("crawl", "store", "night"))
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} at the start")
    table = []
    if "crawl" in only:
        for delay in (args.delay, args.fast_delay):
            print(f"crawl: {args.crawl_offers:,} pages from {args.suppliers} suppliers, delay {delay:g} s")
            ours, bare = crawl(args.crawl_offers, args.suppliers, delay, args.runs)
            table.append((f"crawl, delay {delay:g} s", f"{ours:.1f} pages/s", f"bare Scrapy {bare:.1f} pages/s",
                          f"{100 * ours / bare:.0f} %", ">= 95 %", ours / bare >= 0.95))
    if "store" in only:
        print(f"store: a night of {args.store_offers:,} observations on {args.history} nights of history")
        ours, raw = store(args.store_offers, args.history, 3)
        table.append(("store a night", f"{ours:,.0f} obs/s", f"raw executemany of every row {raw:,.0f} obs/s", f"{100 * ours / raw:.0f} %", ">= 70 %",
                      ours / raw >= 0.70))
    if "night" in only:
        args.database.parent.mkdir(parents=True, exist_ok=True)
        print(f"night: {args.night_offers:,} offers on {args.days:,} days of history ({args.database})")
        ours, raw = night(args.database, args.night_offers, args.days)
        table.append((f"night on {args.days / 365:.0f} years", f"{ours:.2f} s", f"raw sqlite3 {raw:.2f} s", f"{ours / raw:.2f} x", "<= 1.5 x",
                      ours / raw <= 1.5))
    print()
    print("| figure | supplywatch | baseline, same run | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name, ours, base, ratio, target, met in table:
        print(f"| {name} | {ours} | {base} | {ratio} | {target} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
