"""Real, small things for tests: supplier sites and an Apprise sink on 127.0.0.1, temp SQLite files."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
import os
import subprocess
import sys
import time
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def product_page(price: str | None, markup: str = "json-ld", currency: str = "USD", in_stock: bool = True) -> str:
    """A supplier product page marked up as real shops do; ``price=None`` means the price is gone."""
    availability = "https://schema.org/InStock" if in_stock else "https://schema.org/OutOfStock"
    if markup == "json-ld":
        offer = {"@type": "Offer", "priceCurrency": currency, "availability": availability}
        if price is not None:
            offer["price"] = price
        data = {"@context": "https://schema.org", "@type": "Product", "name": "Walnut", "offers": offer}
        return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>Walnut</h1></body></html>'
    if markup == "microdata":
        price_html = f'<span itemprop="price" content="{price}">{price}</span>' if price else ""
        return (f'<html><body><div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Walnut</span>'
                f'<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">{price_html}'
                f'<meta itemprop="priceCurrency" content="{currency}"></div></div></body></html>')
    if markup == "opengraph":
        meta = f'<meta property="product:price:amount" content="{price}">' if price else ""
        return f'<html><head><meta property="og:title" content="Walnut">{meta}<meta property="product:price:currency" content="{currency}"></head><body></body></html>'
    price_html = f'<span class="preis">{price}</span>' if price else "<span>Preis auf Anfrage</span>"
    return f"<html><body><h1>Nussbaum</h1>{price_html}</body></html>"


class SupplierSite:
    """One supplier's website on 127.0.0.1: pages can be changed between runs."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = HTTPServer(host=host, threaded=True)
        self.server.start()
        self.pages: dict[str, tuple[int, Any, str]] = {}
        self.served: dict[str, int] = {}
        self.times: list[tuple[str, float]] = []  # (path, when) of every page request
        self.robots = "User-agent: *\nDisallow: /private\n"
        self.server.expect_request("/robots.txt").respond_with_handler(lambda r: Response(self.robots, content_type="text/plain"))
        self.server.expect_request(re.compile(r"^/p/")).respond_with_handler(self._page)

    def _page(self, request: Request) -> Response:
        status, body, content_type = self.pages.get(request.path, (404, "not found", "text/html"))
        if isinstance(body, list):  # a page that changes from one request to the next
            served = self.served.get(request.path, 0)
            self.served[request.path] = served + 1
            body = body[min(served, len(body) - 1)]
        self.times.append((request.path, time.monotonic()))
        if isinstance(body, Response):  # a whole answer: status, headers and all
            return body
        if status == -1:  # a page that never answers in time
            time.sleep(float(body))
            return Response("too late", status=200)
        return Response(body, status=status, content_type=content_type)

    def set(self, name: str, body: str | bytes, status: int = 200, content_type: str = "text/html; charset=utf-8") -> str:
        self.pages[f"/p/{name}"] = (status, body, content_type)
        return self.url(name)

    def url(self, name: str) -> str:
        return self.server.url_for(f"/p/{name}")

    def requests(self, name: str) -> list[Any]:
        return [r for r, _ in self.server.log if r.path == f"/p/{name}"]

    def stop(self) -> None:
        self.server.clear()
        self.server.stop()


@pytest.fixture
def sites() -> Iterator[Callable[[], SupplierSite]]:
    made: list[SupplierSite] = []

    def make() -> SupplierSite:
        made.append(SupplierSite())
        return made[-1]

    yield make
    for site in made:
        site.stop()


class AppriseSink:
    """What Apprise's ``json://`` posts to: records every message, can be told to fail."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = HTTPServer(host=host, threaded=True)
        self.server.start()
        self.messages: list[dict[str, Any]] = []
        self.failing = False
        self.delay = 0.0  # seconds before answering: a slow endpoint
        self.server.expect_request("/notify", method="POST").respond_with_handler(self._receive)

    def _receive(self, request: Request) -> Response:
        time.sleep(self.delay)
        if self.failing:
            return Response("down", status=500)
        self.messages.append(json.loads(request.get_data()))
        return Response("{}", content_type="application/json")

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.port}/notify"


@pytest.fixture
def sink() -> Iterator[AppriseSink]:
    s = AppriseSink()
    yield s
    s.server.clear()
    s.server.stop()


@pytest.fixture
def phone() -> Iterator[AppriseSink]:
    """A second sink, for the URL tagged ``phone``: what reaches it is what rings."""
    s = AppriseSink()
    yield s
    s.server.clear()
    s.server.stop()


def write_config(directory: Path, materials_yaml: str, suppliers_yaml: str | None = None, notify_yaml: str = "urls: []", extra: str = "") -> Path:
    """A supplywatch.yml with fast crawl settings; the YAML snippets are indented for you."""
    suppliers_yaml = suppliers_yaml or """
        - {id: acme, name: Acme Lumber, currency: USD, locale: en_US}
        - {id: berger, name: Holz Berger, currency: EUR, locale: de_DE}
        - {id: corner, name: Corner Shop, currency: USD, locale: en_US}
    """
    text = (
        "database: supplywatch.db\ncurrency: USD\nexchange_rates: {EUR: 1.10}\n"
        "crawl: {contact: owner@example.com, delay_seconds: 0, timeout_seconds: 2, retries: 0}\n"
        f"notify:\n{textwrap.indent(textwrap.dedent(notify_yaml).strip(), '  ')}\n"
        f"suppliers:\n{textwrap.indent(textwrap.dedent(suppliers_yaml).strip(), '  ')}\n"
        f"materials:\n{textwrap.indent(textwrap.dedent(materials_yaml).strip(), '  ')}\n" + extra
    )
    path = directory / "supplywatch.yml"
    path.write_text(text, encoding="utf-8")
    return path


def supplywatch(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a fresh process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """A database filled by really crawling the demo site for 60 nights (shared by the browsing tests)."""
    directory = tmp_path_factory.mktemp("demo")
    result = supplywatch("demo", "--no-serve", "--nights", "60", "--dir", str(directory), cwd=directory, timeout=300)
    assert result.returncode == 0, result.stderr
    return directory, result.stdout


EVIL = "<script>alert('owned')</script> Ltd"
NAMES = """
- id: screws
  name: "Screws <M6>"
  unit: box
  offers:
    - {supplier: ab, url: "http://127.0.0.1:9/screws"}
    - {supplier: evil, url: "http://127.0.0.1:9/screws-evil"}
- id: flour
  name: "Flour & Co's \\"best\\""
  unit: kg
  offers:
    - {supplier: ab, url: "http://127.0.0.1:9/flour", pack: 1 sack}
"""


@pytest.fixture(scope="session")
def names_db(tmp_path_factory):
    """A store whose names are full of markup, filled through the real pipeline (prices added by hand)."""
    directory = tmp_path_factory.mktemp("names")
    path = write_config(directory, NAMES, suppliers_yaml=f"""
        - {{id: ab, name: "A&B Supply", currency: USD, locale: en_US}}
        - {{id: evil, name: "{EVIL}", currency: USD, locale: en_US}}
    """, extra="units: {box: 100 each, sack: 25 kg}\nproducts:\n  - {id: kit, name: \"Kit <b>bold</b>\", yield: 10 kits, price: 5, "
               "target_margin: 40, recipe: {screws: 0.5 box, flour: 2 kg}}\n")
    from monitor import config as config_module, pipeline

    config = config_module.load(path)
    for day, screws, evil, flour in (("2026-03-01", "8.00", "9.00", "20.00"), ("2026-03-02", "8.00", "9.50", "20.00"),
                                     ("2026-03-20", "8.40", "9.50", "21.00"), ("2026-04-05", "9.20", "9.00", "24.00")):
        for offer, price in (("screws@ab", screws), ("screws@evil", evil), ("flour@ab", flour)):
            pipeline.add_price(config, offer, price, f"{day}T12:00:00+00:00", echo=lambda _: None)
    return directory


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """`supplywatch serve` running in ``directory`` on a free port; yields its base URL."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--port", str(port)], cwd=directory)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json").close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("supplywatch serve did not answer")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


class SmtpSink:
    """A mail server on 127.0.0.1 that keeps every message it is given (for Apprise's mailto://)."""

    def __init__(self) -> None:
        import email
        import email.policy
        import socketserver
        import threading

        self.messages: list[Any] = []  # email.message.EmailMessage
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 127.0.0.1 test sink")
                data: list[bytes] | None = None
                for line in self.rfile:
                    if data is not None:
                        if line.rstrip(b"\r\n") == b".":
                            sink.messages.append(email.message_from_bytes(b"".join(data), policy=email.policy.default))
                            data = None
                            self.reply("250 kept")
                        else:
                            data.append(line[1:] if line.startswith(b"..") else line)
                        continue
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        self.reply("250-127.0.0.1")
                        self.reply("250 AUTH PLAIN LOGIN")
                    elif verb == b"AUTH":
                        self.reply("235 fine")
                    elif verb == b"DATA":
                        data = []
                        self.reply("354 go on")
                    elif verb == b"QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.server.server_address[1]}?from=supplywatch@example.com&to=owner@example.com&mode=insecure"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    s = SmtpSink()
    yield s
    s.close()


@contextmanager
def serve_process(directory: Path, *args: str, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`supplywatch serve` (with ``args``, the command after ``prefix``) running in ``directory`` on
    a free port; yields its base URL and the process, for tests that look at the server itself."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([*prefix, sys.executable, "-m", "monitor", "serve", "--port", str(port), *args], cwd=directory)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise RuntimeError(f"supplywatch serve exited with {process.returncode}")
            try:
                urllib.request.urlopen(f"{base}/-/versions.json").close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("supplywatch serve did not answer")
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def peak_memory_mb(pid: int) -> float:
    """The most resident memory a running process has used (Linux's VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc (not Linux?)")


def without_root_powers() -> tuple[str, ...]:
    """A command prefix under which file permissions hold: as root (a container, CI), the same user
    without the capabilities that override them; otherwise nothing."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")


def store_history(config_path: Path, prices: dict[str, list[tuple[str, float]]], in_stock: bool = True) -> None:
    """Past nights of offer prices written through the real store, for tests that need months of
    history (crawling a local site hundreds of times would only be slower, not more real)."""
    from monitor import config as config_module, store

    config = config_module.load(config_path)
    db = store.open_db(config.database_path)
    store.sync_config(db, config)
    for day in sorted({d for rows in prices.values() for d, _ in rows}):
        as_of = f"{day}T03:00:00+00:00"
        run_id = store.start_run(db, "history", as_of)
        items = [{"offer_id": offer_id, "status": "ok", "price": repr(price), "fetched_at": as_of, "in_stock": in_stock}
                 for offer_id, rows in prices.items() for d, price in rows if d == day]
        rows = store.record_observations(db, config, run_id, items)
        store.finish_run(db, run_id, "ok", store.summarize(rows), "history")
    db.close()


def days_between(first: str, last: str, step: int = 1) -> list[str]:
    """ISO days from ``first`` to ``last``, every ``step`` days."""
    from datetime import date, timedelta

    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=k)).isoformat() for k in range(0, (end - start).days + 1, step)]
