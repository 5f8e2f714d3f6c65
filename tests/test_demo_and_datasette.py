"""The demo fills a real database by crawling its demo site; Datasette presents it with our metadata."""

import asyncio
import json
import re
import socket
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta

import pytest
import sqlite_utils
from datasette.app import Datasette

from monitor import serve
from monitor.demo import ports_in_config
from tests.conftest import serving, supplywatch


def get(ds: Datasette, path: str):
    return asyncio.run(ds.client.get(path))


def test_demo_crawls_every_night_and_raises_real_alerts(demo):
    directory, output = demo
    db = sqlite_utils.Database(directory / "supplywatch.db")
    assert db.execute("SELECT count(*), count(DISTINCT as_of) FROM runs WHERE source = 'demo'").fetchone() == (60, 60)
    methods = {r[0] for r in db.execute("SELECT DISTINCT method FROM observations WHERE status = 'ok'")}
    assert methods == {"json-ld", "microdata", "css"}
    assert db.execute("SELECT count(*) FROM observations WHERE status = 'missing' AND price IS NULL").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM observations WHERE status = 'error' AND http_status = 503").fetchone()[0] > 0
    fired = db.execute("SELECT count(*) FROM alerts WHERE first_fired IS NOT NULL").fetchone()[0]
    assert fired > 0 and "alerts fired" in output and "The last digest it would send" in output
    # The German supplier's "1.234,56 €" per cubic metre is compared per board foot in USD.
    (eur,) = db.query("SELECT price, currency, unit_price FROM observations WHERE offer_id = 'walnut-8-4@holzhandel' AND status = 'ok' LIMIT 1")
    assert eur["currency"] == "EUR" and eur["unit_price"] == pytest.approx(eur["price"] * 1.10 / 423.776, rel=1e-6)


def test_status_works_in_the_demo_directory_and_dates_in_words(demo):
    directory, _ = demo
    result = supplywatch("status", cwd=directory)
    assert result.returncode == 0 and "Last runs (UTC):" in result.stdout and "demo" in result.stdout
    assert not re.search(r"\d{4}-\d\d-\d\d|\d\.\d{3}", result.stdout), result.stdout  # no ISO days, no 4-figure amounts
    assert not re.search(r"\b0 (missing|errors|suspect|alerts)", result.stdout)  # the run lines leave out what did not happen


def test_every_table_and_column_has_a_description(demo):
    directory, _ = demo
    db = sqlite_utils.Database(directory / "supplywatch.db")
    tables = serve.metadata_for(directory / "supplywatch.db")["databases"]["supplywatch"]["tables"]
    for name in db.table_names():
        assert tables.get(name, {}).get("description"), f"table {name} has no description"
        undescribed = set(db[name].columns_dict) - set(tables[name].get("columns", {}))
        assert not undescribed, f"{name} columns without description: {undescribed}"
    for name in db.view_names():
        assert tables.get(name, {}).get("description"), f"view {name} has no description"


def test_datasette_serves_the_store_with_metadata(demo):
    directory, _ = demo
    path = directory / "supplywatch.db"
    ds = serve.app(path)
    home = get(ds, "/")
    assert home.status_code == 200 and "What your supplies cost" in home.text
    table = get(ds, "/supplywatch/observations")
    assert "Every fetch of every offer" in table.text
    latest = get(ds, "/supplywatch/latest_prices.json?_shape=array").json()
    assert {r["offer_id"] for r in latest} >= {"walnut-8-4@oakridge", "walnut-8-4@holzhandel", "wood-glue@timberline"}
    cheapest = get(ds, "/supplywatch/cheapest_offers.json?_shape=array").json()
    assert {r["material_id"] for r in cheapest} == {"walnut-8-4", "baltic-birch-18mm", "wood-glue"}
    assert get(ds, "/supplywatch.db").status_code == 403  # no whole-database download


def test_serve_refuses_other_hosts_without_password(demo):
    directory, _ = demo
    result = supplywatch("serve", "--host", "0.0.0.0", cwd=directory)
    assert result.returncode == 1 and "refusing to serve on 0.0.0.0 without a password" in result.stderr


def test_serve_runs_mutable_datasette_on_localhost(demo):
    directory, _ = demo
    with serving(directory) as base:
        with urllib.request.urlopen(f"{base}/-/databases.json") as response:
            databases = json.load(response)
        assert databases[0]["name"] == "supplywatch" and databases[0]["is_mutable"] is True
        with urllib.request.urlopen(f"{base}/supplywatch/runs.json?_shape=array") as response:
            assert len(json.load(response)) >= 60


def test_biggest_movers_compares_with_the_price_30_days_earlier(demo):
    directory, _ = demo
    db = sqlite_utils.Database(directory / "supplywatch.db")
    (mover,) = db.query("SELECT * FROM biggest_movers WHERE offer_id = 'walnut-8-4@oakridge'")
    latest = next(db.query("SELECT fetched_at, unit_price FROM observations WHERE offer_id = 'walnut-8-4@oakridge' AND status = 'ok' ORDER BY fetched_at DESC LIMIT 1"))
    then = next(db.query(
        "SELECT unit_price FROM observations WHERE offer_id = 'walnut-8-4@oakridge' AND status = 'ok' AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 1",
        [(datetime.fromisoformat(latest["fetched_at"]) - timedelta(days=30)).isoformat()],
    ))
    assert mover["unit_price_30d_ago"] == then["unit_price"]
    assert mover["change_30d_percent"] == round(100 * (latest["unit_price"] / then["unit_price"] - 1), 1)


def test_demo_site_only_lets_run_work_in_the_demo_directory_even_when_a_port_is_taken(demo):
    """Another program on a shop's port (another demo, in CI another test's) moves that shop to a
    free port and the config with it: before, the site served elsewhere and `run` found nobody."""
    directory, _ = demo
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the site's server does: the fixture's site just left it
    try:
        taken.bind(("127.0.0.1", ports_in_config(directory / "supplywatch.yml")["oakridge"]))
        taken.listen()
    except OSError:
        pass  # already taken by someone else: the same case
    site = subprocess.Popen([sys.executable, "-m", "monitor", "demo", "--site-only", "--dir", str(directory)], cwd=directory,
                            stdout=subprocess.PIPE, text=True)
    try:
        told = site.stdout.readline()  # the site says where it moved a shop before it says it serves
        assert "Oakridge Hardwoods: its port was taken by another program" in told, told
        port = ports_in_config(directory / "supplywatch.yml")["oakridge"]
        assert str(port) in told
        urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=30).close()
        result = supplywatch("run", cwd=directory)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "7 prices from 7 offers" in result.stdout
    finally:
        site.terminate()
        assert site.wait(timeout=10) is not None
        taken.close()


def test_product_queries_agree_with_supplywatch_cost(demo):
    directory, _ = demo
    path = directory / "supplywatch.db"
    ds = serve.app(path, currency="USD")
    (now,) = get(ds, "/supplywatch/product_costs_now.json?_shape=array").json()
    cost = json.loads(supplywatch("cost", "walnut-side-table", "--json", cwd=directory).stdout)
    assert now["Product"] == "Walnut side table" and now["Priced"] == "every line priced"
    assert now["One batch"] == f"${cost['batch_cost']:,.2f}" and now["Makes"] == "1 table"
    (moved,) = get(ds, "/supplywatch/product_cost_change_30d.json?_shape=array").json()
    assert moved["Now"] == f"${cost['unit_cost']:,.2f}/table" and moved["30 days ago"].endswith("/table") and moved["Moved most"]
    assert now["Cost of one"] == f"${cost['unit_cost']:,.2f}/table" and now["Sells at"] == "$520.00/table"  # money per what
    db = sqlite_utils.Database(path)
    margins = list(db.query("SELECT state FROM alerts WHERE kind = 'margin' AND product_id = 'walnut-side-table'"))
    assert margins, "the demo's lumber spike should push the table's margin below its target"


def test_backtest_of_the_demo_history_lists_the_margin_escalations(demo):
    """The demo's real lumber history, replayed under its config: the side table's margin falls below
    target, and each further fall is told again (not only weekly reminders)."""
    directory, _ = demo
    result = supplywatch("backtest", "--config", "supplywatch.yml", "--json", cwd=directory, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    margins = [(a["event"], a["price"]) for a in report["alerts"] if a["kind"] == "margin"]
    assert margins[0][0] == "fired"
    escalations = [price for event, price in margins if event == "escalated"]
    assert escalations and all(later < earlier - 4.9 for earlier, later in zip([margins[0][1]] + escalations, escalations))
    assert all(a["pushed"] for a in report["alerts"] if a["kind"] == "margin" and a["event"] in ("fired", "escalated"))
    # The replay runs the nights' own pipeline, every price rule included: what fired on the nights fires
    # again on the same day (moves, limits, margins, and the extraction alert of the night the demo shop
    # was down). Reorder and quote alerts come from stock and quotes, which a price replay does not have.
    db = sqlite_utils.Database(directory / "supplywatch.db")
    lived = {(r["kind"], r["first_fired"][:10]) for r in db.query(
        "SELECT kind, first_fired FROM alerts WHERE kind NOT IN ('reorder', 'quote') AND first_fired IS NOT NULL")}
    assert {kind for kind, _ in lived} >= {"change", "threshold", "margin", "extraction"}
    assert lived <= {(a["kind"], a["date"]) for a in report["alerts"] if a["event"] == "fired"}
    text = supplywatch("backtest", "--config", "supplywatch.yml", cwd=directory, timeout=600).stdout
    assert "escalated" in text and "Walnut side table: margin" in text


def test_the_demo_never_calls_a_product_getting_cheaper_worse(tmp_path):
    """The demo's 120 nights end with the lumber spike falling away: the side table's cost falling
    further is good news, marked 'further' (and told as info), never 'worse'."""
    result = supplywatch("demo", "--no-serve", "--dir", str(tmp_path / "demo"), cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    cheaper = [line for line in lines if "Walnut side table cost down" in line and "  since " not in line]
    assert any(re.match(r"  \d+ \w+ \d{4}\s+further\s+Walnut side table cost down", line) for line in cheaper), cheaper
    assert not [line for line in cheaper if re.match(r"  \d+ \w+ \d{4}\s+(worse|warning)\s", line)], cheaper
