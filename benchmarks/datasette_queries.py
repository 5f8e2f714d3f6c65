"""Every canned query and dashboard chart query, timed through Datasette on a large database.

Run after ``generate.py``; the database is migrated to the current schema first (that time is
reported too). Target: every query answers in 300 ms or less.

    python benchmarks/datasette_queries.py /tmp/bench/big.db
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasette.app import Datasette  # noqa: E402
from datasette_dashboards import replace_opts_in_query  # noqa: E402

from monitor import serve, store  # noqa: E402


async def timed(ds: Datasette, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = await ds.client.get(path)
    seconds = time.perf_counter() - started
    rows = len(response.json().get("rows", [])) if response.status_code == 200 and ".json" in path else 0
    return seconds, response.status_code, rows


async def run(path: Path) -> list[tuple[str, float, int, int]]:
    metadata = serve.metadata_for(path)
    ds = serve.app(path)  # with the owner pages' plugin: its SQL functions format the queries' money and units
    name = path.stem
    material = next(iter((await ds.get_database(name).execute("select id from materials limit 1 offset 1")).rows))[0]
    results = []
    product = next(iter((await ds.get_database(name).execute("select id from products limit 1")).rows), [None])[0]
    for label, page in (("home", "/"), ("material page", f"/material/{material}"), ("material page, everything", f"/material/{material}?days=all"),
                        *((("product page", f"/product/{product}"),) if product else ())):
        results.append((f"page {label}", *await timed(ds, page)))
    for query, spec in metadata["databases"][name]["queries"].items():
        params = {p: material for p in spec.get("params", [])}
        url = f"/{name}/{query}.json?_shape=objects&" + urllib.parse.urlencode(params)
        results.append((f"query {query}", *await timed(ds, url)))
    for dashboard, spec in metadata["plugins"]["datasette-dashboards"].items():
        options = {dashboard: material if dashboard == "material" else product or ""}
        for slug, chart in spec["charts"].items():
            sql = replace_opts_in_query(chart["query"], options)
            url = f"/{name}.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects", **options})
            results.append((f"chart {dashboard}/{slug}", *await timed(ds, url)))
        for filter_name, dfilter in spec.get("filters", {}).items():
            if "query" in dfilter:
                url = f"/{name}.json?" + urllib.parse.urlencode({"sql": dfilter["query"], "_shape": "objects"})
                results.append((f"filter {dashboard}/{filter_name}", *await timed(ds, url)))
        page = f"/-/dashboards/{dashboard}?" + urllib.parse.urlencode(options)
        results.append((f"page {dashboard}", *await timed(ds, page)))
    for table in ("observations", "alerts", "runs"):
        results.append((f"table {table}", *await timed(ds, f"/{name}/{table}.json?_shape=objects")))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    store.open_db(args.database).close()
    print(f"opened and migrated to the current schema in {time.perf_counter() - started:.1f} s")
    results = asyncio.run(run(args.database))
    asyncio.run(run(args.database))  # warm: what an owner sees after the first page
    results = asyncio.run(run(args.database))
    for label, seconds, status, rows in sorted(results, key=lambda r: -r[1]):
        print(f"{seconds * 1000:8.1f} ms  {status}  {rows:6} rows  {label}")
    slowest = max(results, key=lambda r: r[1])
    print(f"slowest: {slowest[0]} in {slowest[1] * 1000:.0f} ms (target 300 ms)")


if __name__ == "__main__":
    main()
