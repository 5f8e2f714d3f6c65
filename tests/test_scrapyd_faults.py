"""The fault matrix: real scrapyd nodes on loopback addresses that are down, hang, die, run out of
time or run other code, and a run killed and started again. Whatever happens, every offer ends the
night with exactly one observation, no fetched price is lost, no supplier is fetched by two
requests at once, and the exit code and the digest say what happened."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlite_utils
from werkzeug import Request, Response

from tests.conftest import SupplierSite, product_page, supplywatch, write_config
from tests.scrapyd_nodes import ScrapydNode, build_egg, other_code

HOSTS = 6  # suppliers, each on its own loopback address
PAGES = 5  # offers per supplier
NODE_TIMEOUT = 5  # crawl.scrapyd_node_timeout_seconds: a silent node is given up after this


class CountingSite(SupplierSite):
    """A supplier that takes a moment per page and counts how many of its pages are fetched at once."""

    def __init__(self, host: str, latency: float = 0.15):
        super().__init__(host)
        self.latency = latency
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_at_once = 0
        self.served_paths: list[str] = []

    def _page(self, request: Request) -> Response:
        with self.lock:
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            time.sleep(self.latency)
            response = super()._page(request)
            with self.lock:
                self.served_paths.append(request.path)
            return response
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture(scope="module")
def nodes(tmp_path_factory) -> Iterator[dict[str, ScrapydNode]]:
    """Nodes a and b run this code; c runs a copy with one line changed (deployed last week)."""
    home = tmp_path_factory.mktemp("nodes")
    made = {name: ScrapydNode(home / name, f"127.0.0.{40 + i}") for i, name in enumerate("abc")}
    try:
        for node in made.values():
            node.start()
        egg = build_egg(home / "supplywatch.egg")
        made["a"].deploy(egg=egg)
        made["b"].deploy(egg=egg)
        made["c"].deploy(other_code(home / "older"))
        yield made
    finally:
        for node in made.values():
            node.stop()


@pytest.fixture
def cluster(nodes) -> Iterator[dict[str, ScrapydNode]]:
    """The nodes, running and idle at the start of each case and again after it."""
    for node in nodes.values():
        if node.process is None:
            node.start()
    yield nodes
    for node in nodes.values():
        node.stop()
        node.start()  # eggs and config stay on disk: a restarted node is still deployed


@pytest.fixture
def suppliers() -> Iterator[list[CountingSite]]:
    made = [CountingSite(f"127.0.0.{60 + i}") for i in range(HOSTS)]
    yield made
    for site in made:
        site.stop()


def night(directory: Path, suppliers: list[CountingSite], sink: Any, jobs: int = 2, timeout_minutes: float = 10,
          slow: dict[int, float] | None = None, pages: dict[int, int] | None = None) -> list[str]:
    """A config of the suppliers with PAGES offers each (or ``pages[i]``); returns the offer ids."""
    supplier_yaml, materials, offers = [], [], []
    for i, site in enumerate(suppliers):
        if slow and i in slow:
            site.latency = slow[i]
        supplier_yaml.append(f"- {{id: s{i}, name: Supplier {i}, currency: USD, locale: en_US}}")
        lines = []
        for k in range((pages or {}).get(i, PAGES)):
            lines.append(f'    - {{supplier: s{i}, id: m{i}-{k}.s{i}, url: "{site.set(f"p{k}", product_page(f"{10 + k}.{i}0"))}"}}')
            offers.append(f"m{i}-{k}.s{i}")
        materials.append(f"- id: m{i}\n  name: Material {i}\n  unit: kg\n  offers:\n" + "\n".join(lines))
    path = write_config(directory, "\n".join(materials), "\n".join(supplier_yaml),
                        notify_yaml=f"urls:\n  - {{url: '{sink.url}', tags: [digest, phone]}}")
    # A small delay: one request at a time per supplier then holds in Scrapy (delay 0 is issue 13's to fix).
    text = path.read_text(encoding="utf-8").replace("delay_seconds: 0,", "delay_seconds: 0.1,").replace(
        "retries: 0}", f"retries: 0, scrapyd_jobs: {jobs}, scrapyd_node_timeout_seconds: {NODE_TIMEOUT}, "
                       f"scrapyd_timeout_minutes: {timeout_minutes}}}")
    path.write_text(text, encoding="utf-8")
    return offers


def via(*nodes: ScrapydNode) -> list[str]:
    return [arg for node in nodes for arg in ("--via", "scrapyd", node.url)]


def observations(directory: Path) -> dict[str, list[dict[str, Any]]]:
    by_offer: dict[str, list[dict[str, Any]]] = {}
    for row in sqlite_utils.Database(directory / "supplywatch.db").query("SELECT * FROM observations ORDER BY id"):
        by_offer.setdefault(row["offer_id"], []).append(row)
    return by_offer


def assert_whole_night(directory: Path, offers: list[str], suppliers: list[CountingSite]) -> dict[str, dict[str, Any]]:
    """Exactly one observation per offer; every page a supplier served gave a stored price; no
    supplier ever had two of its pages fetched at once."""
    stored = observations(directory)
    assert sorted(stored) == sorted(offers)
    assert {o: len(rows) for o, rows in stored.items() if len(rows) != 1} == {}
    night = {o: rows[0] for o, rows in stored.items()}
    for i, site in enumerate(suppliers):
        for path in set(site.served_paths):
            offer = f"m{i}-{path.rsplit('p', 1)[1]}.s{i}"
            assert night[offer]["status"] == "ok", (offer, night[offer])
            assert night[offer]["price"] == float(f"{10 + int(path.rsplit('p', 1)[1])}.{i}0")
        assert site.most_at_once == 1, f"supplier {i} had {site.most_at_once} pages fetched at once"
    return night


def digest(sink: Any) -> str:
    return "\n".join(m.get("message", "") for m in sink.messages)


def our_jobs(*nodes: ScrapydNode) -> list[str]:
    return [j for node in nodes if node.process is not None for j in node.running()]


def wait_for(condition: Any, what: str, timeout: float = 120) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > ends:
            raise TimeoutError(what)
        time.sleep(0.1)


def feeds(*nodes: ScrapydNode) -> set[Path]:
    return {f for node in nodes for f in (node.home / "items" / "supplywatch" / "offers").glob("*.jl")}


def feed_lines(*nodes: ScrapydNode, before: set[Path] = frozenset()) -> int:
    """Lines written so far by the jobs started after ``before`` was taken (feeds(...))."""
    return sum(len(f.read_bytes().splitlines()) for f in feeds(*nodes) - before)


def start_run(directory: Path, *nodes: ScrapydNode) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", *via(*nodes)], cwd=directory, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_node_down_before_the_run_gets_no_job_and_the_night_is_whole(tmp_path, cluster, suppliers, sink):
    a, b = cluster["a"], cluster["b"]
    b.stop()
    offers = night(tmp_path, suppliers, sink)
    result = supplywatch("run", *via(a, b), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr  # partial: one node could not crawl
    assert f"scrapyd node {b.url} does not answer" in result.stdout
    night_rows = assert_whole_night(tmp_path, offers, suppliers)
    assert all(r["status"] == "ok" for r in night_rows.values())
    assert "Crawling machines (this one or scrapyd nodes), not the suppliers:" in digest(sink)
    assert f"scrapyd node {b.url} does not answer" in digest(sink)
    assert our_jobs(a) == []


def test_a_node_that_hangs_mid_run_has_its_pages_fetched_by_another(tmp_path, cluster, suppliers, sink):
    a, b = cluster["a"], cluster["b"]
    offers = night(tmp_path, suppliers, sink, slow={i: 0.6 for i in range(HOSTS)})
    old = feeds(b)
    run = start_run(tmp_path, a, b)
    wait_for(lambda: feed_lines(b, before=old) >= 2, "no item from node b")  # its header and a first price
    b.hang()  # accepts connections, never answers
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1, err
    assert f"scrapyd node {b.url} does not answer" in out
    night_rows = assert_whole_night(tmp_path, offers, suppliers)
    assert all(r["status"] == "ok" for r in night_rows.values())
    assert "not the suppliers" in digest(sink)
    assert our_jobs(a) == []


def test_a_node_killed_mid_run_loses_no_price_and_no_supplier_is_blamed(tmp_path, cluster, suppliers, sink):
    a, b = cluster["a"], cluster["b"]
    offers = night(tmp_path, suppliers, sink, slow={i: 0.6 for i in range(HOSTS)})
    old = feeds(b)
    run = start_run(tmp_path, a, b)
    wait_for(lambda: feed_lines(b, before=old) >= 2, "no item from node b")
    b.kill()  # the machine is gone, its crawls with it
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1, err
    assert f"scrapyd node {b.url} does not answer" in out
    night_rows = assert_whole_night(tmp_path, offers, suppliers)
    assert all(r["status"] == "ok" for r in night_rows.values())
    assert "no price at all from" not in out  # no supplier blamed
    assert "extraction" not in digest(sink).lower()
    assert our_jobs(a) == []


def test_time_up_keeps_the_finished_suppliers_and_stops_every_job(tmp_path, cluster, suppliers, sink):
    a = cluster["a"]
    # Supplier 0 answers each of its 40 pages after 1.5 s: they cannot all be fetched in time.
    offers = night(tmp_path, suppliers[:2], sink, jobs=1, timeout_minutes=0.4, slow={0: 1.5, 1: 0.0}, pages={0: 40})
    result = supplywatch("run", *via(a), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr
    stored = observations(tmp_path)
    assert sorted(stored) == sorted(offers) and all(len(rows) == 1 for rows in stored.values())
    fast = [stored[f"m1-{k}.s1"][0] for k in range(PAGES)]
    assert all(r["status"] == "ok" for r in fast)  # the supplier that finished keeps its prices
    slow = [stored[o][0] for o in offers if o.startswith("m0-")]
    fetched = {p for p in suppliers[0].served_paths}
    for row in slow:
        page = "/p/p" + row["offer_id"].split("-")[1].split(".")[0]
        if page in fetched:
            assert row["status"] == "ok", row  # fetched before the time was up: kept
        else:
            assert row["status"] == "error" and "crawl time" in row["error"], row
    assert any(r["status"] == "error" for r in slow)
    assert suppliers[0].most_at_once == 1
    assert our_jobs(a) == []  # the job was cancelled with the run
    served = len(suppliers[0].served_paths)
    time.sleep(3)
    assert len(suppliers[0].served_paths) == served  # and fetches nothing after the run ended


def test_a_run_interrupted_twice_then_restarted_fetches_every_page_once(tmp_path, cluster, suppliers, sink):
    a, b = cluster["a"], cluster["b"]
    offers = night(tmp_path, suppliers, sink, slow={i: 0.4 for i in range(HOSTS)})

    old = feeds(a, b)
    first = start_run(tmp_path, a, b)  # Ctrl-C: the run cancels its jobs on the way out
    wait_for(lambda: feed_lines(a, b, before=old) >= 3, "no items")
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert first.returncode != 0
    wait_for(lambda: not our_jobs(a, b), "jobs still running after Ctrl-C", timeout=30)

    old = feeds(a, b)
    second = start_run(tmp_path, a, b)  # killed outright: its jobs are left running
    wait_for(lambda: len(our_jobs(a, b)) > 0 and feed_lines(a, b, before=old) >= 4, "no items in the second run")
    second.kill()
    second.communicate(timeout=60)

    third = supplywatch("run", *via(a, b), cwd=tmp_path, timeout=300)
    assert third.returncode == 0, third.stdout + third.stderr
    night_rows = assert_whole_night(tmp_path, offers, suppliers)
    assert all(r["status"] == "ok" for r in night_rows.values())
    for site in suppliers:  # nothing fetched twice: what the interrupted runs fetched was collected
        assert len(site.served_paths) == len(set(site.served_paths)), site.served_paths
    runs = list(sqlite_utils.Database(tmp_path / "supplywatch.db").query("SELECT id, status FROM runs ORDER BY id"))
    assert [r["status"] for r in runs] == ["crashed", "crashed", "ok"]
    assert our_jobs(a, b) == []


def test_a_node_with_other_code_refuses_and_says_how_to_deploy(tmp_path, cluster, suppliers, sink):
    a, c = cluster["a"], cluster["c"]
    offers = night(tmp_path, suppliers, sink)
    result = supplywatch("run", *via(c, a), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr
    assert f"deploy this one: SCRAPYD_URL={c.url} scrapyd-deploy cluster" in result.stdout
    assert f"SCRAPYD_URL={c.url} scrapyd-deploy cluster" in digest(sink)
    night_rows = assert_whole_night(tmp_path, offers, suppliers)
    assert all(r["status"] == "ok" for r in night_rows.values())
    for feed in (c.home / "items" / "supplywatch" / "offers").glob("*.jl"):  # the older code fetched nothing
        lines = [json.loads(line) for line in feed.read_text().splitlines()]
        assert [line.get("refused") is not None for line in lines] == [True]


def test_a_node_that_wants_a_password_says_so(tmp_path, sites):
    guarded = ScrapydNode(tmp_path / "guarded")
    conf = guarded.home / "scrapyd.conf"
    conf.write_text(conf.read_text() + "username = crawler\npassword = s3cret\n")
    guarded.start()
    try:
        acme = sites()
        write_config(tmp_path, f'- {{id: walnut, name: Walnut, unit: kg, offers: [{{supplier: acme, url: "{acme.set("w", product_page("5.00"))}"}}]}}')
        home = tmp_path / "home"
        home.mkdir()
        result = supplywatch("run", "--via", "scrapyd", guarded.url, cwd=tmp_path, env={"HOME": str(home)})
        assert result.returncode == 4
        assert f"scrapyd node {guarded.url} asks for a password and none is set: put it in ~/.netrc" in result.stderr
        with_password = guarded.url.replace("http://", "http://crawler:s3cret@")
        result = supplywatch("run", "--via", "scrapyd", with_password, cwd=tmp_path, env={"HOME": str(home)})
        assert "s3cret" not in result.stdout + result.stderr  # the password never shows
        assert "project 'supplywatch' not found" in result.stderr and "scrapyd-deploy" in result.stderr
        run = sqlite_utils.Database(tmp_path / "supplywatch.db")["runs"].get(2)
        assert "s3cret" not in (run["message"] or "")
    finally:
        guarded.stop()


def test_offers_far_over_a_command_lines_limit_reach_their_jobs(tmp_path, sites, nodes):
    """Each job's offers weigh over 128 KiB, the most one command-line argument may hold (scrapyd
    starts a job's process with its arguments): they reach the jobs over HTTP. Each host's offers
    are variants on one page, so the crawl itself is two pages. benchmarks/scrapyd_failover.py
    crawls 10,000 offers (3,300 a job, 700 KB) on three nodes."""
    from monitor import config as config_module

    a, b = nodes["a"], nodes["b"]
    for node in (a, b):
        if node.process is None:
            node.start()
    lines = []
    for s, host in enumerate(("127.0.0.1", "localhost")):
        shop = sites()
        url = shop.set("list", "<html><body><p>Prices on request</p></body></html>").replace("127.0.0.1", host)
        lines += [f'    - {{supplier: acme, id: w{s}-{k}, url: "{url}", variant: "V{k} {"kiln-dried walnut " * 100}"}}' for k in range(80)]
    write_config(tmp_path, "- id: walnut\n  name: Walnut\n  unit: kg\n  offers:\n" + "\n".join(lines))
    offers = config_module.load(tmp_path / "supplywatch.yml").offers()
    for host in ("127.0.0.1", "localhost"):
        assert len(json.dumps([o.model_dump(mode="json") for o in offers if f"//{host}:" in o.url])) > 128 * 1024
    result = supplywatch("run", *via(a, b), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "0 prices from 160 offers (160 missing)" in result.stdout
    run = sqlite_utils.Database(tmp_path / "supplywatch.db")["runs"].get(1)
    assert run["status"] == "failed" and json.loads(run["crawl_stats"])["scrapyd_jobs"] == 2  # no price on either page
