"""What every rule kind shares: severity as a rank, what a rule watches, the finding it returns, and
the base class a kind extends (its config fields, identity, severity policy, escalation measure).

A rule kind is a pydantic model, so the config validates its fields, and a class with behaviour:
``evaluate(view, context)`` yields :class:`Finding` records for the targets it watches. The alert
state machine (``monitor.alerts``) only reads findings; it never looks inside a rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping, NamedTuple, Protocol

from babel.numbers import format_currency
from pydantic import BaseModel, ConfigDict, Field

from .. import display, units
from ..times import days_between, parse_time  # noqa: F401 (the rules and decisions read times through here)

if TYPE_CHECKING:
    from ..config import Material

SLUG = r"^[a-z0-9][a-z0-9_.-]*$"


class Severity(StrEnum):
    """How urgent an alert is. Ordered by rank (info < warning < critical), never by its name."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        return self.rank < Severity(other).rank  # type: ignore[arg-type]

    def __le__(self, other: object) -> bool:
        return self.rank <= Severity(other).rank  # type: ignore[arg-type]

    def __gt__(self, other: object) -> bool:
        return self.rank > Severity(other).rank  # type: ignore[arg-type]

    def __ge__(self, other: object) -> bool:
        return self.rank >= Severity(other).rank  # type: ignore[arg-type]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Scope(StrEnum):
    """What a rule judges: one offer's prices, a material's offers side by side, a supplier's pages
    in one run, or a product's cost and margin."""

    OFFER = "offer"
    MATERIAL = "material"
    SUPPLIER = "supplier"
    PRODUCT = "product"
    QUOTE = "quote"  # a quote given to a customer (monitor.decisions)


@dataclass(frozen=True)
class Target:
    """Who a finding is about, with the ids an alert row keeps and the name people read."""

    scope: Scope
    id: str
    label: str
    material_id: str | None = None
    offer_id: str | None = None
    supplier_id: str | None = None
    product_id: str | None = None

    @property
    def ids(self) -> set[str]:
        """Every id a silence may name to cover this target."""
        return {i for i in (self.material_id, self.offer_id, self.supplier_id, self.product_id) if i}


def offer_label(material_name: str, supplier_name: str) -> str:
    """An offer as people read it: "Coconut oil at Soap Supply Co", or the material alone when there is
    no supplier to name (a backtest of the owner's own file: "Coconut oil up 12%", never "at the file")."""
    return f"{material_name} at {supplier_name}" if supplier_name else material_name


class Point(NamedTuple):
    """One valid value of a series: an offer's unit price or a product's unit cost."""

    id: int
    fetched_at: str
    unit_price: float
    in_stock: int | None
    day: float  # Julian day of fetched_at, read by SQLite once, so windows are plain comparisons


# Windows are counted in nights: a price fetched a moment after its night's time (a re-fetch, a
# crawl that started late) belongs to the same night, whichever side of a window's edge it falls.
SAME_NIGHT = 1 / 24  # days


@lru_cache(maxsize=32)
def _pattern(currency: str) -> tuple[str, str]:
    # Babel is slow per call and the night formats thousands: learn the pattern once per currency.
    sample = format_currency(1234.5, currency, locale="en_US")
    return tuple(sample.split("1,234.50")) if "1,234.50" in sample else (f"{currency} ", "")  # type: ignore[return-value]


class Formatter:
    """Money and units as a phone's lock screen shows them: "$22.71/bd ft"."""

    def __init__(self, currency: str):
        self.currency = currency
        self.prefix, self.suffix = _pattern(currency)

    def price(self, value: float, unit: str) -> str:
        """"$22.71/bd ft", "$4.20 each"; a price per gram keeps its digits as the pages show it."""
        digits = display.price_decimals(value)
        return f"{self.prefix}{value:,.{digits}f}{self.suffix}{units.per(unit)}"  # "/bd ft", " each": the unit in words

    def money(self, value: float) -> str:
        return f"{self.prefix}{value:,.2f}{self.suffix}"


@dataclass(frozen=True)
class Finding:
    """One rule's judgement of one target in one direction, tonight.

    ``holds`` is True when the condition holds, False when it has cleared past its hysteresis band,
    None in between (nothing changes). ``measure`` is how far past the condition the value is, in
    the rule's own escalation measure (bigger is worse); ``anchor`` is where the value was before the
    move, for rules that resolve when the value comes back there.
    """

    rule: "RuleKind"
    target: Target
    direction: str
    holds: bool | None
    severity: Severity
    message: str
    value: float | None = None
    reference: float | None = None
    measure: float | None = None
    anchor: float | None = None
    anchor_at: str | None = None
    observation_id: int | None = None
    observed_at: str | None = None  # when the judged value was fetched: where a chart marks the alert
    unit: str | None = None
    currency: str | None = None
    closes: str | None = None  # when this fires: the message that ends a firing alert in the opposite direction
    driver: str | None = None  # the input behind most of a product's move, by name ("Walnut"): for a title

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def watch(self) -> str:
        """What is watched, without the direction: the rule's identity on its target."""
        return watch_key(self.rule, self.target, self.direction, self.unit, self.currency)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule, self.target, self.direction, self.unit, self.currency)


def watch_key(rule: "RuleKind", target: Target, direction: str, unit: str | None = None, currency: str | None = None) -> str:
    return f"{rule.kind}({rule.identity(direction, unit, currency)}):{target.scope.value}:{target.id}"


def fingerprint(rule: "RuleKind", target: Target, direction: str, unit: str | None = None, currency: str | None = None) -> str:
    """A :class:`Finding`'s fingerprint, without building a Finding for it (a rule asks for its open alert)."""
    return f"{watch_key(rule, target, direction, unit, currency)}:{direction}"


def _number(value: float) -> str:
    return f"{value:g}"


class RuleKind(BaseModel):
    """The base of every rule kind. A kind declares its config fields (pydantic), ``scopes`` (what it
    evaluates), ``directions``, which fields make its identity, its severity policy
    (:meth:`severity_for`), its escalation measure (:meth:`further` against ``escalate_step``) and
    its messages (in :meth:`evaluate`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    id: str | None = Field(None, pattern=SLUG, description="your name for this rule: keeps its alerts when you change its numbers")
    severity: Severity = Severity.WARNING
    confirm: int = Field(1, ge=1, le=10)

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.OFFER})
    directions: ClassVar[tuple[str, ...]] = ()
    identity_fields: ClassVar[tuple[str, ...]] = ()
    # Directions that cannot hold together: when one fires, a firing alert in the other is over.
    opposites: ClassVar[dict[str, str]] = {}
    # Rules whose alerts resolve only when the value comes back toward where it was before the move.
    anchored: ClassVar[bool] = False
    # False for kinds another module judges with data of its own (the index rules, reorder dates).
    judged_here: ClassVar[bool] = True
    # What the owner calls this kind's alert ("its price change alert is closed"); the kind, spaced, when unset.
    alert_name: ClassVar[str] = ""

    @classmethod
    def named(cls) -> str:
        """The kind's alert in the owner's words: "price change", "run-up", "rise above its index"."""
        return cls.alert_name or cls.model_fields["kind"].annotation.__args__[0].replace("_", " ")  # type: ignore[union-attr]

    def identity(self, direction: str, unit: str | None = None, currency: str | None = None) -> str:
        """What this rule watches, in words that do not depend on its place in the config: the owner's
        ``id:`` when given, else the fields that define the condition."""
        if self.id:
            return f"id={self.id}"
        parts = []
        for name in self.identity_fields:
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={_number(value) if isinstance(value, float) else value}")
        return ",".join(parts)

    def describe(self) -> str:
        """How the rule reads in messages and in the alerts table."""
        return self.kind

    @property
    def escalate_step(self) -> float | None:
        """How much further (in :meth:`further`'s measure) a firing alert must go to tell again."""
        return None

    def further(self, told: float, now: float) -> float:
        """How much further ``now`` is past the condition than when the owner was last told (in the
        rule's own measure: percent, percentage points of a limit, margin points)."""
        return now - told

    def evaluate(self, view: Any, context: "Context") -> Iterator[Finding]:
        """The findings of this rule for one target (an offer, material, supplier or product view)."""
        raise NotImplementedError

    def history_days(self) -> float:
        """How many days of history the rule reads for one evaluation."""
        return 0


class OpenAlert(Protocol):
    """What a rule reads of one of its open alerts (a :class:`monitor.alerts.state.Alert`): the rules
    judge before the alerts stage, so they name only what they read."""

    @property
    def state(self) -> str: ...

    @property
    def direction(self) -> str: ...

    @property
    def anchor(self) -> float | None: ...  # where the value was before the move that fired it

    @property
    def anchor_at(self) -> str | None: ...

    @property
    def first_fired(self) -> str | None: ...  # the night the owner was first told

    @property
    def notified_value(self) -> float | None: ...  # the value the owner was last told

    @property
    def notified_measure(self) -> float | None: ...  # its escalation measure then

    @property
    def last_fired(self) -> str | None: ...  # the night the owner was last told (fired or escalated)

    @property
    def told(self) -> bool: ...


@dataclass
class Context:
    """What a rule may consult while judging: the time, money formatting, and the open alerts (rules
    that resolve toward an anchor read where the value was when their alert fired)."""

    as_of: str
    fmt: Formatter
    open_alerts: Mapping[str, OpenAlert] = field(default_factory=dict)

    def firing(self, fingerprint: str) -> OpenAlert | None:
        alert = self.open_alerts.get(fingerprint)
        return alert if alert is not None and alert.state == "firing" else None


@dataclass
class SeriesView:
    """A series as the price rules see it: an offer's unit prices or a product's unit cost."""

    target: Target
    unit: str
    currency: str
    history: list[Point] = field(default_factory=list)
    sampled: list[tuple[float, float]] | None = None  # (day, price) read of the far past for a run-up (``runup.climb_points``)

    @property
    def latest(self) -> Point | None:
        return self.history[-1] if self.history else None

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def subject(self) -> str:
        """What a message says moved: the offer by name, or "Walnut side table cost" (a product's
        number is what it costs to make, never read as its selling price)."""
        return f"{self.target.label} cost" if self.target.scope == Scope.PRODUCT else self.target.label

    def explain(self, direction: str, since: str | None = None) -> str | None:
        """Why the series moved that way (lately, or ``since`` a day), when known (a product names
        the input that drove it)."""
        return None

    def driver(self, direction: str, since: str | None = None) -> str | None:
        """The input behind most of that move, by name, when known (a product's): a title says it."""
        return None

    def restated(self, value: float, at: str | None) -> float:
        """A value an alert was anchored on at ``at``, measured as tonight's is (a product's cost on
        tonight's recipe); an offer's price is what it was."""
        return value


@dataclass
class OfferView(SeriesView):
    """One offer as the rules see it: its recent valid prices and who sells it."""

    supplier_name: str = ""
    material: "Material | None" = None
    first_seen: str | None = None  # first observation of any status (set when a rule needs it)

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def supplier_id(self) -> str:
        assert self.target.supplier_id is not None
        return self.target.supplier_id


def log_percent(value: float, reference: float) -> float:
    """A move as 100 x its log ratio: moves add up, and up and down are symmetric."""
    return 100 * math.log(value / reference)
