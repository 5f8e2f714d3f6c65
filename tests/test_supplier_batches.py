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


def _sqlite_steps_of_a_small_suppliers_batch(directory, others: int) -> int:
    """SQLite's virtual-machine steps for storing and judging one supplier's one-offer batch, on a
    night where another supplier has ``others`` offers (each with two weeks of nightly prices)."""
    from datetime import datetime, timedelta, timezone

    from monitor import config as config_module

    lines = [f"- {{id: m{i}, name: Material {i}, unit: kg, offers: [{{supplier: acme, url: 'http://127.0.0.1:9/{i}', pack: 25 kg}}]}}"
             for i in range(others)]
    lines.append("- {id: walnut, name: Walnut, unit: kg, offers: [{supplier: corner, url: 'http://127.0.0.1:9/w', pack: 25 kg}]}")
    config = config_module.load(write_config(directory, "\n".join(lines)))
    db, notes = pipeline.open_store(config)
    start = datetime(2026, 3, 1, 3, tzinfo=timezone.utc)
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    def item(offer: str, price: str, as_of: str) -> dict[str, str]:
        return {"offer_id": offer, "status": "ok", "fetched_at": as_of, "price": price}

    for night in range(15):
        as_of = (start + timedelta(days=night)).isoformat()
        with pipeline.Run(db, config, "test", as_of, deliver=False, notes=notes) as run:
            run.accept([item(f"m{i}@acme", f"{50 + i % 7 + night % 3}.00", as_of) for i in range(others)])
            if night < 14:
                run.accept([item("walnut@corner", "80.00", as_of)])
            else:  # tonight: count what the small supplier's batch costs
                db.conn.set_progress_handler(step, 1)
                rows = run.accept([item("walnut@corner", "81.00", as_of)])
                db.conn.set_progress_handler(None, 1)
            run.finish()
    assert [r.status for r in rows] == ["ok"]
    return steps[0]


def test_a_suppliers_batch_costs_its_own_offers_not_the_whole_nights(tmp_path):
    # A night of 2,000 suppliers is stored and judged in 2,000 batches: if each batch read every
    # offer's recent prices, history or rules, the night would grow with the square of its size.
    (tmp_path / "small").mkdir()
    (tmp_path / "big").mkdir()
    beside_few = _sqlite_steps_of_a_small_suppliers_batch(tmp_path / "small", others=20)
    beside_many = _sqlite_steps_of_a_small_suppliers_batch(tmp_path / "big", others=200)
    assert beside_many < 1.3 * beside_few, (beside_few, beside_many)


def _night_with_a_glitch(directory, monkeypatch, look_first: bool, stored_between: bool = False) -> tuple[list[tuple], int]:
    """Two nights of prices; on the second, Acme's walnut page shows ten times its price (and again
    when fetched once more). Returns the second night's stored rows and how many prices were priced."""
    from monitor import config as config_module
    from monitor.store.pricing import Pricing

    config = config_module.load(write_config(directory, """
    - {id: walnut, name: Walnut, unit: kg, offers: [{supplier: acme, url: 'http://127.0.0.1:9/w', pack: 25 kg}]}
    - {id: cherry, name: Cherry, unit: kg, offers: [{supplier: acme, url: 'http://127.0.0.1:9/c', pack: 25 kg}]}
    - {id: maple, name: Maple, unit: kg, offers: [{supplier: corner, url: 'http://127.0.0.1:9/m', pack: 25 kg}]}
    """))
    db, notes = pipeline.open_store(config)

    def item(offer: str, price: str, as_of: str) -> dict[str, str]:
        return {"offer_id": offer, "status": "ok", "fetched_at": as_of, "price": price}

    with pipeline.Run(db, config, "test", "2026-03-01T03:00:00+00:00", deliver=False, notes=notes) as run:
        run.accept([item(o, "50.00", "2026-03-01T03:00:00+00:00") for o in ("walnut@acme", "cherry@acme", "maple@corner")])
        run.finish()
    priced = [0]
    observation = Pricing.observation

    def counted(self, run_id, item):  # type: ignore[no-untyped-def]
        priced[0] += 1
        return observation(self, run_id, item)

    monkeypatch.setattr(Pricing, "observation", counted)
    night = "2026-03-02T03:00:00+00:00"
    acme = [item("walnut@acme", "500.00", night), item("cherry@acme", "51.00", night)]
    with pipeline.Run(db, config, "test", night, deliver=False, notes=notes) as run:
        again = []
        if look_first:
            again = [o.offer_id for o in run.to_refetch(acme)]
            assert again == ["walnut@acme"]
        if stored_between:
            run.accept([item("maple@corner", "52.00", night)])
        run.accept(acme + [item(o, "500.00", "2026-03-02T03:00:30+00:00") for o in again])
        if not stored_between:
            run.accept([item("maple@corner", "52.00", night)])
        run.finish()
    rows = db.execute("SELECT offer_id, fetched_at, status, doubt, unit_price, landed_unit_price, error FROM observations "
                      "WHERE fetched_at > '2026-03-01T04' ORDER BY offer_id, fetched_at").fetchall()
    db.close()
    return rows, priced[0]


def test_a_batch_looked_at_for_a_refetch_is_priced_once_and_stored_as_it_was_judged(tmp_path, monkeypatch):
    for name in ("plain", "looked", "between"):
        (tmp_path / name).mkdir()
    plain, priced_plain = _night_with_a_glitch(tmp_path / "plain", monkeypatch, look_first=False)
    looked, priced_looked = _night_with_a_glitch(tmp_path / "looked", monkeypatch, look_first=True)
    between, priced_between = _night_with_a_glitch(tmp_path / "between", monkeypatch, look_first=True, stored_between=True)
    glitch = [r for r in looked if r[0] == "walnut@acme"]
    assert [(r[2], r[3]) for r in glitch] == [("suspect", "jump"), ("suspect", "jump")]  # the re-fetch of the same run confirms nothing
    assert [r for r in looked if r[1] != "2026-03-02T03:00:30+00:00"] == plain  # the same rows as a batch priced when stored
    assert priced_plain == 3
    assert priced_looked == 2 + 1 + 1  # looked at (2), then only the re-fetch and Corner's batch priced
    # Another supplier's batch stored between the look and the store: the batch is priced again.
    assert between == looked and priced_between == 2 + 1 + 2 + 1
