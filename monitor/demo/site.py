"""A built-in demo supplier website: three shops on 127.0.0.1, each marking prices up its own way.

Prices follow real US producer price indexes (see ``data/SOURCE.md``), so the demo shows
a real spike. The site serves the prices of one night at a time: the demo moves the night
along as it fills its history; afterwards it serves today's.
"""

from __future__ import annotations

import csv
import html
import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

REAL_START, REAL_END = date(2020, 5, 1), date(2021, 8, 1)  # the lumber spike and its fall
USD_PER_EUR = Decimal("1.10")


def _series(name: str) -> list[tuple[date, float]]:
    text = resources.files("monitor.demo").joinpath("data", f"{name}.csv").read_text()
    rows = list(csv.reader(text.splitlines()))[1:]
    return [(date.fromisoformat(d), float(v)) for d, v in rows if v]


def index_on(series: list[tuple[date, float]], day: date) -> float:
    """The monthly index interpolated to one day."""
    for (d0, v0), (d1, v1) in zip(series, series[1:]):
        if d0 <= day < d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return series[-1][1] if day >= series[-1][0] else series[0][1]


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    series: str
    usd_at_base: float  # price of one pack when the index equals its January 2020 value
    pack_label: str
    sku: str


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    currency: str
    markup: str  # json-ld | microdata | plain
    factor: float
    update_every: int  # suppliers reprice weekly-ish, not nightly
    products: tuple[Product, ...]


SHOPS = (
    Shop("oakridge", "Oakridge Hardwoods", "USD", "json-ld", 1.00, 7, (
        Product("walnut-8-4", "Black walnut 8/4 FAS, per board foot", "WPU081", 12.50, "1 board foot", "OAK-WAL84"),
        Product("baltic-birch-18mm", "Baltic birch plywood 18 mm, 5x5 ft sheet", "WPU0811", 62.00, "1 sheet", "OAK-BB18"),
    )),
    Shop("timberline", "Timberline Supply Co.", "USD", "microdata", 0.96, 5, (
        Product("walnut-bundle", "Black walnut 8/4, 10 board foot bundle", "WPU081", 125.00, "10 board feet", "TL-WAL-10"),
        Product("titebond-3-gallon", "Titebond III wood glue, 1 gallon", "PPIACO", 36.00, "1 gallon", "TL-TB3-1G"),
    )),
    Shop("holzhandel", "Holzhandel Berger", "EUR", "plain", 1.04, 9, (
        Product("nussbaum-m3", "Amerikanischer Nussbaum 52 mm, je Kubikmeter", "WPU081", 12.50 * 423.776, "1 m³", "HB-NB52"),
        Product("birke-multiplex-18", "Birke Multiplex 18 mm, Platte 1525x1525", "WPU0811", 60.00, "1 Platte", "HB-BMX18"),
        Product("holzleim-5l", "Holzleim D3, 5-Liter-Kanister", "PPIACO", 36.00 * 5 / 3.785, "5 L", "HB-HL5"),
    )),
)


class DemoCatalog:
    """Which night the site shows, and what each product costs on it."""

    def __init__(self, first_night: date, nights: int):
        self.first_night, self.nights = first_night, nights
        self.night: date | None = None  # None: serve today's prices
        self._series = {name: _series(name) for name in ("WPU081", "WPU0811", "PPIACO")}
        self.lock = threading.Lock()

    def real_day(self, night: date) -> date:
        """Map a demo night onto the real history, compressed to fit the demo's nights."""
        k = min(max((night - self.first_night).days, 0), self.nights - 1)
        span = (REAL_END - REAL_START).days
        return REAL_START + timedelta(days=round(k * span / max(self.nights - 1, 1)))

    def demo_day(self, real: date) -> date:
        """The demo night a real day falls on (the inverse of ``real_day``, not clamped: earlier
        history lands before the first night)."""
        span = (REAL_END - REAL_START).days
        return self.first_night + timedelta(days=round((real - REAL_START).days * max(self.nights - 1, 1) / span))

    def index_csv(self, name: str) -> str:
        """A shipped index in FRED's ``fredgraph.csv`` format, its months moved onto the demo's nights
        (from a year before the spike, so the first nights have history to compare with)."""
        rows = [f"{self.demo_day(day).isoformat()},{value:g}" for day, value in self._series[name]
                if REAL_START - timedelta(days=400) <= day <= REAL_END]
        return f"observation_date,{name}\n" + "\n".join(rows) + "\n"

    def price(self, shop: Shop, product: Product, night: date) -> Decimal:
        k = (night - self.first_night).days
        priced_on = self.first_night + timedelta(days=k - k % shop.update_every)  # sticky prices
        series = self._series[product.series]
        base = index_on(series, date(2020, 1, 1))
        usd = Decimal(product.usd_at_base * shop.factor * index_on(series, self.real_day(priced_on)) / base)
        amount = usd / USD_PER_EUR if shop.currency == "EUR" else usd
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def scenario(self, shop: Shop, product: Product, night: date) -> str:
        """Real sites break: a shop redesigns a page, runs out of glue, has a bad night."""
        k = (night - self.first_night).days
        n = self.nights
        if shop.id == "holzhandel" and product.slug == "birke-multiplex-18" and int(n * 0.55) <= k < int(n * 0.55) + 9:
            return "redesigned"
        if shop.id == "timberline" and product.slug == "titebond-3-gallon" and int(n * 0.3) <= k < int(n * 0.3) + 6:
            return "out-of-stock"
        if shop.id == "oakridge" and k == int(n * 0.8):
            return "down"
        return "normal"

    def current_night(self) -> date:
        with self.lock:
            return self.night or date.today()


def _money(amount: Decimal, european: bool) -> str:
    text = f"{amount:,.2f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".") if european else text


def render(shop: Shop, product: Product, price: Decimal, scenario: str) -> str:
    """The product page in the shop's own style of markup."""
    in_stock = scenario != "out-of-stock"
    availability = "https://schema.org/InStock" if in_stock else "https://schema.org/OutOfStock"
    title = html.escape(product.name)
    head, body = "", ""
    if shop.markup == "json-ld":
        graph = {"@context": "https://schema.org", "@graph": [
            {"@type": "Organization", "name": shop.name},
            {"@type": "BreadcrumbList", "itemListElement": [{"@type": "ListItem", "position": 1, "name": "Lumber"}]},
            {"@type": "Product", "name": product.name, "sku": product.sku,
             "offers": [{"@type": "Offer", "price": str(price), "priceCurrency": shop.currency, "availability": availability}]},
        ]}
        head = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
        body = f"<h1>{title}</h1><p class=price>${_money(price, False)}</p><p>Free shipping on orders over $500!</p>"
    elif shop.markup == "microdata":
        body = (f'<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">{title}</h1>'
                f'<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
                f'<span itemprop="price" content="{price}">${_money(price, False)}</span>'
                f'<meta itemprop="priceCurrency" content="{shop.currency}"><link itemprop="availability" href="{availability}">'
                f'</div><p>{"In stock" if in_stock else "Out of stock"} - pack: {html.escape(product.pack_label)}</p></div>')
    else:
        price_html = "" if scenario == "redesigned" else f'<span class="preis">{_money(price, True)} €</span>'
        body = (f"<h1>{title}</h1><div class=artikel>Art.-Nr. {product.sku}<br>{price_html}"
                f"<br><small>inkl. MwSt., zzgl. Versand ab 49,00 €</small></div>")
    return f"<!doctype html><html><head><meta charset=utf-8><title>{title} - {html.escape(shop.name)}</title>{head}</head><body>{body}</body></html>"


def _handler(shop: Shop, catalog: DemoCatalog) -> type[BaseHTTPRequestHandler]:
    products = {f"/products/{p.slug}": p for p in shop.products}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            night = catalog.current_night()
            if self.path == "/robots.txt":
                return self._send(200, "User-agent: *\nDisallow: /cart\n", "text/plain")
            if self.path.startswith("/indexes/fredgraph.csv?id="):  # the shipped index, as FRED serves it
                name = self.path.split("=", 1)[1]
                if name not in ("WPU081", "WPU0811", "PPIACO"):
                    return self._send(404, "<h1>Not found</h1>")
                return self._send(200, catalog.index_csv(name), "text/csv; charset=utf-8")
            product = products.get(self.path)
            if product is None:
                return self._send(404, "<h1>Not found</h1>")
            scenario = catalog.scenario(shop, product, night)
            if scenario == "down":
                return self._send(503, "<h1>Down for maintenance</h1>")
            return self._send(200, render(shop, product, catalog.price(shop, product, night), scenario))

        def _send(self, status: int, text: str, content_type: str = "text/html; charset=utf-8") -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the demo prints its own story
            pass

    return Handler


class DemoSite:
    """The three shops, each on its own port of 127.0.0.1, served from background threads."""

    def __init__(self, catalog: DemoCatalog, ports: dict[str, int] | None = None):
        self.catalog = catalog
        self.servers: dict[str, ThreadingHTTPServer] = {}
        for shop in SHOPS:
            port = (ports or {}).get(shop.id, 0)
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), _handler(shop, catalog))
            except OSError:
                server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(shop, catalog))
            server.daemon_threads = True
            self.servers[shop.id] = server
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, shop_id: str, slug: str) -> str:
        return f"http://127.0.0.1:{self.servers[shop_id].server_address[1]}/products/{slug}"

    def ports(self) -> dict[str, int]:
        return {shop_id: s.server_address[1] for shop_id, s in self.servers.items()}

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
