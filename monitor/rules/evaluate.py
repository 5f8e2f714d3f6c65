"""Evaluate alert rules on stored history (never on a single page).

One query reads the stretches of history every rule needs for every offer, so a night costs what
its window holds, not the whole history; the checks themselves live in :mod:`monitor.checks`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterable

import sqlite_utils

from .checks import PRICE_RULES, Finding, Formatter, OfferView, Point, _cheapest, _stale, describe, parse_time
from .kinds import ChangeRule, CheapestRule, ExtremeRule, Rule, StaleRule, TrendRule, VolatilityRule

if TYPE_CHECKING:  # the config imports the rule kinds: types only, no import cycle
    from ..config import Config

__all__ = ["Finding", "Point", "OfferView", "describe", "evaluate", "extraction_findings", "parse_time"]


def history_ranges(rules: Iterable[Rule]) -> list[tuple[float, float]]:
    """The stretches of history the rules read, as (days ago from, days ago to): the whole window
    for most, but only the oldest quarter (and the latest price) for a trend, so the nightly read
    stays small."""
    rules = tuple(rules)
    trend_days = [r.days for r in rules if isinstance(r, TrendRule)]
    full = window_days(tuple(r for r in rules if not isinstance(r, TrendRule)))
    ranges = {(float(full), 0.0)}
    ranges |= {(d + 1.0, d * 0.75 - 1.0) for d in set(trend_days) if d * 0.75 - 1.0 > full}
    ranges |= {(d + 1.0, 0.0) for d in set(trend_days) if d * 0.75 - 1.0 <= full}
    return sorted(ranges)


def window_days(rules: Iterable[Rule]) -> int:
    """How many days of history the rules look at."""
    rules = tuple(rules)
    days = [int(m.group(1)) for r in rules if isinstance(r, ChangeRule) and (m := re.search(r"_(\d+)d$", r.baseline))]
    days += [r.days for r in rules if isinstance(r, (VolatilityRule, TrendRule, ExtremeRule))]
    days += [int(r.days * 2) for r in rules if isinstance(r, StaleRule)]
    return max(days, default=1) + 1


# ---- reading history and putting it together ------------------------------------------------

def load_offers(db: sqlite_utils.Database, config: Config, as_of: str, column: str,
                ranges: list[tuple[float, float]]) -> dict[str, OfferView]:
    """Every active offer with its valid prices in the ``ranges`` the rules read, in one query."""
    materials = {m.id: m for m in config.materials}
    views = {
        row[0]: OfferView(row[0], row[2], row[3], materials[row[1]])
        for row in db.execute(
            "SELECT o.id, o.material_id, o.supplier_id, s.name FROM offers o JOIN suppliers s ON s.id = o.supplier_id WHERE o.active"
        ).fetchall() if row[1] in materials
    }
    now = parse_time(as_of)
    where = " OR ".join("(fetched_at > ? AND fetched_at <= ?)" for _ in ranges)
    params = [t for start, end in ranges for t in ((now - timedelta(days=start)).isoformat(), (now - timedelta(days=end)).isoformat())]
    for offer_id, obs_id, fetched_at, price, in_stock, day in db.execute(
        f"SELECT offer_id, id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations "
        f"WHERE ({where}) AND status = 'ok' AND {column} IS NOT NULL ORDER BY offer_id, fetched_at",
        params,
    ):
        if (view := views.get(offer_id)) is not None:
            view.history.append(Point(obs_id, fetched_at, price, in_stock, day))  # noqa: PLW2901
    deepest = max(start for start, _ in ranges)
    reaches_back = (now - timedelta(days=min(end for _, end in ranges if end > 0) if len(ranges) > 1 else 0)).isoformat()
    for view in views.values():
        if len(ranges) > 1 and (not view.history or view.history[0].fetched_at > reaches_back):
            # A young offer whose history does not reach the trend's far range: read all of it.
            view.history = [Point(*r) for r in db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? "
                f"AND status = 'ok' AND {column} IS NOT NULL AND fetched_at > ? AND fetched_at <= ? ORDER BY fetched_at",
                [view.id, (now - timedelta(days=deepest)).isoformat(), as_of])]
        if len(view.history) < 2:  # a rarely priced offer: its last two prices, however old
            rows = db.execute(
                f"SELECT id, fetched_at, {column}, in_stock, julianday(fetched_at) FROM observations WHERE offer_id = ? AND status = 'ok' "
                f"AND {column} IS NOT NULL AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 2", [view.id, as_of]
            ).fetchall()
            view.history = [Point(*r) for r in reversed(rows)]
    return views


def evaluate(db: sqlite_utils.Database, config: Config, as_of: str, held_suppliers: Iterable[str] = ()) -> list[Finding]:
    """Findings for every active offer and material at ``as_of``; offers of ``held_suppliers``
    (whose extraction broke this run) are left alone so their alerts keep their state."""
    held = set(held_suppliers)
    column = "landed_unit_price" if config.compare == "landed" else "unit_price"
    all_rules = {m.id: config.rules_for(m) for m in config.materials}
    views = load_offers(db, config, as_of, column, history_ranges(r for rules in all_rules.values() for r in rules))
    fmt = Formatter(config.currency)
    findings: list[Finding] = []
    by_material: dict[str, list[OfferView]] = {}
    for view in views.values():
        by_material.setdefault(view.material.id, []).append(view)
        if view.supplier_id in held:
            continue
        counters: dict[str, int] = {}
        for rule in all_rules[view.material.id]:
            counters[rule.kind] = counters.get(rule.kind, 0) + 1
            if isinstance(rule, StaleRule):
                last_valid = view.latest.fetched_at if view.latest else None
                first_seen = None if last_valid else db.execute(
                    "SELECT min(fetched_at) FROM observations WHERE offer_id = ? AND fetched_at <= ?", [view.id, as_of]).fetchone()[0]
                if (found := _stale(rule, view, last_valid, first_seen, as_of, fmt)) is not None:
                    findings.append(found)
                continue
            evaluator = PRICE_RULES.get(type(rule))
            if evaluator is None:
                continue
            for direction, holds, reference, message, severity in evaluator(rule, view, fmt, as_of):
                findings.append(Finding(
                    f"{rule.kind}#{counters[rule.kind]}:{view.id}:{direction}", describe(rule), rule.kind, view.material.id,
                    view.id, view.supplier_id, direction, severity, holds, view.latest.unit_price if view.latest else None,
                    reference, message, getattr(rule, "confirm", 1), view.latest.id if view.latest else None,
                    getattr(rule, "escalate_percent", None)))
    for material in config.materials:
        cheapest_rules = [r for r in all_rules[material.id] if isinstance(r, CheapestRule)]
        offers = [o for o in by_material.get(material.id, []) if o.supplier_id not in held]
        for number, rule in enumerate(cheapest_rules, 1):
            findings += _cheapest(rule, number, material, offers, as_of, fmt)
    return findings


def extraction_findings(config: Config, rows: list[dict[str, Any]]) -> list[Finding]:
    """Per supplier in this run: did enough of its pages give a price? (Held suppliers are those holding.)"""
    rule = config.extraction_rule()
    names = {s.id: s.name for s in config.suppliers}
    counts: dict[str, list[int]] = {}
    for row in rows:
        total_valid = counts.setdefault(row["supplier_id"], [0, 0])
        total_valid[0] += 1
        total_valid[1] += row["status"] in ("ok", "suspect")
    findings = []
    for supplier, (total, valid) in counts.items():
        holds = valid / total < rule.min_valid_share
        message = (f"{names.get(supplier, supplier)}: only {valid} of {total} pages gave a price; its price alerts are held back until it recovers"
                   if holds else f"{names.get(supplier, supplier)}: pages give prices again ({valid} of {total})")
        findings.append(Finding(f"extraction#1:{supplier}:broken", describe(rule), "extraction", None, None, supplier,
                                "broken", rule.severity, holds, valid / total, rule.min_valid_share, message))
    return findings
