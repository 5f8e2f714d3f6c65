"""Which alerts the config still watches: every fingerprint its rules can produce, the reconcile
step that retires the rest after a run, and the re-keying of alerts written when a fingerprint was
the rule's position in the config (``threshold#2:walnut@acme:above``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Collection

import sqlite_utils

from ..rules import QUOTE_MARGIN, REORDER, RuleKind, Scope, Target, extraction_rule, index_rules_for, rules_for_material, rules_for_product
from ..rules.base import offer_label, watch_key
from ..rules.indexed import index_offer_target, index_target
from ..rules.registry import BUILT_IN, kind_name
from .state import OPEN, Alert, Gone, Transition, open_alerts, retire

if TYPE_CHECKING:
    from ..config import Config


def _fingerprints(rule: RuleKind, target: Target, unit: str | None, currency: str) -> list[str]:
    return [f"{watch_key(rule, target, d, unit, currency)}:{d}" for d in rule.directions]


def offer_target(offer_id: str, material_id: str, supplier_id: str, label: str) -> Target:
    return Target(Scope.OFFER, offer_id, label, material_id=material_id, offer_id=offer_id, supplier_id=supplier_id)


def live_fingerprints(config: Config) -> set[str]:
    """Every fingerprint the config's rules can raise on its active offers, materials, suppliers and
    products."""
    live: set[str] = set()
    suppliers = {s.id: s.name for s in config.suppliers}
    offers = [o for o in config.offers() if o.active]
    for material in config.materials:
        rules = [r for r in rules_for_material(config, material) if r.judged_here]
        mine = [o for o in offers if o.material == material.id]
        for index_rule in index_rules_for(config, material):  # judged by monitor.decisions.market, per linked index
            for index_id in material.indexes:
                if index_rule.kind == "above_index":
                    for offer in mine:
                        target = index_offer_target(material, index_id, offer.offer_id, offer.supplier, suppliers[offer.supplier])
                        live.update(_fingerprints(index_rule, target, "%", config.currency))
                else:
                    live.update(_fingerprints(index_rule, index_target(material, index_id), "%", config.currency))
        for rule in rules:
            if Scope.OFFER in rule.scopes or rule.kind == "cheapest":
                for offer in mine:
                    target = offer_target(offer.offer_id, material.id, offer.supplier, offer_label(material.name, suppliers[offer.supplier]))
                    live.update(_fingerprints(rule, target, material.unit, config.currency))
            if Scope.MATERIAL in rule.scopes:
                target = Target(Scope.MATERIAL, material.id, material.name, material_id=material.id)
                live.update(_fingerprints(rule, target, material.unit, config.currency))
    extraction = extraction_rule(config)
    for supplier in {o.supplier for o in offers}:
        live.update(_fingerprints(extraction, Target(Scope.SUPPLIER, supplier, suppliers[supplier], supplier_id=supplier), None, config.currency))
    for product in config.products:
        target = Target(Scope.PRODUCT, product.id, product.name, product_id=product.id)
        for rule in rules_for_product(product):
            live.update(_fingerprints(rule, target, product.yield_unit, config.currency))
    return live


_WATCH = re.compile(r"^(?P<kind>[a-z_]+)\((?P<identity>.*)\):(?P<rest>.+)$")


def _watched_otherwise(fingerprint: str, live: Collection[str]) -> bool:
    """Whether a rule of the same kind still watches the same target in the same direction, under
    other numbers (a threshold moved from 22 to 25): the fingerprint's identity is all that differs."""
    mine = _WATCH.match(fingerprint)
    if mine is None:
        return False
    return any((m := _WATCH.match(f)) is not None and m["kind"] == mine["kind"] and m["rest"] == mine["rest"] for f in live)


def _why_gone(alert: Alert, config: Config, live: Collection[str] = ()) -> tuple[Gone, str]:
    offers = {o.offer_id: o for o in config.offers()}
    if alert.product_id and alert.product_id not in {p.id for p in config.products}:
        return Gone.TARGET_REMOVED, "the product was removed from the config"
    if alert.material_id and alert.material_id not in {m.id for m in config.materials}:
        return Gone.TARGET_REMOVED, "the material was removed from the config"
    if alert.offer_id and alert.offer_id not in offers:
        return Gone.TARGET_REMOVED, "the offer was removed from the config"
    if alert.offer_id and not offers[alert.offer_id].active:
        return Gone.TARGET_REMOVED, "the offer was deactivated"
    if alert.supplier_id and not alert.offer_id and alert.supplier_id not in {o.supplier for o in offers.values() if o.active}:
        return Gone.TARGET_REMOVED, "the supplier has no active offers"
    if _watched_otherwise(alert.fingerprint, live):
        return Gone.RULE_CHANGED, "its rule was changed"
    return Gone.RULE_REMOVED, "its rule was removed"


def reconcile(db: sqlite_utils.Database, config: Config, night: str, silenced: Collection[str] = (),
              known: dict[str, Alert] | None = None, judged: Collection[str] = ()) -> list[Transition]:
    """Retire every open alert the config no longer watches; returns one transition each. Alerts
    whose fingerprint a rule ``judged`` tonight are watched, by definition."""
    open_ = known if known is not None else open_alerts(db)
    built_in = {kind_name(cls) for cls in BUILT_IN}  # reorder dates and quotes: their own module closes them
    materials = {m.id for m in config.materials}
    candidates = [f for f, a in open_.items() if a.state in OPEN and f not in judged
                  and (a.kind not in built_in or (a.material_id is not None and a.material_id not in materials))]
    if not candidates:
        return []  # every open alert was judged by a rule tonight: all still watched
    live = live_fingerprints(config)
    quiet = set(silenced)
    transitions = []
    with db.atomic():
        for fingerprint in candidates:
            if fingerprint in live:
                continue
            alert = open_.pop(fingerprint)
            gone, reason = _why_gone(alert, config, live)
            transitions.append(retire(db, alert, night, reason, bool(alert.ids & quiet), gone))
    return transitions


_LEGACY = re.compile(r"^(?P<kind>[a-z_]+)#(?P<n>\d+):(?P<rest>.+)$")


def _legacy_rule(kind: str, n: int, rules: tuple[RuleKind, ...]) -> RuleKind | None:
    same = [r for r in rules if r.kind == kind]
    return same[n - 1] if 0 < n <= len(same) else None


def rekey(db: sqlite_utils.Database, config: Config) -> int:
    """Give alerts written with positional fingerprints their identity under today's config: the rule
    at that position, if the config still has one (otherwise reconcile retires them). Returns how
    many were re-keyed."""
    rows = list(db.query("SELECT * FROM alerts WHERE fingerprint LIKE '%#%'"))
    if not rows:
        return 0
    materials = {m.id: m for m in config.materials}
    products = {p.id: p for p in config.products}
    suppliers = {s.id: s.name for s in config.suppliers}
    offers = {o.offer_id: o for o in config.offers()}
    taken = {r[0] for r in db.execute("SELECT fingerprint FROM alerts WHERE state IN ('pending', 'firing')")}
    changed = 0
    with db.atomic():
        for row in rows:
            alert = Alert.from_row(row)
            match = _LEGACY.match(alert.fingerprint)
            if match is None:
                continue
            kind, n, rest = match["kind"], int(match["n"]), match["rest"]
            new: str | None = None
            label = alert.label
            if kind == "quote" and rest.startswith("quote:"):  # quote#1:quote:<id>:margin
                quote_id = rest.split(":")[1]
                new = f"{watch_key(QUOTE_MARGIN, Target(Scope.QUOTE, quote_id, ''), 'lost')}:lost"
            elif kind == "reorder" and alert.material_id in materials:
                target = Target(Scope.MATERIAL, alert.material_id, materials[alert.material_id].name, material_id=alert.material_id)
                new, label = f"{watch_key(REORDER, target, 'due')}:due", target.label
            elif kind in ("index_rise", "index_fall", "above_index") and alert.material_id in materials:
                material = materials[alert.material_id]
                rule = _legacy_rule(kind, n, index_rules_for(config, material))
                parts = rest.split(":")  # <material>:<index>:up|down, or <material>:<index>:<offer>
                if rule is not None and len(parts) == 3:
                    if kind == "above_index" and alert.offer_id in offers:
                        offer = offers[alert.offer_id]
                        target = index_offer_target(material, parts[1], offer.offer_id, offer.supplier, suppliers[offer.supplier])
                    else:
                        target = index_target(material, parts[1])
                    new = f"{watch_key(rule, target, alert.direction, '%', config.currency)}:{alert.direction}"
            elif kind == "extraction" and alert.supplier_id in suppliers:
                target = Target(Scope.SUPPLIER, alert.supplier_id, suppliers[alert.supplier_id], supplier_id=alert.supplier_id)
                new = f"{watch_key(extraction_rule(config), target, 'broken')}:broken"
                label = target.label
            elif alert.product_id in products:
                product = products[alert.product_id]
                rule = _legacy_rule(kind, n, rules_for_product(product))
                if rule is not None:
                    target = Target(Scope.PRODUCT, product.id, product.name, product_id=product.id)
                    new = f"{watch_key(rule, target, alert.direction, product.yield_unit, config.currency)}:{alert.direction}"
                    label = product.name
            elif kind == "cheapest" and alert.material_id in materials:
                material = materials[alert.material_id]
                rule = _legacy_rule(kind, n, rules_for_material(config, material))
                if rule is not None and alert.direction == "spread":
                    target = Target(Scope.MATERIAL, material.id, material.name, material_id=material.id)
                    new, label = f"{watch_key(rule, target, 'spread')}:spread", material.name
                elif rule is not None and alert.offer_id in offers:
                    offer = offers[alert.offer_id]
                    target = offer_target(offer.offer_id, material.id, offer.supplier, offer_label(material.name, suppliers[offer.supplier]))
                    new, label = f"{watch_key(rule, target, 'cheapest')}:cheapest", target.label
            elif alert.offer_id in offers and alert.material_id in materials:
                material, offer = materials[alert.material_id], offers[alert.offer_id]
                rule = _legacy_rule(kind, n, rules_for_material(config, material))
                if rule is not None and rest.endswith(f":{alert.direction}"):
                    target = offer_target(offer.offer_id, material.id, offer.supplier, offer_label(material.name, suppliers[offer.supplier]))
                    new = f"{watch_key(rule, target, alert.direction, material.unit, config.currency)}:{alert.direction}"
                    label = target.label
            if new is None or (alert.state in OPEN and new in taken):
                new = "legacy:" + alert.fingerprint.replace("#", "-")  # no rule of today's config watches it: reconcile retires it
            db.execute("UPDATE alerts SET fingerprint = ?, label = coalesce(label, ?) WHERE id = ?", [new, label, alert.id])
            if alert.state in OPEN:
                taken.add(new)
            changed += 1
    return changed
