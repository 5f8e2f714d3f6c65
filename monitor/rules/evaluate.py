"""Evaluate the rules on stored history (never on a single page).

One query reads the stretches of history every rule needs for every offer, so a night costs what
its window holds, not the whole history; each rule kind judges the views it is given.
"""

from __future__ import annotations

import json
from itertools import groupby
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Collection, Iterable

import sqlite_utils

from .base import Context, Finding, OfferView, Point, RuleKind, Scope, Target, offer_label, parse_time
from .cheapest import MaterialView
from .extraction import SupplierView
from . import runup
from .products import ProductView, drivers, history, product_target
from .registry import extraction_rule, rules_for_material, rules_for_product
from .runup import RunUpRule
from .stale import StaleRule
from .trend import TrendRule

if TYPE_CHECKING:
    from ..config import Config, Material, Product
    from ..costing import ProductCost

JULIAN_EPOCH = datetime(2000, 1, 1, 12, tzinfo=timezone.utc)  # Julian day 2451545.0


def history_ranges(rules: Iterable[RuleKind]) -> list[tuple[float, float]]:
    """The stretches of history the rules read, as (days ago from, days ago to): the whole window
    for most, but only the oldest quarter (and the latest price) for a trend, and the last five
    weeks for a run-up (which reads the rest on two nights a week: :func:`sampled_views`), so the
    nightly read stays small."""
    rules = tuple(rules)
    trend_days = [r.days for r in rules if isinstance(r, TrendRule)]
    full = window_days(tuple(r for r in rules if not isinstance(r, (TrendRule, RunUpRule))))
    if any(isinstance(r, RunUpRule) for r in rules):
        full = max(full, runup.DENSE[1] + 1)  # enough to tell a nightly series and to have its last prices
    ranges = {(float(full), 0.0)}
    ranges |= {(d + 1.0, d * 0.75 - 1.0) for d in set(trend_days) if d * 0.75 - 1.0 > full}
    ranges |= {(d + 1.0, 0.0) for d in set(trend_days) if d * 0.75 - 1.0 <= full}
    return sorted(ranges)


def julian_day(ts: str) -> float:
    """SQLite's julianday() of an ISO time."""
    return (parse_time(ts) - JULIAN_EPOCH).total_seconds() / 86400 + 2451545.0


def window_days(rules: Iterable[RuleKind]) -> int:
    """How many days of history the rules look at."""
    return int(max((r.history_days() for r in rules), default=0)) + 1


@dataclass
class Plan:
    """What judging reads once per run rather than once per supplier batch: each material's rules
    and every active offer (a night of 2,000 suppliers would otherwise rebuild both 2,000 times,
    making the night quadratic). A run's config and offers do not change while it runs."""

    rules: dict[str, tuple[RuleKind, ...]]
    materials: dict[str, Material]
    offers: dict[str, tuple[str, str, str]]  # active offer -> material, supplier, supplier's name; in the offers table's order
    position: dict[str, int] = field(default_factory=dict)
    wanted: dict[tuple[Scope, ...], list[RuleKind]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {offer_id: n for n, offer_id in enumerate(self.offers)}

    ranges: dict[tuple[Scope, ...], list[tuple[float, float]]] = field(default_factory=dict)
    runups: dict[tuple[Scope, ...], RunUpRule | None] = field(default_factory=dict)

    def rules_for(self, scopes: Collection[Scope]) -> list[RuleKind]:
        """Every material's rules judged here in ``scopes`` (their history ranges make one read)."""
        key = tuple(sorted(scopes))
        if key not in self.wanted:
            self.wanted[key] = [r for rules in self.rules.values() for r in rules if r.scopes & set(scopes) and r.judged_here]
        return self.wanted[key]

    def runup_for(self, scopes: Collection[Scope]) -> RunUpRule | None:
        """The longest window and reach of the run-up rules, so one read serves every one of them."""
        key = tuple(sorted(scopes))
        if key not in self.runups:
            runups = [r for r in self.rules_for(scopes) if isinstance(r, RunUpRule)]
            self.runups[key] = runups[0].model_copy(update={"days": max(r.days for r in runups)}) if runups else None
        return self.runups[key]

    def ranges_for(self, scopes: Collection[Scope]) -> list[tuple[float, float]]:
        """:func:`history_ranges` of :meth:`rules_for`."""
        key = tuple(sorted(scopes))
        if key not in self.ranges:
            self.ranges[key] = history_ranges(self.rules_for(scopes))
        return self.ranges[key]


def plan(db: sqlite_utils.Database, config: Config) -> Plan:
    """The rules of every material and the active offers, read once for a run's batches."""
    return Plan({m.id: rules_for_material(config, m) for m in config.materials}, {m.id: m for m in config.materials},
                {offer_id: (material_id, supplier_id, supplier_name) for offer_id, material_id, supplier_id, supplier_name in db.execute(
                    "SELECT o.id, o.material_id, o.supplier_id, s.name FROM offers o JOIN suppliers s ON s.id = o.supplier_id WHERE o.active")})


def offer_views(db: sqlite_utils.Database, config: Config, as_of: str, ranges: list[tuple[float, float]],
                offer_ids: Collection[str] | None = None, judging: Plan | None = None) -> dict[str, OfferView]:
    """Active offers (all, or ``offer_ids``) with their valid prices in the ``ranges`` the rules read,
    in one query."""
    column = "landed_unit_price" if config.compare == "landed" else "unit_price"
    judging = judging or plan(db, config)
    materials = judging.materials
    if offer_ids is None:
        chosen = list(judging.offers)
    else:  # a batch's offers only, in the offers table's order (findings, and so messages, keep their order)
        chosen = sorted((o for o in offer_ids if o in judging.position), key=judging.position.__getitem__)
    views: dict[str, OfferView] = {}
    for offer_id in chosen:
        material_id, supplier_id, supplier_name = judging.offers[offer_id]
        material = materials.get(material_id)
        if material is None:
            continue
        target = Target(Scope.OFFER, offer_id, offer_label(material.name, supplier_name), material_id=material_id,
                        offer_id=offer_id, supplier_id=supplier_id)
        views[offer_id] = OfferView(target, material.unit, config.currency, supplier_name=supplier_name, material=material)
    if not views:
        return views
    now = parse_time(as_of)
    params = [t for start, end in ranges for t in ((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat())]
    # Only prices in the material's unit and the home currency: a row that could not be re-expressed
    # after a change of either is history of another series.
    if offer_ids is None:
        where = " OR ".join("(o.fetched_at > ? AND o.fetched_at <= ?)" for _ in ranges)
        for offer_id, obs_id, fetched_at, price, in_stock, day in db.execute(
            f"SELECT o.offer_id, o.id, o.fetched_at, o.{column}, o.in_stock, julianday(o.fetched_at) FROM observations o "
            f"JOIN materials m ON m.id = o.material_id WHERE ({where}) AND o.status = 'ok' AND o.{column} IS NOT NULL "
            f"AND o.unit = m.unit AND o.home_currency = ? ORDER BY o.offer_id, o.fetched_at",
            params + [config.currency],
        ):
            if (view := views.get(offer_id)) is not None:
                view.history.append(Point(obs_id, fetched_at, price, in_stock, day))
    else:  # one supplier's batch: its offers' own history (by the offer index), not every offer's window,
        # each stretch read apart (the oldest first: each offer's prices stay in time order), only the
        # rows the rules use; the unit is checked here rather than by a join for every row
        ids = json.dumps(list(views))
        for after, until in _stretches(now, ranges):
            # An offer's rows come together: its view looked up once, its Points built as NamedTuple's
            # own __new__ builds them (tuple.__new__), without a Python call per row (660,000 rows a night)
            for offer_id, offer_rows in groupby(db.execute(
                f"SELECT o.offer_id, o.id, o.fetched_at, o.{column}, o.in_stock, julianday(o.fetched_at), o.unit FROM observations o "
                f"WHERE o.offer_id IN (SELECT value FROM json_each(?)) AND o.fetched_at > ? AND o.fetched_at <= ? AND o.status = 'ok' "
                f"AND o.{column} IS NOT NULL AND o.home_currency = ? ORDER BY o.offer_id, o.fetched_at",
                [ids, after, until, config.currency],
            ), itemgetter(0)):
                unit = (view := views[offer_id]).unit
                view.history.extend([tuple.__new__(Point, row[1:6]) for row in offer_rows if row[6] == unit])
    deepest = max(start for start, _ in ranges)
    reaches_back = (now - timedelta(days=min(end for _, end in ranges if end > 0) if len(ranges) > 1 else 0)).isoformat()
    for view in views.values():
        if len(ranges) > 1 and (not view.history or view.history[0].fetched_at > reaches_back):
            # A young offer whose history does not reach the trend's far range: read all of it.
            view.history = [Point(*r) for r in db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? "
                f"AND status = 'ok' AND {column} IS NOT NULL AND fetched_at > ? AND fetched_at <= ? AND unit = ? AND home_currency = ? "
                f"ORDER BY fetched_at", [view.id, (now - timedelta(days=deepest)).isoformat(), as_of, view.unit, config.currency])]
        if len(view.history) < 2:  # a rarely priced offer: its last two prices, however old
            rows = db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? AND status = 'ok' "
                f"AND {column} IS NOT NULL AND fetched_at <= ? AND unit = ? AND home_currency = ? ORDER BY fetched_at DESC LIMIT 2",
                [view.id, as_of, view.unit, config.currency]).fetchall()
            view.history = [Point(*r) for r in reversed(rows)]
    return views


def _stretches(now: datetime, ranges: list[tuple[float, float]]) -> list[tuple[str, str]]:
    """``ranges`` (days ago from, to) as times (after, until], overlapping ones joined, oldest first."""
    spans = sorted(((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat()) for start, end in ranges)
    joined: list[tuple[str, str]] = []
    for after, until in spans:
        if joined and after <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(until, joined[-1][1]))
        else:
            joined.append((after, until))
    return joined


def sampled_views(db: sqlite_utils.Database, config: Config, as_of: str, views: dict[str, OfferView], rule: RunUpRule,
                  few: bool = False) -> None:
    """Fill each view's ``sampled`` prices for a run-up: its grid nights (one query for every offer,
    a night's rows read together), or every price of the span for an offer priced too seldom for
    grid nights to catch its prices (:func:`runup.is_dense`). ``few``: the views are a supplier's
    batch, a small part of the offers: each offer's grid nights are sought through the offer index
    instead of reading every offer's rows of each grid night."""
    column = "landed_unit_price" if config.compare == "landed" else "unit_price"
    now = parse_time(as_of)
    nights = runup.grid_ranges(julian_day(as_of), rule.days, rule.history_days())
    select = (f"SELECT o.offer_id, julianday(o.fetched_at), o.{column} FROM {{}} "
              f"JOIN materials m ON m.id = o.material_id WHERE {{}} AND o.status = 'ok' AND o.{column} IS NOT NULL "
              f"AND o.unit = m.unit AND o.home_currency = ? ORDER BY o.offer_id, o.fetched_at")
    dense = {offer_id for offer_id, view in views.items() if runup.is_dense(view.history)}
    for view in views.values():
        view.sampled = []
    if dense and nights:
        # Night by night through the time index (an OR of two hundred ranges would scan the table).
        bounds = [((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat()) for start, end in nights]
        values = ", ".join("(?, ?)" for _ in bounds)
        params = [t for pair in bounds for t in pair]
        if few:  # each offer's nights oldest first, in its own unit, no sort: the rows SQLite hands over are its
            # sampled (day, price) pairs as they are (fetchall), without a Python step per row (1,570,000 a night)
            oldest_first = [t for pair in reversed(bounds) for t in pair]
            query = (f"WITH nights(after, until) AS (VALUES {values}) "
                     f"SELECT julianday(o.fetched_at), o.{column} FROM nights CROSS JOIN observations o INDEXED BY observations_offer_time "
                     f"WHERE o.offer_id = ? AND o.fetched_at > nights.after AND o.fetched_at <= nights.until AND o.status = 'ok' "
                     f"AND o.{column} IS NOT NULL AND o.home_currency = ? AND o.unit = ?")
            for offer_id in sorted(dense):
                view = views[offer_id]
                view.sampled = db.conn.execute(query, oldest_first + [offer_id, config.currency, view.unit]).fetchall()
                view.sampled.sort()  # in time order already: a check, not a sort
        else:
            query = (f"WITH nights(after, until) AS (VALUES {values}) "
                     + select.format("nights CROSS JOIN observations o INDEXED BY observations_time",
                                     "o.fetched_at > nights.after AND o.fetched_at <= nights.until"))
            for offer_id, day, price in db.execute(query, params + [config.currency]):
                if offer_id in dense:
                    views[offer_id].sampled.append((day, price))  # type: ignore[union-attr]
    since = (now - timedelta(days=rule.history_days())).isoformat()
    for offer_id in set(views) - dense:
        views[offer_id].sampled = [(day, price) for _, day, price in db.execute(
            select.format("observations o", "o.offer_id = ? AND o.fetched_at > ? AND o.fetched_at <= ?"),
            [offer_id, since, as_of, config.currency])]


def evaluate_offers(db: sqlite_utils.Database, config: Config, context: Context, offer_ids: Collection[str] | None = None,
                    held_suppliers: Iterable[str] = (), scopes: Collection[Scope] = (Scope.OFFER, Scope.MATERIAL),
                    judging: Plan | None = None) -> list[Finding]:
    """Findings of the offer and material rules at ``context.as_of``: for every active offer (or
    ``offer_ids``) and material. Offers of ``held_suppliers`` (whose extraction broke this run) are
    left alone, so their alerts keep their state. ``judging``: the run's :func:`plan`, read once."""
    held = set(held_suppliers)
    judging = judging or plan(db, config)
    all_rules = judging.rules
    wanted = judging.rules_for(scopes)
    if not wanted:
        return []
    views = offer_views(db, config, context.as_of, judging.ranges_for(scopes), offer_ids, judging)
    widest = judging.runup_for(scopes)
    if widest is not None:
        few = offer_ids is not None and 4 * len(views) < len(judging.offers)
        sampled_views(db, config, context.as_of, views, widest, few)
    findings: list[Finding] = []
    by_material: dict[str, list[OfferView]] = {}
    for view in views.values():
        assert view.material is not None
        by_material.setdefault(view.material.id, []).append(view)
        if view.supplier_id in held or Scope.OFFER not in scopes:
            continue
        for rule in all_rules[view.material.id]:
            if Scope.OFFER not in rule.scopes:
                continue
            if isinstance(rule, StaleRule) and view.latest is None and view.first_seen is None:
                view.first_seen = db.execute("SELECT min(fetched_at) FROM observations WHERE offer_id = ? AND fetched_at <= ?",
                                             [view.id, context.as_of]).fetchone()[0]
            findings += rule.evaluate(view, context)
    if Scope.MATERIAL in scopes:
        for material in config.materials:
            rules = [r for r in all_rules[material.id] if Scope.MATERIAL in r.scopes and r.judged_here]
            if not rules:
                continue
            offers = [o for o in by_material.get(material.id, []) if o.supplier_id not in held]
            whole = MaterialView(Target(Scope.MATERIAL, material.id, material.name, material_id=material.id),
                                 material.name, material.unit, config.currency, offers)
            for rule in rules:
                findings += rule.evaluate(whole, context)
    return findings


def evaluate_suppliers(config: Config, context: Context, pages: dict[str, tuple[int, int]]) -> list[Finding]:
    """Per supplier in this run, ``pages[supplier] = (pages, priced)``: did enough of them give a price?"""
    rule = extraction_rule(config)
    names = {s.id: s.name for s in config.suppliers}
    findings: list[Finding] = []
    for supplier, (total, priced) in pages.items():
        view = SupplierView(Target(Scope.SUPPLIER, supplier, names.get(supplier, supplier), supplier_id=supplier), total, priced)
        findings += rule.evaluate(view, context)
    return findings


def evaluate_products(db: sqlite_utils.Database, products: list[Product], context: Context, costs: dict[str, ProductCost],
                      currency: str) -> list[Finding]:
    """Findings for every product whose cost tonight is complete (judged on its unit cost and margin)."""
    findings: list[Finding] = []
    for product in products:
        cost = costs.get(product.id)
        if cost is None or not cost.complete:
            continue  # a partial sum is not a cost: alerts keep their state until the line is priced again
        rules = rules_for_product(product)
        days = max((r.history_days() for r in rules), default=1) + 1
        view = ProductView(product_target(product), product.yield_unit, currency,
                           history(db, product, context.as_of, days, currency, cost), product=product, cost=cost,
                           drivers=drivers(db, cost), database=db)
        for rule in rules:
            findings += rule.evaluate(view, context)
    return findings
