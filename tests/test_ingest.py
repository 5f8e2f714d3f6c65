"""A feed crawled elsewhere with plain `scrapy crawl` stores the same rows as an in-process run."""

import subprocess
import sys

import sqlite_utils

from tests.conftest import REPO, product_page, supplywatch, write_config

COMPARED = ("offer_id", "material_id", "supplier_id", "status", "price", "currency", "pack", "unit_price", "in_stock", "method", "raw", "error", "http_status")


def rows(db_path):
    db = sqlite_utils.Database(db_path)
    return sorted(tuple(r[c] for c in COMPARED) for r in db.query("SELECT * FROM observations"))


def test_ingest_of_scrapy_feed_gives_the_same_rows_as_a_run(tmp_path, sites):
    acme, berger = sites(), sites()
    materials = f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{acme.set('walnut', product_page('12.50', markup='microdata'))}"}}
        - {{supplier: berger, url: "{berger.set('nussbaum', product_page('1.234,50 €', markup='plain'))}", pack: 10 board_foot, price: "css:.preis::text"}}
        - {{supplier: acme, id: walnut-gone, url: "{acme.set('gone', 'gone', 404)}"}}
    - id: glue
      name: Glue
      unit: gal
      offers:
        - {{supplier: acme, url: "{acme.set('glue', product_page(None, markup='opengraph'))}", pack: 5 L}}
    """
    crawled_here = tmp_path / "here"
    crawled_elsewhere = tmp_path / "elsewhere"
    for directory in (crawled_here, crawled_elsewhere):
        directory.mkdir()
        write_config(directory, materials)
    assert supplywatch("run", cwd=crawled_here).returncode == 1  # one 404, one missing price

    feed = tmp_path / "items.jsonl"
    scrapy = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "offers", "-a", f"config={crawled_elsewhere / 'supplywatch.yml'}", "-O", str(feed)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert scrapy.returncode == 0, scrapy.stderr
    assert "owner@example.com" in scrapy.stderr  # the config's User-Agent applies to standalone crawls too
    result = supplywatch("ingest", str(feed), cwd=crawled_elsewhere)
    assert result.returncode == 1, result.stderr
    assert rows(crawled_here / "supplywatch.db") == rows(crawled_elsewhere / "supplywatch.db")
    assert len(rows(crawled_here / "supplywatch.db")) == 4

    again = supplywatch("ingest", str(feed), cwd=crawled_elsewhere)  # the same feed twice stores nothing twice
    assert again.returncode == 0, again.stderr
    assert "already stored: all 4 items of items.jsonl were stored before (run 1)" in again.stdout
    assert len(rows(crawled_elsewhere / "supplywatch.db")) == 4
    assert sqlite_utils.Database(crawled_elsewhere / "supplywatch.db")["runs"].count == 1  # no second run, no second digest


def test_ingest_rejects_a_file_that_is_not_a_feed(tmp_path, sites):
    write_config(tmp_path, '- {id: walnut, name: Walnut, unit: kg, offers: [{supplier: acme, url: "http://127.0.0.1:9/x"}]}')
    bad = tmp_path / "items.jsonl"
    bad.write_text('{"offer_id": "walnut@acme"\n')
    result = supplywatch("ingest", str(bad), cwd=tmp_path)
    # Bad input, found before anything is written: exit 2 (as a bad config), not 1 ("partial run").
    assert result.returncode == 2 and "items.jsonl:1: not a JSON line" in result.stderr
    assert not (tmp_path / "supplywatch.db").exists()
