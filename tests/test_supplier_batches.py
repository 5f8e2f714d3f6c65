"""A night is stored supplier by supplier, as each supplier's crawl ends: a big night never sits in
memory whole, and a slow supplier does not hold back the others' prices."""

from __future__ import annotations

import sqlite3
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor import pipeline
from tests.conftest import product_page, supplywatch, write_config


def test_a_supplier_is_stored_while_another_is_still_being_crawled(tmp_path, sites):
    acme = sites()
    # Corner's page answers only once Acme's price is in the database (or after 60 s without it).
    corner = HTTPServer(host="127.0.0.2", threaded=True)  # its own address: its own download slot
    corner.start()
    seen: list[bool] = []

    def slow_page(request: Request) -> Response:
        ends = time.monotonic() + 60
        while time.monotonic() < ends and not seen:
            try:
                with sqlite3.connect(f"file:{tmp_path / 'supplywatch.db'}?mode=ro", uri=True, timeout=5) as db:
                    seen.extend(r[0] for r in db.execute("SELECT 1 FROM observations WHERE offer_id = 'walnut@acme' AND status = 'ok'"))
            except sqlite3.OperationalError:
                pass  # not created yet
            time.sleep(0.2)
        return Response(product_page("13.00"), content_type="text/html")

    corner.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n", content_type="text/plain")
    corner.expect_request("/p/walnut").respond_with_handler(slow_page)
    try:
        write_config(tmp_path, f"""
        - id: walnut
          name: Black walnut
          unit: board_foot
          offers:
            - {{supplier: acme, url: "{acme.set('walnut', product_page('12.50'))}"}}
            - {{supplier: corner, url: "{corner.url_for('/p/walnut')}"}}
        """)
        config = tmp_path / "supplywatch.yml"
        config.write_text(config.read_text().replace("timeout_seconds: 2", "timeout_seconds: 90"))
        result = supplywatch("run", cwd=tmp_path, timeout=180)
    finally:
        corner.clear()
        corner.stop()
    assert result.returncode == pipeline.EXIT_OK, result.stdout + result.stderr
    assert seen == [True]  # Acme's price was stored while Corner's page was still being fetched
    with sqlite3.connect(tmp_path / "supplywatch.db") as db:
        rows = dict(db.execute("SELECT offer_id, price FROM observations"))
    assert rows == {"walnut@acme": 12.5, "walnut@corner": 13.0}
