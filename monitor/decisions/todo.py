"""The owner's "to do this week": reorders coming due, buys worth making, quotes at risk or ending,
suppliers to call. Kept in ``to_do`` so the digest repeats the list only when something is new,
or once a week, instead of every night.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

from .. import display
from ..config import Config
from ..rules.base import Finding, Formatter, parse_time
from . import buywindow
from .ordersize import Purchase
from .quotes import QuoteCheck
from .runway import Outlook, amount_words, day_words

REPEAT_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class ToDo:
    key: str  # what the item is about, stable from night to night: "reorder:lye", "quote:112"
    kind: str  # reorder | buy | quote | quote-ends | supplier
    message: str
    due: date | None = None
    urgent: bool = False
    material_id: str | None = None
    quote_id: int | None = None


BestBuy = Callable[[Outlook, float], "Purchase | None"]  # the cheapest delivered purchase of a quantity, if any


def gather(config: Config, as_of: str, outlooks: list[Outlook], checks: list[QuoteCheck], market: list[Finding],
           best_buy: BestBuy | None = None) -> list[ToDo]:
    """This week's items, soonest first. With ``best_buy``, an item to buy names the purchase (packs,
    supplier, total) instead of a bare quantity."""
    today = parse_time(as_of).date()
    horizon = today + timedelta(days=config.decisions.to_do_days)
    fmt = Formatter(config.currency)
    items: list[ToDo] = []

    def what_to_buy(o: Outlook, amount: float, cover: str) -> str:
        unit = o.material.unit
        purchase = best_buy(o, amount) if best_buy is not None and amount > 0 else None
        if purchase is not None:
            money = purchase.total_words(config.currency, aside=f"{fmt.price(purchase.landed_per_unit, unit)} delivered")
            return f"{purchase.label()} covers {cover}: {money}"
        best = o.best
        where = f"; cheapest now {best.supplier_name} at {fmt.price(best.unit_price, unit)}" if best else ""
        return (f"about {amount_words(amount, unit)} (covers {cover})" if amount else "") + where

    for o in outlooks:
        due = o.reorder_by
        if due is not None and due <= horizon:
            have = o.on_hand.quantity if o.on_hand else 0.0
            cover_weeks = config.decisions.cover_weeks
            amount = o.buy_quantity or max(cover_weeks * 7 * (o.daily_usage or 0) - have, 0)
            cover = display.span(o.verdict.cover_days) if o.buy_quantity and o.verdict.cover_days else display.weeks(cover_weeks)
            buy = what_to_buy(o, amount, cover)
            call = o.verdict_words()
            if o.verdict.call == buywindow.WAIT and due > today:  # the date stands: waiting means ordering on it, not after
                call = f"wait, prices {o.verdict.reason}: order near {day_words(due, today)}, not sooner"
            items.append(ToDo(f"reorder:{o.material.id}", "reorder", f"{o.stock_words()}{'; ' + buy.lstrip('; ') if buy else ''}; "
                              f"{call}", due, due <= today, o.material.id))
        elif o.verdict.call == buywindow.BUY and o.buy_quantity:
            buy = what_to_buy(o, o.buy_quantity, display.span(o.verdict.cover_days or 0))
            items.append(ToDo(f"buy:{o.material.id}", "buy", f"Buy ahead: {o.material.name}, {buy.lstrip('; ')}; {o.verdict.reason}",
                              None, False, o.material.id))
    for c in checks:
        valid_until = date.fromisoformat(c.quote.valid_until)
        points = config.decisions.quote_points
        if c.margin is not None and (c.at_risk(points) or c.losing_its_margin(points)):
            items.append(ToDo(f"quote:{c.quote.id}", "quote", c.message(fmt), valid_until, c.losing_its_margin(points), None, c.quote.id))
        elif valid_until <= horizon:
            who = f" with {c.quote.customer}" if c.quote.customer else ""
            items.append(ToDo(f"quote-ends:{c.quote.id}", "quote-ends", f"{c.quote.title(fmt, today)} ends {day_words(valid_until, today)}: "
                              f"follow up{who} or let it lapse", valid_until, False, None, c.quote.id))
    for f in market:
        if f.holds and f.kind in ("index_fall", "above_index"):
            items.append(ToDo(f"supplier:{f.fingerprint}", "supplier", f.message, None, False, f.target.material_id))
    return sorted(items, key=lambda i: (not i.urgent, i.due or date.max, i.key))


def remember(db: sqlite_utils.Database, items: list[ToDo], as_of: str) -> list[ToDo]:
    """Keep the list; return it when the owner should hear it tonight (a new item, or a week since
    it was last told), else an empty list."""
    open_items = {r["key"]: r for r in db.query("SELECT * FROM to_do WHERE done_at IS NULL")}
    now = parse_time(as_of)
    keys = {i.key for i in items}
    new = False
    with db.conn:
        for item in items:
            row = {"kind": item.kind, "material_id": item.material_id, "quote_id": item.quote_id,
                   "due": item.due.isoformat() if item.due else None, "urgent": int(item.urgent), "message": item.message, "last_seen": as_of}
            if item.key in open_items:
                db["to_do"].update(open_items[item.key]["id"], row)
            else:
                db["to_do"].insert({"key": item.key, "first_seen": as_of, **row})
                new = True
        for key, row in open_items.items():
            if key not in keys:
                db["to_do"].update(row["id"], {"done_at": as_of})  # type: ignore[arg-type]  # a rowid
        told = [r["last_told"] for r in open_items.values() if r["key"] in keys and r["last_told"]]
        due_again = not told or now - parse_time(min(told)) >= REPEAT_EVERY
        if items and (new or due_again):
            db.execute(f"UPDATE to_do SET last_told = ? WHERE done_at IS NULL AND key IN ({', '.join('?' * len(keys))})", [as_of, *keys])
            return items
    return []


def lines(items: list[ToDo]) -> list[str]:
    """The digest's section, most urgent first."""
    return [("NOW: " if i.urgent else "") + i.message for i in items]
