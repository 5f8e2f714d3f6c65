"""The owner's pages in Datasette answer in names, money and units, reach a material or product
by name, and show every value as written: a name with <, > or & is text, never markup."""

import asyncio
import re
import urllib.parse
from pathlib import Path

import pytest

from monitor import config as config_module, pipeline, serve

def get(ds, path):
    return asyncio.run(ds.client.get(path))


def visible_text(html: str) -> str:
    """What a person reads: the page without tags, scripts and attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def names(names_db):
    return serve.app(names_db / "supplywatch.db", currency="USD")


@pytest.mark.parametrize("path", ["/", "/material/screws", "/material/flour", "/product/kit", "/supplywatch/latest_unit_prices",
                                  "/supplywatch/alert_history", "/supplywatch/cheapest_now", "/supplywatch/run_log",
                                  "/-/dashboards/material?material=screws", "/-/dashboards/product?product=kit"])
def test_names_with_markup_are_shown_as_written_and_never_run(names, path):
    page = get(names, path)
    assert page.status_code == 200, page.text
    assert "<script>alert(" not in page.text and "<b>bold</b>" not in page.text
    assert "<M6>" not in page.text.replace("&lt;M6&gt;", "")
    if not path.startswith("/-/dashboards"):  # dashboards fetch their rows as JSON: checked below and in Chromium
        text = visible_text(page.text)
        assert "Screws &lt;M6&gt;" in text or "A&amp;B Supply" in text or "Kit &lt;b&gt;bold&lt;/b&gt;" in text


def test_dashboard_tables_receive_escaped_names(names):
    from datasette_dashboards import replace_opts_in_query

    config = serve.metadata_for(Path(names.databases["supplywatch"].path))
    chart = config["plugins"]["datasette-dashboards"]["material"]["charts"]["now"]
    sql = replace_opts_in_query(chart["query"], {"material": "screws"})
    rows = get(names, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", "material": "screws"})).json()["rows"]
    suppliers = {r["supplier"] for r in rows}
    assert suppliers == {"A&amp;B Supply", "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; Ltd"}  # innerHTML shows them as text


def test_material_and_product_pages_are_reached_by_name(names):
    by_id = get(names, "/material/screws")
    by_name = get(names, "/material/" + urllib.parse.quote("screws <m6>"))  # any case
    assert by_id.status_code == by_name.status_code == 200
    assert visible_text(by_name.text) == visible_text(by_id.text)
    assert get(names, "/product/" + urllib.parse.quote("Kit <b>bold</b>", safe="")).status_code == 200
    missing = get(names, "/material/teak")
    assert missing.status_code == 404


def test_home_page_answers_in_money_units_and_names(names):
    text = visible_text(get(names, "/").text)
    assert "What your inputs cost now" in text and "What is moving" in text and "Why did my phone buzz?" in text
    assert "$9.00/box" in text and "$9.20/box" in text  # the owner's own unit, named in the config
    assert "$0.96/kg" in text  # $24 a 25 kg bag
    assert "+15.0%" in text  # the screws over 30 days at A&B
    for token in ("screws@", "flour@", "kg/L", "_price", "board_foot"):
        assert token not in text, token
    assert "Last run" not in text or "added by hand" in text  # a price added by hand is not a nightly run
    assert "No nightly run yet" in text


def test_product_page_shows_the_recipe_in_its_own_words(names):
    text = visible_text(get(names, "/product/kit").text)
    assert "0.5 box" in text and "2 kg" in text
    assert "Cost of one kit" in text and "One batch makes 10 kits" in text


def test_material_page_has_no_chart_until_there_are_two_nights(names_db, tmp_path):
    config = config_module.load(names_db / "supplywatch.yml")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "supplywatch.yml").write_text((names_db / "supplywatch.yml").read_text())
    single = config_module.load(lonely / "supplywatch.yml")
    pipeline.add_price(single, "flour@ab", "20.00", "2026-03-01T12:00:00+00:00", echo=lambda _: None)
    text = visible_text(get(serve.app(lonely / "supplywatch.db"), "/material/flour").text)
    assert "Not enough history yet" in text and config.materials


def test_why_did_my_phone_buzz_shows_a_fifth_line_rather_than_one_more_lines(names_db, tmp_path):
    import shutil

    from monitor import store
    from monitor.notify import Message, queue

    shutil.copytree(names_db, tmp_path / "shop")
    db = store.open_db(tmp_path / "shop" / "supplywatch.db")
    (run_id,) = db.execute("SELECT max(id) FROM runs").fetchone()
    five = "\n".join(f"line {n} of five" for n in range(1, 6))
    seven = "\n".join(f"line {n} of seven" for n in range(1, 8))
    queue(db, run_id, [Message("digest", "five lines", five), Message("digest", "seven lines", seven)])
    text = visible_text(get(serve.app(tmp_path / "shop" / "supplywatch.db", currency="USD"), "/").text)
    assert "line 5 of five" in text and "1 more lines" not in text  # it said "… and 1 more lines"
    assert "line 4 of seven" in text and "line 5 of seven" not in text and "… and 3 more lines" in text
