"""Storing a night gives exactly the rows the store gave before its pricing was rewritten for speed
(issue 16): every column of every observation and of the latest-price table, over generated nights
holding each case the store handles. The expected rows (tests/fixtures/store_night_expected.json)
were written by the store as it was at 2026-12-07 (efc91df) with :func:`write_expected`."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from monitor import config as config_module, pipeline, store
from monitor.store.items import Status, read_items
from monitor.store.pricing import Doubt
from tests.conftest import write_config

EXPECTED = Path(__file__).parent / "fixtures" / "store_night_expected.json"

SUPPLIERS = """
    - {id: acme, name: Acme Lumber, currency: USD, shipping: {flat: 12, per_unit: 0.4, free_over: 500}, fees_percent: 2.5}
    - {id: berger, name: Holz Berger, currency: EUR}
    - {id: corner, name: Corner Shop, currency: USD}
    - {id: albion, name: Albion Timber, currency: GBP}
    - {id: alpen, name: Alpen Holz, currency: CHF}
"""


def materials(night: int) -> str:
    """The config's materials on ``night``: after night 9 glue is measured in litres (its history
    re-expressed), an oil offer is removed and a new one added."""
    glue_unit = "gal" if night < 9 else "L"
    oil_offers = ('[{supplier: acme, url: "http://127.0.0.1:9/oil", pack: 5 L}, {supplier: corner, url: "http://127.0.0.1:9/oil2", pack: 20 kg}]'
                  if night < 9 else '[{supplier: acme, url: "http://127.0.0.1:9/oil", pack: 5 L}, {supplier: berger, url: "http://127.0.0.1:9/oil3", pack: 10 L}]')
    lines = [
        '- {id: walnut, name: Walnut, unit: kg, offers: [{supplier: acme, url: "http://127.0.0.1:9/w1", pack: 25 kg}, '
        '{supplier: berger, url: "http://127.0.0.1:9/w2", pack: 50 lb}, {supplier: corner, url: "http://127.0.0.1:9/w3"}, '
        '{supplier: albion, url: "http://127.0.0.1:9/w4", pack: 10 kg}, {supplier: alpen, url: "http://127.0.0.1:9/w5", pack: 10 kg}]}',
        f'- {{id: oil, name: Oil, unit: kg, density: 0.92 kg/L, offers: {oil_offers}}}',
        f'- {{id: glue, name: Glue, unit: {glue_unit}, offers: [{{supplier: acme, url: "http://127.0.0.1:9/g1", pack: 5 L, order_quantity: 3}}, '
        '{supplier: berger, url: "http://127.0.0.1:9/g2", pack: 1 gal}]}',
    ]
    lines += [f'- {{id: bulk{i}, name: Bulk {i}, unit: kg, offers: [{{supplier: {("acme", "berger", "corner")[i % 3]}, '
              f'url: "http://127.0.0.1:9/b{i}", pack: {("25 kg", "50 lb", "1 kg")[i % 3]}}}]}}' for i in range(30)]
    return "\n".join(lines)


BASE = {"walnut@acme": 300.0, "walnut@berger": 260.0, "walnut@corner": 12.0, "walnut@albion": 95.0, "walnut@alpen": 110.0,
        "oil@acme": 40.0, "oil@corner": 150.0, "oil@berger": 70.0, "glue@acme": 55.0, "glue@berger": 30.0}
AT = "2026-03-{day:02d}T03:00:00+00:00"


def item(offer_id: str, day: int, price: Any, **more: Any) -> dict[str, Any]:
    return {"offer_id": offer_id, "status": "ok", "fetched_at": AT.format(day=day), "price": price, "method": "json-ld",
            "http_status": 200, **more}


def at(batch: dict[str, dict[str, Any]], offer_id: str, **changes: Any) -> None:
    batch[offer_id].update(changes)


def nights() -> Iterator[tuple[int, list[dict[str, Any]], bool]]:
    """(night, items of one supplier batch each, late) in the order they are stored."""
    rng = random.Random(16)
    for night in range(14):
        day = night + 1
        offers = [o for o in BASE if not (night >= 9 and o == "oil@corner") and not (night < 9 and o == "oil@berger")]
        offers += [f"bulk{i}@{('acme', 'berger', 'corner')[i % 3]}" for i in range(30)]
        batch = []
        for offer_id in offers:
            base = BASE[offer_id] if offer_id in BASE else 20.0 + int(offer_id[4:].split("@")[0])
            batch.append(item(offer_id, day, f"{base * (1 + rng.uniform(-0.08, 0.08)):.2f}"))
        special = {i["offer_id"]: i for i in batch}

        if night == 0:  # a first price whose page disagrees with itself; a page that gave nothing
            at(special, "walnut@corner", agreed=["json-ld"], disputed=[{"method": "visible", "price": "14.00"}])
            at(special, "glue@berger", status="missing", price=None, error="no price on the page")
        if night == 2:  # tiers, a list price, stock, a redirect; a rate feed for GBP on this day only
            at(special, "glue@acme", tiers=[{"min": 1, "max": 9, "price": "55.00"}, {"min": 10, "price": "50.00"}], list_price="60.00", in_stock=True,
               final_url="http://127.0.0.1:9/g1-new")
            batch += [{"date": "2026-03-03", "currency": "GBP", "per_eur": 0.85, "source": "ecb"},
                      {"date": "2026-03-03", "currency": "USD", "per_eur": 1.09, "source": "ecb"}]
        if night == 3:  # a x10 glitch, looked at again in the same run (a second item, a second later)
            at(special, "walnut@acme", price="3000.00")
            batch.append(item("walnut@acme", day, "3010.00", fetched_at="2026-03-04T03:00:01+00:00"))
            at(special, "walnut@berger", price="0")  # not above zero
            at(special, "oil@acme", pack="3 furlong", pack_source="page")  # a pack that is no amount of kg
        if night == 4:  # the glitch again the next night counts; a jump another supplier's price agrees with
            at(special, "walnut@acme", price="3005.00")
            at(special, "walnut@corner", price="70.00")
            at(special, "walnut@albion", price="-4")
            special["bulk1@berger"].update(currency="USD")  # not the supplier's currency
        if night == 5:  # the page's pack changed: held back once, believed when seen again
            at(special, "walnut@berger", pack="40 lb", pack_source="page", price="208.00")
            at(special, "glue@acme", status="error", price="55.00", error="HTTP 503")  # a failed page's number is never a price
            at(special, "bulk2@corner", status="ambiguous", price=None, error="two prices")
        if night == 6:
            at(special, "walnut@berger", pack="40 lb", pack_source="page", price="209.00")
            at(special, "bulk3@acme", price="NaN")
            at(special, "bulk4@berger", price="1e400")
            at(special, "bulk5@corner", fetched_at="2999-01-01T00:00:00+00:00")
            at(special, "bulk6@acme", fetched_at="yesterday")
            at(special, "bulk7@berger", status="node_error", price=None, error="scrapyd node down")
            at(special, "bulk8@corner", status="no such status")
        if night == 7:  # a price typed by hand, implausible: held back
            at(special, "glue@berger", method="manual", raw="300", price="300", pack_source="config", note="typed at the counter")
            at(special, "oil@corner", price="1.50")  # a hundredth: suspect
            at(special, "bulk9@acme", price="900000000000", pack="1 g", pack_source="page")  # no sane unit price
        rates = [i for i in batch if "per_eur" in i]
        prices = [i for i in batch if "per_eur" not in i]
        by_supplier: dict[str, list[dict[str, Any]]] = {}
        for entry in prices:
            by_supplier.setdefault(entry["offer_id"].split("@")[1], []).append(entry)
        for number, supplier in enumerate(sorted(by_supplier)):
            yield night, (rates if number == 0 else []) + by_supplier[supplier], False
        if night == 8:  # a feed crawled days ago, ingested late: older than the newest prices
            yield night, [item("walnut@corner", 6, "13.10", fetched_at="2026-03-06T09:00:00+00:00"),
                          item("bulk9@acme", 7, "29.50", fetched_at="2026-03-07T09:00:00+00:00")], True
            yield night, by_supplier["corner"], False  # the same feed ingested again: nothing stored twice


def stored_nights(directory: Path) -> dict[str, dict[str, list[Any]]]:
    """Every night stored, one supplier batch a transaction; every row of both tables as stored."""
    directory.mkdir(exist_ok=True)
    config = db = None
    loaded_for = None
    for night, batch, late in nights():
        version = night >= 9
        if version != loaded_for:
            if db is not None:
                db.close()
            write_config(directory, materials(night), SUPPLIERS, extra="rates_feed: ecb\n")
            config = config_module.load(directory / "supplywatch.yml")
            db, _ = pipeline.open_store(config)
            loaded_for = version
        assert config is not None and db is not None
        prices, rates = read_items(batch)
        store.record_rates(db, rates)
        run_id = store.start_run(db, "test", prices[0].fetched_at or AT.format(day=night + 1))
        kept = [p for p in prices if p.fetched_at]  # the pipeline gives an item without a fetch time the run's
        kept += [replace(p, fetched_at=AT.format(day=night + 1).replace("03:00", "04:00")) for p in prices if not p.fetched_at]
        store.record_observations(db, config, run_id, kept, late=late)
    assert db is not None
    result = {}
    for table, order in (("observations", "id"), ("latest_observations", "offer_id")):
        cursor = db.execute(f"SELECT * FROM {table} ORDER BY {order}")
        result[table] = {"columns": [c[0] for c in cursor.description], "rows": [list(row) for row in cursor.fetchall()]}
    db.close()
    return result


def write_expected(directory: Path) -> None:
    """Write the rows the store stores now as the expected ones (run once, before the rewrite)."""
    tables = []
    for name, table in stored_nights(directory).items():
        rows = ",\n".join(json.dumps(row) for row in table["rows"])
        tables.append(f'{json.dumps(name)}: {{"columns": {json.dumps(table["columns"])},\n"rows": [\n{rows}\n]}}')
    EXPECTED.write_text("{" + ",\n".join(tables) + "}\n")  # a row a line


def test_a_generated_fortnight_with_every_case_stores_exactly_the_rows_of_the_store_before_its_rewrite(tmp_path):
    expected = json.loads(EXPECTED.read_text())
    got = json.loads(json.dumps(stored_nights(tmp_path)))  # as the file holds them (tuples as lists)
    for table, want in expected.items():
        assert got[table]["columns"] == want["columns"]
        assert len(got[table]["rows"]) == len(want["rows"]), table
        for ours, theirs in zip(got[table]["rows"], want["rows"]):
            assert dict(zip(want["columns"], ours)) == dict(zip(want["columns"], theirs)), table


def test_the_generated_nights_hold_every_case_the_store_handles():
    observations = json.loads(EXPECTED.read_text())["observations"]
    rows = [dict(zip(observations["columns"], row)) for row in observations["rows"]]
    assert {r["status"] for r in rows} == {s.value for s in Status}
    assert {r["doubt"] for r in rows} - {None} == {d.value for d in Doubt}
    assert any(r["pack_source"] == "page" and r["status"] == "ok" for r in rows)  # a changed pack seen again
    assert any(r["method"] == "manual" and r["status"] == "suspect" for r in rows)  # a typed price held back
    assert any(r["currency"] == "GBP" and r["status"] == "ok" for r in rows)  # priced at the rate feed's rate
    assert {r["offer_id"] for r in rows} >= {"oil@corner", "oil@berger"}  # an offer removed, one added
    assert {r["unit"] for r in rows if r["material_id"] == "glue" and r["unit_price"] is not None} == {"L"}  # re-expressed when glue's unit changed
