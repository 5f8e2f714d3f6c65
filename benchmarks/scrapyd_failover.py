"""A node killed mid-run loses no price: 10,000 offers crawled on three real scrapyd nodes.

Three scrapyd servers on loopback addresses (deployed with scrapyd-deploy, as the README says)
crawl ``--offers`` offers of ``--suppliers`` suppliers (``sites.py``, each supplier on its own
address, each page answered after ``--latency`` seconds). The same night is run twice in one
go: first with every node up (the baseline), then with one node killed (scrapyd and every crawl it
started, as when a machine dies) once it has stored a share of its prices. Printed for both: wall
time, prices stored, observations per offer, pages fetched in all, and the most pages any one
supplier had in flight at once (politeness: never more than 1).

    python benchmarks/scrapyd_failover.py                          # 10,000 offers, 100 suppliers
    python benchmarks/scrapyd_failover.py --offers 2000 --suppliers 40
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from sites import Sites  # noqa: E402
from tests.scrapyd_nodes import ScrapydNode, build_egg  # noqa: E402


def write_config(directory: Path, sites: Sites, offers: int, suppliers: int, delay: float, node_timeout: float) -> None:
    lines = ["database: bench.db", "currency: USD",
             f"crawl: {{contact: bench@example.com, delay_seconds: {delay}, timeout_seconds: 10, retries: 1, "
             f"scrapyd_node_timeout_seconds: {node_timeout}}}",
             "suppliers:"] + [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(suppliers)] + ["materials:"]
    for m in range(-(-offers // suppliers)):
        lines += [f"  - id: m{m}", f"    name: Material {m}", "    unit: kg", "    offers:"]
        for s in range(suppliers):
            i = m * suppliers + s
            if i < offers:
                lines.append(f'      - {{supplier: s{s}, url: "{sites.url(s, i)}", pack: 25 kg}}')
    (directory / "supplywatch.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def feed_lines(node: ScrapydNode, before: set[Path]) -> int:
    feeds = set((node.home / "items" / "supplywatch" / "offers").glob("*.jl")) - before
    return sum(len(f.read_bytes().splitlines()) for f in feeds)


def night(directory: Path, nodes: list[ScrapydNode], sites: Sites, offers: int, kill: ScrapydNode | None) -> dict[str, object]:
    for name in ("bench.db", "bench.db-wal", "bench.db-shm"):
        (directory / name).unlink(missing_ok=True)
    counted = sites.counts()
    before = {f for node in nodes for f in (node.home / "items" / "supplywatch" / "offers").glob("*.jl")}
    started = time.perf_counter()
    args = [a for node in nodes for a in ("--via", "scrapyd", node.url)]
    run = subprocess.Popen([sys.executable, "-m", "monitor", "run", *args], cwd=directory, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    killed_at = None
    if kill is not None:
        share = offers / len(nodes)
        while feed_lines(kill, before) < share * 0.4 and run.poll() is None:
            time.sleep(0.2)
        killed_at = time.perf_counter() - started
        collected = feed_lines(kill, before)
        kill.kill()
    out, err = run.communicate()
    wall = time.perf_counter() - started
    if run.returncode not in (0, 1):
        raise SystemExit(f"the run failed ({run.returncode}): {err[-3000:]}")
    db = sqlite3.connect(directory / "bench.db")
    per_offer = dict(db.execute("SELECT n, count(*) FROM (SELECT count(*) n FROM observations GROUP BY offer_id) GROUP BY n"))
    prices = db.execute("SELECT count(*) FROM observations WHERE status = 'ok'").fetchone()[0]
    counts = sites.counts()
    fetched = sum(counts["served"].values()) - sum(counted["served"].values())
    twice = sum(1 for path, n in counts["served"].items() if n - counted["served"].get(path, 0) > 1)
    result: dict[str, object] = {"wall": wall, "prices": prices, "per_offer": per_offer, "fetched": fetched, "twice": twice,
                                 "most_at_once": max(counts["most_at_once"].values()), "last": out.strip().splitlines()[-1]}
    if kill is not None:
        result |= {"killed_at": killed_at, "collected_before_kill": collected}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.2, help="crawl.delay_seconds")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each page takes to answer")
    parser.add_argument("--node-timeout", type=float, default=10.0, help="crawl.scrapyd_node_timeout_seconds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sites = Sites(args.suppliers, directory, latency=args.latency)
        nodes = [ScrapydNode(directory / f"node{n}", f"127.0.9.{n + 1}") for n in range(3)]
        try:
            for node in nodes:
                node.start()
            egg = build_egg(directory / "supplywatch.egg")
            for node in nodes:
                node.deploy(egg=egg)
            write_config(directory, sites, args.offers, args.suppliers, args.delay, args.node_timeout)
            print(f"{args.offers:,} offers of {args.suppliers} suppliers on 3 scrapyd nodes; delay {args.delay:g} s, "
                  f"pages answered in {args.latency * 1000:.0f} ms, node timeout {args.node_timeout:g} s; {os.cpu_count()} CPUs")
            for label, victim in (("all nodes up (baseline)", None), ("node 3 killed mid-run", nodes[2])):
                r = night(directory, nodes, sites, args.offers, victim)
                print(f"{label}: {r['wall']:.1f} s, {r['prices']:,} prices, observations per offer {r['per_offer']}, "
                      f"{r['fetched']:,} pages fetched ({r['twice']} twice), most pages of one supplier at once: {r['most_at_once']}")
                if victim is not None:
                    print(f"  killed after {r['killed_at']:.1f} s, when its feeds held {r['collected_before_kill']} lines")
                print(f"  {str(r['last'])[:300]}")
        finally:
            for node in nodes:
                node.stop()
            sites.stop()


if __name__ == "__main__":
    main()
