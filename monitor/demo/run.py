"""``supplywatch demo``: a furniture shop's supplies, watched for months, in under a minute.

Starts the demo supplier site, writes a real ``supplywatch.yml``, crawls the site once per night
for the last N nights (the site serves each night's prices), and evaluates the rules every night,
exactly as the nightly job does.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from .. import alerts, config as config_module, display, notify, pipeline, store
from ..rules.base import Severity
from .site import REAL_END, REAL_START, SHOPS, DemoCatalog, DemoSite

DEFAULT_PORTS = {"oakridge": 8731, "timberline": 8732, "holzhandel": 8733}

CONFIG_TEMPLATE = """\
# supplywatch demo config, written by `supplywatch demo`.
# The three suppliers are the built-in demo site on 127.0.0.1; it runs while `supplywatch demo`
# is serving (or with `supplywatch demo --site-only`), so `supplywatch run` works here too.
database: supplywatch.db
currency: USD
exchange_rates:
  EUR: 1.10                 # USD per EUR, for the German supplier
crawl:
  contact: demo@example.com # goes into the User-Agent
  delay_seconds: 0          # the demo site is on this machine; use 2 or more for real suppliers
notify:
  urls: []                  # no URL: the digest is printed. See README for ntfy / Pushover / Telegram.
suppliers:
  - {{id: oakridge, name: Oakridge Hardwoods, currency: USD, locale: en_US, lead_time_days: 5}}     # schema.org JSON-LD
  - {{id: timberline, name: Timberline Supply Co., currency: USD, locale: en_US, lead_time_days: 7}} # schema.org microdata
  - {{id: holzhandel, name: Holzhandel Berger, currency: EUR, locale: de_DE, lead_time_days: 14}}   # plain HTML, 1.234,56 €
indexes:                    # public price series drawn and judged beside the suppliers' prices
  - id: lumber-ppi
    name: the lumber producer price index
    source: fred            # FRED's CSV of the BLS index WPU081; without url: it is fetched from FRED
    series: WPU081
    url: "{oakridge}/indexes/fredgraph.csv?id=WPU081"   # the demo site serves the copy it ships
    frequency: daily        # the demo squeezes 15 months into its nights, so its months come every few days
    publication_lag_days: {index_lag}
materials:
  - id: walnut-8-4
    name: Black walnut 8/4 FAS
    unit: board_foot
    indexes: [lumber-ppi]   # "expect an increase", "ask for a better price", "this rise is not the market"
    offers:
      - {{supplier: oakridge, url: "{oakridge}/products/walnut-8-4"}}
      - {{supplier: timberline, url: "{timberline}/products/walnut-bundle", pack: 10 board_foot}}
      - supplier: holzhandel
        url: "{holzhandel}/products/nussbaum-m3"
        pack: 1 cubic_meter
        price: "css:.preis::text"
    rules:
      - {{kind: threshold, above: 22.00}}                   # critical: rings the phone
      - {{kind: change, percent: 10, baseline: median_30d}}
      - {{kind: stale, days: 5}}
  - id: baltic-birch-18mm
    name: Baltic birch plywood 18 mm
    unit: sheet                 # counted in sheets
    offers:
      - {{supplier: oakridge, url: "{oakridge}/products/baltic-birch-18mm", pack: 1 sheet}}
      - {{supplier: holzhandel, url: "{holzhandel}/products/birke-multiplex-18", pack: 1 sheet, price: "css:.preis::text"}}
  - id: wood-glue
    name: Wood glue (PVA, D3)
    unit: gal
    offers:
      - {{supplier: timberline, url: "{timberline}/products/titebond-3-gallon", pack: 1 gal}}
      - {{supplier: holzhandel, url: "{holzhandel}/products/holzleim-5l", pack: 5 L, price: "css:.preis::text"}}
products:                   # what the shop makes: costed every night from the cheapest offers
  - id: walnut-side-table
    name: Walnut side table
    yield: 1 table
    price: 520.00           # what one table sells for
    target_margin: 50       # percent: below this, the phone rings "reprice now"
    weekly_plan: 2 tables   # what the shop makes a week: sets how fast each material is used
    recipe:
      walnut-8-4: 12 board_foot
      baltic-birch-18mm: 0.5 sheet
      wood-glue: 12 floz
rules:                      # defaults for materials without rules of their own
  - {{kind: change, percent: 10, baseline: median_30d}}
  - {{kind: stale, days: 5}}
"""


OPENING_STOCK = {"walnut-8-4": "90 board_foot", "baltic-birch-18mm": "6 sheet", "wood-glue": "1 gal"}
QUOTE: dict[str, Any] = {"number": "112", "product_id": "walnut-side-table", "quantity": 8, "customer": "the Hendersons",
         "description": "8 walnut side tables"}


def _owner_acts(db: Any, config: Any, as_of: str, night: int, nights: int) -> None:
    """What the demo's owner does after reading the night's list: orders what is due (delivered at
    once, at the cheapest price of the night), and gives one customer a quote partway through."""
    from ..decisions import quotes, stock

    for row in db.query("SELECT * FROM material_outlook WHERE as_of = ? AND reorder_by <= ? AND best_unit_price IS NOT NULL",
                        [as_of, as_of[:10]]):
        material = next(m for m in config.materials if m.id == row["material_id"])
        amount = config.decisions.cover_weeks * 7 * row["daily_usage"]
        supplier = db.execute("SELECT supplier_id FROM offers WHERE id = ?", [row["best_offer_id"]]).fetchone()[0]
        stock.record(db, config, material.id, "bought", f"{amount:.6g} {material.unit}", at=as_of, price=round(amount * row["best_unit_price"], 2),
                     supplier_id=supplier, note="demo: ordered when the to-do list said so")
    if night == int(nights * 0.6):  # on the way up to the spike's peak; still open when the demo ends
        valid_until = (datetime.fromisoformat(as_of) + timedelta(days=max(nights // 2, 7))).date()
        cost = db.execute("SELECT unit_cost FROM product_costs WHERE product_id = ? AND complete ORDER BY costed_at DESC LIMIT 1",
                          [QUOTE["product_id"]]).fetchone()
        if cost:  # priced as the owner would: 55 % margin on tonight's cost, to the hundred
            price = round(QUOTE["quantity"] * cost[0] / 0.45, -2)
            quotes.add(db, config, valid_until=valid_until, given_on=as_of, price=price, **QUOTE)


def write_config(directory: Path, site: DemoSite) -> Path:
    path = directory / "supplywatch.yml"
    bases = {shop: f"http://127.0.0.1:{port}" for shop, port in site.ports().items()}
    # An index is published about six weeks after its month begins: on the demo's squeezed nights.
    lag = max(round(45 * (site.catalog.nights - 1) / (REAL_END - REAL_START).days), 1)
    path.write_text(CONFIG_TEMPLATE.format(index_lag=lag, **bases), encoding="utf-8")
    return path


def ports_in_config(path: Path) -> dict[str, int]:
    """The demo site's ports as the directory's config has them, so a restarted site matches it."""
    loaded = config_module.load(path)
    return {o.supplier: urlparse(o.url).port or 80 for o in loaded.offers()}


def follow_ports(directory: Path, site: DemoSite) -> dict[str, int]:
    """Point the directory's config at the ports the site got, when one it had was taken by another
    program, so `supplywatch run` in the directory reaches the site; returns each moved shop's name and port."""
    path = directory / "supplywatch.yml"
    had, got = ports_in_config(path), site.ports()
    moved = {shop: port for shop, port in got.items() if had.get(shop, port) != port}
    if moved:
        text = path.read_text(encoding="utf-8")
        for shop, port in moved.items():
            text = text.replace(f"//127.0.0.1:{had[shop]}/", f"//127.0.0.1:{port}/")
        path.write_text(text, encoding="utf-8")
    names = {shop.id: shop.name for shop in SHOPS}
    return {names[shop]: port for shop, port in moved.items()}


def _fresh_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def start_site(directory: Path, nights: int, reuse: bool = False) -> tuple[DemoSite, DemoCatalog]:
    """Start the demo shops; with ``reuse``, on the ports and nights of the demo already in ``directory``."""
    first_night = date.today() - timedelta(days=nights)
    existing = directory / "supplywatch.yml"
    ports = ports_in_config(existing) if existing.exists() else DEFAULT_PORTS
    database = directory / "supplywatch.db"
    if reuse and database.exists():
        first, count = store.open_db(database).execute("SELECT min(as_of), count(*) FROM runs WHERE source = 'demo'").fetchone()
        if count:
            first_night, nights = date.fromisoformat(first[:10]), count
    catalog = DemoCatalog(first_night, nights)
    return DemoSite(catalog, ports), catalog


def fill_history(directory: Path, site: DemoSite, catalog: DemoCatalog, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the config and crawl every night of the demo; returns what the demo prints at the end."""
    config_path = write_config(directory, site)
    config = config_module.load(config_path)
    _fresh_database(config.database_path)
    db, _ = pipeline.open_store(config)
    from ..decisions import indexes, stock

    nights = [datetime.combine(catalog.first_night + timedelta(days=k), datetime.min.time(), timezone.utc)
              .replace(hour=3).isoformat(timespec="seconds") for k in range(catalog.nights)]
    digests: list[str] = []
    totals: dict[str, float] = {"observations": 0, "fired": 0, "resolved": 0}
    offers = [o for o in config.offers() if o.active]
    for material_id, amount in OPENING_STOCK.items():
        stock.record(db, config, material_id, "count", amount, at=nights[0], note="demo: counted on the first night")

    def before_each(as_of: str | None) -> None:
        with catalog.lock:
            catalog.night = date.fromisoformat(as_of[:10]) if as_of else None

    def handle(as_of: str | None, items: list[dict[str, Any]], stats: dict[str, Any]) -> None:
        assert as_of is not None
        with pipeline.Run(db, config, "demo", as_of, expected=offers, echo=lambda _: None) as night:
            night.accept(items)
            result = night.finish()
        _owner_acts(db, config, as_of, nights.index(as_of), len(nights))
        totals["observations"] += len([i for i in items if "offer_id" in i])
        digests.extend(f"{m.title}\n{m.body}" for m in result.messages if m.tag == notify.DIGEST)
        for t in result.transitions:
            if not t.told or t.event == alerts.Event.REMINDED:
                continue
            totals[t.event.value] = totals.get(t.event.value, 0) + 1
            # Moved further: "worse" for a warning or a critical; good news going further (a product's cost
            # falling, an info) is not worse.
            further = "worse" if t.severity.rank > Severity.INFO.rank else "further"
            mark = {alerts.Event.FIRED: t.severity.value, alerts.Event.ESCALATED: further}.get(t.event, t.event.value)
            echo(f"  {display.day(as_of):<11}  {mark:<8}  {t.message}")

    with pipeline.run_lock(config.database_path):
        crawl_started = time.monotonic()
        from ..crawl.local import crawl_nights  # Scrapy is imported only by commands that crawl

        crawl_nights(config, nights, handle, before_each=before_each, log_level="CRITICAL",
                     indexes=indexes.spider_arguments(config.indexes))  # the index, fetched once with its history
        totals["crawl_seconds"] = time.monotonic() - crawl_started
    with catalog.lock:
        catalog.night = None
    return {"config": config_path, "database": config.database_path, "open": alerts.firing(db),
            "last_digest": digests[-1] if digests else None, "messages": len(digests), **totals}
