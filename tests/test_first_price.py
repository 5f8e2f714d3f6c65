"""A first-ever price has no history to be checked against: when the page's own sources disagree
(the data says 219.99, the buy box shows 110.00), it is held as suspect with both values until the
next run sees the same, and every price records which sources stated it."""

import json
from pathlib import Path

import sqlite_utils

from tests.conftest import supplywatch, write_config

RULES = Path(__file__).resolve().parent / "fixtures" / "rules"


def rows(directory: Path) -> list[dict]:
    return list(sqlite_utils.Database(directory / "supplywatch.db").query("SELECT * FROM observations ORDER BY id"))


def config(directory: Path, url: str) -> None:
    write_config(directory, f"""
    - id: gloves
      name: Leather work gloves
      unit: each
      offers: [{{supplier: riga, url: "{url}", pack: 12 each}}]
    """, suppliers_yaml="- {id: riga, name: Riga Tools, currency: EUR}")


def test_first_price_whose_sources_disagree_is_held_with_both_values_then_confirmed(tmp_path, sites):
    shop = sites()
    config(tmp_path, shop.set("gloves", (RULES / "lv-stale-structured-price.html").read_bytes()))
    first = supplywatch("run", cwd=tmp_path)
    assert first.returncode in (0, 1), first.stderr
    (row,) = rows(tmp_path)
    assert (row["status"], row["price"], row["method"]) == ("suspect", 110.0, "visible")
    assert "110.00" in row["error"] and "219.99" in row["error"] and "microdata" in row["error"]
    assert json.loads(row["sources"]) == {"agreed": ["visible"], "disputed": [{"method": "microdata", "price": "219.99"}]}
    second = supplywatch("run", cwd=tmp_path)
    assert second.returncode in (0, 1), second.stderr
    assert [r["status"] for r in rows(tmp_path)] == ["suspect", "ok"]  # seen again: the buy box's price is real


def test_first_price_whose_sources_agree_is_stored_with_them(tmp_path, sites):
    shop = sites()
    config(tmp_path, shop.set("oil", (RULES / "microdata-carousel.html").read_bytes()))
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (row,) = rows(tmp_path)
    assert (row["status"], row["price"], row["error"]) == ("ok", 18.9, None)
    assert json.loads(row["sources"])["disputed"] == [] and json.loads(row["sources"])["agreed"][0] == "microdata"
