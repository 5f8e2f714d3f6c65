"""The rules: where a price is judged. One class per rule kind, one module each (``index_rise`` and
``index_fall``, one rule read both ways, share ``index_moves.py``), registered in
:mod:`monitor.rules.registry`; the evaluation hands each rule the views it watches.

Adding a rule kind (the extension point)
----------------------------------------
1. Write ``monitor/rules/<kind>.py`` with one class extending :class:`RuleKind` (or
   :class:`~monitor.rules.moves.MoveRule` for a move up or down that resolves when the price comes
   back toward where it was before the move):

   - ``kind: Literal["<kind>"]`` and its config fields with defaults (pydantic: the config validates
     them and names the key of a bad value); ``severity``, ``confirm`` and ``id`` come from the base;
   - ``scopes``: what it judges (``Scope.OFFER`` an offer's unit prices, ``MATERIAL`` a material's
     offers side by side, ``SUPPLIER`` a supplier's pages in a run, ``PRODUCT`` a product's cost);
     ``directions``: the ways it can hold ("up", "above", ...);
   - ``identity_fields`` (or ``identity()``): the fields that define *what is watched*. An alert's
     fingerprint is kind + identity + target + direction, never the rule's position in the config;
     an owner-given ``id:`` replaces the fields, so a rule keeps its alerts when its numbers change;
   - ``evaluate(view, context)``: yield :class:`Finding` records (``holds`` True / False / None,
     severity from its policy, value, reference, ``measure`` = how far past, and the message as
     the owner reads it); ``history_days()``: how much history it reads;
   - ``escalate_step`` and ``further(told, now)``: its escalation measure (percent further for
     moves, percentage points past a limit for thresholds, margin points for margins);
   - ``alert_name``: what the owner calls its alert ("price change"), when the kind spaced out is not it.
2. Add the class to ``KINDS`` in ``registry.py``. An unknown kind is a config error; a kind written
   where its scope does not apply (``margin`` under a material) is a config error naming the key.
3. Tests: the kind on stored history (``tests/test_rules.py`` feeds nights through the real store).

The alert state machine (:mod:`monitor.alerts`) reads only findings: pending until ``confirm``
observations agree, firing, escalated when ``further`` passes ``escalate_step`` or the severity
rank rises, resolved when ``holds`` turns False, retired when the rule or its target is gone.
"""

from .base import Context, Finding, Formatter, OfferView, Point, RuleKind, Scope, SeriesView, Severity, Target, offer_label, parse_time
from .evaluate import evaluate_offers, evaluate_products, evaluate_suppliers, window_days
from .registry import (BY_KIND, DEFAULT_INDEX_RULES, DEFAULT_PRODUCT_RULES, DEFAULT_RULES, INDEX_RULE_KINDS, KINDS, QUOTE_MARGIN,
                       REORDER, RULE_KINDS, Rule, extraction_rule, index_rules_for, misplaced, rules_for_material,
                       rules_for_product)

__all__ = [
    "BY_KIND", "DEFAULT_INDEX_RULES", "DEFAULT_PRODUCT_RULES", "DEFAULT_RULES", "INDEX_RULE_KINDS", "KINDS", "QUOTE_MARGIN",
    "REORDER", "RULE_KINDS", "Context", "Finding", "Formatter", "OfferView",
    "Point", "Rule", "RuleKind", "Scope", "SeriesView", "Severity", "Target", "evaluate_offers", "evaluate_products",
    "evaluate_suppliers", "extraction_rule", "index_rules_for", "misplaced", "offer_label", "parse_time", "rules_for_material", "rules_for_product", "window_days",
]
