"""A night of more suppliers than the open files the process starts with: one connection stays open
per supplier's site, and cron starts commands with a soft limit of 1,024; the crawl raises it
(within the hard limit) instead of failing to connect to every supplier past it."""

from __future__ import annotations

import resource
import subprocess
import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from sites import Sites  # noqa: E402

SUPPLIERS = 120
SOFT_LIMIT = 100  # files: fewer than the suppliers' connections


def test_a_night_of_more_sites_than_the_soft_open_files_limit_reaches_every_supplier(tmp_path):
    sites = Sites(SUPPLIERS, tmp_path)
    try:
        lines = ["database: supplywatch.db", "currency: USD",
                 "crawl: {contact: owner@example.com, delay_seconds: 0, timeout_seconds: 10, retries: 0}", "suppliers:"]
        lines += [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS)] + ["materials:"]
        for s in range(SUPPLIERS):
            lines += [f"  - {{id: m{s}, name: Material {s}, unit: kg, offers: [{{supplier: s{s}, url: \"{sites.url(s, s)}\", pack: 25 kg}}]}}"]
        (tmp_path / "supplywatch.yml").write_text("\n".join(lines) + "\n")
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        result = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT_LIMIT, hard)))
        counts = sites.counts()
    finally:
        sites.stop()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{SUPPLIERS} prices from {SUPPLIERS} offers" in result.stdout
    assert len(counts["served"]) == SUPPLIERS and max(counts["most_at_once"].values()) == 1
