"""The nightly job on real parts: fixture sites on 127.0.0.1, Scrapy, a SQLite file, Apprise to a sink."""

import os
from pathlib import Path

import sqlite_utils

from monitor import pipeline
from tests.conftest import product_page, supplywatch, write_config


def three_suppliers(tmp_path, sites, acme_page, berger_page, corner_page, notify_yaml="urls: []", rules=""):
    acme, berger, corner = sites(), sites(), sites()
    materials = f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{acme.set('walnut', *acme_page)}"}}
        - {{supplier: berger, url: "{berger.set('nussbaum', *berger_page)}", pack: 10 board_foot, price: "css:.preis::text"}}
        - {{supplier: corner, url: "{corner.set('walnut', *corner_page)}"}}
    {rules}
    """
    write_config(tmp_path, materials, notify_yaml=notify_yaml)
    return acme, berger, corner


def observations(tmp_path: Path) -> dict[str, dict]:
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    return {row["offer_id"]: row for row in db.query("SELECT * FROM observations ORDER BY id")}


def test_one_supplier_failing_does_not_stop_the_others(tmp_path, sites):
    three_suppliers(tmp_path, sites, (product_page("12.50"),), (product_page("1.234,50 €", markup="plain"),), ("oops", 500))
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stderr
    assert "no price at all from Corner Shop" in result.stdout
    rows = observations(tmp_path)
    assert (rows["walnut@acme"]["status"], rows["walnut@acme"]["unit_price"]) == ("ok", 12.5)
    assert (rows["walnut@berger"]["status"], rows["walnut@berger"]["unit_price"]) == ("ok", 135.795)  # 1.234,50 € per 10 bf at 1.10 USD/EUR
    assert (rows["walnut@corner"]["status"], rows["walnut@corner"]["http_status"], rows["walnut@corner"]["price"]) == ("error", 500, None)
    run = next(sqlite_utils.Database(tmp_path / "supplywatch.db").query("SELECT * FROM runs"))
    assert (run["status"], run["prices"], run["errors"]) == ("partial", 2, 1)


def test_missing_price_is_never_zero(tmp_path, sites):
    three_suppliers(tmp_path, sites, (product_page(None),), (product_page(None, markup="plain"),), (product_page("0"),))
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stderr  # no valid price tonight: not ok
    rows = observations(tmp_path)
    for offer in ("walnut@acme", "walnut@berger"):
        assert rows[offer]["status"] == "missing" and rows[offer]["price"] is None and rows[offer]["unit_price"] is None
    corner = rows["walnut@corner"]  # a zero is never taken as a bargain: the page states no price
    assert (corner["status"], corner["price"]) == ("missing", None) and "price cannot be used: '0' is not a price" in corner["error"]
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM latest_prices").fetchone()[0] == 0


def test_timeout_404_and_robots_are_recorded_as_errors(tmp_path, sites):
    acme, berger, corner = three_suppliers(tmp_path, sites, ("4", -1), ("gone", 404), (product_page("9.99"),))
    corner.robots = "User-agent: *\nDisallow: /p/\n"
    result = supplywatch("run", cwd=tmp_path)
    rows = observations(tmp_path)
    # Stored in the owner's words, not Scrapy's ("DownloadTimeoutError: Getting ... took longer than 2.0 seconds")
    assert rows["walnut@acme"]["status"] == "error" and "did not answer in time" in rows["walnut@acme"]["error"], result.stderr
    assert rows["walnut@berger"]["http_status"] == 404 and rows["walnut@berger"]["error"].startswith("the page is gone (404 Not Found)")
    assert rows["walnut@corner"]["status"] == "error" and "robots.txt asks robots not to fetch this page" in rows["walnut@corner"]["error"]
    assert not any("Error" in row["error"] for row in rows.values())
    assert corner.requests("walnut") == []


def test_requests_identify_the_owner(tmp_path, sites):
    acme, _, _ = three_suppliers(tmp_path, sites, (product_page("12.50"),), (product_page("1,00 €", markup="plain"),), (product_page("1"),))
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_OK
    (request,) = acme.requests("walnut")
    assert "owner@example.com" in request.headers["User-Agent"]


def test_threshold_crossing_notifies_exactly_once_over_four_runs(tmp_path, sites, sink):
    acme, _, _ = three_suppliers(
        tmp_path, sites, (product_page("12.00"),), (product_page("120,00 €", markup="plain"),), (product_page("12.00"),),
        notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]',
        rules="  rules: [{kind: threshold, above: 15.00}]",
    )
    for price in ("12.00", "16.00", "16.50", "16.20"):
        acme.set("walnut", product_page(price))
        assert supplywatch("run", cwd=tmp_path).returncode == 0
    pages = [m for m in sink.messages if "above your limit of $15.00" in m["message"]]
    assert len(pages) == 1 and pages[0]["title"] == "Black walnut at Acme Lumber above $15.00/bd ft"  # pushed once, not repeated in the digest
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    (alert,) = db.query("SELECT * FROM alerts WHERE state = 'firing'")
    # What the rule watches (its level, in USD per board foot), never its place in the config.
    assert alert["fingerprint"] == "threshold(above 15 USD/board_foot):offer:walnut@acme:above" and alert["value"] == 16.2


def test_failed_delivery_is_retried_and_delivered_once_next_run(tmp_path, sites, sink):
    three_suppliers(tmp_path, sites, ("x", 500), (product_page("1,00 €", markup="plain"),), (product_page("1.00"),),
                    notify_yaml=f'urls: [{{url: "{sink.url}", tags: [digest]}}]')
    sink.failing = True
    first = supplywatch("run", cwd=tmp_path)
    assert first.returncode == pipeline.EXIT_PARTIAL and "1 notification not delivered (kept for the next run)" in first.stdout
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    queued = list(db.query("SELECT * FROM notifications WHERE delivered_at IS NULL"))
    assert len(queued) == 1 and queued[0]["attempts"] == 1 and queued[0]["last_error"]
    sink.failing = False
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_PARTIAL
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_PARTIAL
    retried = db["notifications"].get(queued[0]["id"])
    assert retried["attempts"] == 2 and retried["delivered_at"] and retried["last_error"] is None
    assert len(sink.messages) == 3  # the retried digest once, plus one digest for each later night
    assert db.execute("SELECT count(*) FROM notifications WHERE delivered_at IS NULL").fetchone()[0] == 0


def test_second_run_while_one_holds_the_lock_exits_3(tmp_path, sites):
    three_suppliers(tmp_path, sites, (product_page("1"),), (product_page("1,00 €", markup="plain"),), (product_page("1"),))
    with pipeline.run_lock(tmp_path / "supplywatch.db"):
        result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_LOCKED and f"another supplywatch run (process {os.getpid()}) is using" in result.stderr
    assert (tmp_path / "supplywatch.db.lock").read_text() == str(os.getpid())  # the refused run left the holder's id
    assert supplywatch("run", cwd=tmp_path).returncode == 0


def test_status_shows_runs_alerts_and_offers_without_price(tmp_path, sites):
    three_suppliers(tmp_path, sites, (product_page("12.50"),), (product_page(None, markup="plain"),), ("x", 500))
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_PARTIAL
    result = supplywatch("status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "partial" in result.stdout and "nightly crawl" in result.stdout
    assert "Black walnut at Holz Berger: no price on the page" in result.stdout
    assert "Black walnut at Corner Shop: the supplier's site had an error (500 Internal Server Error)" in result.stdout  # the reason, not 'page not fetched (...)'
    without_price = result.stdout.split("Offers without a valid price")[1].split("\n\n")[0]
    assert "at Acme Lumber" not in without_price and "walnut@" not in result.stdout  # Acme gave its price


def test_notify_test_tries_every_url_and_says_which_got_it_without_the_secret(tmp_path, sites, sink):
    phone, digest = sink.url + "?token=s3cr3t-phone", sink.url + "?token=s3cr3t-digest"
    three_suppliers(tmp_path, sites, (product_page("1"),), (product_page("1", markup="plain"),), (product_page("1"),),
                    notify_yaml=f'urls: [{{url: "{phone}", tags: [phone]}}, {{url: "{digest}", tags: [digest]}}]')
    result = supplywatch("notify-test", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["URL 1 (JSON, tagged phone): delivered", "URL 2 (JSON, tagged digest): delivered"]
    assert [m["title"] for m in sink.messages] == ["supplywatch test message"] * 2
    assert [m["message"].split("here. ")[1] for m in sink.messages] == [
        "This address gets urgent alerts, at once.", "This address gets the nightly summary."]
    assert "s3cr3t" not in result.stdout + result.stderr
    only_phone = supplywatch("notify-test", "--tag", "phone", cwd=tmp_path)
    assert only_phone.returncode == 0 and only_phone.stdout.splitlines() == ["URL 1 (JSON, tagged phone): delivered"]
    assert len(sink.messages) == 3
    typo = supplywatch("notify-test", "--tag", "phnoe", cwd=tmp_path)
    assert typo.returncode == 2 and "no URL has the tag 'phnoe' (tags in the config: digest, phone)" in typo.stderr
    assert len(sink.messages) == 3 and len(typo.stderr.strip().splitlines()) == 1  # nothing sent; one line
    sink.failing = True
    failed = supplywatch("notify-test", cwd=tmp_path)
    assert failed.returncode == 1 and "URL 1 (JSON, tagged phone): NOT delivered: JSON not delivered" in failed.stdout
    assert "500" in failed.stdout and "s3cr3t" not in failed.stdout + failed.stderr


def test_run_killed_mid_crawl_leaves_a_consistent_database(tmp_path, sites):
    import signal
    import subprocess
    import sys
    import time

    acme, _, _ = three_suppliers(tmp_path, sites, (product_page("12.50"),), (product_page("1,00 €", markup="plain"),), (product_page("2"),))
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    acme.set("walnut", "5", -1)  # the next crawl hangs on this page
    process = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=tmp_path)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    for _ in range(200):  # wait until the second run has started crawling, then kill it
        if db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # A night is stored supplier by supplier as each one's crawl ends: the other two suppliers' prices may
    # be in before the kill, but never Acme's, whose page was still hanging, and never part of a batch.
    per_run = db.execute("SELECT run_id, supplier_id, count(*) FROM observations GROUP BY run_id, supplier_id").fetchall()
    assert sorted(s for run, s, _ in per_run if run == 1) == ["acme", "berger", "corner"]
    assert all(count == 1 for _, _, count in per_run), per_run
    assert [s for run, s, _ in per_run if run != 1 and s == "acme"] == [], per_run
    acme.set("walnut", product_page("12.60"))
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    assert [r["status"] for r in db.query("SELECT status FROM runs ORDER BY id")] == ["ok", "crashed", "ok"]


def test_suspect_price_is_fetched_again_at_once_and_a_glitch_never_alerts(tmp_path, sites, sink):
    acme, _, corner = three_suppliers(
        tmp_path, sites, (product_page("12.00"),), (product_page("1,00 €", markup="plain"),), (product_page("12.00"),),
        notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]',
        rules="  rules: [{kind: change, percent: 10, baseline: previous, confirm: 1, severity: critical}]",
    )
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    acme.set("walnut", [product_page("1200.00"), product_page("12.00")])  # a glitch: the second look is normal
    corner.set("walnut", [product_page("120.00"), product_page("120.00")])  # x10 on both looks of the night
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_PARTIAL  # one price held back tonight
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    statuses = lambda offer: [r["status"] for r in db.query("SELECT status FROM observations WHERE offer_id = ? ORDER BY fetched_at", [offer])]  # noqa: E731
    assert statuses("walnut@acme") == ["ok", "suspect", "ok"]
    # The re-fetch seconds later reads the same page: it may clear a glitch, never confirm a x10 jump.
    assert statuses("walnut@corner") == ["ok", "suspect", "suspect"]
    assert len(acme.requests("walnut")) == 3 and len(corner.requests("walnut")) == 3
    assert not [m for m in sink.messages if m["title"].startswith("Black walnut at")]
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # the next night shows it again: it counts
    assert statuses("walnut@corner") == ["ok", "suspect", "suspect", "ok"]
    pushes = [m["message"] for m in sink.messages if m["title"].startswith("Black walnut at")]
    assert len(pushes) == 1 and "Corner Shop" in pushes[0]  # the confirmed move pages, the glitch never does
