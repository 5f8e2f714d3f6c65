"""Politeness that holds at any setting, measured at local supplier servers: no listener in a crawl,
one request at a time per supplier, no jitter, robots.txt asked once a night."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlite_utils
from werkzeug import Request, Response

from tests.conftest import REPO, product_page, write_config


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def listening_ports(pid: int) -> set[int]:
    """TCP ports a process (and its children) listens on, read from /proc."""
    pids, inodes = [pid], set()
    while pids:
        current = pids.pop()
        pids += _children(current)
        try:
            for fd in (Path("/proc") / str(current) / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in (Path("/proc") / str(pid) / "net" / table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class ListenerCheck:
    """A supplier page that, while the crawler waits for it, looks at what the crawler listens on."""

    def __init__(self, site) -> None:
        self.pid: int | None = None
        self.seen: list[set[int]] = []
        site.server.expect_request("/check/walnut").respond_with_handler(self._answer)
        self.url = site.server.url_for("/check/walnut")

    def _answer(self, request: Request) -> Response:
        if self.pid is not None:
            time.sleep(0.5)  # whatever starts with the crawl has started by now
            self.seen.append(listening_ports(self.pid))
        return Response(product_page("12.00"), content_type="text/html")

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pid = process.pid
        out, err = process.communicate(timeout=180)
        return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_no_crawl_opens_a_listening_socket(tmp_path, sites):
    site = sites()
    check = ListenerCheck(site)
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{check.url}"}}
    """)
    monitor = [sys.executable, "-m", "monitor"]
    run = check.run([*monitor, "run"], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    probe = check.run([*monitor, "probe", check.url, "--contact", "owner@example.com"], tmp_path)
    assert probe.returncode == 0, probe.stderr[-2000:]
    crawl = check.run([sys.executable, "-m", "scrapy", "crawl", "offers", "-a", f"config={tmp_path / 'supplywatch.yml'}",
                       "-O", str(tmp_path / "items.jsonl")], REPO)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert len(check.seen) == 3  # each command fetched the page once, and was looked at meanwhile
    assert check.seen == [set(), set(), set()]
    assert "Remote control" not in run.stderr + probe.stderr + crawl.stderr


class CountingSite:
    """A supplier server that holds each answer a moment and counts the requests in flight at once."""

    def __init__(self, site, hold: float) -> None:
        self.site, self.hold = site, hold
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.started: list[tuple[str, float]] = []  # (path, when) of every request, robots.txt included
        self.pages: dict[str, list[str]] = {}
        site.server.clear()  # this site answers robots.txt itself, to count it
        site.server.expect_request("/robots.txt").respond_with_handler(self._answer)
        site.server.expect_request(re.compile(r"^/q/")).respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.started.append((request.path, time.monotonic()))
        try:
            time.sleep(self.hold)
            if request.path == "/robots.txt":
                return Response("User-agent: *\nDisallow: /private\n", content_type="text/plain")
            bodies = self.pages[request.path]
            body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
            return Response(body, content_type="text/html")
        finally:
            with self.lock:
                self.in_flight -= 1

    def set(self, name: str, *bodies: str) -> str:
        self.pages[f"/q/{name}"] = list(bodies)
        return self.site.server.url_for(f"/q/{name}")

    def count(self, path: str) -> int:
        return sum(p == path for p, _ in self.started)


def _config(tmp_path, urls: dict[str, str], delay: float, rules: str = "") -> None:
    offers = "\n".join(f'        - {{supplier: acme, id: {name}, url: "{url}"}}' for name, url in urls.items())
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
{offers}
{rules}
    """)
    path = tmp_path / "supplywatch.yml"
    path.write_text(path.read_text().replace("delay_seconds: 0", f"delay_seconds: {delay}"))


def test_one_request_at_a_time_per_supplier_at_delay_zero_second_looks_included(tmp_path, sites):
    shop = CountingSite(sites(), hold=0.3)
    urls = {f"walnut-{i}": shop.set(f"walnut-{i}", product_page("12.00")) for i in range(8)}
    _config(tmp_path, urls, delay=0, rules="      rules: [{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    first = supplywatch_run(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    shop.set("walnut-3", product_page("1200.00"), product_page("12.00"))  # a glitch: looked at again at once
    second = supplywatch_run(tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert shop.count("/q/walnut-3") == 3  # once on the first night, twice on the second
    assert shop.most_in_flight == 1
    assert shop.count("/robots.txt") == 2  # once a night: the second look does not ask again
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert [r["status"] for r in db.query("SELECT status FROM observations WHERE offer_id = 'walnut-3' ORDER BY fetched_at")] == [
        "ok", "suspect", "ok"]


def test_the_delay_between_pages_is_the_delay_set_second_looks_included(tmp_path, sites):
    shop = CountingSite(sites(), hold=0)
    urls = {f"walnut-{i}": shop.set(f"walnut-{i}", product_page("12.00")) for i in range(3)}
    _config(tmp_path, urls, delay=1, rules="      rules: [{kind: change, percent: 10, baseline: previous, confirm: 1}]")
    assert supplywatch_run(tmp_path).returncode == 0
    shop.started.clear()
    shop.set("walnut-2", product_page("1200.00"), product_page("12.00"))
    assert supplywatch_run(tmp_path).returncode == 0
    assert [p for p, _ in shop.started] == ["/robots.txt", "/q/walnut-0", "/q/walnut-1", "/q/walnut-2", "/q/walnut-2"]  # the last: the second look
    assert shop.most_in_flight == 1
    # The gaps as Scrapy's downloader started the requests (its slot's own clock, the one the delay
    # is counted from), not as the server saw them arrive: a loaded machine delivers a request late,
    # and the next one on time, and no floor read at the server's end proves anything then.
    stats = json.loads(sqlite_utils.Database(tmp_path / "supplywatch.db")["runs"].get(2)["crawl_stats"])
    assert stats["politeness/requests"] == 5 and stats["politeness/sites"] == 1  # every request recorded
    assert stats["politeness/most_at_once_per_site"] == 1
    assert stats["politeness/closest_start_gap_seconds"] >= 1.0  # no ±50 % jitter, and none right after the last page


def supplywatch_run(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=cwd, capture_output=True, text=True, timeout=300)
