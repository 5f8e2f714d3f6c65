"""Decisions after every run: each material's outlook, the index rules, the open quotes, and the
to-do list, stored for the browser and `status`, handed back as findings for the alert engine.

Runs after the costing, at the run's ``as_of``, so a replayed night (the demo, a backtest) decides
with what was known that night.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .. import display
from ..config import Config
from ..rules.base import Finding, Formatter, Scope, Target
from ..rules.registry import REORDER
from . import market, ordersize, quotes, runway, todo

REORDER_HYSTERESIS_DAYS = 2  # a reorder alert resolves once the order-by date is this far off again


@dataclass
class Tonight:
    outlooks: list[runway.Outlook] = field(default_factory=list)
    quote_checks: list[quotes.QuoteCheck] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    to_do: list[todo.ToDo] = field(default_factory=list)
    to_tell: list[todo.ToDo] = field(default_factory=list)  # the list, when it should be told tonight


def _reorder_finding(o: runway.Outlook, fmt: Formatter) -> Finding | None:
    """Critical (the phone) when the order-by date has come: later, the stock runs out before delivery."""
    due = o.reorder_by
    if due is None:
        return None
    today = o.today
    days = (due - today).days
    holds = True if days <= 0 else False if days >= REORDER_HYSTERESIS_DAYS else None
    message = o.stock_words() if holds else f"{o.material.name}: stock covers the lead time again (order by {runway.day_words(due, today)})"
    best = o.best
    if holds and best is not None:
        message += f"; cheapest now {best.supplier_name} at {fmt.price(best.unit_price, o.material.unit)}"
    target = Target(Scope.MATERIAL, o.material.id, o.material.name, material_id=o.material.id)
    return Finding(REORDER, target, "due", holds, REORDER.severity, message, o.runway_days, o.lead_time_days + o.safety_days, unit="days")


def evaluate(db: sqlite_utils.Database, config: Config, run_id: int | None, as_of: str) -> Tonight:
    """Everything the decisions have to say after tonight's prices were stored."""
    fmt = Formatter(config.currency)
    tonight = Tonight()
    reads = runway.NightReads.read(db, config, as_of)
    for material in config.materials:
        tonight.outlooks.append(runway.outlook(db, config, material, as_of, reads))
    chosen: dict[tuple[str, float], ordersize.Purchase | None] = {}

    def best_buy(o: runway.Outlook, quantity: float) -> ordersize.Purchase | None:
        """The purchase named for a quantity: one choice a night, for the to-do list and the stock page alike."""
        key = (o.material.id, round(quantity, 6))
        if key not in chosen:
            chosen[key] = ordersize.best(ordersize.plan(db, config, o.material, as_of, quantity=quantity))
        return chosen[key]

    rows = []
    for o in tonight.outlooks:
        row = o.as_row(run_id, fmt)
        purchase = best_buy(o, o.buy_quantity) if o.buy_quantity else None
        if purchase is not None:  # what the to-do says to buy (whole packs), not the bare need: the page says the same
            row["buy_quantity"], row["buy_text"] = round(purchase.units, 4), purchase.label()
        rows.append(row)
    _store_outlooks(db, rows)
    tonight.findings += [f for o in tonight.outlooks if (f := _reorder_finding(o, fmt)) is not None]
    market_findings = market.evaluate(db, config, as_of)
    tonight.findings += market_findings
    tonight.quote_checks, quote_findings = quotes.nightly(db, config, as_of)
    tonight.findings += quote_findings

    tonight.to_do = todo.gather(config, as_of, tonight.outlooks, tonight.quote_checks, market_findings, best_buy)
    tonight.to_tell = todo.remember(db, tonight.to_do, as_of)
    return tonight


def _store_outlooks(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Upsert tonight's outlook rows in one prepared statement: the upsert sqlite-utils' upsert_all
    writes (every column but the key set from the row), without its per-value work for 10,000 rows."""
    if not rows:
        return
    columns = list(rows[0])
    keys = ("material_id", "as_of")
    sql = (f"INSERT INTO material_outlook ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys))
    values = operator.itemgetter(*columns)
    with db.conn:
        db.conn.executemany(sql, [values(row) for row in rows])


def status_lines(db: sqlite_utils.Database) -> list[str]:
    """The to-do list and each material's runway and call, for `supplywatch status`."""
    items = list(db.query("SELECT * FROM to_do WHERE done_at IS NULL ORDER BY urgent DESC, coalesce(due, '9999'), key"))
    lines = [f"\nTo do this week ({len(items)}):"]
    lines += [f"  {'NOW: ' if i['urgent'] else ''}{i['message']}" for i in items] or ["  nothing"]
    latest = db.execute("SELECT max(as_of) FROM material_outlook").fetchone()[0]
    if latest:
        rows = list(db.query(
            "SELECT m.name, o.* FROM material_outlook o JOIN materials m ON m.id = o.material_id WHERE o.as_of = ? ORDER BY m.name", [latest]))
        lines.append(f"\nStock and buying ({display.day(latest)}):")
        for r in rows:
            when = (", " + runway.order_words_seen(r["reorder_by"], latest, r["runway_days"], r["lead_time_days"] or 0)
                    if r["reorder_by"] and r["runway_days"] is not None else "")
            stock = (f"{r['runway_days']:.0f} days left{when}" if r["runway_days"] is not None
                     else f"{runway.amount_words(r['on_hand'], r['unit'])} on hand" if r["on_hand"] is not None else "stock not counted")
            lines.append(f"  {r['name']}: {stock}; {r['verdict']}: {r['verdict_reason']}")
            if r["price_state"]:
                lines.append(f"    prices: {r['price_state']}")
    return lines
