"""What the owner's pages show, read from the store: plain functions over one SQLite connection
(Datasette hands them its read connection), returning records the templates print."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

# Runs that are nights of crawling (or feeds of one): a price added by hand is not "the last run".
NIGHTLY_SOURCES = "(source = 'crawl' OR source LIKE 'crawl:%' OR source LIKE 'ingest:%' OR source = 'demo')"
SPARK_DAYS = 90
HOME_MATERIALS = 40  # more than this on the home page and it stops being a glance
STALE_DAYS = 7  # an offer without a newer price is not one to buy from today


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _one(conn: sqlite3.Connection, sql: str, params: Any = ()) -> dict[str, Any] | None:
    found = _rows(conn, sql, params)
    return found[0] if found else None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _change(now: float | None, then: float | None) -> float | None:
    return None if now is None or not then else (now / then - 1) * 100


def _since(now: datetime, days: int) -> str:
    """Where a page's charts start: ``days`` before ``now``, or the first price for 0 ("everything")."""
    return _iso(now - timedelta(days=days)) if days else ""


def home_currency(conn: sqlite3.Connection, configured: str | None = None) -> str:
    """The currency unit prices are in: the config's (when `supplywatch serve` knows it), else the
    currency of a price that needed no conversion, else US dollars."""
    if configured:
        return configured
    row = conn.execute("SELECT currency FROM observations WHERE fx_rate = 1 AND status = 'ok' ORDER BY id DESC LIMIT 1").fetchone()
    if row:
        return str(row[0])
    row = conn.execute("SELECT currency FROM product_costs ORDER BY id DESC LIMIT 1").fetchone()
    return str(row[0]) if row else "USD"


def latest_time(conn: sqlite3.Connection) -> datetime:
    """"Now" for the pages: the newest price stored (the demo's nights are in the past)."""
    row = conn.execute("SELECT max(fetched_at) FROM observations").fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else datetime.now(timezone.utc)


# ---- the home page ---------------------------------------------------------------------------

@dataclass
class MaterialLine:
    id: str
    name: str
    unit: str
    cheapest: float | None
    supplier: str | None
    change_30d: float | None
    trend: list[float]
    offers: int
    problems: int
    priced_at: str | None


@dataclass
class ProductLine:
    id: str
    name: str
    yield_unit: str
    unit_cost: float | None
    complete: bool
    margin: float | None
    target: float | None
    change_30d: float | None
    trend: list[float]


@dataclass
class Move:
    material_id: str
    material: str
    supplier: str
    unit: str
    before: float
    now: float

    @property
    def percent(self) -> float:
        return (self.now / self.before - 1) * 100


@dataclass
class Sent:
    """A message as it was sent (or is still waiting to be)."""

    when: str
    tag: str
    title: str
    lines: list[str]
    delivered: bool
    last_error: str | None


@dataclass
class Home:
    currency: str
    last_run: dict[str, Any] | None
    added_by_hand: int
    open_alerts: dict[str, int]
    sent: list[Sent]
    materials: list[MaterialLine]
    more_materials: int
    movers: list[Move]
    products: list[ProductLine]
    problems: list[dict[str, Any]]
    to_do: list[dict[str, Any]] = field(default_factory=list)


def to_do(conn: sqlite3.Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The open to-do list (reorders, buys, quotes, suppliers to call), most urgent first."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'to_do'").fetchone():
        return []
    return _rows(conn, "SELECT due, urgent, message, kind FROM to_do WHERE done_at IS NULL "
                       "ORDER BY urgent DESC, coalesce(due, '9999'), key LIMIT ?", [limit])


def _daily_cheapest(conn: sqlite3.Connection, material_ids: list[str], since: str) -> dict[str, list[float]]:
    """Each material's cheapest landed unit price per day since ``since``, oldest first."""
    trends: dict[str, list[float]] = {}
    for material_id in material_ids:  # one index range each: the home page shows a few dozen at most
        trends[material_id] = [row[1] for row in conn.execute(
            "SELECT substr(fetched_at, 1, 10) AS day, min(landed_unit_price) FROM observations "
            "WHERE material_id = ? AND fetched_at >= ? AND status = 'ok' AND landed_unit_price IS NOT NULL GROUP BY day ORDER BY day",
            [material_id, since])]
    return trends


def _price_before(conn: sqlite3.Connection, offer_id: str, moment: str) -> float | None:
    row = conn.execute("SELECT landed_unit_price FROM observations WHERE offer_id = ? AND status = 'ok' AND fetched_at <= ? "
                       "ORDER BY fetched_at DESC LIMIT 1", [offer_id, moment]).fetchone()
    return row[0] if row else None


def _price_days_before(conn: sqlite3.Connection, offer: dict[str, Any], days: int) -> float | None:
    """The offer's price ``days`` before its newest one: what a change over that span is measured from."""
    return _price_before(conn, offer["offer_id"], _iso(datetime.fromisoformat(offer["priced_at"]) - timedelta(days=days)))


def _cheapest_buyable(offers: list[dict[str, Any]], stale_before: str) -> dict[str, Any] | None:
    """The cheapest offer one could buy from today: priced, not out of stock, priced lately."""
    buyable = [o for o in offers if o["price"] is not None and o["in_stock"] != 0 and o["priced_at"] >= stale_before]
    return min(buyable, key=lambda o: o["price"]) if buyable else None


def _latest_cost(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    return _one(conn, "SELECT * FROM product_costs WHERE product_id = ? ORDER BY costed_at DESC LIMIT 1", [product_id])


def offers_now(conn: sqlite3.Connection, material_id: str | None = None) -> list[dict[str, Any]]:
    """Every active offer's newest valid price (landed, home currency) with its newest fetch's status."""
    where = "AND f.material_id = ?" if material_id else ""
    return _rows(conn, f"""
        SELECT f.id AS offer_id, f.material_id, f.url, s.name AS supplier, m.name AS material, m.unit,
               o.landed_unit_price AS price, o.unit_price AS listed, o.price AS page_price, o.currency AS page_currency,
               o.pack, o.fetched_at AS priced_at, o.in_stock,
               (SELECT x.status FROM observations x WHERE x.offer_id = f.id ORDER BY x.fetched_at DESC LIMIT 1) AS last_status,
               (SELECT x.error FROM observations x WHERE x.offer_id = f.id ORDER BY x.fetched_at DESC LIMIT 1) AS last_error
        FROM offers f JOIN suppliers s ON s.id = f.supplier_id JOIN materials m ON m.id = f.material_id
        LEFT JOIN latest_observations l ON l.offer_id = f.id LEFT JOIN observations o ON o.id = l.observation_id
        WHERE f.active {where} ORDER BY m.name, o.landed_unit_price IS NULL, o.landed_unit_price, s.name""",
        [material_id] if material_id else [])


def home(conn: sqlite3.Connection, currency: str | None = None) -> Home:
    now = latest_time(conn)
    since = _iso(now - timedelta(days=SPARK_DAYS))
    last_run = _one(conn, f"SELECT * FROM runs WHERE {NIGHTLY_SOURCES} ORDER BY id DESC LIMIT 1")
    by_hand = conn.execute("SELECT count(*) FROM runs WHERE source = 'manual' AND id > ?", [last_run["id"] if last_run else 0]).fetchone()[0]
    severities = {r["severity"]: r["n"] for r in _rows(conn, "SELECT severity, count(*) AS n FROM alerts WHERE state = 'firing' GROUP BY severity")}
    offers = offers_now(conn)
    by_material: dict[str, list[dict[str, Any]]] = {}
    for o in offers:
        by_material.setdefault(o["material_id"], []).append(o)
    materials = []
    for m in _rows(conn, "SELECT id, name, unit FROM materials WHERE id IN (SELECT material_id FROM offers WHERE active) ORDER BY name"):
        mine = by_material.get(m["id"], [])
        stale_before = _iso(now - timedelta(days=STALE_DAYS))
        best = _cheapest_buyable(mine, stale_before)
        change = _change(best["price"], _price_days_before(conn, best, 30)) if best is not None else None
        problems = sum(1 for o in mine if o["last_status"] not in ("ok", None) or o["price"] is None or o["priced_at"] < stale_before)
        materials.append(MaterialLine(m["id"], m["name"], m["unit"], best["price"] if best else None, best["supplier"] if best else None,
                                      change, [], len(mine), problems, best["priced_at"] if best else None))
    hidden = 0
    if len(materials) > HOME_MATERIALS:  # a glance, not a ledger: the biggest moves and the problems first
        materials.sort(key=lambda m: (-(m.problems > 0), -abs(m.change_30d or 0)))
        hidden = len(materials) - HOME_MATERIALS
        materials = sorted(materials[:HOME_MATERIALS], key=lambda m: m.name)
    trends = _daily_cheapest(conn, [m.id for m in materials], since)
    for line in materials:
        line.trend = trends.get(line.id, [])
    movers = []
    for o in offers:
        if o["price"] is None:
            continue
        then = _price_days_before(conn, o, 30)
        if then and abs(o["price"] / then - 1) >= 0.005:
            movers.append(Move(o["material_id"], o["material"], o["supplier"], o["unit"], then, o["price"]))
    movers.sort(key=lambda m: -abs(m.percent))
    return Home(
        currency=home_currency(conn, currency), last_run=last_run, added_by_hand=by_hand, open_alerts=severities,
        sent=recent_messages(conn, now - timedelta(days=14), limit=5), materials=materials, more_materials=hidden, movers=movers[:8],
        products=product_lines(conn, now), problems=[o for o in offers if o["last_status"] not in ("ok", None)][:8],
        to_do=to_do(conn),
    )


def recent_messages(conn: sqlite3.Connection, since: datetime, limit: int = 6) -> list[Sent]:
    """What reached (or is waiting to reach) the phone and the inbox lately, newest first."""
    found = []
    for n in _rows(conn, "SELECT n.*, r.as_of FROM notifications n LEFT JOIN runs r ON r.id = n.run_id "
                         "WHERE coalesce(r.as_of, n.created_at) >= ? ORDER BY n.id DESC LIMIT ?", [_iso(since), limit]):
        # "(message #95)" matches a phone copy with its digest copy; on the page it is only a number.
        lines = [line for line in n["body"].splitlines() if line.strip() and not re.fullmatch(r"\(message #\d+\)", line.strip())]
        found.append(Sent(n["as_of"] or n["created_at"], n["tag"], n["title"], lines, n["delivered_at"] is not None, n["last_error"]))
    return found


def product_lines(conn: sqlite3.Connection, now: datetime) -> list[ProductLine]:
    since = _iso(now - timedelta(days=SPARK_DAYS))
    lines = []
    for p in _rows(conn, "SELECT * FROM products ORDER BY name"):
        latest = _latest_cost(conn, p["id"])
        history = [r[0] for r in conn.execute("SELECT unit_cost FROM product_costs WHERE product_id = ? AND complete AND costed_at >= ? "
                                              "ORDER BY costed_at", [p["id"], since])]
        change = None
        if latest and latest["complete"]:
            then = conn.execute("SELECT unit_cost FROM product_costs WHERE product_id = ? AND complete AND costed_at <= ? ORDER BY costed_at DESC "
                                "LIMIT 1", [p["id"], _iso(datetime.fromisoformat(latest["costed_at"]) - timedelta(days=30))]).fetchone()
            change = _change(latest["unit_cost"], then[0] if then else None)
        lines.append(ProductLine(p["id"], p["name"], p["yield_unit"], latest["unit_cost"] if latest else None,
                                 bool(latest and latest["complete"]), latest["margin_percent"] if latest else None,
                                 p["target_margin"], change, history))
    return lines


EVENT_WORDS = {"fired": "sent", "escalated": "moved further", "resolved": "cleared", "retired": "closed: the config changed"}


def told_events(conn: sqlite3.Connection, where: str, key: str) -> list[dict[str, Any]]:
    """What alerts told the owner about one material or product, newest first: each message as it was
    sent that night (the event log), with where its alert stands now (weekly reminders left out)."""
    return _rows(conn, "SELECT e.night, e.event, e.severity, e.message, e.value, e.observation_id, e.observed_at, a.kind, a.state, "
                       "a.resolved_at, a.offer_id, o.landed_unit_price AS price_then, o.fetched_at AS priced_at, s.name AS supplier "
                       "FROM alert_events e JOIN alerts a ON a.id = e.alert_id LEFT JOIN observations o ON o.id = e.observation_id "
                       "AND o.offer_id = a.offer_id LEFT JOIN suppliers s ON s.id = o.supplier_id "
                       f"WHERE a.{where} = ? AND e.told AND e.event != 'reminded' ORDER BY e.night DESC, e.id DESC LIMIT 50", [key])


# ---- one material ----------------------------------------------------------------------------

@dataclass
class MaterialPage:
    id: str
    name: str
    unit: str
    currency: str
    offers: list[dict[str, Any]]
    history: dict[str, list[tuple[date, float]]]  # supplier -> (day, landed unit price)
    markers: list[tuple[str, date, float, str, str]]  # (supplier, day, price, severity, message)
    alerts: list[dict[str, Any]]
    days: int
    products: list[dict[str, Any]] = field(default_factory=list)


def find(conn: sqlite3.Connection, table: str, key: str) -> dict[str, Any] | None:
    """A material or product by its id, or by its name whatever the case."""
    return (_one(conn, f"SELECT * FROM {table} WHERE id = ?", [key])
            or _one(conn, f"SELECT * FROM {table} WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [key.strip()]))


def material(conn: sqlite3.Connection, key: str, days: int, currency: str | None = None) -> MaterialPage | None:
    row = find(conn, "materials", key)
    if row is None:
        return None
    now = latest_time(conn)
    since = _since(now, days)
    offers = offers_now(conn, row["id"])
    stale_before = _iso(now - timedelta(days=STALE_DAYS))
    cheapest = _cheapest_buyable(offers, stale_before)
    for o in offers:
        o["cheapest"] = o is cheapest
        o["stale"] = o["price"] is not None and o["priced_at"] < stale_before
        for span in (7, 30):
            o[f"change_{span}d"] = _change(o["price"], _price_days_before(conn, o, span) if o["price"] else None)
    history: dict[str, list[tuple[date, float]]] = {}
    supplier_of = {}
    for offer_id, supplier, fetched_at, price in conn.execute(
        "SELECT o.offer_id, s.name, o.fetched_at, o.landed_unit_price FROM observations o JOIN suppliers s ON s.id = o.supplier_id "
        "JOIN offers f ON f.id = o.offer_id WHERE o.material_id = ? AND o.status = 'ok' AND o.landed_unit_price IS NOT NULL "
        "AND o.fetched_at >= ? AND f.active ORDER BY o.fetched_at", [row["id"], since],
    ):
        history.setdefault(supplier, []).append((_day(fetched_at), price))
        supplier_of[offer_id] = supplier
    alerts = told_events(conn, "material_id", row["id"])
    markers = []
    for a in alerts:
        supplier = a["supplier"] or supplier_of.get(a["offer_id"] or "")
        if supplier is None or not a["offer_id"] or a["event"] == "retired":
            continue
        # On the price line, at the price the message judged (the night it was sent).
        moment, price = a["priced_at"] or a["night"], a["price_then"]
        if price is None:
            price = _price_before(conn, a["offer_id"], moment)
        if price is not None and moment >= since:
            markers.append((supplier, _day(moment), price, a["severity"], a["message"]))
    products = _rows(conn, "SELECT DISTINCT p.id, p.name FROM product_cost_lines l JOIN products p ON p.id = l.product_id "
                           "WHERE l.material_id = ? ORDER BY p.name", [row["id"]])
    return MaterialPage(row["id"], row["name"], row["unit"], home_currency(conn, currency), offers, history, markers, alerts, days, products)


# ---- one product -----------------------------------------------------------------------------

@dataclass
class ProductPage:
    id: str
    name: str
    yield_quantity: float
    yield_unit: str
    selling_price: float | None
    target_margin: float | None
    currency: str
    latest: dict[str, Any] | None
    lines: list[dict[str, Any]]
    costs: list[tuple[date, float]]
    margins: list[tuple[date, float]]
    markers: list[tuple[date, float, str, str]]
    alerts: list[dict[str, Any]]
    days: int
    missing: list[str] = field(default_factory=list)


def product(conn: sqlite3.Connection, key: str, days: int, currency: str | None = None) -> ProductPage | None:
    row = find(conn, "products", key)
    if row is None:
        return None
    since = _since(latest_time(conn), days)
    latest = _latest_cost(conn, row["id"])
    lines = []
    missing: list[str] = []
    if latest:
        lines = _rows(conn, "SELECT l.*, m.name AS material, s.name AS supplier FROM product_cost_lines l JOIN materials m ON m.id = l.material_id "
                            "LEFT JOIN suppliers s ON s.id = l.supplier_id WHERE l.cost_id = ? ORDER BY l.cost IS NULL, l.cost DESC", [latest["id"]])
        names = {r["material_id"]: r["material"] for r in lines}
        missing = [names.get(m, m) for m in json.loads(latest["missing"] or "[]")]
    costs, margins = [], []
    for costed_at, unit_cost, margin in conn.execute(
        "SELECT costed_at, unit_cost, margin_percent FROM product_costs WHERE product_id = ? AND complete AND costed_at >= ? ORDER BY costed_at",
        [row["id"], since],
    ):
        costs.append((_day(costed_at), unit_cost))
        if margin is not None:
            margins.append((_day(costed_at), margin))
    alerts = told_events(conn, "product_id", row["id"])
    markers = []
    for a in alerts:
        moment = a["observed_at"] or a["night"]
        if moment < since or a["event"] == "retired":
            continue
        cost = conn.execute("SELECT unit_cost, margin_percent FROM product_costs WHERE product_id = ? AND complete AND costed_at <= ? "
                            "ORDER BY costed_at DESC LIMIT 1", [row["id"], moment]).fetchone()
        if cost is not None:  # on the line drawn from the same costings, the night the message was sent
            value = cost[1] if a["kind"] == "margin" else cost[0]
            if value is not None:
                markers.append((_day(moment), value, a["kind"], a["message"]))
    return ProductPage(row["id"], row["name"], row["yield_quantity"], row["yield_unit"], row["selling_price"], row["target_margin"],
                       home_currency(conn, currency), latest, lines, costs, margins, markers, alerts, days, missing)
