"""Politeness that holds at any setting, measured at local supplier servers: no listener in a crawl,
one request at a time per supplier, no jitter, robots.txt asked once a night."""

from __future__ import annotations

import os
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
