"""Hostile pages beside a healthy supplier: does the night complete, and what does each page cost?

Each hostile page is served by one supplier (127.0.0.3) beside a healthy one (127.0.0.2), from a
separate process, and a real ``supplywatch run`` crawls both in a fresh process; the baseline is
the healthy night alone, measured in the same run. For each night: wall seconds, CPU seconds
(user + system of the crawling process), CPU beyond the baseline (what the hostile page cost),
peak RSS, whether the healthy price was stored, and what was recorded for the hostile offers.

Targets (issue 13): the night completes, the healthy price is stored, peak RSS under 500 MB and
no single page costs more than 10 s of CPU.

    python benchmarks/hostile.py            # every page, then all of them in one night
    python benchmarks/hostile.py --only gzip-bomb rdfa-31mb
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEALTHY = (b'<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", "name": "Walnut",'
           b' "offers": {"@type": "Offer", "price": "12.00", "priceCurrency": "USD"}}</script></head><body><h1>Walnut</h1></body></html>')


def json_ld(price_literal: str) -> bytes:
    return (b'<html><head><script type="application/ld+json">{"@type": "Product", "name": "Walnut", "offers": {"@type": "Offer", '
            b'"price": ' + price_literal.encode() + b', "priceCurrency": "USD"}}</script></head><body><h1>Walnut</h1></body></html>')


def rdfa_page(megabytes: float) -> bytes:
    row = ('<div vocab="https://schema.org/" typeof="Product"><span property="name">Bolt {i}</span><div property="offers" '
           'typeof="Offer"><span property="price">{i}.50</span><meta property="priceCurrency" content="USD"></div></div>\n')
    out, i = io.StringIO(), 0
    out.write("<html><body><h1>Bolts</h1>")
    while out.tell() < megabytes * MB:
        out.write(row.format(i=i))
        i += 1
    out.write("</body></html>")
    return out.getvalue().encode()


def gzip_bomb(inflated_mb: int) -> bytes:
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=9) as packed:
        packed.write(b"<html><body>")
        chunk = b" " * MB
        for _ in range(inflated_mb):
            packed.write(chunk)
    return stream.getvalue()


_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '</Types>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
              'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="Prices" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  'Target="worksheets/sheet1.xml"/></Relationships>')


def xlsx(rows: int, declare: bool = True, padding_mb: int = 0) -> bytes:
    """A real spreadsheet of ``rows`` price rows (SKU, description, pack, price), written directly;
    ``declare`` writes the sheet's <dimension>; ``padding_mb`` of spaces make it a zip bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            dimension = f'<dimension ref="A1:D{rows + 1}"/>' if declare else ""
            sheet.write(('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         f'{dimension}<sheetData>').encode())
            chunk = b" " * MB
            for _ in range(padding_mb):
                sheet.write(chunk)

            def cell(ref: str, text: str) -> str:
                return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

            sheet.write(f'<row r="1">{cell("A1", "SKU")}{cell("B1", "Description")}{cell("C1", "Pack")}{cell("D1", "Price")}</row>'.encode())
            batch = []
            for i in range(rows):
                r = i + 2
                batch.append(f'<row r="{r}">{cell(f"A{r}", f"SKU-{i:06d}")}{cell(f"B{r}", f"Hex bolt, zinc plated, size {i % 30 + 3}")}'
                             f'{cell(f"C{r}", "100 each")}<c r="D{r}"><v>{5 + (i % 1000) * 0.37:.2f}</v></c></row>')
                if len(batch) == 5000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
    return out.getvalue()


# name: (what it is, [(path, body, content type, extra headers)], offer lines (YAML, {url} per path))
def attacks() -> dict[str, tuple[str, list[tuple[str, bytes, str, dict[str, str]]], list[str]]]:
    html = "text/html; charset=utf-8"
    found: dict[str, tuple[str, list[tuple[str, bytes, str, dict[str, str]]], list[str]]] = {}
    bomb = gzip_bomb(1000)
    found["gzip-bomb"] = (f"{len(bomb) / MB:.1f} MB gzip bomb (inflates to 1 GB)", [("/bomb", bomb, html, {"Content-Encoding": "gzip"})],
                          ["{supplier: hostile, id: gzip-bomb, url: '{url0}'}"])
    found["rdfa-31mb"] = ("31 MB RDFa page", [("/rdfa31", rdfa_page(31), html, {})], ["{supplier: hostile, id: rdfa-31mb, url: '{url0}'}"])
    found["rdfa-19mb"] = ("19 MB RDFa page (under the 20 MB cap, over the 6 MB read)", [("/rdfa19", rdfa_page(19), html, {})],
                          ["{supplier: hostile, id: rdfa-19mb, url: '{url0}'}"])
    found["dense-5.5mb"] = ("5.5 MB of dense RDFa markup (under the 6 MB read)", [("/dense", rdfa_page(5.5), html, {})],
                            ["{supplier: hostile, id: dense, url: '{url0}'}"])
    xbomb = xlsx(1, padding_mb=1024)
    found["xlsx-bomb"] = (f"{len(xbomb) / MB:.1f} MB XLSX inflating to 1 GB", [("/bomb.xlsx", xbomb, XLSX, {})],
                          ["{supplier: hostile, id: xlsx-bomb, url: '{url0}', list: {match: SKU-000000, price: Price}}"])
    rows200 = xlsx(200_000)
    found["xlsx-200k-rows"] = (f"200,000-row XLSX ({len(rows200) / MB:.1f} MB), 20 offers on it", [("/big.xlsx", rows200, XLSX, {})],
                               [f"{{supplier: hostile, id: row-{i}, url: '{{url0}}', list: {{match: SKU-{i * 9000:06d}, price: Price}}}}"
                                for i in range(20)])
    hidden = xlsx(200_000, declare=False)
    found["xlsx-200k-undeclared"] = ("200,000-row XLSX without <dimension> (counted while read), 20 offers", [("/hidden.xlsx", hidden, XLSX, {})],
                                     [f"{{supplier: hostile, id: hidden-{i}, url: '{{url0}}', list: {{match: SKU-{i * 9000:06d}, price: Price}}}}"
                                      for i in range(20)])
    rows40 = xlsx(40_000)
    found["xlsx-40k-rows"] = (f"40,000-row XLSX ({len(rows40) / MB:.1f} MB), 20 offers on it: parsed once", [("/list.xlsx", rows40, XLSX, {})],
                              [f"{{supplier: hostile, id: list-{i}, url: '{{url0}}', list: {{match: SKU-{i * 1900:06d}, price: Price}}}}"
                               for i in range(20)])
    found["input-140kb"] = ("140 KB of '<input '", [("/inputs", b"<html><body>" + b"<input " * 20_000, html, {})],
                            ["{supplier: hostile, id: input-140kb, url: '{url0}'}"])
    found["nan-infinity-1e400"] = ("NaN / Infinity / 1e400 JSON-LD", [("/nan", json_ld("NaN"), html, {}), ("/inf", json_ld("Infinity"), html, {}),
                                                                       ("/e400", json_ld("1e400"), html, {})],
                                   ["{supplier: hostile, id: nan, url: '{url0}'}", "{supplier: hostile, id: infinity, url: '{url1}'}",
                                    "{supplier: hostile, id: e400, url: '{url2}'}"])
    return found


def serve(pages_file: str, port_file: str) -> None:
    """Both suppliers in one separate process: healthy on 127.0.0.2, hostile on 127.0.0.3."""
    import pickle

    pages: dict[str, tuple[bytes, str, dict[str, str]]] = pickle.loads(Path(pages_file).read_bytes())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/robots.txt":
                body, content_type, headers = b"User-agent: *\nAllow: /\n", "text/plain", {}
            elif self.path == "/walnut":
                body, content_type, headers = HEALTHY, "text/html; charset=utf-8", {}
            elif self.path in pages:
                body, content_type, headers = pages[self.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler stopped reading at its size cap

        def log_message(self, *args: object) -> None:
            pass

    ports = []
    for host in ("127.0.0.2", "127.0.0.3"):
        server = ThreadingHTTPServer((host, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports.append(server.server_address[1])
    Path(port_file).write_text(" ".join(map(str, ports)))
    threading.Event().wait()


def night(directory: Path, ports: list[int], lines: list[str], paths: list[str]) -> dict[str, object]:
    """One `supplywatch run` of the healthy supplier and ``lines`` at the hostile one; its figures."""
    directory.mkdir()
    urls = {f"url{i}": f"http://127.0.0.3:{ports[1]}{p}" for i, p in enumerate(paths)}
    offers = [f"      - {{supplier: healthy, id: healthy, url: 'http://127.0.0.2:{ports[0]}/walnut'}}"]
    for line in lines:
        for key, url in urls.items():
            line = line.replace("{" + key + "}", url)
        offers.append("      - " + line)
    (directory / "supplywatch.yml").write_text("\n".join([
        "database: bench.db", "currency: USD",
        "crawl: {contact: bench@example.com, delay_seconds: 0, timeout_seconds: 60, retries: 0}",
        "suppliers:", "  - {id: healthy, name: Healthy Lumber}", "  - {id: hostile, name: Hostile Supplies}",
        "materials:", "  - id: walnut", "    name: Walnut", "    unit: each", "    offers:", *offers, ""]))
    started = time.perf_counter()
    with open(directory / "out.txt", "w") as out, open(directory / "err.txt", "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=directory, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
    rows = sqlite3.connect(directory / "bench.db").execute("SELECT offer_id, status, price, error FROM observations").fetchall()
    return {"code": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "rows": {r[0]: r[1:] for r in rows}, "stderr": (directory / "err.txt").read_text()[-1500:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="names of the pages to try (default: all)")
    args = parser.parse_args()
    print(f"building the hostile pages ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}) ...", flush=True)
    chosen = {k: v for k, v in attacks().items() if not args.only or k in args.only}
    import pickle

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        pages = {path: (body, content_type, headers) for _, served, _ in chosen.values() for path, body, content_type, headers in served}
        (directory / "pages.pickle").write_bytes(pickle.dumps(pages))
        server = multiprocessing.Process(target=serve, args=(str(directory / "pages.pickle"), str(directory / "ports")), daemon=True)
        server.start()
        while not (directory / "ports").exists() or not (directory / "ports").read_text():
            time.sleep(0.05)
        ports = [int(p) for p in (directory / "ports").read_text().split()]

        base = night(directory / "baseline", ports, [], [])
        print(f"\n{'night':<58} {'exit':>4} {'wall s':>7} {'CPU s':>6} {'+CPU s':>7} {'RSS MB':>7}  healthy  hostile offers")
        print(f"{'baseline: the healthy supplier alone':<58} {base['code']:>4} {base['wall']:>7.1f} {base['cpu']:>6.1f} {'':>7} {base['rss']:>7.0f}  "
              f"{_healthy(base)}")
        worst_cpu, worst_rss, failures = 0.0, base["rss"], []
        nights = [(name, what, [p for p, *_ in served], lines) for name, (what, served, lines) in chosen.items()]
        if len(chosen) > 1:
            everything = [line.replace("{url", f"{{url{i}_") for i, (_, _, _, lines) in enumerate(nights) for line in lines]
            paths = {f"url{i}_{j}": p for i, (_, _, ps, _) in enumerate(nights) for j, p in enumerate(ps)}
            nights.append(("all", "every page above in one night", list(paths.values()),
                           [_renumber(line, list(paths)) for line in everything]))
        for name, what, paths, lines in nights:
            figures = night(directory / name, ports, lines, paths)
            extra = figures["cpu"] - base["cpu"]
            hostile = {k: v for k, v in figures["rows"].items() if k != "healthy"}
            print(f"{what[:58]:<58} {figures['code']:>4} {figures['wall']:>7.1f} {figures['cpu']:>6.1f} {extra:>7.1f} {figures['rss']:>7.0f}  "
                  f"{_healthy(figures)}  {_summary(hostile)}")
            for offer_id, (status, price, error) in list(hostile.items())[:1]:
                print(f"{'':<60}e.g. {offer_id}: {status}, {price}, {(error or '')[:110]}")
            if name != "all":
                worst_cpu = max(worst_cpu, extra)
            worst_rss = max(worst_rss, figures["rss"])
            if figures["code"] not in (0, 1) or _healthy(figures) != "12.00 ok" or any(v[1] is not None and k.startswith(("nan", "inf", "e400")) for k, v in hostile.items()):
                failures.append(f"{name}: {figures['stderr']}")
        server.terminate()
    print(f"\nworst CPU one hostile page cost beyond the baseline: {worst_cpu:.1f} s (target <= 10 s)")
    print(f"highest peak RSS of a night: {worst_rss:.0f} MB (target < 500 MB)")
    print("every night completed with the healthy price stored" if not failures else "FAILED:\n" + "\n".join(failures))


def _renumber(line: str, keys: list[str]) -> str:
    for key in keys:
        line = line.replace("{" + key + "}", "{url" + str(keys.index(key)) + "}")
    return line


def _healthy(figures: dict[str, object]) -> str:
    status, price, _ = figures["rows"].get("healthy", (None, None, None))  # type: ignore[union-attr]
    return f"{price:.2f} {status}" if price is not None else f"none ({status})"


def _summary(rows: dict[str, tuple[str, float | None, str | None]]) -> str:
    counts: dict[str, int] = {}
    for status, _, _ in rows.values():
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + (f"; prices: {json.dumps(sorted({p for _, p, _ in rows.values() if p is not None})[:3])}"
                                                                       if any(p is not None for _, p, _ in rows.values()) else "")


if __name__ == "__main__":
    main()
