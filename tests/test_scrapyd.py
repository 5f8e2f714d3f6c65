"""A real scrapyd on 127.0.0.1: the project deploys with scrapyd-client, `run --via scrapyd` crawls
through it and stores what an in-process run stores; its items URL and a folder of feeds ingest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
import sqlite_utils

from spiders.offer import OfferSpec
from monitor.crawl.scrapyd import split_offers
from tests.conftest import REPO, product_page, supplywatch, write_config
from tests.test_ingest import rows

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scrapyd_url(tmp_path_factory) -> Iterator[str]:
    """A scrapyd keeping JSON Lines items, with the project deployed by `scrapyd-deploy`."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.2\nmax_proc = 4\n"
        f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\nitems_dir = {home}/items\ndbs_dir = {home}/dbs\n",
        encoding="utf-8",
    )
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=open(home / "scrapyd.out", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "cluster"], cwd=REPO, capture_output=True, text=True,
                                timeout=120, env={**os.environ, "SCRAPYD_URL": url})
        assert deploy.returncode == 0, deploy.stderr + (home / "scrapyd.out").read_text()
        assert '"spiders": 4' in deploy.stdout  # offers, probe, rates, indexes
        yield url
    finally:
        server.terminate()
        server.wait(10)


def finished_jobs(url: str) -> list[dict]:
    return json.loads(urllib.request.urlopen(f"{url}/listjobs.json?project=supplywatch").read())["finished"]


def materials(acme, berger) -> str:
    # berger is reached as "localhost": another host name, so another scrapyd job.
    berger_url = berger.set("nussbaum", product_page("1.234,50 €", markup="plain")).replace("127.0.0.1", "localhost")
    return f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{acme.set('walnut', product_page('12.50', markup='microdata'))}"}}
        - {{supplier: berger, url: "{berger_url}", pack: 10 board_foot, price: "css:.preis::text"}}
        - {{supplier: acme, id: walnut-gone, url: "{acme.set('gone', 'gone', 404)}"}}
    - id: glue
      name: Glue
      unit: gal
      offers:
        - {{supplier: acme, url: "{acme.set('glue', product_page(None, markup='opengraph'))}", pack: 5 L}}
        - {{supplier: acme, id: glue-jug, url: "{acme.set('jug', product_page('21.00'))}", pack: 1 gal}}
    """


def test_run_via_scrapyd_stores_what_an_in_process_run_stores(tmp_path, sites, scrapyd_url):
    acme, berger = sites(), sites()
    here, there = tmp_path / "here", tmp_path / "there"
    for directory in (here, there):
        directory.mkdir()
        write_config(directory, materials(acme, berger))

    assert supplywatch("run", cwd=here).returncode == 1  # one 404, one missing price
    result = supplywatch("run", "--via", "scrapyd", scrapyd_url, "--jobs", "2", cwd=there, timeout=180)
    assert result.returncode == 1, result.stderr
    assert "3 prices from 5 offers (1 missing, 1 error)" in result.stdout

    assert rows(here / "supplywatch.db") == rows(there / "supplywatch.db")
    assert len(rows(there / "supplywatch.db")) == 5
    run = sqlite_utils.Database(there / "supplywatch.db")["runs"].get(1)
    assert run["source"] == "crawl:scrapyd"
    log = Path(run["log_file"]).read_text()
    assert log.count("scrapyd job ") == 2  # one job per host name
    # Politeness holds on scrapyd too: the owner's contact is in the User-Agent of every request.
    assert all("owner@example.com" in r.headers["User-Agent"] for r in acme.requests("walnut"))


def test_scrapyd_items_url_and_a_folder_of_feeds_ingest_once(tmp_path, sites, scrapyd_url):
    acme, berger = sites(), sites()
    write_config(tmp_path, materials(acme, berger))
    before = {j["id"] for j in finished_jobs(scrapyd_url)}
    assert supplywatch("run", "--via", "scrapyd", scrapyd_url, cwd=tmp_path, timeout=180).returncode == 1
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    stored = rows(tmp_path / "supplywatch.db")

    items_urls = [scrapyd_url + j["items_url"] for j in finished_jobs(scrapyd_url) if j["id"] not in before]
    assert len(items_urls) == 2
    for url in items_urls:  # already stored by the run: nothing new, nothing sent
        result = supplywatch("ingest", url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "already stored" in result.stdout
    assert rows(tmp_path / "supplywatch.db") == stored

    folder = tmp_path / "feeds"
    folder.mkdir()
    for number, url in enumerate(items_urls):
        (folder / f"job-{number}.jl").write_bytes(urllib.request.urlopen(url).read())
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_config(fresh, materials(acme, berger))
    assert supplywatch("ingest", str(folder), cwd=fresh).returncode == 1
    again = supplywatch("ingest", str(folder), cwd=fresh)
    assert again.returncode == 0 and "already stored: all 5 items of feeds/" in again.stdout
    assert sqlite_utils.Database(fresh / "supplywatch.db")["observations"].count == db["observations"].count


def test_a_dead_scrapyd_node_hands_its_jobs_to_the_next(tmp_path, sites, scrapyd_url):
    acme, berger = sites(), sites()
    write_config(tmp_path, materials(acme, berger))
    dead = f"http://127.0.0.1:{free_port()}"
    result = supplywatch("run", "--via", "scrapyd", dead, "--via", "scrapyd", scrapyd_url, "--jobs", "2", cwd=tmp_path, timeout=180)
    assert result.returncode == 1, result.stderr
    assert f"scrapyd node {dead} does not answer" in result.stdout
    assert "3 prices" in result.stdout


def test_no_scrapyd_node_answering_is_a_crash_with_a_clear_message_and_no_price(tmp_path, sites):
    acme, berger = sites(), sites()
    write_config(tmp_path, materials(acme, berger))
    result = supplywatch("run", "--via", "scrapyd", f"http://127.0.0.1:{free_port()}", cwd=tmp_path)
    assert result.returncode == 4
    assert "no scrapyd node can crawl" in result.stderr and "does not answer" in result.stderr
    assert "ScrapydError" not in result.stderr  # the owner's words, not the class's name (README walk)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db["observations"].count == 0
    assert db["runs"].get(1)["status"] == "crashed"


def test_offers_are_split_by_host_so_one_supplier_is_crawled_by_one_job():
    def offer(n: int, host: str) -> OfferSpec:
        return OfferSpec(offer_id=f"o{n}@{host}", material="m", supplier=host, url=f"http://{host}/p/{n}", pack="1 kg", unit="kg")

    offers = [offer(n, "a.example") for n in range(6)] + [offer(n, "b.example") for n in range(3)] + \
             [offer(n, "c.example") for n in range(2)] + [offer(n, "d.example") for n in range(1)]
    groups = split_offers(offers, 2)
    assert sorted(len(g) for g in groups) == [6, 6]  # a | b+c+d
    first, second = ({o.supplier for o in g} for g in groups)
    assert not first & second
    assert len(split_offers(offers, 10)) == 4  # never more jobs than hosts
    # The same config splits the same way whatever the order of its offers (a host keeps its node).
    as_sets = lambda groups: [{o.offer_id for o in g} for g in groups]  # noqa: E731
    assert as_sets(split_offers(offers, 3)) == as_sets(split_offers(list(reversed(offers)), 3))
