"""From what a page said to what a unit costs you: pack, unit, currency, landed cost, plausibility.

Every observation keeps its native price and currency; ``unit_price`` is per unit of the material
in the home currency, ``landed_unit_price`` adds the supplier's shipping and fees, and the row
records that unit and currency (``unit``, ``home_currency``), so a later change of either is
re-expressed instead of read as a move. A price that cannot be trusted is stored as *suspect*
with the reason (and a :class:`Doubt` the code reads) and is not used by the rules.

Pricing is total: whatever an item holds, it becomes one observation (ok, suspect or error with
the reason); no arithmetic on one page can stop the night.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Collection, NamedTuple

import sqlite_utils

from spiders.offer import OfferSpec

from .. import display, safe_text, units
from ..config import Config
from ..times import days_between
from .conversion import Conversion
from .items import MAX_PRICE, PriceItem, Status

IMPLAUSIBLE_RATIO = 5  # a unit price 5x above or below the recent median (x10, /100 glitches) is suspect
RECENT = 10  # how many valid prices the recent median is taken over
AGREEMENT = 0.25  # another supplier's price of the same material within 25 % makes a jump believable
AGREEMENT_DAYS = 7  # ... if it was read in the last week


class Doubt(StrEnum):
    """Why a price was held back as suspect (``error`` says it in words)."""

    JUMP = "jump"                  # x5 or more against the offer's recent median
    PACK = "pack"                  # the page's pack differs from the last one
    NOT_POSITIVE = "not_positive"  # zero or negative
    CURRENCY = "currency"          # not the supplier's currency
    UNIT = "unit"                  # the pack does not convert to the material's unit
    RATE = "rate"                  # no exchange rate to the home currency
    NUMBER = "number"              # arithmetic on it failed or gave no sane unit price
    DISAGREE = "disagree"          # a first price whose page states another price elsewhere


REFETCH = (Doubt.JUMP, Doubt.PACK, Doubt.NOT_POSITIVE)  # looked at again at once: a glitch may clear


class Observation(NamedTuple):
    """One row of the ``observations`` table: one fetch of one offer, priced and judged. A tuple of
    the columns (``COLUMNS``): a night's 100,000 rows go to ``executemany`` as they are."""

    run_id: int
    offer_id: str
    material_id: str
    supplier_id: str
    fetched_at: str
    status: Status
    price: float | None = None
    currency: str | None = None
    pack: str | None = None
    pack_source: str = "config"
    unit_price: float | None = None
    fx_rate: float | None = None
    landed_unit_price: float | None = None
    unit: str | None = None
    home_currency: str | None = None
    list_price: float | None = None
    tiers: str | None = None
    in_stock: int | None = None
    method: str | None = None
    raw: str | None = None
    error: str | None = None
    http_status: int | None = None
    note: str | None = None
    doubt: Doubt | None = None
    sources: str | None = None
    final_url: str | None = None  # where the page was read, when a redirect moved it

    def values(self) -> tuple[Any, ...]:
        """The row as a plain tuple: sqlite3 binds one a third faster than a tuple subclass."""
        return tuple(self)


COLUMNS = Observation._fields
_UNPRICED = (None, None, None, None, None)  # unit_price, fx_rate, landed_unit_price, unit, home_currency of a row without them
assert COLUMNS[COLUMNS.index("unit_price"):COLUMNS.index("home_currency") + 1] == ("unit_price", "fx_rate", "landed_unit_price", "unit", "home_currency")


def window_text(unit_prices: list[float]) -> str:
    """An offer's recent unit prices as ``recent_unit_prices`` keeps them: the text json.dumps
    writes for finite numbers, without its per-call set-up (a run writes one per offer)."""
    return f"[{', '.join(map(repr, unit_prices))}]"


class RecentWindow(NamedTuple):
    """An offer's newest valid observation time, its last ``RECENT`` unit prices and its pack."""

    fetched_at: str
    unit_prices: list[float]
    pack: str | None
    text: str  # unit_prices as recent_unit_prices keeps them

    def slid(self, unit_price: float) -> str:
        """The text of this window after ``unit_price`` (newest first, the oldest out past ``RECENT``),
        made by editing the stored text instead of writing every number again (a night does it
        100,000 times); JSON-equal to :func:`window_text` of the new prices."""
        body = self.text.strip()[1:-1].strip()
        for _ in range(len(self.unit_prices) + 1 - RECENT):
            body = body[:max(body.rfind(","), 0)].rstrip()
        return f"[{unit_price!r}, {body}]" if body else f"[{unit_price!r}]"


@dataclass(frozen=True)
class Terms:
    """A supplier's fees and shipping as Decimals (``Decimal(str(x))`` of the config's numbers)."""

    fees: Decimal  # 1 + fees_percent / 100
    per_unit: Decimal | None  # shipping, when the supplier charges any
    flat: Decimal
    free_over: Decimal | None

    @classmethod
    def of(cls, supplier: Any) -> "Terms":
        shipping = supplier.shipping
        fees = 1 + Decimal(str(supplier.fees_percent)) / 100
        if not shipping:
            return cls(fees, None, Decimal(0), None)
        return cls(fees, Decimal(str(shipping.per_unit)), Decimal(str(shipping.flat)),
                   None if shipping.free_over is None else Decimal(str(shipping.free_over)))


@dataclass
class Catalog:
    """The config's offers, materials and suppliers by id: built once for a run, not per batch
    (a night of 100,000 offers comes in 2,000 supplier batches)."""

    offers: dict[str, OfferSpec]
    materials: dict[str, Any]
    suppliers: dict[str, Any]
    parts: dict[str, tuple[OfferSpec, Any, Any]]  # each offer with its material and supplier: one lookup an item
    terms: dict[str, "Terms"] = field(default_factory=dict)  # each supplier's, made once for the run
    by_material: dict[str, list[str]] | None = None  # made when first asked (a price jumped): see offers_of

    def offers_of(self, material_id: str) -> list[str]:
        """The offers of a material, in the config's order."""
        if self.by_material is None:
            self.by_material = {}
            for offer in self.offers.values():
                self.by_material.setdefault(offer.material, []).append(offer.offer_id)
        return self.by_material.get(material_id, [])

    def terms_of(self, supplier_id: str) -> "Terms":
        """A supplier's fees and shipping as the Decimals pricing computes with, converted once."""
        terms = self.terms.get(supplier_id)
        if terms is None:
            terms = self.terms[supplier_id] = Terms.of(self.suppliers[supplier_id])
        return terms

    @classmethod
    def of(cls, config: Config) -> "Catalog":
        offers = {o.offer_id: o for o in config.offers()}
        materials, suppliers = {m.id: m for m in config.materials}, {s.id: s for s in config.suppliers}
        parts = {o.offer_id: (o, materials[o.material], suppliers[o.supplier]) for o in offers.values()}
        return cls(offers, materials, suppliers, parts)


class Pricing:
    """Prices a batch of items against one database and config (lookups read once per batch)."""

    def __init__(self, db: sqlite_utils.Database, config: Config, catalog: Catalog | None = None):
        self.db, self.config = db, config
        self.catalog = catalog or Catalog.of(config)
        self.offers, self.materials, self.suppliers = self.catalog.offers, self.catalog.materials, self.catalog.suppliers
        self.windows: dict[str, RecentWindow] | None = None  # None: read history row by row
        self.complete = False  # windows holds every offer's (else only the batch's: others are read when needed)
        self.changed: set[str] = set()
        self.out_of_order: set[str] = set()
        self.rates: dict[tuple[str, str], Decimal | None] = {}  # (currency, day): a batch asks for the same few
        self.conversions: dict[tuple[Any, ...], Conversion] = {}  # (pack, unit, density, supplier, order quantity, currency, day)

    def exchange_rate(self, currency: str, on: str) -> Decimal | None:
        """Home-currency units per one ``currency`` on a date: the config's fixed rate, else the feed's
        (the same for a whole batch: each asked once)."""
        key = (currency, on[:10])
        if key not in self.rates:
            self.rates[key] = self._exchange_rate(currency, on)
        return self.rates[key]

    def _exchange_rate(self, currency: str, on: str) -> Decimal | None:
        home = self.config.currency
        if currency == home:
            return Decimal(1)
        if currency in self.config.exchange_rates:
            return Decimal(str(self.config.exchange_rates[currency]))
        per_eur = {"EUR": 1.0}
        for code in {currency, home} - {"EUR"}:
            row = self.db.execute(
                "SELECT per_eur FROM exchange_rates WHERE currency = ? AND date <= ? ORDER BY date DESC LIMIT 1", [code, on[:10]]
            ).fetchone()
            if row is None:
                return None
            per_eur[code] = row[0]
        return Decimal(str(per_eur[home])) / Decimal(str(per_eur[currency]))

    def landed_unit_price(self, price: Decimal, per_pack: Decimal, rate: Decimal, supplier_id: str, order_quantity: float) -> Decimal:
        """What one unit costs delivered, in the home currency: a pack's ``price`` (in the supplier's
        currency, ``rate`` home units per one) holds ``per_pack`` units (stored rows are re-expressed with it too)."""
        return self._landed(price, per_pack, supplier_id, order_quantity) / per_pack * rate

    def _landed(self, price: Decimal, per_pack: Decimal, supplier_id: str, order_quantity: float) -> Decimal:
        """What one pack costs delivered: fees, per-unit freight, and the flat charge spread over the order."""
        terms = self.catalog.terms_of(supplier_id)
        landed = price * terms.fees
        if terms.per_unit is not None:
            quantity = Decimal(str(order_quantity))
            landed += terms.per_unit * per_pack
            waived = terms.free_over is not None and price * quantity >= terms.free_over
            if not waived:
                landed += terms.flat / quantity
        return landed

    def preload(self, items: Collection[PriceItem] | None = None) -> None:
        """Read the recent valid unit prices of every offer, or of the offers of ``items`` (a batch's),
        in one query (the plausibility check needs them for each price, and this is a run's hot path).
        Each offer's last pack is read only where a page states the pack: only those are compared with it."""
        self.complete = items is None
        offer_ids = None if items is None else list(dict.fromkeys(i.offer_id for i in items))
        packs_of = None if items is None else {i.offer_id for i in items if i.pack_source == "page"}
        self.windows = self._read_windows(offer_ids, packs_of)

    def _read_windows(self, offer_ids: Collection[str] | None, packs_of: Collection[str] | None = ()) -> dict[str, RecentWindow]:
        """The windows of ``offer_ids`` (None: every offer's), with the last pack of ``packs_of`` (None: of each)."""
        query = "SELECT offer_id, fetched_at, recent_unit_prices FROM latest_observations"
        rows = (self.db.execute(query).fetchall() if offer_ids is None else
                self.db.execute("SELECT l.offer_id, l.fetched_at, l.recent_unit_prices FROM json_each(?) AS j "
                                "JOIN latest_observations l ON l.offer_id = j.value", [json.dumps(list(offer_ids))]).fetchall())
        packs: dict[str, str | None] = {}
        if packs_of is None or packs_of:
            query = "SELECT l.offer_id, o.pack FROM latest_observations l JOIN observations o ON o.id = l.observation_id"
            packs = dict(self.db.execute(query).fetchall() if packs_of is None else
                         self.db.execute(query + " WHERE l.offer_id IN (SELECT value FROM json_each(?))", [json.dumps(list(packs_of))]).fetchall())
        texts = [recent or "[]" for _, _, recent in rows]
        prices = json.loads(f"[{','.join(texts)}]")  # one parse for the batch: each text is an array the store wrote
        if len(prices) != len(texts):  # not so (a text edited by hand): one at a time, so an odd one fails alone
            prices = [json.loads(text) for text in texts]
        pack = packs.get
        return {offer_id: tuple.__new__(RecentWindow, (fetched_at, unit_prices, pack(offer_id), text))
                for (offer_id, fetched_at, _), unit_prices, text in zip(rows, prices, texts)}

    def _recent(self, offer_id: str, before: str) -> tuple[float | None, str | None]:
        """The median unit price of the last ten valid observations before ``before``, and the last pack."""
        window = self.windows.get(offer_id) if self.windows is not None else None
        if window is not None and window.fetched_at < before:
            return _median(window.unit_prices), window.pack
        if window is None and self.windows is not None:
            return None, None  # no valid price yet
        rows = self.db.execute(  # a price older than the newest one (a late feed): read the history
            "SELECT unit_price, pack FROM observations WHERE offer_id = ? AND status = 'ok' AND fetched_at < ? "
            "AND unit = ? AND home_currency = ? ORDER BY fetched_at DESC LIMIT 10",
            [offer_id, before, self.materials[self.offers[offer_id].material].unit, self.config.currency]
        ).fetchall()
        return (statistics.median(r[0] for r in rows), rows[0][1]) if rows else (None, None)

    def accepted(self, row: Observation) -> bool:
        """Slide the offer's window after a valid price, so a re-fetch in the same run sees it; True
        when the row is now the offer's newest (not when it is older than a price already kept)."""
        windows = self.windows
        if windows is None or row.unit_price is None:
            return False
        offer_id, unit_price = row.offer_id, row.unit_price
        window = windows.get(offer_id)
        if window is None:
            prices = [unit_price]
            text = window_text(prices)
        elif window.fetched_at < row.fetched_at:
            prices = [unit_price, *window.unit_prices[:RECENT - 1]]
            text = window.slid(unit_price)
        else:
            self.out_of_order.add(offer_id)
            return False
        windows[offer_id] = tuple.__new__(RecentWindow, (row.fetched_at, prices, row.pack, text))
        self.changed.add(offer_id)
        return True

    def observation(self, run_id: int, item: PriceItem) -> Observation:
        """The observation of one item: never raises for what the item holds. Its row is made once,
        in the columns' order (a night makes 100,000); only a price held back is made again."""
        offer, material, supplier = self.catalog.parts[item.offer_id]
        price = item.price if item.status == Status.OK else None  # a failed page's number is never a price
        currency, pack = item.currency or supplier.currency, item.pack or offer.pack
        status, doubt, error = item.status, None, self.config.conceal(item.error) if item.error else None
        numbers, amount = _UNPRICED, None
        if price is not None:
            amount = float(price)
            try:
                doubt, error, numbers = self._numbers(price, amount, currency, pack, item.fetched_at, material, offer, supplier,
                                                      typed=item.method == "manual")
            except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
                doubt, error = Doubt.NUMBER, f"cannot price {price} per {pack}: {exc.__class__.__name__}"
            status = Status.OK if doubt is None else Status.SUSPECT
        unit_price, fx_rate, landed_unit_price, unit, home_currency = numbers
        row = tuple.__new__(Observation, (
            run_id, offer.offer_id, material.id, supplier.id, item.fetched_at, status, amount,
            currency, pack, item.pack_source or "config", unit_price, fx_rate, landed_unit_price, unit, home_currency,
            float(item.list_price) if item.list_price is not None else None, json.dumps(list(item.tiers)) if item.tiers else None,
            None if item.in_stock is None else int(item.in_stock), item.method, item.raw, error, item.http_status, item.note, doubt, item.sources,
            # As the config writes it: ${NAME} where the redirect kept a value from the environment.
            safe_text.configured_url(item.final_url, self.config.secrets) if item.final_url else None,
        ))
        if status != Status.OK or price is None:
            return row
        try:
            held = self._doubt(row, price, material, offer)
        except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:  # no prices; the unit and currency stay
            return row._replace(status=Status.SUSPECT, doubt=Doubt.NUMBER, error=f"cannot price {price} per {pack}: {exc.__class__.__name__}",
                                unit_price=None, fx_rate=None, landed_unit_price=None)
        return row if held is None else row._replace(status=Status.SUSPECT, doubt=held[0], error=held[1])

    def _numbers(self, price: Decimal, amount: float, currency: str, pack: str, fetched_at: str, material: Any, offer: Any,
                 supplier: Any, typed: bool = False) -> tuple[Doubt | None, str | None, tuple[Any, ...]]:
        """A price's unit price, exchange rate, landed unit price, unit and home currency, as stored;
        or why it cannot have them (a doubt and its reason in words). A page's price in another
        currency than its supplier's is a doubt; one the owner typed with `add-price --currency` is
        what the owner said, converted like any other (it stayed unpriced however often typed).
        ``amount``: the price as a float, for :meth:`Conversion.prices` (the Decimal arithmetic
        below decides only where the floats cannot)."""
        if currency != supplier.currency and not typed:
            return Doubt.CURRENCY, f"currency {currency} differs from the supplier's {supplier.currency}", _UNPRICED
        if price <= 0:
            return Doubt.NOT_POSITIVE, f"a price of {display.money(amount, currency or supplier.currency)} is not above zero", _UNPRICED
        key = (pack, material.unit, material.density, supplier.id, offer.order_quantity, currency or supplier.currency, fetched_at[:10])
        conversion = self.conversions.get(key)
        if conversion is None:
            made = self._conversion(pack, currency or supplier.currency, fetched_at, material, offer, supplier)
            if not isinstance(made, Conversion):
                return made[0], made[1], _UNPRICED
            conversion = self.conversions[key] = made
        prices = conversion.prices(amount)
        if prices is not None:
            return None, None, (prices[0], conversion.fx_rate, prices[1], material.unit, self.config.currency)
        per_pack, rate = conversion.per_pack, conversion.rate
        unit_price = price / per_pack * rate
        landed = self.landed_unit_price(price, per_pack, rate, supplier.id, offer.order_quantity)
        if not (unit_price.is_finite() and landed.is_finite()) or not (0 < unit_price < MAX_PRICE) or not (0 < landed < MAX_PRICE):
            return Doubt.NUMBER, (f"{display.money(amount, currency or supplier.currency)} {units.per_pack(pack or '')} "
                                  f"gives no sane unit price ({display.money(float(unit_price), self.config.currency)}{units.per(material.unit)})"), _UNPRICED
        # Both finite and within (0, MAX_PRICE) as Decimals, so finite as floats: rounded to six places.
        # Equal Decimals are the same float: without fees or freight the landed price is the unit price.
        rounded = round(float(unit_price), 6)
        return None, None, (rounded, float(rate), rounded if landed == unit_price else round(float(landed), 6), material.unit, self.config.currency)

    def _conversion(self, pack: str, currency: str, fetched_at: str, material: Any, offer: Any,
                    supplier: Any) -> Conversion | tuple[Doubt, str]:
        """The factors that turn a pack's price into unit prices (see :mod:`.conversion`), or why
        there are none: the pack does not convert to the material's unit, or no exchange rate."""
        try:
            per_pack = units.units_per_pack(pack, material.unit, material.density)
        except ValueError as exc:
            return Doubt.UNIT, f"a pack of {units.quantity_as_written(pack or '')}: {exc}"
        rate = self.exchange_rate(currency, fetched_at)
        if rate is None:
            return Doubt.RATE, f"no exchange rate from {currency} to {self.config.currency} for {display.day(fetched_at)}"
        terms = self.catalog.terms_of(supplier.id)
        return Conversion.of(per_pack, rate, terms.fees, terms.per_unit, terms.flat, terms.free_over, Decimal(str(offer.order_quantity)))

    def _doubt(self, row: Observation, price: Decimal, material: Any, offer: Any) -> tuple[Doubt, str] | None:
        """Why a priced row is held back against the offer's recent prices and last pack, or None."""
        median, last_pack = self._recent(offer.offer_id, row.fetched_at)
        ratio = row.unit_price / median if median else None  # type: ignore[operator]  # priced: a float
        if ratio is not None and not (1 / IMPLAUSIBLE_RATIO <= ratio <= IMPLAUSIBLE_RATIO):
            if self._seen_in_an_earlier_run(row) or self._another_supplier_agrees(row):
                return None
            return Doubt.JUMP, (f"implausible jump: {self._unit_price(row.unit_price, material)} is {_times(ratio)} "
                                f"its recent median of {self._unit_price(median, material)}")
        if row.pack_source == "page" and last_pack and last_pack != row.pack and not self._seen_again(row):
            return Doubt.PACK, (f"pack changed on the page from {units.quantity_as_written(str(last_pack))} "
                                f"to {units.quantity_as_written(row.pack or '')}")
        if median is None and (disagreement := _disagreement(row, price)) and not self._seen_in_an_earlier_run(row):
            return Doubt.DISAGREE, disagreement  # a first price has no history: its page must agree with itself
        return None

    def _unit_price(self, value: float | None, material: Any) -> str:
        """"$12.50/kg": a unit price in the home currency, as a reason says it."""
        return display.unit_price(value, self.config.currency, material.unit)

    def _previous(self, row: Observation) -> tuple[Any, ...] | None:
        return self.db.execute(
            "SELECT status, unit_price, pack, run_id FROM observations WHERE offer_id = ? AND fetched_at < ? "
            "AND status IN ('ok', 'suspect') ORDER BY fetched_at DESC LIMIT 1", [row.offer_id, row.fetched_at]
        ).fetchone()

    def _seen_again(self, row: Observation) -> bool:
        """The same surprising price on the fetch before this one (same pack, within 2 %)."""
        previous = self._previous(row)
        return (previous is not None and previous[0] == "suspect" and previous[1] is not None and previous[2] == row.pack
                and row.unit_price is not None and abs(previous[1] / row.unit_price - 1) <= 0.02)

    def _seen_in_an_earlier_run(self, row: Observation) -> bool:
        """A x5 jump counts once the next night (a later run) shows it again: the immediate re-fetch
        of the same run reads the same page typo seconds later, so it confirms nothing."""
        previous = self._previous(row)
        return self._seen_again(row) and previous is not None and previous[3] != row.run_id

    def _another_supplier_agrees(self, row: Observation) -> bool:
        """Another supplier's recent prices of the same material are where this one jumped to."""
        if self.windows is None or row.unit_price is None:
            return False
        others = [o for o in self.catalog.offers_of(row.material_id) if self.offers[o].supplier != row.supplier_id]
        windows = {o: self.windows[o] for o in others if o in self.windows}
        if not self.complete:  # offers outside this batch: as stored
            windows.update(self._read_windows([o for o in others if o not in self.windows]))
        for window in windows.values():
            if not window.unit_prices:
                continue
            recent = days_between(window.fetched_at, row.fetched_at) <= AGREEMENT_DAYS
            if recent and abs(window.unit_prices[0] / row.unit_price - 1) <= AGREEMENT:
                return True
        return False


def _times(ratio: float) -> str:
    """"31 times", "1/30 of": how far a price jumped against its recent median, in words."""
    return f"{ratio:.3g} times" if ratio >= 1 else f"1/{1 / ratio:.3g} of"


def _median(prices: list[float]) -> float | None:
    """statistics.median of a window (None when empty), written out: a night takes one per offer."""
    n = len(prices)
    if not n:
        return None
    data = sorted(prices)
    return data[n // 2] if n % 2 else (data[n // 2 - 1] + data[n // 2]) / 2


# The page's sources in the owner's words.
_SOURCE_WORDS = {
    "json-ld": "the page's JSON-LD data", "microdata": "its microdata", "rdfa": "its RDFa data", "opengraph": "its OpenGraph tags",
    "visible": "the price shown beside the title", "markup": "the shop theme's price", "magento": "the Magento price box",
    "woocommerce": "the WooCommerce price", "bigcommerce": "the BigCommerce price", "amazon": "Amazon's buy box",
}


def _money(amount: Any, currency: str | None) -> str:
    """"€12.50" for a price as a page stated it, or the text itself when it is not a number."""
    try:
        return display.money(float(amount), currency) if currency else str(amount)
    except (TypeError, ValueError):
        return str(amount)


def _disagreement(row: Observation, price: Decimal) -> str | None:
    """Why a price is doubtful when the page's own sources state different prices, in words."""
    if not row.sources:
        return None
    sources = json.loads(row.sources)
    others = [d for d in sources.get("disputed") or [] if d.get("price") not in (None, str(price))]
    if not others:
        return None
    said = ", ".join(_SOURCE_WORDS.get(m, m) for m in sources.get("agreed") or []) or "the chosen source"
    against = "; ".join(f"{_SOURCE_WORDS.get(d['method'], d['method'])} says {_money(d['price'], row.currency)}" for d in others)
    return (f"first price for this offer and the page disagrees with itself: {_money(price, row.currency)} from {said}; "
            f"{against}. Held until the next run shows the same price")
