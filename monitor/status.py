"""``supplywatch status``: what a person checks in the morning, as plain text."""

from __future__ import annotations

import sqlite_utils

from . import alerts
from .store import now_iso


def report(db: sqlite_utils.Database, runs: int = 5) -> str:
    lines = ["Last runs:"]
    for r in db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [runs]):
        lines.append(f"  #{r['id']:<5} {r['as_of'][:16]}  {r['source']:<8} {r['status']:<8} {r['message'] or ''}")
    if len(lines) == 1:
        lines.append("  (none yet)")
    firing = alerts.firing(db)  # worst first: severity is a rank, not a word to sort
    lines.append(f"\nOpen alerts ({len(firing)}):")
    lines += [f"  [{a.severity}] since {(a.first_fired or '')[:10]}  {a.message}" for a in firing] or ["  none"]
    stale = list(db.query(
        """SELECT o.id, o.url, (SELECT max(fetched_at) FROM observations x WHERE x.offer_id = o.id AND x.status = 'ok') AS last_ok,
                  (SELECT status || ': ' || coalesce(error, '') FROM observations x WHERE x.offer_id = o.id ORDER BY fetched_at DESC LIMIT 1) AS last
           FROM offers o WHERE o.active"""
    ))
    latest_run = db.execute("SELECT max(as_of) FROM runs").fetchone()[0]
    no_price = [s for s in stale if s["last"] and not s["last"].startswith("ok")]
    lines.append(f"\nOffers without a valid price in the last run ({len(no_price)}):")
    lines += [f"  {s['id']:<32} last valid {(s['last_ok'] or 'never')[:10]}  {s['last']}" for s in no_price] or ["  none"]
    silenced = list(db.query("SELECT * FROM silences WHERE until > ? ORDER BY until", [now_iso()]))
    lines.append(f"\nSilences ({len(silenced)}):")
    lines += [f"  {s['target']:<32} until {s['until'][:16]}  {s['reason'] or ''}" for s in silenced] or ["  none"]
    from .decisions import status_lines  # the to-do list and each material's runway and call

    lines += status_lines(db)
    queued = db.execute("SELECT count(*), max(attempts), max(last_error) FROM notifications WHERE delivered_at IS NULL").fetchone()
    lines.append(f"\nNotifications waiting for delivery: {queued[0]}" + (f" (up to {queued[1]} attempts; last error: {queued[2]})" if queued[0] else ""))
    if latest_run:
        lines.append(f"Latest run time: {latest_run}")
    last_log = db.execute("SELECT log_file FROM runs WHERE log_file IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    if last_log:
        lines.append(f"Log of the last crawl: {last_log[0]}")
    return "\n".join(lines)
