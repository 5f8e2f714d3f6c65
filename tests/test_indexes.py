"""Public index series: the publishers' real formats are read value for value, a page that is not
the series never becomes values, the spider fetches due series on a real run and leaves cached
monthly series alone, and the three index rules tell the owner in words what the market says."""

from __future__ import annotations

import csv
import json
import re
from datetime import date

import pytest
import sqlite_utils

from monitor import config as config_module, store
from monitor.decisions import indexes
from spiders.series import parse, source_url
from tests.conftest import FIXTURES, REPO, days_between, product_page, store_history, supplywatch, write_config

FORMATS = FIXTURES / "series" / "indexes"
SHARED_PPI = REPO / "tests" / "fixtures" / "series" / "WPU081.csv"


def test_fred_csv_is_read_value_for_value_with_either_header_and_dots_are_never_zero():
    values = parse("fred", "WPU081", (FORMATS / "fredgraph-WPU081.csv").read_bytes())
    expected = [(d, float(v)) for d, v in csv.reader(SHARED_PPI.read_text().splitlines()[1:]) if d >= "2021-01-01"]
    assert values == expected and len(values) == 35
    old_header = b"DATE,DCOILWTICO\n2024-01-01,70.5\n2024-01-02,.\n2024-01-03,72.1\n"
    assert parse("fred", "DCOILWTICO", old_header) == [("2024-01-01", 70.5), ("2024-01-03", 72.1)]


def test_bls_api_json_and_flat_file_give_the_months_and_skip_annual_averages():
    values = dict(parse("bls", "WPU0811", (FORMATS / "bls-WPU0811.json").read_bytes()))
    assert len(values) == 35 and values["2023-11-01"] == 240.563 and values["2021-05-01"] > 400
    flat = b"series_id\tyear\tperiod\tvalue\tfootnote_codes\nWPU0811      \t2023\tM10\t  245.1\t\nWPU0811      \t2023\tM13\t 250.0\t\nWPU0812\t2023\tM10\t99\t\n"
    assert parse("bls", "WPU0811", flat) == [("2023-10-01", 245.1)]
    refused = json.dumps({"status": "REQUEST_NOT_PROCESSED", "message": ["daily threshold reached"], "Results": {}}).encode()
    with pytest.raises(ValueError, match="daily threshold"):
        parse("bls", "WPU0811", refused)


def test_pink_sheet_workbook_reads_the_same_values_as_its_csv():
    from_workbook = parse("worldbank", "COCONUT_OIL", (FORMATS / "CMO-Historical-Data-Monthly.xlsx").read_bytes())
    from_csv = dict(parse("worldbank", "COCONUT_OIL", (FIXTURES / "series" / "pinksheet-monthly.csv").read_bytes()))
    assert len(from_workbook) == 34 and from_workbook[-1] == ("2025-10-01", 2599.0)
    assert all(from_csv[period] == value for period, value in from_workbook)
    with pytest.raises(ValueError, match="no column 'COTTON_A_INDX'"):
        parse("worldbank", "COTTON_A_INDX", (FORMATS / "CMO-Historical-Data-Monthly.xlsx").read_bytes())


def test_ecb_sdmx_csv_gives_monthly_periods():
    values = parse("ecb", "EXR/M.USD.EUR.SP00.A", (FORMATS / "ecb-EXR-M.USD.EUR.SP00.A.csv").read_bytes())
    assert len(values) == 12 and values[0] == ("2024-01-01", 1.0905)
    assert source_url("ecb", "EXR/M.USD.EUR.SP00.A") == "https://data-api.ecb.europa.eu/service/data/EXR/M.USD.EUR.SP00.A?format=csvdata"


@pytest.mark.parametrize("body", [b"<html><body>Service unavailable</body></html>", b"", b"observation_date,WPU081\n2024-01-01,n/a price\n"])
def test_an_answer_that_is_not_the_series_is_an_error_not_values(body):
    with pytest.raises(ValueError):
        parse("fred", "WPU081", body)


def test_a_monthly_series_is_due_only_when_its_next_month_should_be_out(tmp_path):
    path = write_config(tmp_path, "[]", extra="indexes:\n  - {id: ppi, name: PPI, source: fred, series: WPU081}\n")
    config = config_module.load(path)
    db = store.open_db(config.database_path)
    store.sync_config(db, config)
    assert [i.id for i in indexes.due(db, config, "2023-12-01T03:00:00+00:00")] == ["ppi"]  # never fetched
    with db.conn:
        indexes.record_values(db, config, "ppi", [("2023-10-01", 246.4)], "2023-12-01T03:00:00+00:00")
        db.execute("UPDATE index_series SET last_attempt_at = ?, last_success_at = ?", ["2023-12-01T03:00:00+00:00"] * 2)
    assert indexes.due(db, config, "2023-12-01T20:00:00+00:00") == []  # asked today already
    assert indexes.due(db, config, "2023-12-10T03:00:00+00:00") == []  # November's value is not out before Dec 15
    assert [i.id for i in indexes.due(db, config, "2023-12-16T03:00:00+00:00")] == ["ppi"]
    (value,) = indexes.series(db, "ppi")
    assert value.available_on == date(2023, 11, 15)  # the end of October plus the lag: never seen earlier in a replay


def test_run_fetches_due_series_with_the_spider_and_leaves_cached_ones_alone(tmp_path, sites):
    site = sites()
    site.set("walnut", product_page("12.50"))
    site.set("fredgraph.csv", (FORMATS / "fredgraph-WPU081.csv").read_text(), content_type="text/csv")
    site.set("bls.json", (FORMATS / "bls-WPU0811.json").read_text(), content_type="application/json")
    site.set("broken.csv", "<html>We are down for maintenance</html>")
    materials = f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      indexes: [lumber-ppi, softwood-ppi]
      offers:
        - {{supplier: acme, url: "{site.url('walnut')}"}}
    """
    extra = f"""indexes:
  - {{id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081, url: "{site.url('fredgraph.csv')}"}}
  - {{id: softwood-ppi, name: the softwood lumber price index, source: bls, series: WPU0811, url: "{site.url('bls.json')}"}}
  - {{id: broken, name: a broken index, source: fred, series: WPU081, url: "{site.url('broken.csv')}"}}
  - {{id: gone, name: a gone index, source: fred, series: WPU081, url: "{site.url('gone.csv')}"}}
"""
    write_config(tmp_path, materials, extra=extra)
    first = supplywatch("run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    counts = dict(db.execute("SELECT index_id, count(*) FROM index_values GROUP BY index_id").fetchall())
    assert counts == {"lumber-ppi": 35, "softwood-ppi": 35}
    errors = dict(db.execute("SELECT id, last_error FROM index_series").fetchall())
    assert errors["lumber-ppi"] is None and errors["softwood-ppi"] is None
    assert errors["broken"].startswith("could not read the answer") and errors["gone"] == "not fetched: HTTP 404"
    assert db.execute("SELECT count(*) FROM index_values WHERE value = 0").fetchone()[0] == 0
    asked = len(site.requests("fredgraph.csv"))
    second = supplywatch("run", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert len(site.requests("fredgraph.csv")) == asked == 1  # cached: November 2023 is its newest, asked today already
    listed = supplywatch("index", "list", cwd=tmp_path)
    assert listed.returncode == 0
    assert "the lumber price index (fred WPU081): newest Nov 2023: 240.3, fetched " in listed.stdout
    assert not re.search(r"\d{4}-\d\d", listed.stdout)  # months and days in words
    assert "a gone index (fred WPU081): no values yet, never fetched; last try failed: not fetched: HTTP 404" in listed.stdout


def test_index_load_reads_a_saved_file_and_refuses_one_of_another_format(tmp_path):
    write_config(tmp_path, "[]", extra="indexes:\n  - {id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081}\n")
    loaded = supplywatch("index", "load", "lumber-ppi", str(FORMATS / "fredgraph-WPU081.csv"), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "35 new values; 35 in all, Jan 2021 to Nov 2023." in loaded.stdout  # months in words, as everywhere else
    wrong = supplywatch("index", "load", "lumber-ppi", str(FORMATS / "bls-WPU0811.json"), cwd=tmp_path)
    assert wrong.returncode == 2 and "not a fred file with WPU081" in wrong.stderr
    unknown = supplywatch("index", "load", "copper", str(FORMATS / "fredgraph-WPU081.csv"), cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown index 'copper'" in unknown.stderr


def test_a_material_linked_to_an_unknown_index_is_a_config_error_naming_the_key(tmp_path):
    write_config(tmp_path, """
    - id: walnut
      name: Walnut
      unit: board_foot
      indexes: [lumber]
    """)
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "materials[0].indexes[0]: unknown index 'lumber'" in result.stderr
    assert not (tmp_path / "supplywatch.db").exists()


def _ppi() -> list[tuple[str, float]]:
    return [(d, float(v)) for d, v in csv.reader(SHARED_PPI.read_text().splitlines()[1:]) if "2018-06-01" <= d <= "2021-12-01"]


def test_index_rules_say_buy_ahead_ask_for_a_better_price_and_not_the_market(tmp_path, sink, phone):
    """On the real lumber index: its 2020 climb while a supplier stays flat ("expect an increase"),
    its 2021 fall while the supplier stays flat ("ask for a better price"), and a supplier's 2019
    rise while the index was flat ("this rise is not the market"). None of them is a deadline: they
    reach the digest, never the phone."""
    write_config(tmp_path, """
    - id: walnut
      name: Black walnut
      unit: board_foot
      indexes: [lumber-ppi]
      offers:
        - {supplier: acme, url: "http://127.0.0.1:9/walnut"}
    - id: cherry
      name: Cherry
      unit: board_foot
      indexes: [lumber-ppi]
      offers:
        - {supplier: corner, url: "http://127.0.0.1:9/cherry"}
    """, notify_yaml=f"urls:\n  - url: \"{sink.url}\"\n    tags: [digest]\n  - url: \"{phone.url}\"\n    tags: [phone]",
        extra="indexes:\n  - {id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081}\n")
    fred = tmp_path / "WPU081.csv"
    fred.write_text("observation_date,WPU081\n" + "".join(f"{d},{v}\n" for d, v in _ppi()))
    assert supplywatch("index", "load", "lumber-ppi", str(fred), cwd=tmp_path).returncode == 0

    def night(day: str, cherry: float) -> str:
        store_history(tmp_path / "supplywatch.yml", {"walnut@acme": [(d, 10.0) for d in days_between(last[0], day, 7)],
                                                     "cherry@corner": [(d, cherry) for d in days_between(last[0], day, 7)]})
        last[0] = day
        sink.messages.clear()
        result = supplywatch("add-price", "walnut@acme", "10.00", "--date", day, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return "\n".join(m["message"] for m in sink.messages)

    last = ["2019-01-03"]
    store_history(tmp_path / "supplywatch.yml", {"cherry@corner": [(d, 8.0) for d in days_between("2019-01-03", "2019-06-27", 7)]})
    told = night("2019-10-20", cherry=10.0)  # cherry +25 % since June while the index moved +2.6 %
    assert "Cherry at Corner Shop rose 25.0% while the lumber price index moved +2.6% (Jun 2019 to Sep 2019): this rise is not the market" in told
    told = night("2020-09-10", cherry=10.0)
    assert ("Black walnut: the lumber price index rose 17.9% (Apr 2020 to Jul 2020) while your suppliers have not moved yet "
            "(Acme Lumber 0%): expect an increase; buy ahead") in told
    told = night("2021-10-20", cherry=10.0)
    assert "Black walnut: the lumber price index fell 38.0% (Jun 2021 to Sep 2021) while your suppliers stay flat (Acme Lumber 0%): ask for a better price" in told
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    fired = {r[0] for r in db.execute("SELECT kind FROM alerts WHERE first_fired IS NOT NULL")}
    assert {"index_rise", "index_fall", "above_index"} <= fired
    # The phone hears only the cherry's own 25 % run-up (the run-up rule rings by design), never an index rule.
    assert [m["title"] for m in phone.messages] == ["Cherry at Corner Shop up 25% since 27 Jun: $10.00/bd ft"]
    assert not [m for m in phone.messages if "index" in m["message"]]


def test_a_daily_index_names_its_days_the_way_every_other_line_does():
    from datetime import timedelta

    from monitor.decisions import market
    from monitor.decisions.prices import DayPrice
    from monitor.rules.above_index import AboveIndexRule

    today = date(2026, 12, 7)
    days = [today - timedelta(days=n) for n in range(96, 0, -1)]
    points = [indexes.IndexPoint(day, 100 + n / 19, day) for n, day in enumerate(days)]  # +5 % over the span
    histories = {("walnut@acme", "acme", "Acme Lumber"): [DayPrice(day, 10 + n / 19) for n, day in enumerate(days)]}  # +50 %
    material = config_module.Material(id="walnut", name="Black walnut", unit="board_foot")
    (finding,) = market.judge(material, "the lumber price index", "ppi", points, histories,
                              [AboveIndexRule(kind="above_index")], today, frequency="daily")
    assert "(9 Sep to 6 Dec): this rise is not the market" in finding.message, finding.message


def test_a_supplier_rise_given_back_since_the_index_period_is_not_called_above_the_market(tmp_path, sink):
    """Cherry rose 25 % over the index's newest three months while the index stayed flat, and is back at
    its old price tonight: the owner is not sent to ask the supplier about a rise that is over."""
    write_config(tmp_path, """
    - id: cherry
      name: Cherry
      unit: board_foot
      indexes: [lumber-ppi]
      offers:
        - {supplier: corner, url: "http://127.0.0.1:9/cherry"}
      rules: [{kind: above_index}]
    """, notify_yaml=f"urls: [{{url: \"{sink.url}\", tags: [digest, phone]}}]",
        extra="indexes:\n  - {id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081}\n")
    fred = tmp_path / "WPU081.csv"
    fred.write_text("observation_date,WPU081\n" + "".join(f"2026-{m:02d}-01,250.0\n" for m in range(1, 10)))
    assert supplywatch("index", "load", "lumber-ppi", str(fred), cwd=tmp_path).returncode == 0
    store_history(tmp_path / "supplywatch.yml", {"cherry@corner": [(d, 8.0) for d in days_between("2026-05-01", "2026-07-10", 7)]
                                                 + [(d, 10.0) for d in days_between("2026-07-17", "2026-09-25", 7)]
                                                 + [(d, 8.0) for d in days_between("2026-10-02", "2026-10-16", 7)]})
    result = supplywatch("add-price", "cherry@corner", "8.00", "--date", "2026-10-20", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [m for m in sink.messages if "not the market" in m["message"]], [m["message"] for m in sink.messages]
    # A month later it has settled 12.5 % up on a flat index: that part of the rise is told, with tonight's figure.
    store_history(tmp_path / "supplywatch.yml", {"cherry@corner": [(d, 9.0) for d in days_between("2026-10-21", "2026-11-18", 7)]})
    result = supplywatch("add-price", "cherry@corner", "9.00", "--date", "2026-11-25", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    told = "\n".join(m["message"] for m in sink.messages)
    assert "Cherry at Corner Shop rose 12.5% while the lumber price index moved 0% (Jun 2026 to Sep 2026): this rise is not the market" in told


def test_a_supplier_already_coming_down_is_not_newly_asked_why_it_rose(tmp_path, sink):
    """A lumber spike on a daily index, as in the demo: walnut at Berger is still 20 % up since September
    while the index is 5 % up, but it fell 28 % over the last month. "Ask why it rose" is no news that night;
    once it has settled, still far above the market, it is."""
    write_config(tmp_path, """
    - id: walnut
      name: Black walnut
      unit: board_foot
      indexes: [lumber]
      offers:
        - {supplier: berger, url: "http://127.0.0.1:9/walnut"}
      rules: [{kind: above_index}]
    """, notify_yaml=f"urls: [{{url: \"{sink.url}\", tags: [digest, phone]}}]",
        extra="indexes:\n  - {id: lumber, name: the lumber index, source: fred, series: DLUMBER, frequency: daily}\n")
    days = days_between("2025-08-01", "2025-12-31")
    index = [(d, 100.0 if d < "2025-10-01" else 150.0 if d < "2025-11-15" else 105.0) for d in days]  # up half, back down
    fred = tmp_path / "DLUMBER.csv"
    fred.write_text("observation_date,DLUMBER\n" + "".join(f"{d},{v}\n" for d, v in index))
    assert supplywatch("index", "load", "lumber", str(fred), cwd=tmp_path).returncode == 0
    walnut = {d: 15.0 if d < "2025-10-01" else 25.0 if d < "2025-11-20" else 18.0 for d in days}  # +67 %, then coming down to +20 %
    store_history(tmp_path / "supplywatch.yml", {"walnut@berger": [(d, walnut[d]) for d in days if d < "2025-12-06"]})
    result = supplywatch("add-price", "walnut@berger", "18.00", "--date", "2025-12-06", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [m for m in sink.messages if "not the market" in m["message"]], [m["message"] for m in sink.messages]
    store_history(tmp_path / "supplywatch.yml", {"walnut@berger": [(d, 18.0) for d in days_between("2025-12-07", "2025-12-27", 5)]})
    result = supplywatch("add-price", "walnut@berger", "18.00", "--date", "2025-12-30", cwd=tmp_path)  # flat for a month now
    assert result.returncode == 0, result.stdout + result.stderr
    told = "\n".join(m["message"] for m in sink.messages)
    assert "Black walnut at Holz Berger rose 20.0% while the lumber index moved +5.0%" in told and "this rise is not the market" in told, told


def test_index_fetch_of_a_site_that_is_down_says_it_in_one_line_without_scrapys_traceback(tmp_path, sites):
    """`supplywatch index fetch` with the series' site down printed Scrapy's traceback (forty lines of
    twisted and scrapy internals) and "not fetched: not fetched: the supplier's site refused the
    connection" (README walk): one line in words, Scrapy's log in logs/indexes.log."""
    from tests.scrapyd_nodes import free_port

    site = sites()
    down = f"http://127.0.0.1:{free_port()}/fredgraph.csv"
    materials = f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      indexes: [lumber-ppi]
      offers:
        - {{supplier: acme, url: "{site.url('walnut')}"}}
    """
    write_config(tmp_path, materials, extra=f'indexes:\n  - {{id: lumber-ppi, name: the lumber price index, source: fred, series: WPU081, url: "{down}"}}\n')
    fetched = supplywatch("index", "fetch", cwd=tmp_path)
    assert fetched.returncode == 1, fetched.stdout + fetched.stderr
    assert "Traceback" not in fetched.stderr and "scrapy" not in fetched.stderr.lower(), fetched.stderr
    assert "the lumber price index: failed: not fetched: the site refused the connection" in fetched.stdout, fetched.stdout
    assert "not fetched: not fetched" not in fetched.stdout and "supplier" not in fetched.stdout
    assert "Traceback" in (tmp_path / "logs" / "indexes.log").read_text()
