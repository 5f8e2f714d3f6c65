"""Open files: one connection stays open per supplier's site, and cron starts commands with a soft
limit of 1,024. The crawl raises the soft limit (within the hard one); when the hard limit itself is
too low it crawls fewer suppliers at once without keeping connections; and a page that fails all the
same because this machine ran out of files is this machine's error, never the supplier's."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor import pipeline
from tests.conftest import REPO, product_page, write_config

sys.path.insert(0, str(REPO / "benchmarks"))
from sites import Sites  # noqa: E402

SUPPLIERS = 120
LIMIT = 100  # files: fewer than the suppliers' connections


def _night_of_many_sites(tmp_path, soft: int, hard: int) -> tuple[subprocess.CompletedProcess[str], dict]:
    sites = Sites(SUPPLIERS, tmp_path)
    try:
        lines = ["database: supplywatch.db", "currency: USD",
                 "crawl: {contact: owner@example.com, delay_seconds: 0, timeout_seconds: 10, retries: 0}", "suppliers:"]
        lines += [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS)] + ["materials:"]
        for s in range(SUPPLIERS):
            lines += [f"  - {{id: m{s}, name: Material {s}, unit: kg, offers: [{{supplier: s{s}, url: \"{sites.url(s, s)}\", pack: 25 kg}}]}}"]
        (tmp_path / "supplywatch.yml").write_text("\n".join(lines) + "\n")
        result = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
        counts = sites.counts()
    finally:
        sites.stop()
    return result, counts


def test_a_night_of_more_sites_than_the_soft_open_files_limit_reaches_every_supplier(tmp_path):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    result, counts = _night_of_many_sites(tmp_path, LIMIT, hard)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{SUPPLIERS} prices from {SUPPLIERS} offers" in result.stdout
    assert len(counts["served"]) == SUPPLIERS and max(counts["most_at_once"].values()) == 1


def test_a_hard_open_files_limit_below_the_sites_slows_the_night_and_loses_no_supplier(tmp_path):
    result, counts = _night_of_many_sites(tmp_path, LIMIT, LIMIT)  # not even raisable: the machine owner's limit
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{SUPPLIERS} prices from {SUPPLIERS} offers; no new alerts" in result.stdout
    assert len(counts["served"]) == SUPPLIERS and max(counts["most_at_once"].values()) == 1
    log = next((tmp_path / "logs").glob("run-*.log")).read_text()
    assert "too few for a connection per site" in log and "ulimit -n" in log and "Too many open files" not in log


def test_pages_this_machine_had_no_files_for_are_its_error_not_the_suppliers(tmp_path):
    """Mid-night the machine runs out of files (here: the crawl's own limit lowered to 3 while its
    first pages are in flight, then raised again): the pages it could not fetch are node errors
    that say what to do, no supplier is blamed or alerted on, and the other pages are prices."""
    held: list[str] = []
    release, release_last = threading.Event(), threading.Event()
    servers: list[HTTPServer] = []
    names = ["acme", "berger", "corner", "delta", "zeta"]
    for number, name in enumerate(names):
        server = HTTPServer(host=f"127.0.0.{number + 2}", threaded=True)  # each its own site; HTTP/1.0: a socket per page
        server.start()
        servers.append(server)
        gate = release_last if name == "zeta" else release

        def first_page(request: Request, name: str = name, gate: threading.Event = gate) -> Response:
            held.append(name)
            gate.wait(60)
            return Response(product_page("12.00"), content_type="text/html")

        server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
        server.expect_request("/p/0").respond_with_handler(first_page)
        for page in (1, 2):
            server.expect_request(f"/p/{page}").respond_with_data(product_page("12.00"), content_type="text/html")
    try:
        write_config(tmp_path, "\n".join(
            f"- {{id: m{page}, name: Material {page}, unit: board_foot, offers: ["
            + ", ".join(f'{{supplier: {name}, url: "{server.url_for(f"/p/{page}")}"}}' for name, server in zip(names, servers)) + "]}"
            for page in range(3)), "\n".join(f"- {{id: {name}, name: {name.title()} Supply}}" for name in names))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        crawl = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait(lambda: len(held) == len(names), "every supplier's first page in flight")
            resource.prlimit(crawl.pid, resource.RLIMIT_NOFILE, (3, hard))  # no new file from now on
            release.set()
            _wait(lambda: _rows(tmp_path, "supplier_id != 'zeta'") == 12, "the four suppliers' pages recorded")
            resource.prlimit(crawl.pid, resource.RLIMIT_NOFILE, (soft, hard))
            release_last.set()
            stdout, stderr = crawl.communicate(timeout=120)
        finally:
            crawl.kill()
            release.set()
            release_last.set()
    finally:
        for server in servers:
            server.clear()
            server.stop()
    assert crawl.returncode == pipeline.EXIT_PARTIAL, stdout + stderr
    with sqlite3.connect(tmp_path / "supplywatch.db") as db:
        rows = {(s, o.split("@")[0]): (status, error) for o, s, status, error in
                db.execute("SELECT offer_id, supplier_id, status, error FROM observations")}
        alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    assert len(rows) == 15 and not [r for r in rows.values() if r[0] == "error"]  # never the supplier's error
    for name in names[:-1]:
        # The first page arrived before the limit fell, but reading it may need a file too (Python
        # imports a page's text codec when first needed): this machine's error as well, or a price.
        assert rows[(name, "m0")][0] in ("ok", "node_error")
        assert rows[(name, "m1")][0] == rows[(name, "m2")][0] == "node_error"
    assert all(rows[("zeta", page)] == ("ok", None) for page in ("m0", "m1", "m2"))
    machine = [error for status, error in rows.values() if status == "node_error"]
    assert all("this machine ran out of open files (it allows 3 at once); the supplier is not to blame" in e for e in machine)
    assert alerts == 0  # the extraction rule does not count a machine's failures against a supplier
    prices = len(rows) - len(machine)
    assert f"{prices} prices from 15 offers ({len(machine)} not fetched because a crawling machine failed)" in stdout
    assert "no price at all" not in stdout
    assert f"this machine ran out of open files (its limit was 3): {len(machine)} pages not fetched" in stdout
    assert "ulimit -n" in stdout and "LimitNOFILE=" in stdout  # the run's line and the digest (no notification URL: printed)
    assert "Crawling machines (this one or scrapyd nodes), not the suppliers:" in stdout


def _rows(directory, where: str) -> int:
    try:
        with sqlite3.connect(f"file:{directory / 'supplywatch.db'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(f"SELECT count(*) FROM observations WHERE {where}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _wait(condition, what: str, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, f"waited {seconds} s for {what}"
        time.sleep(0.1)
