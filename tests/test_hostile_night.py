"""A hostile supplier, as a real `supplywatch run` meets it on 127.0.0.1: the night finishes, that
supplier's offers alone fail in words, nothing becomes a price, and politeness holds from the
supplier's own side (its server never sees two requests at once; the crawl listens on no port)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import lxml.html
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from spiders import buybox
from tests.conftest import product_page, write_config

SUPPLIERS = """
    - {id: acme, name: Acme Lumber}
    - {id: corner, name: Corner Shop}
"""


def _night(tmp_path, acme: HTTPServer, paths: list[str], crawl: str = "", during=None) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Acme's pages at ``paths`` and a healthy page at Corner; one run in a fresh process, as cron starts it."""
    corner = HTTPServer(host="127.0.0.3", threaded=True)
    corner.start()
    corner.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    corner.expect_request("/p/walnut").respond_with_data(product_page("12.00"), content_type="text/html")
    try:
        offers = [f'        - {{supplier: acme, id: {p.strip("/").replace("/", "-")}, url: "{acme.url_for(p)}"}}' for p in paths]
        write_config(tmp_path, "\n".join(["    - id: walnut", "      name: Walnut", "      unit: board_foot", "      offers:", *offers,
                                          f'        - {{supplier: corner, id: healthy, url: "{corner.url_for("/p/walnut")}"}}']),
                     suppliers_yaml=SUPPLIERS)
        if crawl:
            config = tmp_path / "supplywatch.yml"
            config.write_text(config.read_text().replace("retries: 0}", f"retries: 0, {crawl}}}"))
        crawler = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={k: v for k, v in os.environ.items() if k not in ("TERM", "COLUMNS")})
        seen = during(crawler.pid) if during else None
        stdout, stderr = crawler.communicate(timeout=180)
    finally:
        corner.clear()
        corner.stop()
    result = subprocess.CompletedProcess(crawler.args, crawler.returncode, stdout, stderr)
    with sqlite3.connect(tmp_path / "supplywatch.db") as db:
        rows = {r[0]: r[1:] for r in db.execute("SELECT offer_id, status, price, error FROM observations")}
    return result, {"rows": rows, "seen": seen}


def _acme() -> HTTPServer:
    acme = HTTPServer(host="127.0.0.2", threaded=True)
    acme.start()
    return acme


def _never_in_time(request: Request) -> Response:
    time.sleep(4)  # the crawl's timeout_seconds is 2
    return Response("User-agent: *\nDisallow: /\n", content_type="text/plain")


@pytest.mark.parametrize("robots, why", [
    (lambda server: server.respond_with_data("oops", status=500), "robots.txt answered 500 Internal Server Error"),
    (lambda server: server.respond_with_handler(_never_in_time), "not fetched: the page did not answer in time (the site is slow or down; "
                                                                 "`crawl.timeout_seconds` sets the limit), when asked for its robots.txt"),
], ids=["server error", "never answers"])
def test_an_unreachable_robots_txt_keeps_the_crawler_out_of_that_site(tmp_path, robots, why):
    """RFC 9309 2.3.1.4: a robots.txt unreachable through a server or network error means complete
    disallow. Scrapy parsed the error page, or gave up on the silence, and fetched every page."""
    acme = _acme()
    robots(acme.expect_request("/robots.txt"))
    acme.expect_request("/p/walnut").respond_with_data(product_page("9.00"), content_type="text/html")
    try:
        result, night = _night(tmp_path, acme, ["/p/walnut"])
        asked = [r.path for r, _ in acme.log]
    finally:
        acme.clear()
        acme.stop()
    assert result.returncode == 1, result.stderr[-3000:]  # partial: the night finished
    rows = night["rows"]
    assert rows["healthy"][:2] == ("ok", 12.0)
    status, price, error = rows["p-walnut"]
    assert status == "error" and price is None
    assert why in error and "keep out" in error, error
    assert "/p/walnut" not in asked


def test_a_huge_robots_txt_is_read_to_its_first_500_kib(tmp_path):
    """A 2 MB robots.txt costs its parsing 500 KiB, as Google reads it (a 10 MB one took 5.5 s of CPU
    that stopped every supplier's crawl); the rules past that point are not read."""
    rules = "User-agent: *\n" + "".join(f"Disallow: /private/{i}/*.html$\n" for i in range(70_000)) + "Disallow: /p/late\n"
    assert len(rules) > 2 * 1024 * 1024 and rules.index("/p/late") > 500 * 1024
    acme = _acme()
    acme.expect_request("/robots.txt").respond_with_data(rules, content_type="text/plain")
    acme.expect_request("/p/late").respond_with_data(product_page("9.00"), content_type="text/html")
    try:
        result, night = _night(tmp_path, acme, ["/p/late"])
    finally:
        acme.clear()
        acme.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert night["rows"]["p-late"][:2] == ("ok", 9.0)


@pytest.mark.parametrize("crawl", ["delay_seconds: 1", ""], ids=["delay 1 s", "delay 0"])  # write_config's crawl has delay 0
def test_a_page_that_never_ends_is_not_asked_again_while_the_supplier_may_still_be_sending_it(tmp_path, crawl):
    """A page that drips a byte at a time until the crawl gives up: the supplier's next request waits
    its delay from then, and a few seconds at a delay of 0, so the supplier's server never has two of
    ours at once (Scrapy counts the delay from the start of the abandoned request, and at 0 has none:
    the next one went at once). The crawl opens no listening port meanwhile (Scrapy's telnet console
    and remote control are off)."""
    busy, most, lock = [0], [0], threading.Lock()

    def enter() -> None:
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])

    def leave() -> None:
        with lock:
            busy[0] -= 1

    def drip(request: Request) -> Response:
        enter()

        def body():
            try:
                yield b"<html><body>"
                for _ in range(600):  # a minute at most, a byte every 0.1 s
                    time.sleep(0.1)
                    yield b" "
            finally:
                leave()
        return Response(body(), content_type="text/html", direct_passthrough=True)

    def page(request: Request) -> Response:
        enter()
        try:
            return Response(product_page("9.00"), content_type="text/html")
        finally:
            leave()

    acme = _acme()
    acme.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    acme.expect_request("/p/drip").respond_with_handler(drip)
    acme.expect_request("/p/next").respond_with_handler(page)

    def listening(pid: int) -> list[str]:
        """Ports the crawl listens on, while the drip is being read (from /proc: no ss needed)."""
        while not most[0]:
            time.sleep(0.05)
        return _listening_ports(pid)

    try:
        result, night = _night(tmp_path, acme, ["/p/drip", "/p/next"], crawl=crawl, during=listening)
    finally:
        acme.clear()
        acme.stop()
    assert result.returncode == 1, result.stderr[-3000:]
    rows = night["rows"]
    assert rows["p-drip"][0] == "error" and "did not answer in time" in rows["p-drip"][2]
    assert rows["p-next"][:2] == ("ok", 9.0) and rows["healthy"][:2] == ("ok", 12.0)
    assert most[0] == 1  # the supplier's server never had two of our requests at once
    assert night["seen"] == []


def _listening_ports(pid: int) -> list[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                ports.append(f"{table} {fields[1]}")
    return ports


def test_reading_a_page_of_many_prices_costs_in_proportion_to_its_prices():
    """A page of 10,000 prices took 8 s of CPU to read (each price's CSS path counted its siblings
    again), and a crawl reads pages one at a time: every supplier waited. Counted in Python line
    events of the price scan (no clock): four times the prices, about four times the work."""

    def work(prices: int) -> int:
        html = "<html><body><h1>Walnut</h1>" + "".join(f'<div class="price">${10 + i % 90}.{i % 100:02d}</div>'
                                                       for i in range(prices)) + "</body></html>"
        root = lxml.html.fromstring(html)
        count = [0]

        def local(frame, event, arg):  # noqa: ANN001
            if event == "line":
                count[0] += 1
            return local

        def trace(frame, event, arg):  # noqa: ANN001
            return local if frame.f_code.co_filename == buybox.__file__ else None

        from parsel import Selector

        page = Selector(root=root)
        sys.settrace(trace)
        try:
            found = buybox.scan(page, ".")
        finally:
            sys.settrace(None)
        assert len(found) == prices
        return count[0]

    small, large = work(200), work(800)
    assert large < 5 * small, (small, large)  # four times the prices: linear is ~4x; the sibling counts made it 6x and growing
