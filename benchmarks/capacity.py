"""Capacity: how big a night one machine crawls, at the default politeness, and at what cost.

``supplywatch run`` on ``--offers`` offers (default 100,000) spread evenly over ``--suppliers``
suppliers (default 2,000), each on its own loopback address (see ``sites.py``), with the default
politeness: ``delay_seconds: 2`` between two pages of one supplier, robots.txt asked first. The run
is one fresh process measured from start to exit: wall time, CPU (user + system), peak memory
(RSS), and the split the README's formula uses:

    wall  ~  start-up + max(largest supplier's offers x delay,  pages x delay / request slots,  CPU per page x pages)

``--render N`` measures instead N pages that need a browser (``render: true``): the price is
written by JavaScript; CPU is the run's and Chromium's (every process it started and waited for).

    python benchmarks/capacity.py                                  # 100,000 offers, 2,000 suppliers
    python benchmarks/capacity.py --offers 10000 --suppliers 200   # a smaller night
    python benchmarks/capacity.py --render 200 --suppliers 20      # CPU per rendered page
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sites import Sites  # noqa: E402

from spiders.spiders.offers import MAX_REQUESTS_AT_ONCE  # noqa: E402  (request slots: one per site, up to this)

REPO = Path(__file__).resolve().parent.parent


def write_config(directory: Path, sites: Sites, offers: int, suppliers: int, delay: float, render: bool) -> Path:
    """Offers spread round-robin over the suppliers; 100 offers per material (one material per
    product bought from up to 100 suppliers), the supplier's own page for each."""
    per_material = min(100, suppliers)
    lines = ["database: bench.db", "currency: USD",
             f"crawl: {{contact: bench@example.com, delay_seconds: {delay}, timeout_seconds: 30, retries: 1}}",
             "suppliers:"] + [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(suppliers)] + ["materials:"]
    extra = ', render: true, price: "css:.price::text"' if render else ""
    for m in range((offers + per_material - 1) // per_material):
        lines += [f"  - id: m{m}", f"    name: Material {m}", "    unit: kg", "    offers:"]
        for k in range(per_material):
            i = m * per_material + k
            if i >= offers:
                break
            supplier = (m + k) % suppliers if per_material == suppliers else i % suppliers
            lines.append(f'      - {{supplier: s{supplier}, url: "{sites.url(supplier, i)}", pack: 25 kg{extra}}}')
    path = directory / "supplywatch.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rss_mb(pid: int) -> float | None:
    """Memory now (MB) of a process and every process under it (Chromium's, on a rendered night):
    each one's proportional set size (a page shared by n processes counts 1/n in each, so the sum
    is what they hold together), from /proc; None once the process is gone."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, total, found = [pid], 0.0, False
    while tree:
        current = tree.pop()
        tree += [child for child, parent in parents.items() if parent == current]
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
                    found = True
        except OSError:
            continue
    return total if found else None


def measured(command: list[str], cwd: Path) -> dict[str, Any]:
    """Wall seconds, CPU seconds and peak RSS (MB, its largest single process) of a child and
    everything it waited for, and the RSS of its whole process tree every second (``rss``: (seconds
    since start, MB)), to see whether memory grows with the night."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    samples: list[tuple[float, float]] = []
    with open(cwd / "out.txt", "w") as out, open(cwd / "err.txt", "w") as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                if (mb := rss_mb(process.pid)) is not None:
                    samples.append((time.perf_counter() - started, mb))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({code}): {(cwd / 'err.txt').read_text()[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak": usage.ru_maxrss / 1024, "rss": samples,
            "out": (cwd / "out.txt").read_text().strip().splitlines()[-1]}


def memory_over_time(samples: list[tuple[float, float]]) -> str:
    """RSS at each tenth of the run: flat when each supplier's prices leave memory as it finishes."""
    if not samples:
        return "-"
    end = samples[-1][0]
    picks = [min(samples, key=lambda s: abs(s[0] - end * k / 10)) for k in range(1, 11)]
    return ", ".join(f"{mb:.0f}" for _, mb in picks) + " MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=2.0, help="crawl.delay_seconds (default: the default, 2 s)")
    parser.add_argument("--nights", type=int, default=1, help="nights in a row (the second one has history)")
    parser.add_argument("--render", type=int, default=0, help="measure N rendered pages instead")
    args = parser.parse_args()
    offers = args.render or args.offers

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sites = Sites(args.suppliers, directory, script=bool(args.render))
        started = time.perf_counter()
        write_config(directory, sites, offers, args.suppliers, args.delay, bool(args.render))
        largest = -(-offers // args.suppliers)
        print(f"{offers:,} offers{' to render' if args.render else ''} over {args.suppliers:,} suppliers "
              f"(at most {largest} each), delay {args.delay:g} s, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
              f"config written in {time.perf_counter() - started:.1f} s")
        try:
            for night in range(args.nights):
                sites.night.value = night
                sites.counts(reset=True)
                started = time.monotonic()
                figures = measured([sys.executable, "-m", "monitor", "run"], directory)
                wall, cpu, peak = float(figures["wall"]), float(figures["cpu"]), float(figures["peak"])
                counts = sites.counts()
                served = counts["served"]
                with sqlite3.connect(directory / "bench.db") as db:
                    stats = json.loads(db.execute("SELECT crawl_stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0] or "{}")
                    stored = db.execute("SELECT count(*) FROM observations WHERE status = 'ok' AND run_id = "
                                        "(SELECT max(id) FROM runs)").fetchone()[0]
                floor = largest * args.delay
                unit = "rendered page" if args.render else "offer"
                print(f"night {night + 1}: wall {wall:.0f} s ({offers / wall:.0f} offers/s), CPU {cpu:.0f} s "
                      f"= {1000 * cpu / offers:.1f} ms per {unit}, peak RSS {peak:.0f} MB")
                if counts["first"] is not None:
                    print(f"  first page {counts['first'] - started:.0f} s after the start, pages over "
                          f"{counts['last'] - counts['first']:.0f} s, exit {started + wall - counts['last']:.0f} s after the last page")
                print(f"  pages served {sum(served.values()):,} ({len(served):,} different), most at once to one site "
                      f"{max(counts['most_at_once'].values(), default=0)}; the crawl's own record: {stats.get('politeness/requests')} "
                      f"requests, closest two to one site {stats.get('politeness/closest_start_gap_seconds')} s apart, at most "
                      f"{stats.get('politeness/most_at_once_per_site')} at once; {stored:,} prices stored")
                print(f"  memory of the run and its processes (PSS) at each tenth of the night: {memory_over_time(figures['rss'])}"
                      f" (most {max((mb for _, mb in figures['rss']), default=0):.0f} MB)")
                slots = min(16 if args.render else MAX_REQUESTS_AT_ONCE, args.suppliers)  # one site per supplier here
                side_by_side = offers * args.delay / slots
                rounds = -(-args.suppliers // slots) * floor  # suppliers alike: whole rounds of S suppliers
                print(f"  formula: P x d = {floor:.0f} s, N x d / S = {side_by_side:.0f} s (S = {slots}; {-(-args.suppliers // slots)} "
                      f"whole rounds of alike suppliers: {rounds:.0f} s), N x c = {cpu:.0f} s (CPU on one core; on a busy machine "
                      f"its share of one): max = {max(floor, side_by_side, rounds, cpu):.0f} s, plus start-up")
                print(f"  {figures['out'][:200]}")
        finally:
            sites.stop()


if __name__ == "__main__":
    main()
