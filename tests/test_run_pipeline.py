"""One run, whatever brings the prices: every offer accounted for, a status that tells the truth,
numbers that are not prices never stopping the night, alerts and their messages written together,
and a supplier's critical news sent as soon as its batch is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from monitor import config as config_module, notify, pipeline
from monitor.cli.common import report_run
from tests.conftest import supplywatch, write_config

NIGHT = "2026-03-02T03:00:00+00:00"
TWO_SUPPLIERS = """
- id: walnut
  name: Black walnut
  unit: board_foot
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/walnut"}
    - {supplier: corner, url: "http://127.0.0.1:9/corner-walnut"}
  rules: [{kind: threshold, above: 15, confirm: 1}]
- id: cherry
  name: Cherry
  unit: board_foot
  offers: [{supplier: acme, url: "http://127.0.0.1:9/cherry"}]
  rules: [{kind: threshold, above: 15, confirm: 1}]
"""


def load(tmp_path: Path, notify_yaml: str = "urls: []", materials: str = TWO_SUPPLIERS) -> config_module.Config:
    write_config(tmp_path, materials, notify_yaml=notify_yaml)
    return config_module.load(tmp_path / "supplywatch.yml")


def item(offer: str, price: str | None, status: str = "ok", **extra) -> dict:
    return {"offer_id": offer, "status": status, "price": price, "fetched_at": NIGHT, **extra}


def test_an_offer_the_crawl_gave_nothing_for_is_an_error_and_the_run_is_partial(tmp_path):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", NIGHT, expected=config.offers(), deliver=False) as run:
        run.accept([item("walnut@acme", "12.00"), item("walnut@corner", "12.50")])  # cherry's callback died: no item
        result = run.finish()
    assert result.status == "partial" and result.exit_code == pipeline.EXIT_PARTIAL
    (cherry,) = db.query("SELECT * FROM observations WHERE offer_id = 'cherry@acme'")
    assert cherry["status"] == "error" and cherry["price"] is None and "gave no result" in cherry["error"]


def test_a_run_that_read_no_valid_price_is_not_ok(tmp_path):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", NIGHT, expected=config.offers(), deliver=False) as run:
        run.accept([item(o.offer_id, "12.00", pack="5 furlongs", pack_source="page") for o in config.offers()])  # a unit typo
        result = run.finish()
    assert result.status == "failed" and result.exit_code == pipeline.EXIT_PARTIAL
    assert db.execute("SELECT count(*) FROM observations WHERE status = 'suspect' AND doubt = 'unit'").fetchone()[0] == 3


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity", "1e400", "1e22", "sNaN", "twelve"])
def test_a_number_that_is_not_a_price_is_an_error_for_that_offer_alone(tmp_path, price):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "ingest", NIGHT, deliver=False) as run:
        assert run.to_refetch([item("walnut@acme", price)]) == []  # the re-fetch chooser judges it without a crash
        run.accept([item("walnut@acme", price), item("walnut@corner", "12.50")])
        result = run.finish()
    rows = {r["offer_id"]: r for r in db.query("SELECT * FROM observations")}
    assert rows["walnut@acme"]["status"] == "error" and rows["walnut@acme"]["price"] is None
    assert "price" in rows["walnut@acme"]["error"]
    assert rows["walnut@corner"]["status"] == "ok" and result.status == "partial"


def test_a_pack_of_almost_nothing_is_held_as_suspect_not_a_crash(tmp_path):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", NIGHT, deliver=False) as run:
        run.accept([item("walnut@acme", "12.00", pack="1e-30 board_foot", pack_source="page"), item("walnut@corner", "12.50")])
        run.finish()
    (row,) = db.query("SELECT * FROM observations WHERE offer_id = 'walnut@acme'")
    assert row["status"] == "suspect" and row["doubt"] == "number" and row["unit_price"] is None and "no sane unit price" in row["error"]


def test_a_feed_line_with_a_nan_price_is_stored_as_an_error_and_the_rest_of_the_feed_counts(tmp_path):
    load(tmp_path)
    feed = tmp_path / "items.jsonl"
    feed.write_text("\n".join(json.dumps(i) for i in (item("walnut@acme", "NaN"), item("walnut@corner", "12.50"),
                                                      item("cherry@acme", "9.00"))) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stderr
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert {r["offer_id"]: r["status"] for r in db.query("SELECT * FROM observations")} == {
        "walnut@acme": "error", "walnut@corner": "ok", "cherry@acme": "ok"}


def test_a_crash_in_ingest_is_one_line_and_exit_4(tmp_path):
    load(tmp_path)
    (tmp_path / "supplywatch.db").mkdir()  # the database cannot be opened: the run cannot go on
    feed = tmp_path / "items.jsonl"
    feed.write_text(json.dumps(item("walnut@acme", "12.00")) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_FATAL
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("supplywatch: the run crashed: ")


def test_a_value_error_inside_a_run_is_a_crash_not_a_partial_run(capsys):
    def job() -> pipeline.RunResult:
        raise ValueError("something inside the run went wrong")

    with pytest.raises(SystemExit) as exit_info:
        report_run(job)
    assert exit_info.value.code == pipeline.EXIT_FATAL
    assert capsys.readouterr().err == "supplywatch: the run crashed: ValueError: something inside the run went wrong\n"


def test_an_alert_and_the_message_that_tells_it_are_written_together(tmp_path, monkeypatch):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)

    def power_cut(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(notify, "queue", power_cut)  # the crash comes between the alert and its message
        with pytest.raises(OSError):
            with pipeline.Run(db, config, "crawl", NIGHT, deliver=False) as run:
                run.accept([item("walnut@acme", "16.40"), item("walnut@corner", "12.00"), item("cherry@acme", "9.00")])
    # Nothing half-told: no alert fired that no message will tell, no event without its message.
    assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM alert_events").fetchone()[0] == 0
    assert db.execute("SELECT status FROM runs").fetchone()[0] == "crashed"
    # The prices of the batch are stored (their own transaction); the next night tells the owner.
    assert db.execute("SELECT count(*) FROM observations").fetchone()[0] == 3
    with pipeline.Run(db, config, "crawl", "2026-03-03T03:00:00+00:00", deliver=False) as run:
        run.accept([{**item("walnut@acme", "16.40"), "fetched_at": "2026-03-03T03:00:00+00:00"}])
        result = run.finish()
    (push,) = [m for m in result.messages if m.tag == "phone"]
    assert "$16.40/bd ft is above your limit" in push.body


def test_every_message_carries_its_number_so_a_repeat_is_recognisable(tmp_path):
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", NIGHT, deliver=False) as run:
        run.accept([item("walnut@acme", "16.40"), item("walnut@corner", "12.00"), item("cherry@acme", "16.00")])
        run.finish()
    rows = list(db.query("SELECT id, body FROM notifications"))
    assert len(rows) == 2 and all(r["body"].endswith(f"(message #{r['id']})") for r in rows)


def test_a_suppliers_critical_news_goes_out_as_soon_as_its_batch_is_stored(tmp_path, sink):
    config = load(tmp_path, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    db, _ = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", NIGHT, expected=config.offers()) as run:
        run.accept([item("walnut@acme", "16.40"), item("cherry@acme", "9.00")])  # acme finished first
        assert [m["title"] for m in sink.messages] == ["Black walnut at Acme Lumber above $15.00/bd ft"]  # before corner is done
        run.accept([item("walnut@corner", "16.60")])
        assert len(sink.messages) == 2
        result = run.finish()
    assert result.status == "ok" and len(sink.messages) == 2  # nothing else to say: no digest


def night(day: int) -> str:
    return f"2026-03-{day:02d}T03:00:00+00:00"


def test_a_fivefold_jump_counts_at_once_when_another_supplier_is_already_there(tmp_path):
    """acme sold walnut far below the market; when it moves to where corner has been all along,
    that is believable tonight. A jump nobody else shows waits for the next night."""
    config = load(tmp_path)
    db, _ = pipeline.open_store(config)
    for day in range(1, 6):
        with pipeline.Run(db, config, "crawl", night(day), deliver=False) as run:
            run.accept([{**item("walnut@acme", "10.00"), "fetched_at": night(day)},
                        {**item("walnut@corner", "60.00"), "fetched_at": night(day)},
                        {**item("cherry@acme", "9.00"), "fetched_at": night(day)}])
            run.finish()
    with pipeline.Run(db, config, "crawl", night(6), deliver=False) as run:
        rows = {r.offer_id: r for r in run.accept([{**item("walnut@acme", "61.00"), "fetched_at": night(6)},
                                                    {**item("walnut@corner", "60.00"), "fetched_at": night(6)},
                                                    {**item("cherry@acme", "50.00"), "fetched_at": night(6)}])}
        run.finish()
    assert rows["walnut@acme"].status == "ok"  # x6.1 on its own history, but where corner is
    assert rows["cherry@acme"].status == "suspect" and rows["cherry@acme"].doubt == "jump"  # x5.6 and nobody else there


def test_ingest_of_one_offer_whose_only_price_is_held_as_suspect_exits_1_and_says_failed(tmp_path):
    """0 prices of 1 offer (a unit typo in the feed): not "ok", not exit 0, and status says so."""
    load(tmp_path, materials="""
    - id: cherry
      name: Cherry
      unit: board_foot
      offers: [{supplier: acme, url: "http://127.0.0.1:9/cherry"}]
    """)
    feed = tmp_path / "items.jsonl"
    feed.write_text(json.dumps(item("cherry@acme", "12.00", pack="5 furlongs", pack_source="page")) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stdout + result.stderr
    assert ": failed: " in result.stdout and ": ok" not in result.stdout
    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0 and " failed " in status.stdout
