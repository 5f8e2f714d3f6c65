"""What the owner sees of the decisions in the browser, on the demo's crawled database: the to-do
list, stock and buy-window calls, open quotes, which inputs move each margin, the lumber index drawn
beside the walnut prices; the charts really draw in Chromium at desk and phone width."""

from __future__ import annotations

import os
import re

import pytest
import sqlite_utils

from tests.test_browser import ARTIFACTS, CHROMIUM, browser, load, server  # noqa: F401 (fixtures)
from tests.test_datasette import ds, get, rows  # noqa: F401 (fixture)


def test_stock_and_buying_has_every_material_with_its_call(ds):  # noqa: F811
    found = rows(ds, "stock_and_buying")
    assert {r["Material"] for r in found} == {"Black walnut 8/4 FAS", "Baltic birch plywood 18 mm", "Wood glue (PVA, D3)"}
    assert all(r["Call"] in ("buy now", "wait", "no call") and r["Why"] for r in found)
    assert all(r["Lasts"].endswith(" days") and r["When to order"] for r in found)  # the demo counts its stock and plans two tables a week
    said = " ".join(str(v) for r in found for v in r.values())
    assert not re.search(r"\d{4}-\d\d-\d\d|board_foot|\.\d{3}", said), said  # days in words, units by name, amounts as counted
    assert re.search(r"\$[\d.,]+/bd ft", said) and re.search(r"\d+ bd ft", said)


def test_open_quotes_and_the_to_do_list_read_as_messages(ds, demo):  # noqa: F811
    directory, _ = demo
    (quote,) = rows(ds, "open_quotes")
    assert quote["Quote"] == "112" and quote["For"] == "8 walnut side tables" and quote["Margin now"].endswith("%")
    assert re.fullmatch(r"\$\d,\d{3}\.00", quote["Price"]) and re.fullmatch(r"\d+ \w{3} \d{4}", quote["Valid to"])
    assert re.fullmatch(r"(up|down) \d+\.\d points|unchanged", quote["Since given"])
    db = sqlite_utils.Database(directory / "supplywatch.db")
    open_items = db.execute("SELECT count(*) FROM to_do WHERE done_at IS NULL").fetchone()[0]
    listed = rows(ds, "to_do_this_week")
    assert len(listed) == open_items and all(r["What to do"] and "@" not in r["What to do"] for r in listed)
    assert all(not re.search(r"\d{4}-\d\d-\d\d", r["Due"] + r["On the list since"]) for r in listed)


def test_sensitivity_agrees_with_the_costing(ds, demo):  # noqa: F811
    directory, _ = demo
    found = rows(ds, "product_sensitivity")
    db = sqlite_utils.Database(directory / "supplywatch.db")
    (cost,) = db.query("SELECT id, selling_price FROM product_costs WHERE complete ORDER BY costed_at DESC LIMIT 1")
    lines = {r["material_id"]: r["cost"] for r in db.query("SELECT material_id, cost FROM product_cost_lines WHERE cost_id = ?", [cost["id"]])}
    walnut = next(r for r in found if r["Input"] == "Black walnut 8/4 FAS")
    assert walnut["Margin points lost per 10 % rise"] == pytest.approx(round(10 * lines["walnut-8-4"] / cost["selling_price"], 2))
    assert walnut["Sells at"] == "$520.00/table" and walnut["Its cost in one"].startswith("$") and walnut["Its cost in one"].endswith("/table")
    assert found[0]["Input"] == "Black walnut 8/4 FAS"  # twelve board feet of walnut move a table's margin most


needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Chromium is not installed (CI installs it)")


@needs_chromium
def test_the_walnut_page_draws_the_lumber_index_beside_its_prices(server, browser):  # noqa: F811
    for width, shot in ((1400, "material-walnut-index.png"), (390, "material-walnut-index-phone.png")):
        errors = load(browser, f"{server}/-/dashboards/material?material=walnut-8-4", shot, ["prices", "index"], width=width)
        assert errors == []
        assert (ARTIFACTS / shot).stat().st_size > 10_000


@needs_chromium
def test_the_product_page_draws_which_inputs_move_its_margin(server, browser):  # noqa: F811
    for width, shot in ((1400, "product-sensitivity.png"), (390, "product-sensitivity-phone.png")):
        errors = load(browser, f"{server}/-/dashboards/product?product=walnut-side-table", shot, ["sensitivity"], width=width)
        assert errors == []
        assert (ARTIFACTS / shot).stat().st_size > 10_000
