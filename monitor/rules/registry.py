"""Every rule kind, registered in one place, and which rules apply where.

The config validates a rule against the class its ``kind`` names (an unknown kind is a config
error); the evaluation asks each rule what it watches (``scopes``). To add a kind, write its module
and add its class to ``KINDS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AbstractSet, Annotated, Union

from pydantic import Field

from .above_index import AboveIndexRule
from .base import RuleKind, Scope
from .change import ChangeRule
from .cheapest import CheapestRule
from .extraction import ExtractionRule
from .extreme import ExtremeRule
from .index_moves import IndexFallRule, IndexRiseRule
from .indexed import IndexRule
from .margin import MarginRule
from .quote import QuoteMarginRule
from .reorder import ReorderRule
from .runup import RunUpRule
from .stale import StaleRule
from .stock import StockRule
from .threshold import ThresholdRule
from .trend import TrendRule
from .volatility import VolatilityRule

if TYPE_CHECKING:
    from ..config import Config, Material, Product

KINDS: tuple[type[RuleKind], ...] = (
    ThresholdRule, ChangeRule, VolatilityRule, TrendRule, RunUpRule, ExtremeRule, StockRule, CheapestRule, StaleRule,
    ExtractionRule, MarginRule, IndexRiseRule, IndexFallRule, AboveIndexRule,
)
# Kinds the owner does not write: decisions raise them from stock and quotes.
BUILT_IN: tuple[type[RuleKind], ...] = (ReorderRule, QuoteMarginRule)


def kind_name(cls: type[RuleKind]) -> str:
    (name,) = cls.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    return str(name)


RULE_KINDS = tuple(kind_name(cls) for cls in KINDS)
BY_KIND: dict[str, type[RuleKind]] = {kind_name(cls): cls for cls in KINDS + BUILT_IN}
INDEX_RULE_KINDS = tuple(kind_name(cls) for cls in KINDS if issubclass(cls, IndexRule))

if TYPE_CHECKING:  # mypy cannot unpack KINDS into a Union: every kind is a RuleKind
    Rule = RuleKind
else:
    Rule = Annotated[Union[KINDS], Field(discriminator="kind")]

# The phone is for spikes: a rise, sudden (on its second night) or over weeks, rings it through the
# run-up rule; a move of 10 % either way, falls included, goes to the digest.
DEFAULT_RULES: tuple[RuleKind, ...] = (
    ChangeRule(kind="change", percent=10, baseline="median_30d"),
    TrendRule(kind="trend", percent=12, days=120),
    RunUpRule(kind="runup"),
    StaleRule(kind="stale", days=7),
    StockRule(kind="stock"),
)
DEFAULT_PRODUCT_RULES: tuple[RuleKind, ...] = (
    ChangeRule(kind="change", percent=5, baseline="median_30d", confirm=1), RunUpRule(kind="runup"),
)
DEFAULT_INDEX_RULES: tuple[IndexRule, ...] = (
    IndexRiseRule(kind="index_rise"), IndexFallRule(kind="index_fall"), AboveIndexRule(kind="above_index"),
)
REORDER = ReorderRule(kind="reorder")
QUOTE_MARGIN = QuoteMarginRule(kind="quote")

WHERE = {
    Scope.OFFER: "an offer's prices", Scope.MATERIAL: "a material's offers side by side",
    Scope.SUPPLIER: "a supplier's pages", Scope.PRODUCT: "a product's cost and margin", Scope.QUOTE: "a quote you gave",
}


def rules_for_material(config: Config, material: Material) -> tuple[RuleKind, ...]:
    """A material's own rules override the defaults; with neither, the built-in defaults apply."""
    chosen = material.rules or config.rules or DEFAULT_RULES
    return tuple(r for r in chosen if r.scopes & {Scope.OFFER, Scope.MATERIAL})


def index_rules_for(config: Config, material: Material) -> tuple[IndexRule, ...]:
    """The index rules a material is judged by: its (or the defaults') own, or all three when none
    is set; none for a material without a linked index."""
    if not material.indexes:
        return ()
    chosen = tuple(r for r in rules_for_material(config, material) if isinstance(r, IndexRule))
    return chosen or DEFAULT_INDEX_RULES


def rules_for_product(product: Product) -> tuple[RuleKind, ...]:
    """A product's own rules (or the default cost change rule), and its margin rule when it has a target."""
    rules = tuple(product.rules) or DEFAULT_PRODUCT_RULES
    margins = [r for r in rules if isinstance(r, MarginRule)]
    if product.target_margin is not None and not margins:
        rules += (MarginRule(kind="margin"),)
    # A margin rule watches the product's own target unless it names one.
    return tuple(r.model_copy(update={"target": product.target_margin}) if isinstance(r, MarginRule) and r.target is None else r
                 for r in rules if not isinstance(r, MarginRule) or r.target is not None or product.target_margin is not None)


DEFAULT_EXTRACTION = ExtractionRule(kind="extraction")


def extraction_rule(config: Config) -> ExtractionRule:
    """The supplier-level check that a supplier's pages still yield prices (always on)."""
    return next((r for r in config.rules if isinstance(r, ExtractionRule)), DEFAULT_EXTRACTION)


HOME = {Scope.OFFER: "a material's rules", Scope.MATERIAL: "a material's rules", Scope.SUPPLIER: "the top-level rules",
        Scope.PRODUCT: "a product's rules", Scope.QUOTE: "nothing: supplywatch watches quotes by itself"}


def misplaced(rule: RuleKind, allowed: AbstractSet[str]) -> str | None:
    """Why a rule cannot go where it was written, or None."""
    if rule.scopes & allowed:
        return None
    judges = " or ".join(WHERE[s] for s in sorted(rule.scopes))
    homes = " or ".join(sorted({HOME[s] for s in rule.scopes}))
    return f"'{rule.kind}' judges {judges}: put it in {homes}"
