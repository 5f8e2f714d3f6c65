"""Crawl: ``supplywatch run`` against a bare Scrapy spider on the same pages, side by side.

The comparison is fair by construction, and each crawl is checked:

- same pages: ``--offers`` product pages (about 12 KB, a JSON-LD offer) spread evenly over
  ``--suppliers`` suppliers, each on its own loopback address (``sites.py``: one separate process
  serves both crawls);
- same politeness: robots.txt obeyed, one request at a time per site, ``--delay`` seconds between
  two requests to a site (no jitter), as many requests in flight in all as supplywatch allows (one
  per site), an identifying User-Agent, no telnet console or remote-control listener, cookies off.
  The bare spider takes these from the project's own settings; the rest is Scrapy's defaults;
- same machine, same run: the two crawls alternate (supplywatch, bare, supplywatch, bare ...), each
  a fresh process timed from its start to its exit; the ratio is taken pair by pair (machine noise
  hits both) and the median is the figure;
- checked after each crawl, from the sites' own counts: every page served exactly once, never two
  requests at once to one site; and from supplywatch's crawl stats: the closest two requests to one
  site as Scrapy's downloader started them.

``supplywatch run`` does all of a night: reads the config, extracts each page's price, converts the
pack and currency, stores each supplier's prices as that supplier finishes, judges them by the
rules, writes the digest. The bare spider only yields each page's URL and size.

    python benchmarks/crawl.py                          # 1,000 pages / 40 suppliers at the default 2 s delay
    python benchmarks/crawl.py --delay 0 --offers 3000  # no politeness wait: the CPU-bound figure
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from sites import Sites, address  # noqa: E402

BARE_SPIDER = '''
import json, os
import scrapy

class Bare(scrapy.Spider):
    """Fetches each URL with supplywatch's politeness (BARE_SETTINGS) and yields its size: no extraction."""
    name = "bare"
    custom_settings = {**json.loads(os.environ["BARE_SETTINGS"]), "LOG_LEVEL": "WARNING"}

    async def start(self):
        for url in open(self.urls_file).read().split():
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        yield {"url": response.url, "size": len(response.body)}
'''

# The politeness both crawls share, read from the project's settings (spiders/settings.py).
POLITENESS = ("ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY_JITTER", "AUTOTHROTTLE_ENABLED",
              "TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED", "COOKIES_ENABLED")
# ... and the owner's crawl settings, as supplywatch makes them from the config (settings_from_config).
FROM_CONFIG = ("USER_AGENT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "CONCURRENT_REQUESTS")


def write_config(directory: Path, urls: list[str], suppliers: int, delay: float) -> Path:
    lines = ["database: bench.db", "currency: USD",
             f"crawl: {{contact: bench@example.com, delay_seconds: {delay}, timeout_seconds: 30, retries: 1}}",
             "suppliers:"] + [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(suppliers)] + ["materials:"]
    for i, url in enumerate(urls):
        lines += [f"  - id: m{i}", f"    name: Material {i}", "    unit: kg",
                  f'    offers: [{{supplier: s{i % suppliers}, url: "{url}", pack: 25 kg}}]']
    path = directory / "supplywatch.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def bare_settings(config_path: Path) -> dict[str, object]:
    """The bare spider's settings: the project's politeness, and the owner's crawl settings exactly
    as supplywatch derives them from this config."""
    from monitor import config as config_module
    from spiders import settings as project
    from spiders.spiders.offers import settings_from_config

    ours = settings_from_config(config_module.load(config_path))
    return {**{name: getattr(project, name) for name in POLITENESS}, **{name: ours[name] for name in FROM_CONFIG}}


class Crawl:
    """One fresh process's figures: wall, CPU and peak RSS from the OS, the crawl's window from the sites."""

    def __init__(self, name: str, command: list[str], cwd: Path, sites: Sites, pages: int, env: dict[str, str] | None = None):
        sites.counts(reset=True)
        started = time.monotonic()
        with open(cwd / "out.txt", "w") as out, open(cwd / "err.txt", "w") as err:
            process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env={**os.environ, **(env or {})})
            _, status, usage = os.wait4(process.pid, 0)
        ended = time.monotonic()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{name} failed ({code}): {(cwd / 'err.txt').read_text()[-3000:]}")
        counts = sites.counts()
        served = counts["served"]
        if len(served) != pages or set(served.values()) != {1}:
            raise SystemExit(f"{name}: {sum(served.values())} pages served for {pages} pages, {len(served)} different")
        if max(counts["most_at_once"].values()) != 1:
            raise SystemExit(f"{name}: a site had {max(counts['most_at_once'].values())} requests at once")
        self.name, self.pages = name, pages
        self.wall, self.cpu, self.peak = ended - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
        self.start_up, self.window, self.wind_down = counts["first"] - started, counts["last"] - counts["first"], ended - counts["last"]
        lines = (cwd / "out.txt").read_text().strip().splitlines()
        self.said = lines[-1] if lines else ""

    @property
    def rate(self) -> float:
        return self.pages / self.wall

    def line(self) -> str:
        return (f"{self.name:<12} {self.wall:6.1f} s {self.rate:6.1f} pages/s   CPU {self.cpu:5.1f} s ({1000 * self.cpu / self.pages:4.1f} ms/page)"
                f"   peak RSS {self.peak:4.0f} MB   first page after {self.start_up:4.1f} s, pages over {self.window:5.1f} s, "
                f"exit {self.wind_down:4.1f} s after the last")


def compare(offers: int, suppliers: int, delay: float, pairs: int, echo: Callable[[str], None] = print) -> list[tuple[Crawl, Crawl]]:
    """``pairs`` pairs of crawls of the same pages, supplywatch's then the bare spider's, each said as it ends."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sites = Sites(suppliers, directory)
        try:
            urls = [sites.url(i % suppliers, i) for i in range(offers)]
            config = write_config(directory, urls, suppliers, delay)
            (directory / "urls.txt").write_text("\n".join(urls))
            (directory / "bare.py").write_text(BARE_SPIDER)
            shared = bare_settings(config)
            largest = -(-offers // suppliers)
            echo(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} at the start")
            echo(f"Same pages: {offers:,} product pages of about 12 KB from {suppliers} suppliers, each on its own loopback "
                 f"address ({address(0)}-{address(suppliers - 1)}), served by one separate process to both crawls.")
            echo(f"Same politeness: robots.txt obeyed, one request at a time per site, {delay:g} s between two requests to a site, "
                 f"no jitter, {shared['CONCURRENT_REQUESTS']} requests in flight at most in all, User-Agent "
                 f"'{shared['USER_AGENT']}', no telnet or remote-control listener (the bare spider: "
                 + ", ".join(f"{k}={v}" for k, v in shared.items() if k != "USER_AGENT") + "; Scrapy's defaults otherwise).")
            echo("Same machine, same run: the crawls alternate, each a fresh process timed from start to exit; ratio pair by pair. "
                 "Checked after each: every page served once, never two requests at once to one site.")
            echo(f"Politeness floor: the largest supplier's {largest} pages x {delay:g} s = {largest * delay:.0f} s after its robots.txt.")
            supplywatch = [sys.executable, "-m", "monitor", "run"]
            bare = [sys.executable, "-m", "scrapy", "runspider", "bare.py", "-a", "urls_file=urls.txt"]
            done = []
            for pair in range(pairs):
                for name in ("bench.db", "bench.db-wal", "bench.db-shm"):
                    (directory / name).unlink(missing_ok=True)
                ours = Crawl("supplywatch", supplywatch, directory, sites, offers)
                with sqlite3.connect(directory / "bench.db") as db:
                    stats = json.loads(db.execute("SELECT crawl_stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])
                theirs = Crawl("bare Scrapy", bare, directory, sites, offers, {"BARE_SETTINGS": json.dumps(shared)})
                done.append((ours, theirs))
                echo(f"pair {pair + 1}: {ours.line()}\n        {theirs.line()}\n"
                     f"        supplywatch at {100 * ours.rate / theirs.rate:.1f} % of bare Scrapy's pages/s; its own record: "
                     f"{stats.get('politeness/requests')} requests to {stats.get('politeness/sites')} sites, at most "
                     f"{stats.get('politeness/most_at_once_per_site')} at once to one, the closest two "
                     f"{stats.get('politeness/closest_start_gap_seconds', '-')} s apart; {ours.said[:100]}")
        finally:
            sites.stop()
    return done


def summary(pairs: list[tuple[Crawl, Crawl]]) -> str:
    ratio = statistics.median(o.rate / b.rate for o, b in pairs)
    beyond = statistics.median((o.cpu - b.cpu) / o.pages for o, b in pairs)
    return (f"median of {len(pairs)} pairs: supplywatch at {100 * ratio:.1f} % of bare Scrapy's pages/s (target >= 95 %); "
            f"CPU {statistics.median(o.cpu for o, _ in pairs):.1f} s against {statistics.median(b.cpu for _, b in pairs):.1f} s, "
            f"{1000 * beyond:.2f} ms a page beyond bare Scrapy's; start-up to the first page "
            f"{statistics.median(o.start_up for o, _ in pairs):.1f} s against {statistics.median(b.start_up for _, b in pairs):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--suppliers", type=int, default=40)
    parser.add_argument("--delay", type=float, default=2.0, help="crawl.delay_seconds for both (default: the default, 2 s)")
    parser.add_argument("--pairs", type=int, default=3, help="pairs of crawls, taken in turn (the median ratio counts)")
    args = parser.parse_args()
    pairs = compare(args.offers, args.suppliers, args.delay, args.pairs)
    print("\n" + summary(pairs))


if __name__ == "__main__":
    main()
