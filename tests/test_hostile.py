"""One hostile supplier cannot spoil the night: each attack is served from 127.0.0.1 beside a healthy
supplier, a real `supplywatch run` crawls it, and the night completes with the healthy price stored
and the hostile offers recorded as errors with their reason, never as prices."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile

import sqlite_utils
from werkzeug import Response

from tests.conftest import product_page, supplywatch, write_config

SUPPLIERS = """
    - {id: acme, name: Acme Lumber, currency: USD, locale: en_US}
    - {id: corner, name: Corner Shop, currency: USD, locale: en_US}
"""


def json_ld(data: object) -> str:
    """A product page whose JSON-LD is written as given (json.dumps writes NaN and Infinity bare)."""
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>Walnut</h1></body></html>'


def offer(price: object, **more: object) -> dict[str, object]:
    return {"@type": "Offer", "price": price, "priceCurrency": "USD", **more}


def night(tmp_path, sites, pages: dict[str, tuple[object, ...]], offer_lines: list[str] | None = None, crawl: str | None = None,
          before=None):  # noqa: ANN001
    """One offer per hostile page at acme (or the offer lines given), a healthy offer at corner; run once.
    ``crawl`` adds keys to the config's crawl section; ``before(acme)`` sets up the site further."""
    acme, corner = sites(), sites()
    if before:
        before(acme)
    lines = offer_lines or []
    for name, page in pages.items():
        url = acme.set(name, *page)
        if offer_lines is None:
            lines.append(f'        - {{supplier: acme, id: {name}, url: "{url}"}}')
    lines = [line.replace("{acme}", f"http://127.0.0.1:{acme.server.port}") for line in lines]
    write_config(tmp_path, "\n".join([
        "    - id: walnut", "      name: Walnut", "      unit: board_foot", "      offers:", *lines,
        f'        - {{supplier: corner, id: healthy, url: "{corner.set("walnut", product_page("12.00"))}"}}',
    ]), suppliers_yaml=SUPPLIERS)
    if crawl:
        path = tmp_path / "supplywatch.yml"
        text = path.read_text()
        path.write_text(re.sub(r"crawl: \{(.*?)\}", lambda m: "crawl: {" + m.group(1) + ", " + crawl + "}", text, count=1))
    result = supplywatch("run", cwd=tmp_path, timeout=300)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    rows = {r["offer_id"]: r for r in db.query("SELECT * FROM observations ORDER BY id")}
    return result, rows, acme


def assert_healthy_night(result, rows) -> None:
    assert result.returncode == 1, result.stderr[-3000:]  # partial: some offers gave no price, nothing crashed
    assert rows["healthy"]["status"] == "ok" and rows["healthy"]["price"] == 12.0


def test_numbers_that_cannot_be_prices_never_become_prices(tmp_path, sites):
    result, rows, _ = night(tmp_path, sites, {
        "nan": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer(float("nan"))}),),
        "infinity": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer(float("inf"))}),),
        "huge": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer("1e400")}).replace('"1e400"', "1e400"),),
        "e22": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer(1e22)}),),
        "speck": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer("12.00", priceSpecification={
            "@type": "UnitPriceSpecification", "price": "12.00", "priceCurrency": "USD",
            "referenceQuantity": {"@type": "QuantitativeValue", "value": 1e-30, "unitCode": "BFT"}})}),),
        "tiers": (json_ld({"@type": "Product", "name": "Walnut", "offers": offer("12.00", priceSpecification=[
            {"@type": "UnitPriceSpecification", "price": "12.00", "eligibleQuantity": {"minValue": float("nan")}},
            {"@type": "UnitPriceSpecification", "price": "11.00", "eligibleQuantity": {"minValue": 10}}])}),),
    })
    assert_healthy_night(result, rows)
    for name in ("nan", "infinity", "huge", "e22", "speck"):
        assert rows[name]["price"] is None and rows[name]["unit_price"] is None, (name, rows[name])
        assert rows[name]["status"] in ("error", "missing") and rows[name]["error"], (name, rows[name])
    # A quantity break of NaN is not a tier: the page's own price may stand, never a NaN beside it.
    assert rows["tiers"]["price"] in (None, 12.0) and "nan" not in (rows["tiers"]["tiers"] or "").lower()
    assert "nan" in rows["nan"]["error"].lower() and "inf" in rows["infinity"]["error"].lower()  # the reason names it


def test_one_offers_crash_costs_that_offer_alone_not_its_page_neighbours(tmp_path, sites):
    variants = {"@type": "Product", "name": "Walnut", "offers": [
        offer("10.00", sku="W-A", priceCurrency=["USD"]),  # crashed the whole run once
        offer(float("nan"), sku="W-B"),
        offer("12.50", sku="W-C"),
    ]}
    lines = [f'        - {{supplier: acme, id: variant-{v}, variant: W-{v.upper()}, url: "{{acme}}/p/variants"}}' for v in "abc"]
    result, rows, acme = night(tmp_path, sites, {"variants": (json_ld(variants),)}, offer_lines=lines)
    assert_healthy_night(result, rows)
    assert rows["variant-c"]["status"] == "ok" and rows["variant-c"]["price"] == 12.5
    a, b = rows["variant-a"], rows["variant-b"]
    assert (a["status"], a["price"], a["currency"]) == ("ok", 10.0, "USD") or (a["status"] == "error" and "could not be read" in a["error"])
    assert b["status"] in ("error", "missing") and b["price"] is None and b["error"]
    assert len(acme.requests("variants")) == 1  # one request, one parse, three offers


def test_control_characters_from_pages_are_stripped_and_text_capped(tmp_path, sites):
    noisy = "<html><body><h1>Walnut</h1><span class=price>\x1b]0;pwned\x07\x1b[2J$12.00" + " \u202e" + "x" * 5000 + "</span></body></html>"
    lines = ['        - {supplier: acme, id: noisy, price: "css:.price::text", url: "{acme}/p/noisy"}',
             '        - {supplier: acme, id: wrong-variant, variant: "\\e[31mRED", url: "{acme}/p/variants"}']
    variants = {"@type": "Product", "name": "Walnut", "offers": [offer("10.00", sku="A\x1b[2J"), offer("11.00", sku="B")]}
    result, rows, _ = night(tmp_path, sites, {"noisy": (noisy,), "variants": (json_ld(variants),)}, offer_lines=lines)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert rows["healthy"]["price"] == 12.0
    for row in rows.values():
        for text in (row["raw"] or "", row["error"] or ""):
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), text
            assert len(text) <= 500


def gzip_bomb(megabytes: int) -> Response:
    body = gzip.compress(b"<html>" + b" " * (megabytes * 1024 * 1024), compresslevel=9)
    return Response(body, content_type="text/html", headers={"Content-Encoding": "gzip"})


def xlsx_bomb(megabytes: int) -> bytes:
    """A spreadsheet whose sheet inflates to ``megabytes`` (of spaces inside the XML)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                sheet.write(chunk)
    return out.getvalue()


def xlsx_claiming_rows(rows: int) -> bytes:
    """A small, real spreadsheet whose sheet says it has ``rows`` rows."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["SKU", "Price"])
    book.active.append(["W-1", 12.5])
    out = io.BytesIO()
    book.save(out)
    source, patched = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:B{rows + 1}"'.encode(), data)
            archive.writestr(member, data)
    return patched.getvalue()


def test_bombs_and_oversized_pages_are_refused_for_that_offer_alone(tmp_path, sites):
    big = "<html><body><h1>Walnut</h1><span class=price>$12.00</span><!-- " + "x" * (21 * 1024 * 1024) + " --></body></html>"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    lines = [
        '        - {supplier: acme, id: gzip-bomb, url: "{acme}/p/bomb"}',
        '        - {supplier: acme, id: oversized, price: "css:.price::text", url: "{acme}/p/big"}',
        '        - {supplier: acme, id: allowed-big, price: "css:.price::text", max_download_mb: 40, url: "{acme}/p/big?again"}',
        '        - {supplier: acme, id: xlsx-bomb, list: {match: W-1, price: Price}, url: "{acme}/p/bomb.xlsx"}',
        '        - {supplier: acme, id: xlsx-rows, list: {match: W-1, price: Price}, url: "{acme}/p/rows.xlsx"}',
    ]
    result, rows, _ = night(tmp_path, sites, {
        "bomb": (gzip_bomb(24),), "big": (big,),
        "bomb.xlsx": (xlsx_bomb(210), 200, xlsx), "rows.xlsx": (xlsx_claiming_rows(200_000), 200, xlsx),
    }, offer_lines=lines)
    assert_healthy_night(result, rows)
    assert "inflates to more than 20 MB" in rows["gzip-bomb"]["error"]
    assert "larger than 20 MB" in rows["oversized"]["error"] and "max_download_mb" in rows["oversized"]["error"]
    assert rows["allowed-big"]["status"] == "ok" and rows["allowed-big"]["price"] == 12.0  # the owner raised its cap
    assert "inflates to 210 MB" in rows["xlsx-bomb"]["error"]
    assert "200,000 rows" in rows["xlsx-rows"]["error"]
    for name in ("gzip-bomb", "oversized", "xlsx-bomb", "xlsx-rows"):
        assert rows[name]["price"] is None


def test_redirects_stay_on_the_suppliers_site(tmp_path, sites):
    elsewhere = sites()  # another server on this machine: another port is another service
    elsewhere_url = elsewhere.set("walnut", product_page("1.00"))
    lines = [
        '        - {supplier: acme, id: off-site, url: "{acme}/p/away"}',
        '        - {supplier: acme, id: to-localhost, url: "{acme}/p/local"}',
        '        - {supplier: acme, id: moved, url: "{acme}/p/old"}',
        '        - {supplier: acme, id: loop, url: "{acme}/p/loop"}',
    ]
    local = elsewhere_url.replace("127.0.0.1", "localhost")
    result, rows, acme = night(tmp_path, sites, {
        "away": (Response("", status=302, headers={"Location": elsewhere_url}),),
        "local": (Response("", status=301, headers={"Location": local}),),
        "old": (Response("", status=301, headers={"Location": "/p/new"}),),
        "new": (product_page("13.00"),),
        "loop": (Response("", status=302, headers={"Location": "/p/loop"}),),
    }, offer_lines=lines)
    assert_healthy_night(result, rows)
    assert rows["off-site"]["status"] == "error" and "redirects away from the supplier's site" in rows["off-site"]["error"]
    assert rows["to-localhost"]["status"] == "error" and "redirects away" in rows["to-localhost"]["error"]
    assert rows["moved"]["status"] == "ok" and rows["moved"]["price"] == 13.0  # on its own site: followed
    assert rows["loop"]["status"] == "error" and "redirects round in a loop" in rows["loop"]["error"]  # was 'dropped before it was sent'
    assert rows["moved"]["final_url"] == acme.url("new")  # and where the price was read is kept with it
    assert rows["healthy"]["final_url"] is None  # read where the config says
    assert elsewhere.requests("walnut") == []  # the other server was never asked


def test_a_page_past_the_memory_bound_or_an_address_that_cannot_be_requested_costs_that_offer_alone(tmp_path, sites):
    import subprocess
    import sys

    from tests.conftest import REPO

    row = '<div class="item"><span class="name">Bolt {i}</span><span class="price">${p}.50</span></div>\n'
    heavy = "<html><body><h1>Bolts</h1>" + "".join(row.format(i=i, p=i % 90 + 1) for i in range(190_000)) + "</body></html>"
    acme, corner = sites(), sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, id: heavy, price: "css:.price::text", variant: "Bolt 7", max_download_mb: 40, url: "{acme.set('heavy', heavy)}"}}
        - {{supplier: corner, id: healthy, url: "{corner.set('walnut', product_page('12.00'))}"}}
    """, suppliers_yaml=SUPPLIERS)
    from monitor import config as config_module

    offers = config_module.load(tmp_path / "supplywatch.yml").offers()
    # As a scrapyd job gets them (JSON, past the config's checks): one whose address no request can be made of.
    unreachable = offers[0].model_copy(update={"offer_id": "bad-port", "url": acme.server.url_for("/p/heavy").replace(
        f":{acme.server.port}/", ":99999/")})
    crawl = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "offers", "-a", f"offers={json.dumps([unreachable.model_dump(), *[o.model_dump() for o in offers]])}",
                            "-O", str(tmp_path / "items.jsonl"), "-s", "SUPPLYWATCH_MEMORY_LIMIT_MB=300", "-s", "LOG_LEVEL=ERROR",
                            "-s", "DOWNLOAD_DELAY=0"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    items = {i["offer_id"]: i for i in map(json.loads, (tmp_path / "items.jsonl").read_text().splitlines())}
    assert items["heavy"]["status"] == "error" and "could not be read" in items["heavy"]["error"]  # its tree did not fit
    assert items["bad-port"]["status"] == "error" and "cannot be fetched: Port out of range" in items["bad-port"]["error"]
    assert items["healthy"]["status"] == "ok" and items["healthy"]["price"] == "12.00"  # (it used to cost every supplier the night)
