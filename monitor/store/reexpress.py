"""When the owner changes a material's unit (kg to lb) or the home currency (USD to EUR), the stored
unit prices are re-expressed in the new terms, so tomorrow's rules see the same history in the
new unit instead of a "down 54.6 %" move that never happened.

Each stored row is priced again from what its page said (price, currency, pack) with today's
config. A row that cannot be (a pack in sheets for a material now priced per kg, no exchange rate
for its day) keeps its old unit and currency and drops out of the rules: the material starts a new
series from there. Open alerts, product costs and the plausibility windows follow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlite_utils

from .. import display, units
from .items import MAX_PRICE
from .observations import RECOUNT_RECENT
from .pricing import Pricing

if TYPE_CHECKING:
    from ..config import Config, Material


def _adopt_old_rows(db: sqlite_utils.Database, config: Config) -> None:
    """Rows and materials written before units and currencies were recorded are in today's terms
    (the config they were written with is not known; the first run after the upgrade adopts them)."""
    with db.atomic():
        db.execute("UPDATE observations SET home_currency = ? WHERE home_currency IS NULL AND unit_price IS NOT NULL", [config.currency])
        db.execute("UPDATE materials SET currency = ? WHERE currency IS NULL", [config.currency])


def reexpress(db: sqlite_utils.Database, config: Config) -> list[str]:
    """Re-express the history of every material whose unit, or whose home currency, changed since the
    last run (before the config is synced); returns one note per material for the digest."""
    _adopt_old_rows(db, config)
    stored = {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, unit, currency FROM materials")}
    notes = []
    for material in config.materials:
        old = stored.get(material.id)
        if old is None or old == (material.unit, config.currency):
            continue
        converted, kept = _reprice(db, config, material)
        with db.atomic():
            db.execute("UPDATE materials SET unit = ?, currency = ? WHERE id = ?", [material.unit, config.currency, material.id])
            offers = [r[0] for r in db.execute("SELECT id FROM offers WHERE material_id = ?", [material.id])]
            db.conn.executemany(RECOUNT_RECENT, [(o,) for o in offers])
        _follow_alerts(db, config, material, old)
        # In words: "per bd ft", "in euros", "1 stored price was" (it said "per board_foot", "in EUR", "1 stored prices were").
        what = (units.priced(material.unit) if old[0] != material.unit else "") + (" and " if old[0] != material.unit and old[1] != config.currency else "")
        what += f"in {display.currency_name(config.currency)}" if old[1] != config.currency else ""
        note = (f"{material.name} is now compared {what}: {display.count(converted, 'stored price')} "
                f"{'was' if converted == 1 else 'were'} converted, so this is no price move")
        if kept:
            note += f"; {kept} could not be converted and are left out (the price history starts again from here)"
        notes.append(note)
    if any(currency and currency != config.currency for _, currency in stored.values()):
        _reprice_products(db, config)
    with db.atomic():
        db.execute("UPDATE materials SET currency = ?", [config.currency])
    return notes


def _reprice(db: sqlite_utils.Database, config: Config, material: Material) -> tuple[int, int]:
    """Price again every valid row of ``material`` not in today's unit and currency."""
    pricing = Pricing(db, config)
    offers = {o.offer_id: o for o in config.offers()}
    per_pack: dict[str, Decimal | None] = {}
    rates: dict[tuple[str, str], Decimal | None] = {}
    updates: list[tuple[Any, ...]] = []
    kept = 0
    rows = db.execute(
        "SELECT id, offer_id, supplier_id, price, currency, pack, fetched_at FROM observations "
        "WHERE material_id = ? AND unit_price IS NOT NULL AND (unit IS NOT ? OR home_currency IS NOT ?)",
        [material.id, material.unit, config.currency]).fetchall()
    for obs_id, offer_id, supplier_id, price, currency, pack, fetched_at in rows:
        if pack not in per_pack:
            try:
                per_pack[pack] = units.units_per_pack(pack, material.unit, material.density)
            except ValueError:
                per_pack[pack] = None
        key = (currency, fetched_at[:10])
        if key not in rates:
            rates[key] = pricing.exchange_rate(currency, fetched_at)
        amount, rate = per_pack[pack], rates[key]
        if amount is None or rate is None or price is None or supplier_id not in pricing.suppliers:
            kept += 1
            continue
        value = Decimal(str(price))
        order_quantity = offers[offer_id].order_quantity if offer_id in offers else 1
        unit_price = value / amount * rate
        landed = pricing.landed_unit_price(value, amount, rate, supplier_id, order_quantity)
        if not (0 < unit_price < MAX_PRICE and 0 < landed < MAX_PRICE):
            kept += 1
            continue
        updates.append((round(float(unit_price), 6), round(float(landed), 6), float(rate), material.unit, config.currency, obs_id))
    with db.atomic():
        db.conn.executemany("UPDATE observations SET unit_price = ?, landed_unit_price = ?, fx_rate = ?, unit = ?, home_currency = ? "
                            "WHERE id = ?", updates)
    return len(updates), kept


def _follow_alerts(db: sqlite_utils.Database, config: Config, material: Material, old: tuple[str, str | None]) -> None:
    """Open alerts of the material hold prices in the old terms: convert them by the same factor
    (one old unit in new units, one old currency unit in the new currency today)."""
    old_unit, old_currency = old
    factor = Decimal(1)
    try:
        if old_unit != material.unit:
            factor /= units.units_per_pack(f"1 {old_unit}", material.unit, material.density)
    except ValueError:
        return  # no conversion: the rules' identity holds the unit, reconcile retires what no longer applies
    if old_currency and old_currency != config.currency:
        rate = Pricing(db, config).exchange_rate(old_currency, "9999-12-31")
        if rate is None:
            return
        factor *= rate
    f = float(factor)
    with db.atomic():
        if old_unit != material.unit:  # the recipe lines costed in the old unit: same cost, new unit
            db.execute("UPDATE product_cost_lines SET unit_price = unit_price * ?, quantity = quantity / ?, unit = ? "
                       "WHERE material_id = ? AND unit = ?", [f, f, material.unit, material.id, old_unit])
        db.execute(
            "UPDATE alerts SET value = value * ?, reference = reference * ?, anchor = anchor * ?, notified_value = notified_value * ?, "
            "unit = ?, currency = ? WHERE material_id = ? AND state IN ('pending', 'firing') AND kind != 'stale' "
            "AND coalesce(unit, ?) = ? AND product_id IS NULL",
            [f, f, f, f, material.unit, config.currency, material.id, old_unit, old_unit])


def _reprice_products(db: sqlite_utils.Database, config: Config) -> None:
    """Product costs in an old home currency, converted at each day's rate (or left out if unknown)."""
    pricing = Pricing(db, config)
    rows = db.execute("SELECT id, currency, costed_at FROM product_costs WHERE currency != ?", [config.currency]).fetchall()
    with db.atomic():
        for cost_id, currency, costed_at in rows:
            rate = pricing.exchange_rate(currency, costed_at)
            if rate is None:
                continue
            f = float(rate)
            db.execute("UPDATE product_costs SET batch_cost = batch_cost * ?, unit_cost = unit_cost * ?, currency = ? WHERE id = ?",
                       [f, f, config.currency, cost_id])
            db.execute("UPDATE product_cost_lines SET unit_price = unit_price * ?, cost = cost * ? WHERE cost_id = ?", [f, f, cost_id])
        latest = pricing.exchange_rate(next(iter({r[1] for r in rows}), config.currency), "9999-12-31") if rows else None
        if latest is not None:
            f = float(latest)
            db.execute("UPDATE alerts SET value = value * ?, reference = reference * ?, anchor = anchor * ?, "
                       "notified_value = notified_value * ?, currency = ? WHERE product_id IS NOT NULL AND kind != 'margin' "
                       "AND state IN ('pending', 'firing') AND currency IS NOT ?", [f, f, f, f, config.currency, config.currency])
