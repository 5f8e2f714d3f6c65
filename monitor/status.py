"""``supplywatch status``: what a person checks in the morning, as plain text, in names not ids."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import sqlite_utils

from . import alerts, display
from .store import now_iso

if TYPE_CHECKING:
    from .config import Config

RECENT_DAYS = 90  # a material priced this recently and gone from the config is more likely renamed than dropped

SOURCES = {"crawl": "nightly crawl", "crawl:scrapyd": "crawl on scrapyd", "manual": "price added by hand", "demo": "demo night",
           "backtest": "backtest"}


def _source(source: str) -> str:
    if source.startswith("ingest:"):
        return "feed " + source.removeprefix("ingest:")
    return SOURCES.get(source, source)


def report(db: sqlite_utils.Database, runs: int = 5, names_in_config: dict[str, str] | None = None) -> str:
    """``names_in_config``: what the config calls each silence target (a database no run has filled yet has no names)."""
    lines = ["Last runs (UTC):"]
    for r in db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [runs]):
        lines.append(f"  {display.moment(r['as_of']):>17}  {_source(r['source']):<20} {display.run_outcome(r['status'], r['offers'], r['suspect']):<10} {r['message'] or ''}".rstrip())
    if len(lines) == 1:
        lines.append("  (none yet)")
    firing = alerts.firing(db)  # worst first: severity is a rank, not a word to sort
    lines.append(f"\nOpen alerts ({len(firing)}):")
    lines += [f"  [{a.severity}] since {display.day(a.first_fired)}  {a.message}" for a in firing] or ["  none"]
    offers = list(db.query(
        """SELECT m.name AS material, s.name AS supplier, o.url,
                  (SELECT max(fetched_at) FROM observations x WHERE x.offer_id = o.id AND x.status = 'ok') AS last_ok,
                  (SELECT status FROM observations x WHERE x.offer_id = o.id ORDER BY fetched_at DESC LIMIT 1) AS status,
                  (SELECT error FROM observations x WHERE x.offer_id = o.id ORDER BY fetched_at DESC LIMIT 1) AS error
           FROM offers o JOIN materials m ON m.id = o.material_id JOIN suppliers s ON s.id = o.supplier_id
           WHERE o.active ORDER BY m.name, s.name"""
    ))
    no_price = [o for o in offers if o["status"] and o["status"] != "ok"]
    lines.append(f"\nOffers without a valid price in their last fetch ({len(no_price)}):")
    lines += [f"  {o['material']} at {o['supplier']}: {display.no_price(o['status'], o['error'])}; "
              + (f"last valid price {display.day(o['last_ok'])}" if o["last_ok"] else "no valid price yet")  # not "last valid price never"
              for o in no_price] or ["  none"]
    names = {r[0]: r[1] for r in db.execute("SELECT id, name || ' (material)' FROM materials UNION ALL SELECT id, name || ' (supplier)' "
                                            "FROM suppliers UNION ALL SELECT id, name || ' (product)' FROM products")}
    names |= {r[0]: f"{r[1]} at {r[2]}" for r in db.execute(
        "SELECT o.id, m.name, s.name FROM offers o JOIN materials m ON m.id = o.material_id JOIN suppliers s ON s.id = o.supplier_id")}
    names |= names_in_config or {}
    silenced = list(db.query("SELECT * FROM silences WHERE until > ? ORDER BY until", [now_iso()]))
    lines.append(f"\nSilences ({len(silenced)}):")
    lines += [f"  {names.get(s['target'], s['target'])} until {display.moment(s['until'])} UTC" + (f"  ({s['reason']})" if s["reason"] else "")
              for s in silenced] or ["  none"]
    from .decisions import status_lines  # the to-do list and each material's runway and call

    lines += status_lines(db)
    queued = list(db.query("SELECT * FROM notifications WHERE delivered_at IS NULL ORDER BY id"))
    lines.append(f"\nNotifications waiting for delivery: {len(queued)}")
    for n in queued:
        tried = display.count(n["attempts"], "attempt")
        reason = f"; last error: {n['last_error']}" if n["last_error"] else ""
        lines.append(f"  {n['title']} (to the URLs tagged {n['tag']}; {tried}{reason})")  # not "(for digest; ...)"
    if queued:
        lines.append("  They are sent again on the next run; `supplywatch notify-test` checks the URLs now.")
    last_log = db.execute("SELECT log_file FROM runs WHERE log_file IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    if last_log:
        lines.append(f"\nLog of the last crawl: {last_log[0]}")
    return "\n".join(lines)


def left_behind(db: sqlite_utils.Database, config: Config) -> list[str]:
    """Materials priced lately that the config no longer has. Their history is found by id, so a
    renamed id starts an empty history while the old one stays behind: say so while it can be undone."""
    since = (datetime.now(timezone.utc) - timedelta(days=RECENT_DAYS)).isoformat()
    watched = {m.id for m in config.materials}
    names = {m.name: m.id for m in config.materials}
    notes = []
    # Only the materials the config no longer has are counted: counting every material's prices read
    # a three-year database whole (11 million rows, 7 s of CPU) to find that none had gone.
    gone = [(material_id, name) for material_id, name in db.execute("SELECT id, name FROM materials ORDER BY name, id")
            if material_id not in watched]
    for material_id, name in gone:
        prices, last = db.execute("SELECT count(*), max(fetched_at) FROM observations WHERE material_id = ? AND status = 'ok'",
                                  [material_id]).fetchone()
        if not prices or last <= since:
            continue
        renamed = f" (now {names[name]}?)" if name in names else ""
        notes.append(f"the database has {display.counted(prices, 'price')} of {name} up to {display.day(last)} under the id "
                     f"{material_id}, which the config no longer has{renamed}: a history is found by its id, so if you renamed "
                     f"it, put {material_id} back as its id (the name may change freely); if you stopped buying it, nothing to do")
    return notes
