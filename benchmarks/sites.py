"""Many supplier sites for the benchmarks, each on its own loopback address, served by one process.

Linux routes all of 127.0.0.0/8 to the loopback interface, so supplier ``i`` listens on its own
address (127.0.0.2 ... 127.0.0.254, then 127.0.1.1 ...): its own Scrapy download slot, its own
host for the politeness rules, as real suppliers on their own domains. One asyncio loop serves them
all (2,000 listening sockets cost nothing; 2,000 server threads would). Each product page is about
12 KB with a JSON-LD offer, as ``benchmarks/crawl.py`` serves them.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

FILLER = "<p>" + "Kiln-dried, graded to NHLA rules, shipped on pallets. " * 12 + "</p>"
ROBOTS = b"User-agent: *\nAllow: /\n"


def address(supplier: int) -> str:
    """Supplier ``i``'s loopback address: 127.0.0.2 onwards, 250 to a block."""
    block, offset = divmod(supplier, 250)
    return f"127.0.{block}.{offset + 2}"


def page(i: int, night: int = 0, script: bool = False) -> bytes:
    """A product page; ``script``: the price is written by JavaScript only (a page to render)."""
    price = f"{20 + (i % 97) + 0.25 * (night % 3):.2f}"
    nav = "".join(f'<li><a href="/c/{c}">Category {c}</a></li>' for c in range(40))
    if script:
        head = f"<title>Item {i}</title>"
        price_html = ('<div class="price" id="price"></div><script>setTimeout(function () {'
                      f'document.getElementById("price").textContent = "${price}"; }}, 50);</script>')
    else:
        head = (f'<title>Item {i}</title><script type="application/ld+json">{{"@context": "https://schema.org", '
                f'"@type": "Product", "name": "Item {i}", "sku": "SKU-{i}", "offers": {{"@type": "Offer", "price": "{price}", '
                f'"priceCurrency": "USD", "availability": "https://schema.org/InStock"}}}}</script>')
        price_html = f'<div class="price">${price}</div>'
    return textwrap.dedent(f"""\
        <!doctype html><html><head>{head}</head>
        <body><nav><ul>{nav}</ul></nav><main><h1>Item {i}</h1>{price_html}
        {FILLER * 8}<aside class="related"><h2>Customers also bought</h2><span class="other">$9.99</span></aside>
        </main><footer>{FILLER}</footer></body></html>""").encode()


class Counts:
    """What the sites saw: pages served per path, the most requests one site had at once, and when
    the first and the last page were asked for (``time.monotonic()``: the machine's clock, the one a
    benchmark reads too)."""

    def __init__(self) -> None:
        self.served: dict[str, int] = {}
        self.in_flight: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.first: float | None = None
        self.last: float | None = None

    def clear(self) -> None:
        """Count a new crawl of the same sites."""
        self.served, self.in_flight, self.most_at_once, self.first, self.last = {}, {}, {}, None, None

    def as_json(self) -> bytes:
        return json.dumps({"served": self.served, "most_at_once": self.most_at_once, "first": self.first, "last": self.last}).encode()


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, night: "multiprocessing.Value[int]",
                  script: bool, latency: float, counts: Counts, site: str) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            if path == "/_counts":
                body, kind = counts.as_json(), b"application/json"
            elif path == "/_reset":
                counts.clear()
                body, kind = counts.as_json(), b"application/json"
            elif path == "/robots.txt":
                body, kind = ROBOTS, b"text/plain"
            else:
                counts.last = time.monotonic()
                counts.first = counts.first or counts.last
                counts.in_flight[site] = counts.in_flight.get(site, 0) + 1
                counts.most_at_once[site] = max(counts.most_at_once.get(site, 0), counts.in_flight[site])
                try:
                    if latency:
                        await asyncio.sleep(latency)
                    body, kind = page(int(path.rsplit("/", 1)[-1]), night.value, script), b"text/html; charset=utf-8"
                finally:
                    counts.in_flight[site] -= 1
                counts.served[f"{site}{path}"] = counts.served.get(f"{site}{path}", 0) + 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\nContent-Length: " + str(len(body)).encode()
                         + b"\r\n\r\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
        pass
    finally:
        writer.close()


def _serve(suppliers: int, port_file: str, night: "multiprocessing.Value[int]", script: bool, latency: float) -> None:
    counts = Counts()

    async def main() -> None:
        ports = []
        for s in range(suppliers):
            host = address(s)
            server = await asyncio.start_server(lambda r, w, site=host: _answer(r, w, night, script, latency, counts, site),
                                                host, 0, backlog=64)
            ports.append(server.sockets[0].getsockname()[1])
        Path(port_file).write_text(" ".join(map(str, ports)))
        await asyncio.Event().wait()

    asyncio.run(main())


class Sites:
    """``suppliers`` sites in a separate process; ``url(supplier, item)`` is a product page."""

    def __init__(self, suppliers: int, folder: Path, script: bool = False, latency: float = 0.0):
        self.suppliers = suppliers
        self.night = multiprocessing.Value("i", 0)
        port_file = folder / "ports"
        self.process = multiprocessing.Process(target=_serve, args=(suppliers, str(port_file), self.night, script, latency), daemon=True)
        self.process.start()
        while not port_file.exists() or not port_file.read_text():
            if not self.process.is_alive():
                raise SystemExit("the supplier sites did not start")
            time.sleep(0.05)
        self.ports = [int(p) for p in port_file.read_text().split()]

    def url(self, supplier: int, item: int) -> str:
        return f"http://{address(supplier)}:{self.ports[supplier]}/p/{item}"

    def counts(self, reset: bool = False) -> dict[str, Any]:
        """Pages served per site and path, the most requests each site had in flight at once, and the
        moments (``time.monotonic()``) the first and last page were asked for; ``reset``: then start
        counting anew."""
        path = "_reset" if reset else "_counts"
        with urllib.request.urlopen(f"http://{address(0)}:{self.ports[0]}/{path}", timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)
