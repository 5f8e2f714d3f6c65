"""Browsing: every canned query and dashboard chart answers on a crawled database, with what a
person expects to see; the dashboards render; serving beyond localhost needs the password."""

import asyncio
import re
import urllib.parse
from pathlib import Path

import pytest
import sqlite_utils
from datasette_dashboards import replace_opts_in_query

from monitor import config as config_module, pipeline, serve
from tests.conftest import write_config


@pytest.fixture(scope="module")
def ds(demo):
    directory, _ = demo
    return serve.app(directory / "supplywatch.db", currency="USD")


def get(ds, path, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def rows(ds, query, **params):
    response = get(ds, f"/supplywatch/{query}.json?_shape=objects&" + urllib.parse.urlencode(params))
    assert response.status_code == 200, response.text
    return response.json()["rows"]


WORDS_NOT_IDS = ("walnut-8-4", "@oakridge", "board_foot", "fingerprint", "offer_id", "_id")


def readable(found):
    """Every header and value as the owner reads it: no ids, no pint names, money with its sign."""
    for row in found:
        for column, value in row.items():
            assert not any(token in column for token in WORDS_NOT_IDS) and "_" not in column, column
            assert not any(token in str(value) for token in WORDS_NOT_IDS), (column, value)


def test_latest_unit_prices_has_every_offer_with_its_moves_in_money_and_units(ds):
    found = rows(ds, "latest_unit_prices")
    assert len(found) == 7
    readable(found)
    walnut = next(r for r in found if r["Material"] == "Black walnut 8/4 FAS" and r["Supplier"] == "Oakridge Hardwoods")
    assert walnut["Landed price"].startswith("$") and walnut["Landed price"].endswith("/bd ft")
    assert walnut["30 days"].endswith("%") and walnut["7 days"].endswith("%")
    berger = next(r for r in found if r["Supplier"] == "Holzhandel Berger" and r["Material"].startswith("Black walnut"))
    assert berger["On the page"].startswith("€") and berger["On the page"].endswith("per m³")  # the German page's own price
    glue = next(r for r in found if r["Supplier"] == "Holzhandel Berger" and r["Material"].startswith("Wood glue"))
    assert glue["On the page"].endswith("per 5 L") and glue["Landed price"].endswith("/gal")


def test_cheapest_now_names_one_supplier_per_material_and_the_next(ds):
    found = rows(ds, "cheapest_now")
    readable(found)
    assert {r["Material"] for r in found} == {"Black walnut 8/4 FAS", "Baltic birch plywood 18 mm", "Wood glue (PVA, D3)"}
    walnut = next(r for r in found if r["Material"].startswith("Black walnut"))
    assert walnut["Offers in stock"] == 3
    price = lambda text: float(text.split("/")[0].strip("$").replace(",", ""))  # noqa: E731
    assert price(walnut["Its price"]) <= price(walnut["Next price"])
    plywood = next(r for r in found if r["Material"].startswith("Baltic birch"))
    assert plywood["Its price"].endswith("/sheet")  # the owner's own counting unit


def test_movers_and_material_history_by_name(ds):
    movers = rows(ds, "movers_30d")
    readable(movers)
    assert movers and all(m["Change"].endswith("%") for m in movers)
    percent = lambda m: abs(float(m["Change"].strip("%+±")))  # noqa: E731
    assert percent(movers[0]) >= percent(movers[-1])
    history = rows(ds, "material_history", material="walnut")  # part of the name: no id to type
    readable(history)
    assert {r["Supplier"] for r in history} == {"Oakridge Hardwoods", "Timberline Supply Co.", "Holzhandel Berger"}
    assert len(history) > 150 and {r["Material"] for r in history} == {"Black walnut 8/4 FAS"}
    assert rows(ds, "material_history", material="walnut-8-4") == history  # the id from a link works too


def test_alert_history_says_what_was_sent_and_how_and_links_to_the_material_page(ds):
    found = rows(ds, "alert_history")
    assert found and all(r["What it said"] for r in found)
    assert any("digest" in r["How it was sent"] or "phone" in r["How it was sent"] for r in found)
    assert not any(token in str(r) for r in found for token in ("fingerprint", "#1:", "median_30d"))
    page = get(ds, "/supplywatch/alert_history")
    assert '<a href="/material/walnut-8-4"' in page.text  # markdown rendered as a link to the material's page
    assert "(<a href=" in page.text and "show</a>)" in page.text  # the SQL is folded away


def test_offers_with_problems_and_run_log_in_words(ds):
    problems = rows(ds, "offers_with_problems")
    readable(problems)
    log = rows(ds, "run_log")
    readable(log)
    assert {r["Supplier"] for r in log} == {"Oakridge Hardwoods", "Timberline Supply Co.", "Holzhandel Berger"}
    assert any(r["Not fetched"] for r in log if r["Supplier"] == "Oakridge Hardwoods")  # the night the demo shop was down
    assert "demo night" in {r["Run"] for r in log}  # (another test may add a nightly crawl to the shared demo)
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d", r["When (UTC)"]) for r in log)  # a time says its zone
    outcomes = {r["Outcome"] for r in log}
    assert {"all went well", "some pages gave no price"} <= outcomes and not outcomes & {"ok", "partial", "failed"}


@pytest.mark.parametrize("dashboard, choice", [("material", "Black walnut 8/4 FAS"), ("material", "walnut-8-4"),
                                               ("product", "Walnut side table")])
def test_every_dashboard_chart_query_returns_rows_for_a_name_or_an_id(ds, dashboard, choice):
    config = serve.metadata_for(Path(ds.databases["supplywatch"].path))
    options = {dashboard: choice}
    for slug, chart in config["plugins"]["datasette-dashboards"][dashboard]["charts"].items():
        sql = replace_opts_in_query(chart["query"], options)
        response = get(ds, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", **options}))
        assert response.status_code == 200, (slug, response.text)
        assert response.json()["rows"], f"{dashboard}/{slug} returned no rows"
    page = get(ds, f"/-/dashboards/{dashboard}?" + urllib.parse.urlencode(options))
    assert page.status_code == 200 and "vega-lite.min.js" in page.text and "cdn" not in page.text.lower()


def test_dashboards_open_on_a_named_choice_and_the_selector_lists_names(ds):
    page = get(ds, "/-/dashboards/material")
    assert page.status_code == 302 and "material=Baltic+birch+plywood+18+mm" in page.headers["location"]
    chosen = get(ds, "/-/dashboards/material?material=Black+walnut+8%2F4+FAS").text
    assert '<option value="Black walnut 8/4 FAS" selected>' in chosen and "walnut-8-4" not in chosen
    assert get(ds, "/-/dashboards/overview").headers["location"] == "/"  # the home page answers what it did


def test_raw_tables_stay_one_click_away(ds):
    home = get(ds, "/").text
    assert 'href="/supplywatch"' in home
    database = get(ds, "/supplywatch").text
    for target in ("/supplywatch/latest_unit_prices", "/supplywatch/cheapest_now", "/supplywatch/alert_history",
                   "/supplywatch/offers_with_problems", "/supplywatch/run_log", "/supplywatch/observations"):
        assert target in database
    assert get(ds, "/supplywatch/latest_observations").status_code == 200  # hidden from the list, not gone
    assert "latest_observations" not in database


def test_password_protects_serving_beyond_localhost(demo, monkeypatch):
    directory, _ = demo
    hashed = serve.hash_password("walnut-is-expensive")
    monkeypatch.setenv(serve.PASSWORD_ENV, hashed)
    path = directory / "supplywatch.db"
    guarded = serve.app(path, password=True)
    assert get(guarded, "/supplywatch/observations").status_code == 403
    assert get(guarded, "/").status_code == 403 and get(guarded, "/material/walnut-8-4").status_code == 403
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
    said = [r["What it said"] for r in found]
    db = sqlite_utils.Database(ds.databases["supplywatch"].path)
    told = list(db.query("SELECT e.message, e.event, a.message AS latest, a.state FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
                         "WHERE e.told ORDER BY e.night DESC, e.id DESC"))
    assert said == [e["message"] for e in told]  # every told event, newest first, in its own words
    fired_then_resolved = [e for e in told if e["event"] == "fired" and e["state"] == "resolved"]
    assert fired_then_resolved and all(e["message"] != e["latest"] for e in fired_then_resolved)
    bodies = [n["body"] for n in db.query("SELECT body FROM notifications")]
    assert all(any(r["What it said"] in body for body in bodies) for r in found if r["How it was sent"] != "not sent yet")
    assert {r["What happened"] for r in found} >= {"new", "moved further", "still open", "cleared"}
    assert {r["How it was sent"] for r in found} <= {"pushed to the phone", "in the digest", "not sent yet"}


def chart_rows(ds, dashboard, chart, **options):
    config = serve.metadata_for(Path(ds.databases["supplywatch"].path))
    sql = replace_opts_in_query(config["plugins"]["datasette-dashboards"][dashboard]["charts"][chart]["query"], options)
    response = get(ds, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", **options}))
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_alert_marks_on_the_price_chart_sit_on_the_price_line_on_the_night_they_were_sent(ds):
    found = chart_rows(ds, "material", "prices", material="walnut-8-4")
    line = {(r["day"], r["supplier"], r["price"]) for r in found if r["alert"] is None and r["price"] is not None}
    marks = [r for r in found if r["alert"] is not None]
    assert len(marks) > 10 and all((m["day"], m["supplier"], m["price"]) in line for m in marks)
    db = sqlite_utils.Database(ds.databases["supplywatch"].path)
    escalated = {(e["night"][:10], e["message"]) for e in db.query(
        "SELECT e.* FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE e.event = 'escalated' AND a.material_id = 'walnut-8-4'")}
    assert escalated and escalated <= {(m["day"], m["alert"]) for m in marks}  # each escalation has its own mark, its own words


def test_open_alerts_list_the_worst_first(tmp_path):
    """Severity is a rank: critical, then warning, then info (a sort by the word puts info first); `status` lists them so."""
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
    from monitor import status

    report = status.report(db)
    opened = [line.split("]")[0].strip(" [") for line in report.split("Open alerts")[1].splitlines()[1:4]]
    assert opened == ["critical", "warning", "info"]
