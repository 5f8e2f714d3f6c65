"""Load and validate ``supplywatch.yml``: every problem names its key path, nothing is written.

The config is read first and imports no stage. The rule kinds a file may name are the rules'
(:mod:`monitor.rules.registry`): they are handed over through :func:`accept_rule_kinds`, which
``monitor/__init__.py`` calls, so a rule is still validated by its own class when the file loads.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from importlib import resources
from pathlib import Path
from typing import AbstractSet, Annotated, Any, Callable, Literal, NamedTuple
from urllib.parse import urlparse

import apprise
import yaml
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetPydanticSchema, ValidationError, PrivateAttr, field_validator
from pydantic_core import CoreSchema

from spiders.offer import OfferSpec

from . import units

DEFAULT_CONFIG = "supplywatch.yml"
EXAMPLE = resources.files("monitor").joinpath("example.yml").read_text(encoding="utf-8")
SLUG = r"^[a-z0-9][a-z0-9_.-]*$"
_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """A config problem a person can fix; ``str()`` names the key path and what was expected."""


class RuleKinds(NamedTuple):
    """What validating a file's rules needs from the rule kinds (:mod:`monitor.rules.registry`)."""

    union: Any  # every kind the owner may write, as one pydantic union told apart by ``kind``
    names: tuple[str, ...]  # their ``kind`` names: pydantic puts the one chosen in an error's path
    misplaced: Callable[[Any, AbstractSet[str]], str | None]  # why a rule cannot stand where it was written


_rule_kinds: RuleKinds | None = None


def accept_rule_kinds(kinds: RuleKinds) -> None:
    """Take the rule kinds files are validated with (``monitor/__init__.py`` hands over the registry's)."""
    global _rule_kinds
    _rule_kinds = kinds


def _kinds() -> RuleKinds:
    if _rule_kinds is None:
        raise RuntimeError("no rule kinds to validate rules with: monitor/__init__.py hands them over")
    return _rule_kinds


def _rule_schema(_source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    return handler.generate_schema(_kinds().union)


# A rule of any registered kind, validated by its own class (built when a config is first
# validated, so the kinds may be handed over after this module is imported).
Rule = Annotated[Any, GetPydanticSchema(_rule_schema)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CrawlSettings(_Strict):
    contact: str = Field(description="E-mail or URL put in the User-Agent so suppliers can reach you")
    delay_seconds: float = Field(2.0, ge=0)
    timeout_seconds: float = Field(30.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    scrapyd: list[str] = Field([], description="scrapyd servers to crawl on instead of this machine")
    scrapyd_jobs: int | None = Field(None, ge=1, description="how many jobs to split the offers into")
    scrapyd_timeout_minutes: float = Field(360, gt=0)
    # Time budgets: pages of a supplier still waiting when its budget (from its first request) or the
    # night's runs out are recorded as errors, not fetched; slow pages cannot stretch either.
    supplier_budget_minutes: float = Field(60, gt=0, le=24 * 60, description="most time spent on one supplier each night")
    night_budget_minutes: float = Field(240, gt=0, le=24 * 60, description="most time the whole crawl takes each night")
    scrapyd_node_timeout_seconds: float = Field(
        60, gt=0, description="how long a scrapyd node may keep silent before its jobs go to another node")
    scrapyd_main_address: str | None = Field(
        None, description="host or host:port where the scrapyd nodes reach this machine for their offers "
                          "(default: the address this machine uses to reach each node, any free port)")

    @field_validator("scrapyd")
    @classmethod
    def _nodes_are_urls(cls, value: list[str]) -> list[str]:
        for node in value:
            if not node.startswith(("http://", "https://")):
                raise ValueError(f"{node!r} is not a URL; write it as http://host:6800")
        return value

    @field_validator("contact")
    @classmethod
    def _contact_is_reachable(cls, value: str) -> str:
        if "@" not in value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an e-mail address or a URL where suppliers can reach you")
        return value


class NotifyTarget(_Strict):
    url: str
    tags: list[str] = []


class NotifySettings(_Strict):
    urls: list[NotifyTarget] = []
    base_url: str | None = None  # where `supplywatch serve` is reached, for links in messages


class Shipping(_Strict):
    """What an order costs on top of the goods, in the supplier's currency."""

    flat: float = Field(0, ge=0)  # per order
    per_unit: float = Field(0, ge=0)  # per unit of the material (per kg, per gal ...)
    free_over: float | None = Field(None, ge=0)  # the flat charge is waived from this order value


class Supplier(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    name: str
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    locale: str | None = None  # how its pages write numbers; read from each page when not given
    shipping: Shipping | None = None
    fees_percent: float = Field(0, ge=0, le=100)  # card or marketplace fees on the order
    lead_time_days: float | None = Field(None, ge=0, le=365)  # from order to delivery
    minimum_order: float | None = Field(None, gt=0)  # the smallest order it takes, in its currency

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown locale {value!r} (expected e.g. en_US, de_DE, fr_FR)") from exc
        return value


class PriceList(_Strict):
    """Where this offer's row is in a price list (an HTML table or cards, or a CSV / XLSX file)."""

    match: str  # text naming the row: a SKU or the product's name
    price: str  # HTML: selector inside the row ("css:td.price::text"); CSV/XLSX: the price column
    rows: str | None = None  # HTML only: selector of the rows ("css:table.prices tr")
    key: str | None = None  # CSV/XLSX: the column holding `match` (default: any column)
    pack: str | None = None  # HTML: selector inside the row; CSV/XLSX: column with the pack size
    sheet: str | None = None  # XLSX: sheet name (default: the first)

    @field_validator("rows")
    @classmethod
    def _rows_selector(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("css:", "xpath:")):
            raise ValueError("a rows selector starts with 'css:' or 'xpath:', e.g. 'css:table.prices tr'")
        return value


class Offer(_Strict):
    supplier: str
    url: str
    id: Annotated[str, Field(pattern=SLUG)] | None = None
    pack: str | None = None
    price: str | None = None
    variant: str | None = None
    platform: Literal["shopify"] | None = None  # read the shop's JSON endpoint instead of the page
    list: PriceList | None = None
    order_quantity: float = Field(1, gt=0)  # packs bought per order: picks the quantity-break price, spreads shipping
    render: bool = False  # the page needs JavaScript: render it in Chromium (the [browser] extra)
    max_download_mb: int | None = Field(None, ge=1, le=500)  # a big price list: read up to this many MB (default 20)
    active: bool = True
    lead_time_days: float | None = Field(None, ge=0, le=365)  # overrides the supplier's for this offer

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        try:
            parsed.port  # noqa: B018 - a port past 65535 or of letters: no request could be made of it
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an http(s) URL ({exc})") from None
        return value

    @field_validator("pack")
    @classmethod
    def _pack_has_unit(cls, value: str | None) -> str | None:
        if value is not None:
            units.check_quantity(value)
        return value

    @field_validator("price")
    @classmethod
    def _selector_kind(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("css:", "xpath:")):
            raise ValueError("a price selector starts with 'css:' or 'xpath:', e.g. 'css:.price::text'")
        return value


class Material(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    name: str
    unit: str
    density: str | None = None  # e.g. "0.92 kg/L": lets a pack in litres be priced per kg

    @field_validator("density")
    @classmethod
    def _density_is_mass_per_volume(cls, value: str | None) -> str | None:
        if value is not None:
            units.parse_density(value)
        return value
    offers: list[Offer] = []
    rules: list[Rule] = []
    indexes: list[str] = []  # ids of public index series (the config's `indexes:`) that follow this material
    weekly_usage: str | None = None  # "20 kg": used each week besides what products' weekly plans use
    shelf_life_days: float | None = Field(None, gt=0)  # buying ahead never covers more than this
    safety_days: float | None = Field(None, ge=0, le=365)  # stock to keep on top of the lead time

    @field_validator("weekly_usage")
    @classmethod
    def _usage_has_unit(cls, value: str | None) -> str | None:
        if value is not None:
            units.parse_quantity(value)
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        units.material_unit(value)
        return value


class RecipeLine(_Strict):
    """How much of a material one batch uses, and optionally the supplier it is bought from."""

    quantity: str  # "2.5 kg", "12 each", "0.05 gal"
    supplier: str | None = None

    @field_validator("quantity")
    @classmethod
    def _has_unit(cls, value: str) -> str:
        units.check_quantity(value)
        return value


BATCH_WORDS = ("batch", "batche")  # yield_count("3 batches") singularises to "batche"


class Product(_Strict):
    """Something the owner makes: a recipe priced every night from the materials' offers."""

    id: Annotated[str, Field(pattern=SLUG)]
    name: str
    recipe: Annotated[dict[str, RecipeLine | str], Field(min_length=1)]  # material id -> "2.5 kg" or {quantity, supplier}
    yield_: str = Field("1 each", alias="yield")  # "40 bars": what one batch makes
    price: float | None = Field(None, gt=0)  # selling price of one unit, in the home currency
    target_margin: float | None = Field(None, gt=0, lt=100)  # percent of the selling price
    rules: list[Rule] = []
    weekly_plan: str | None = None  # "3 batches" or "120 bars" made a week: drives the materials' usage

    @field_validator("weekly_plan", mode="before")
    @classmethod
    def _plan_is_count(cls, value: str | int | float | None) -> str | None:
        if value is None:
            return None
        yield_count(str(value))
        return str(value)

    @property
    def batches_per_week(self) -> float:
        """How many batches the weekly plan makes ("3 batches", or "120 bars" of a 40-bar batch)."""
        if self.weekly_plan is None:
            return 0.0
        count, unit = yield_count(self.weekly_plan)
        return count if unit in BATCH_WORDS else count / self.yield_count

    @field_validator("yield_", mode="before")
    @classmethod
    def _yield_is_count(cls, value: str | int | float) -> str:
        yield_count(str(value))
        return str(value)

    def lines(self) -> dict[str, RecipeLine]:
        return {m: RecipeLine(quantity=line) if isinstance(line, str) else line for m, line in self.recipe.items()}

    @property
    def yield_count(self) -> float:
        return yield_count(self.yield_)[0]

    @property
    def yield_unit(self) -> str:
        return yield_count(self.yield_)[1]


def yield_count(text: str) -> tuple[float, str]:
    """``"40 bars"`` -> (40, "bar"); a bare number counts "each"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z][A-Za-z _-]*)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a yield: write how many one batch makes, e.g. '40 bars' or '1'")
    unit = (match.group(2) or "each").strip()
    return float(match.group(1)), units.singular(unit)


INDEX_SOURCES = ("fred", "bls", "worldbank", "ecb")


class IndexSeries(_Strict):
    """A public price series followed beside the suppliers: a producer price index (FRED or BLS),
    a World Bank Pink Sheet commodity, an ECB series. Fetched on real nights when a new value is due."""

    id: Annotated[str, Field(pattern=SLUG)]
    name: str
    source: Literal["fred", "bls", "worldbank", "ecb"]
    series: str  # WPU081 (FRED, BLS), COCONUT_OIL (Pink Sheet column), EXR/M.USD.EUR.SP00.A (ECB)
    url: str | None = None  # where to fetch it, when not the source's usual public address
    frequency: Literal["monthly", "daily"] = "monthly"
    publication_lag_days: int = Field(15, ge=0, le=120)  # how long after its period ends a value is published

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class BuyWindow(_Strict):
    """How the buy-window verdict reads a material's prices (see monitor/decisions/buywindow.py)."""

    low_days: int = Field(90, ge=14, le=730)  # "at its N-day low"
    near_low_percent: float = Field(2.0, ge=0, le=20)  # within this of the low counts as at the low
    trend_days: int = Field(30, ge=7, le=365)
    trend_percent: float = Field(3.0, gt=0, le=50)  # a move this large over trend_days is a trend
    index_percent: float = Field(3.0, gt=0, le=50)  # the linked index moving this much over 3 months
    high_percent: float = Field(5.0, gt=0, le=100)  # this far above the N-day median: wait if you can
    min_history_days: int = Field(60, ge=7, le=730)  # fewer days of prices: no call
    ahead_weeks: float = Field(12, gt=0, le=104)  # how far ahead a "buy now" buys (capped by shelf life)


class Decisions(_Strict):
    """Defaults for stock, reorder dates, buying and quotes."""

    lead_time_days: float = Field(7, ge=0, le=365)  # when neither supplier nor offer says
    safety_days: float = Field(7, ge=0, le=365)  # stock kept on top of the lead time
    cover_weeks: float = Field(8, gt=0, le=104)  # what one order covers, for reorders and `supplywatch order`
    cash_limit: float | None = Field(None, gt=0)  # the most one order may cost, home currency
    to_do_days: int = Field(7, ge=1, le=60)  # reorder dates and quote ends this close go on the to-do list
    quote_points: float = Field(3.0, gt=0, le=50)  # a quote that lost this many margin points is reported
    buy_window: BuyWindow = BuyWindow()


class Config(_Strict):
    database: str = "supplywatch.db"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    exchange_rates: dict[str, Annotated[float, Field(gt=0)]] = {}
    rates_feed: str | None = None  # "ecb" or a URL of a feed in the ECB's format: rates collected each run
    compare: Literal["listed", "landed"] = "listed"  # landed: rules and comparisons include shipping and fees
    crawl: CrawlSettings
    notify: NotifySettings = NotifySettings()
    # The owner's own units, before the materials that use them: {table: each, tote: 275 gal}.
    units: dict[str, str] = {}
    suppliers: Annotated[list[Supplier], Field(min_length=1)]  # offers name one: "known: none" helps nobody
    materials: list[Material]
    products: list[Product] = []
    rules: list[Rule] = []
    indexes: list[IndexSeries] = []
    decisions: Decisions = Decisions()
    # Set by load(): where the file lives, so relative paths resolve against it.
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _offers: list[OfferSpec] | None = PrivateAttr(default=None)
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)  # ${NAME} -> its value, set by load()

    @field_validator("units")
    @classmethod
    def _define_units(cls, value: dict[str, str]) -> dict[str, str]:
        problems = []
        for name, definition in value.items():
            try:
                units.define(name, str(definition))
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def secrets(self) -> dict[str, str]:
        """The environment variables the file names with ``${NAME}``, and their values: kept out of
        the database and messages as they were kept out of the file."""
        return dict(self._secrets)

    def conceal(self, text: str) -> str:
        """``text`` with ``${NAME}`` where a value of :attr:`secrets` stood (a token may sit in an
        offer URL's path, where taking away passwords and queries does not reach it)."""
        from .safe_text import conceal

        return conceal(text, self._secrets) if self._secrets and text else text

    @property
    def database_path(self) -> Path:
        return (self._base_dir / self.database).resolve()

    def supplier(self, supplier_id: str) -> Supplier:
        return next(s for s in self.suppliers if s.id == supplier_id)

    def offers(self) -> list[OfferSpec]:
        """Every offer flattened with what the spider and the store need to know about it
        (built once: a run asks for them many times, and a config is not changed once loaded)."""
        if self._offers is None:
            self._offers = self._flatten_offers()
        return list(self._offers)

    def _flatten_offers(self) -> list[OfferSpec]:
        suppliers = {s.id: s for s in self.suppliers}
        specs = []
        for material in self.materials:
            for offer in material.offers:
                supplier = suppliers[offer.supplier]
                specs.append(
                    OfferSpec(
                        offer_id=offer.id or f"{material.id}@{supplier.id}",
                        material=material.id,
                        supplier=supplier.id,
                        url=offer.url,
                        pack=offer.pack or f"1 {material.unit}",
                        unit=material.unit,
                        price_selector=offer.price,
                        variant=offer.variant,
                        currency=supplier.currency,
                        locale=supplier.locale,
                        active=offer.active,
                        pack_from_config=offer.pack is not None,
                        platform=offer.platform,
                        price_list=offer.list.model_dump() if offer.list else None,
                        order_quantity=offer.order_quantity,
                        render=offer.render,
                        max_download_mb=offer.max_download_mb,
                    )
                )
        return specs


def key_path(loc: tuple[Any, ...]) -> str:
    """Turn pydantic's ``('materials', 0, 'offers', 1, 'url')`` into ``materials[0].offers[1].url``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _rule_kinds is not None and part in _rule_kinds.names and path.endswith("]"):
            continue  # pydantic names the union branch; the user never wrote it
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            path += f"[{str(part)!r}]"  # a key a person would not recognise bare: '' or 'two words'
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _interpolate(node: Any, path: tuple[Any, ...], problems: list[str], used: dict[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` from the environment so secrets stay out of the file; ``used`` collects
    the names and values substituted."""
    used = {} if used is None else used
    if isinstance(node, dict):
        return {k: _interpolate(v, path + (k,), problems, used) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, path + (i,), problems, used) for i, v in enumerate(node)]
    if isinstance(node, str):
        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append(f"{key_path(path)}: environment variable {name} is not set")
                return ""
            used[name] = os.environ[name]
            return os.environ[name]

        return _ENV_VAR.sub(substitute, node)
    return node


def _cross_check(config: Config) -> list[str]:
    """What pydantic cannot see from one key: references between sections."""
    problems = []
    supplier_ids = [s.id for s in config.suppliers]
    for i, sid in enumerate(supplier_ids):
        if supplier_ids.index(sid) != i:
            problems.append(f"suppliers[{i}].id: {sid!r} is used by another supplier")
    for i, supplier in enumerate(config.suppliers):
        if supplier.currency != config.currency and supplier.currency not in config.exchange_rates and not config.rates_feed:
            problems.append(
                f"suppliers[{i}].currency: {supplier.currency} differs from the home currency "
                f"{config.currency}; add 'exchange_rates: {{{supplier.currency}: <{config.currency} per {supplier.currency}>}}' or 'rates_feed: ecb'"
            )
    for i, target in enumerate(config.notify.urls):
        if apprise.Apprise.instantiate(target.url) is None:
            problems.append(f"notify.urls[{i}].url: Apprise does not understand this URL (see https://github.com/caronc/apprise/wiki)")
    material_ids: list[str] = []
    offer_ids: set[str] = set()
    for m, material in enumerate(config.materials):
        if material.id in material_ids:
            problems.append(f"materials[{m}].id: {material.id!r} is used by another material")
        material_ids.append(material.id)
        problems += _check_rules(material.rules, f"materials[{m}].rules", {"offer", "material"}, material.unit, config.currency)
        for o, offer in enumerate(material.offers):
            where = f"materials[{m}].offers[{o}]"
            if offer.supplier not in supplier_ids:
                problems.append(f"{where}.supplier: unknown supplier {offer.supplier!r} (known: {', '.join(supplier_ids) or 'none'})")
                continue
            if offer.pack:
                try:
                    units.amount_in(units.parse_quantity(offer.pack), material.unit, material.density)
                except ValueError as exc:
                    problems.append(f"{where}.pack: {exc} (the material is priced per {material.unit})")
            offer_id = offer.id or f"{material.id}@{offer.supplier}"
            if offer_id in offer_ids:
                problems.append(f"{where}: a second offer of {material.id!r} at {offer.supplier!r} needs its own 'id:'")
            offer_ids.add(offer_id)
    problems += _check_rules(config.rules, "rules", {"offer", "material", "supplier"}, None, config.currency)
    problems += _check_products(config)
    problems += _check_decisions(config)
    return problems


def _check_rules(rules: list[Rule], where: str, allowed: set[str], unit: str | None, currency: str) -> list[str]:
    """Each rule where its kind applies, and no two rules watching the same thing (an alert's
    identity is what its rule watches, so two such rules would share their alerts)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for r, rule in enumerate(rules):
        wrong = _kinds().misplaced(rule, allowed)
        if wrong:
            problems.append(f"{where}[{r}]: {wrong}")
            continue
        for direction in rule.directions:
            key = f"{rule.kind}({rule.identity(direction, unit, currency)}):{direction}"
            if key in seen and seen[key] != r:
                problems.append(f"{where}[{r}]: watches the same as {where}[{seen[key]}]; remove one or give each its own 'id:'")
                break
            seen[key] = r
    return problems


def _check_decisions(config: Config) -> list[str]:
    """Index links name a known series; usage converts to the material's unit."""
    problems: list[str] = []
    index_ids: list[str] = []
    for i, index in enumerate(config.indexes):
        if index.id in index_ids:
            problems.append(f"indexes[{i}].id: {index.id!r} is used by another index")
        index_ids.append(index.id)
    for m, material in enumerate(config.materials):
        for k, index_id in enumerate(material.indexes):
            if index_id not in index_ids:
                problems.append(f"materials[{m}].indexes[{k}]: unknown index {index_id!r} (known: {', '.join(index_ids) or 'none; add them under indexes:'})")
        if material.weekly_usage:
            try:
                units.amount_in(units.parse_quantity(material.weekly_usage), material.unit, material.density)
            except ValueError as exc:
                problems.append(f"materials[{m}].weekly_usage: {exc} (the material is priced per {material.unit})")
    for p, product in enumerate(config.products):
        if product.weekly_plan is not None:
            _, unit = yield_count(product.weekly_plan)
            if unit not in BATCH_WORDS and unit != product.yield_unit:
                problems.append(f"products[{p}].weekly_plan: {product.weekly_plan!r} counts {unit}; write it in batches "
                                f"('3 batches') or in the unit of its yield ('{product.yield_}')")
    return problems


def _check_products(config: Config) -> list[str]:
    """Every recipe line names a known material, in a unit that converts to the material's."""
    problems: list[str] = []
    materials = {m.id: m for m in config.materials}
    product_ids: list[str] = []
    for p, product in enumerate(config.products):
        if product.id in product_ids:
            problems.append(f"products[{p}].id: {product.id!r} is used by another product")
        product_ids.append(product.id)
        problems += _check_rules(product.rules, f"products[{p}].rules", {"product"}, product.yield_unit, config.currency)
        if product.target_margin is not None and product.price is None:
            problems.append(f"products[{p}].target_margin: a margin needs the selling price: add 'price: <per {product.yield_unit}>'")
        for material_id, line in product.lines().items():
            where = f"products[{p}].recipe.{material_id}"
            material = materials.get(material_id)
            if material is None:
                problems.append(f"{where}: unknown material {material_id!r} (known: {', '.join(materials) or 'none'})")
                continue
            try:
                units.amount_in(units.parse_quantity(line.quantity), material.unit, material.density)
            except ValueError as exc:
                problems.append(f"{where}: {exc} (the material is priced per {material.unit})")
            if line.supplier and line.supplier not in {o.supplier for o in material.offers}:
                problems.append(f"{where}.supplier: no offer of {material_id!r} at {line.supplier!r}")
    return problems


def load(path: str | os.PathLike[str] = DEFAULT_CONFIG) -> Config:
    """Read, interpolate and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}); `supplywatch init` writes an example") from exc
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when there: 10x faster
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (database, crawl, suppliers, materials ...)")
    problems: list[str] = []
    secrets: dict[str, str] = {}
    data = _interpolate(data, (), problems, secrets)
    if problems:
        raise ConfigError(f"{path}: " + "\n  ".join(problems))
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{key_path(e['loc'])}: {_problem_words(e)}" for e in exc.errors()]
        raise ConfigError(f"{path}:\n  " + "\n  ".join(lines)) from None
    config._base_dir = path.parent.resolve()
    config._secrets = secrets
    problems = _cross_check(config)
    if problems:
        raise ConfigError(f"{path}:\n  " + "\n  ".join(problems))
    return config


def _setting_names(model: type[BaseModel] | None = None, seen: set[type] | None = None) -> set[str]:
    """Every key a config file may use, for "did you mean" (the models' fields and aliases, nested)."""
    model = model or Config
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        for kind in typing.get_args(field.annotation) or (field.annotation,):
            for inner in typing.get_args(kind) or (kind,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names |= _setting_names(inner, seen)
    return names


def _problem_words(error: Any) -> str:
    """A validation problem as the owner reads it: an unknown key says so and guesses the one meant
    ("not a setting supplywatch knows; did you mean delay_seconds?"), not pydantic's "Extra inputs"."""
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        guess = difflib.get_close_matches(key, sorted(_setting_names()), n=1, cutoff=0.75)
        return "not a setting supplywatch knows" + (f"; did you mean {guess[0]}?" if guess else " (misspelt, or in the wrong place?)")
    if error["type"] == "missing":
        return "missing (it is required)"
    return str(error["msg"]).removeprefix("Value error, ")


PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net", "example.de")


def advice(config: Config) -> list[str]:
    """What is valid but probably not meant: the example's contact address or pages left in."""
    notes = []
    contact = config.crawl.contact.lower()
    if any(contact.endswith("@" + domain) or f"//{domain}" in contact or f".{domain}" in contact for domain in PLACEHOLDER_DOMAINS):
        notes.append(f"crawl.contact is still the example address {config.crawl.contact}: suppliers see it in every request, "
                     "so put an e-mail address or web page where they can reach you")
    for m, material in enumerate(config.materials):
        for o, offer in enumerate(material.offers):
            host = (urlparse(offer.url).hostname or "").lower()
            if any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS):
                notes.append(f"materials[{m}].offers[{o}].url is the example's page {offer.url}: put the supplier's real product page")
    return notes
