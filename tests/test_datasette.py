"""Browsing: every canned query and dashboard chart answers on a crawled database, with what a
person expects to see; the dashboards render; serving beyond localhost needs the password."""

import asyncio
import urllib.parse
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette
from datasette_dashboards import replace_opts_in_query

from monitor import config as config_module, pipeline, serve
from tests.conftest import write_config


@pytest.fixture(scope="module")
def ds(demo):
    directory, _ = demo
    path = directory / "supplywatch.db"
    return Datasette([str(path)], metadata=serve.metadata_for(path), settings=serve.settings())


def get(ds, path, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def rows(ds, query, **params):
    response = get(ds, f"/supplywatch/{query}.json?_shape=objects&" + urllib.parse.urlencode(params))
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_latest_unit_prices_has_every_offer_with_its_moves(ds):
    found = rows(ds, "latest_unit_prices")
    assert len(found) == 7
    walnut = next(r for r in found if r["offer_id"] == "walnut-8-4@oakridge")
    assert walnut["unit"] == "board_foot" and walnut["change_30d_percent"] is not None and walnut["change_7d_percent"] is not None


def test_cheapest_now_names_one_supplier_per_material_and_the_next(ds):
    found = rows(ds, "cheapest_now")
    assert {r["material"] for r in found} == {"Black walnut 8/4 FAS", "Baltic birch plywood 18 mm sheet", "Wood glue (PVA, D3)"}
    walnut = next(r for r in found if r["material"].startswith("Black walnut"))
    assert walnut["offers"] == 3 and walnut["landed_unit_price"] <= walnut["next_landed_unit_price"]


def test_movers_and_material_history(ds):
    movers = rows(ds, "movers_30d")
    assert movers and all(m["change_30d_percent"] is not None for m in movers)
    assert abs(movers[0]["change_30d_percent"]) >= abs(movers[-1]["change_30d_percent"])
    history = rows(ds, "material_history", material="walnut-8-4")
    assert {r["supplier"] for r in history} == {"Oakridge Hardwoods", "Timberline Supply Co.", "Holzhandel Berger"}
    assert len(history) > 150 and history == sorted(history, key=lambda r: r["fetched_at"])


def test_alert_history_shows_the_message_sent_and_links_to_the_material(ds):
    found = rows(ds, "alert_history")
    assert found and all(r["message"] for r in found)
    assert any("digest" in (r["sent"] or "") or "phone" in (r["sent"] or "") for r in found)
    page = get(ds, "/supplywatch/alert_history")
    assert '<a href="/-/dashboards/material?material=walnut-8-4"' in page.text  # markdown rendered as a link


def test_offers_with_problems_and_run_log(ds):
    problems = rows(ds, "offers_with_problems")
    assert all(r["last_status"] != "ok" or r["last_valid_price_at"] for r in problems)
    log = rows(ds, "run_log")
    assert {r["supplier"] for r in log} == {"Oakridge Hardwoods", "Timberline Supply Co.", "Holzhandel Berger"}
    assert any(r["errors"] for r in log if r["supplier"] == "Oakridge Hardwoods")  # the night the demo shop was down


@pytest.mark.parametrize("dashboard", ["overview", "material"])
def test_every_dashboard_chart_query_returns_rows(ds, dashboard):
    config = serve.metadata_for(Path(ds.databases["supplywatch"].path))
    options = {"material": "walnut-8-4"} if dashboard == "material" else {}
    for slug, chart in config["plugins"]["datasette-dashboards"][dashboard]["charts"].items():
        sql = replace_opts_in_query(chart["query"], options)
        response = get(ds, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", **options}))
        assert response.status_code == 200, (slug, response.text)
        assert response.json()["rows"], f"{dashboard}/{slug} returned no rows"
    page = get(ds, f"/-/dashboards/{dashboard}" + ("?material=walnut-8-4" if options else ""))
    assert page.status_code == 200 and "vega-lite.min.js" in page.text and "cdn" not in page.text.lower()


def test_home_page_links_every_answer(ds):
    home = get(ds, "/").text
    for target in ("/-/dashboards/overview", "/-/dashboards/material", "/supplywatch/latest_unit_prices", "/supplywatch/cheapest_now",
                   "/supplywatch/alert_history", "/supplywatch/offers_with_problems", "/supplywatch/run_log"):
        assert target in home
    assert get(ds, "/supplywatch/latest_observations").status_code == 200  # hidden from the list, not gone
    assert "latest_observations" not in get(ds, "/supplywatch").text


def test_password_protects_serving_beyond_localhost(demo, monkeypatch):
    directory, _ = demo
    hashed = serve.hash_password("walnut-is-expensive")
    monkeypatch.setenv(serve.PASSWORD_ENV, hashed)
    path = directory / "supplywatch.db"
    guarded = Datasette([str(path)], metadata=serve.metadata_for(path, password=True), settings=serve.settings())
    assert get(guarded, "/supplywatch/observations").status_code == 403
    cookie = guarded.sign({"a": {"id": "owner"}}, "actor")
    assert get(guarded, "/supplywatch/observations", cookies={"ds_actor": cookie}).status_code == 200
    login = asyncio.run(guarded.client.get("/-/login"))
    assert login.status_code == 200


def test_set_password_prints_a_hash_to_put_in_the_environment(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "monitor", "serve", "--set-password"], input="s3cret\ns3cret\n",
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("pbkdf2_sha256$")
    assert "SUPPLYWATCH_PASSWORD_HASH" in result.stderr


def test_why_did_my_phone_buzz_shows_the_words_each_night_as_they_were_sent(ds):
    """An alert that fired and was resolved later keeps, night by night, what the phone and the
    digest said then (the alerts row only has its latest words)."""
    found = rows(ds, "alert_history")
    db = sqlite_utils.Database(ds.databases["supplywatch"].path)
    once = "SELECT * FROM alerts WHERE fingerprint IN (SELECT fingerprint FROM alerts GROUP BY fingerprint HAVING count(*) = 1)"
    latest = {a["fingerprint"]: a for a in db.query(once + " AND state = 'resolved' AND first_fired IS NOT NULL")}
    bodies = [n["body"] for n in db.query("SELECT body FROM notifications")]
    fired = [r for r in found if r["fingerprint"] in latest and r["event"] == "fired"]
    assert fired and all(r["message"] != latest[r["fingerprint"]]["message"] for r in fired)
    first_fired = {(a["fingerprint"], a["first_fired"][:10]) for a in db.query("SELECT * FROM alerts WHERE first_fired IS NOT NULL")}
    assert all((r["fingerprint"], r["night"][:10]) in first_fired for r in found if r["event"] == "fired")
    resolved = [r for r in found if r["fingerprint"] in latest and r["event"] == "resolved"]
    assert resolved and all(r["message"] == latest[r["fingerprint"]]["message"] for r in resolved)
    assert all(any(r["message"] in body for body in bodies) for r in found if r["sent"] != "not sent yet")
    assert {r["event"] for r in found} >= {"fired", "escalated", "reminded", "resolved"}
    assert found == sorted(found, key=lambda r: r["night"], reverse=True)


def chart_rows(ds, dashboard, chart, **options):
    config = serve.metadata_for(Path(ds.databases["supplywatch"].path))
    sql = replace_opts_in_query(config["plugins"]["datasette-dashboards"][dashboard]["charts"][chart]["query"], options)
    response = get(ds, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", **options}))
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_alert_marks_on_the_price_chart_sit_on_the_price_line_on_the_night_they_were_sent(ds):
    found = chart_rows(ds, "material", "prices", material="walnut-8-4")
    line = {(r["day"], r["supplier"], r["unit_price"]) for r in found if r["alert"] is None}
    marks = [r for r in found if r["alert"] is not None]
    assert len(marks) > 10 and all((m["day"], m["supplier"], m["unit_price"]) in line for m in marks)
    db = sqlite_utils.Database(ds.databases["supplywatch"].path)
    escalated = {(e["night"][:10], e["message"]) for e in db.query(
        "SELECT e.* FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE e.event = 'escalated' AND a.material_id = 'walnut-8-4'")}
    assert escalated and escalated <= {(m["day"], m["alert"]) for m in marks}  # each escalation has its own mark, its own words


def test_open_alerts_list_the_worst_first(tmp_path):
    """Severity is a rank: critical, then warning, then info (a sort by the word puts info first)."""
    materials = "".join(f"""
    - id: {severity}
      name: {severity.title()} oak
      unit: board_foot
      offers: [{{supplier: acme, url: "http://127.0.0.1:9/{severity}"}}]
      rules: [{{kind: threshold, above: 15, confirm: 1, severity: {severity}}}]
    """ for severity in ("info", "warning", "critical"))
    write_config(tmp_path, materials)
    config = config_module.load(tmp_path / "supplywatch.yml")
    db, notes = pipeline.open_store(config)
    with pipeline.Run(db, config, "test", "2026-03-02T03:00:00+00:00", deliver=False, notes=notes) as run:
        run.accept([{"offer_id": f"{s}@acme", "status": "ok", "price": "16.00", "fetched_at": "2026-03-02T03:00:00+00:00"}
                    for s in ("info", "warning", "critical")])
        run.finish()
    path = tmp_path / "supplywatch.db"
    found = chart_rows(Datasette([str(path)], metadata=serve.metadata_for(path), settings=serve.settings()), "overview", "alerts")
    assert [r["severity"] for r in found] == ["critical", "warning", "info"]
