"""What the market says about a material: its linked public index against its suppliers' prices.

Three readings, each a rule kind an owner may tune (``index_rise``, ``index_fall``, ``above_index``)
and all three on by default for a material linked to an index:

- the index rose while the suppliers have not moved yet: "expect an increase; buy ahead";
- the index fell while the suppliers stay flat: "ask for a better price";
- a supplier rose far more than its index: "this rise is not the market".

Both moves are measured over the same span: from the index value ``months`` before its newest
published one, to tonight for the suppliers (an index is published weeks after its month, and a
supplier that has not moved since the index began to climb has not moved yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import sqlite_utils

from .. import display
from ..config import Config, Material
from ..rules.above_index import AboveIndexRule
from ..rules.base import Finding
from ..rules.index_moves import IndexMoveRule
from ..rules.indexed import IndexRule, index_offer_target, index_target
from ..rules.registry import index_rules_for
from . import indexes
from .prices import DayPrice

FRESH_DAYS = 14  # a supplier without a price this recent is left out of "the suppliers"
FAR_MORE = 1.5  # "far more than its index": at least half again the index's own rise
FALLING_DAYS = 30  # a supplier whose price fell over this many days is coming down already: not the night to ask why it rose


@dataclass(frozen=True)
class SupplierMove:
    offer_id: str
    supplier_id: str
    supplier_name: str
    percent: float

    def words(self) -> str:
        return f"{self.supplier_name} {display.change(self.percent)}"  # "Acme Lumber ±0%", "Corner Shop +4.2%"


def index_rules(config: Config, material: Material) -> list[IndexRule]:
    """The index rules a material is judged by: its (or the defaults') own, or all three when none is set."""
    return list(index_rules_for(config, material))


def supplier_moves(histories: dict[tuple[str, str, str], list[DayPrice]], since: date, today: date,
                   until: date | None = None) -> list[SupplierMove]:
    """Each offer's move from its price on ``since`` to its price on ``until`` (default: its newest),
    for offers priced then and lately."""
    moves = []
    for (offer_id, supplier_id, name), history in histories.items():
        before = [p for p in history if p.day <= since]
        if not before or not history or (today - history[-1].day).days > FRESH_DAYS:
            continue
        end = [p for p in history if p.day <= until][-1] if until is not None else history[-1]
        moves.append(SupplierMove(offer_id, supplier_id, name, (end.unit_price / before[-1].unit_price - 1) * 100))
    return moves


def judge(material: Material, index_name: str, index_id: str, points: Sequence[indexes.IndexPoint],
          histories: dict[tuple[str, str, str], list[DayPrice]], rules: Sequence[IndexRule], today: date,
          frequency: str = "monthly") -> list[Finding]:
    """Findings of the index rules for one material on ``today`` (only values published by then).

    "Not moved yet" is judged up to tonight; "rose more than its index" over the index's own span
    (up to its newest period), so a rise the index has not been published for yet is
    not held against the supplier, nor one the supplier has given back since; and a supplier whose price
    fell over the last month is not newly asked why it rose."""
    findings: list[Finding] = []
    for rule in rules:
        moved = indexes.change_percent(list(points), rule.months)
        if moved is None:
            continue
        change, then, now = moved
        if frequency == "monthly":
            span = f"{then.period:%b %Y} to {now.period:%b %Y}"
        else:  # "2 Sep to 6 Dec", the day order of every other line
            span = f"{display.day_of_year(then.period, today)} to {display.day_of_year(now.period, today)}"
        since = indexes.period_middle(then.period, frequency)
        suppliers = supplier_moves(histories, since, today)
        if not suppliers:
            continue
        listed = ", ".join(s.words() for s in suppliers)
        if isinstance(rule, IndexMoveRule):
            sign = rule.sign
            moved_with = [s for s in suppliers if sign * s.percent >= rule.flat_percent]
            if sign * change >= rule.percent and not moved_with:
                holds: bool | None = True
            elif sign * change < rule.percent / 2 or moved_with:
                holds = False
            else:
                holds = None
            if sign > 0:
                advice = "expect an increase; buy ahead"
                message = (f"{material.name}: {index_name} rose {change:.1f}% ({span}) while your suppliers have not moved yet "
                           f"({listed}): {advice}") if holds else (
                           f"{material.name}: " + (f"your suppliers followed {index_name} ({listed})" if moved_with
                                                   else f"{index_name} is no longer rising ({display.change(change)}, {span})"))
            else:
                advice = "ask for a better price"
                message = (f"{material.name}: {index_name} fell {-change:.1f}% ({span}) while your suppliers stay flat "
                           f"({listed}): {advice}") if holds else (
                           f"{material.name}: " + (f"your suppliers came down with {index_name} ({listed})" if moved_with
                                                   else f"{index_name} is no longer falling ({display.change(change)}, {span})"))
            findings.append(Finding(rule, index_target(material, index_id), rule.directions[0], holds, rule.severity,
                                    message, change, rule.percent * sign, unit="%"))
        else:
            assert isinstance(rule, AboveIndexRule)
            tonight = {s.offer_id: s.percent for s in suppliers}
            lately = {s.offer_id: s.percent for s in supplier_moves(histories, today - timedelta(days=FALLING_DAYS), today)}
            for s in supplier_moves(histories, since, today, until=indexes.period_middle(now.period, frequency)):
                # A rise the supplier has given back since the index's newest period is not held against it:
                # "ask why" about a price already back down would send the owner after a move that is over.
                rose = min(s.percent, tonight.get(s.offer_id, s.percent))
                gap = ((1 + rose / 100) / (1 + change / 100) - 1) * 100  # how much dearer against the index than before
                far_more = rose >= FAR_MORE * change  # a supplier 18 % up on a 15 % market followed it; on 2 % it did not
                if rose >= rule.percent and gap >= rule.gap_points and far_more:
                    holds = True
                elif rose < rule.percent / 2 or gap < rule.gap_points / 2:
                    holds = False
                else:
                    holds = None
                falling = lately.get(s.offer_id, 0.0) <= -rule.percent / 2
                if holds and falling:  # coming down already: no new "ask why"; one told before stays until back in line
                    holds = None
                message = (f"{material.name} at {s.supplier_name} rose {rose:.1f}% while {index_name} moved {display.change(change)} "
                           f"({span}): this rise is not the market; ask {s.supplier_name} why, or compare suppliers"
                           ) if holds else (
                           f"{material.name} at {s.supplier_name} is coming down ({display.change(lately[s.offer_id])} in {FALLING_DAYS} days), "
                           f"still {display.change(rose)} while {index_name} moved {display.change(change)} ({span})") if falling and holds is None else (
                           f"{material.name} at {s.supplier_name} back in line with {index_name} ({display.change(rose)} vs {display.change(change)})")
                findings.append(Finding(rule, index_offer_target(material, index_id, s.offer_id, s.supplier_id, s.supplier_name), "above",
                                        holds, rule.severity, message, rose, change, unit="%"))
    return findings


def offer_histories(db: sqlite_utils.Database, config: Config, material: Material, as_of: str, days: int) -> dict[tuple[str, str, str], list[DayPrice]]:
    """Each active offer's valid unit prices (the config's compare column), one per day."""
    from ..rules.base import parse_time

    column = "landed_unit_price" if config.compare == "landed" else "unit_price"
    names = {s.id: s.name for s in config.suppliers}
    since = (parse_time(as_of) - timedelta(days=days)).isoformat()
    result: dict[tuple[str, str, str], list[DayPrice]] = {}
    for offer in (o for o in config.offers() if o.material == material.id and o.active):
        rows = db.execute(f"SELECT substr(fetched_at, 1, 10), {column} FROM observations WHERE offer_id = ? AND status = 'ok' "
                          f"AND {column} IS NOT NULL AND fetched_at > ? AND fetched_at <= ? ORDER BY fetched_at",
                          [offer.offer_id, since, as_of]).fetchall()
        daily = {d: p for d, p in rows}
        result[(offer.offer_id, offer.supplier, names.get(offer.supplier, offer.supplier))] = [
            DayPrice(date.fromisoformat(d), p) for d, p in sorted(daily.items())]
    return result


def evaluate(db: sqlite_utils.Database, config: Config, as_of: str) -> list[Finding]:
    """Findings of the index rules for every material linked to an index."""
    from ..rules.base import parse_time

    today = parse_time(as_of).date()
    names = {i.id: i.name for i in config.indexes}
    frequencies = {i.id: i.frequency for i in config.indexes}
    findings: list[Finding] = []
    for material in config.materials:
        rules = index_rules(config, material)
        if not rules:
            continue
        longest = max(r.months for r in rules)
        histories = offer_histories(db, config, material, as_of, days=round(longest * 31) + 120)
        for index_id in material.indexes:
            points = indexes.series(db, index_id, known_on=today)
            findings += judge(material, names[index_id], index_id, points, histories, rules, today, frequencies[index_id])
    return findings
