"""What a crawl hands over, as typed records checked at the door: a :class:`PriceItem` per fetch of
an offer, a :class:`RateItem` per exchange rate. Items come from the in-process spider, a feed file,
a scrapyd job, a price typed in by hand or a backtest series; they all pass :func:`read_items`.

Reading is total: a number that is not finite and sane (NaN, Infinity, 1e400, a price of 1e12 or
more) never becomes a price. That item is kept as an *error* with the reason, so the rest of the
night goes on and the offer is accounted for.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Iterable, Mapping

from .collector import collector_paused

MAX_PRICE = Decimal("1e12")  # no supplier page quotes a trillion per pack: such a number is a misread
# A crawling machine's clock may run a little ahead; a fetch time past this is not one (year 9999
# would stay the offer's latest price for good).
CLOCK_SKEW = timedelta(hours=1)


class Status(StrEnum):
    """What one fetch of an offer gave: a price (ok), a price held back (suspect), or none."""

    OK = "ok"
    SUSPECT = "suspect"
    MISSING = "missing"
    AMBIGUOUS = "ambiguous"
    ERROR = "error"
    NODE_ERROR = "node_error"  # not fetched because a crawling machine (a scrapyd node) failed: not the supplier's doing


_STATUSES: dict[str, Status] = {s.value: s for s in Status}
VALID_PRICE = (Status.OK,)
PRICED = (Status.OK, Status.SUSPECT)  # the page gave a price, trusted or not


def finite_number(value: Any, what: str) -> Decimal | None:
    """``value`` as a finite Decimal; None when absent; ValueError naming ``what`` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not a number")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} {str(value)[:40]!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what} {str(value)[:40]!r} is not a finite number")
    if abs(number) >= MAX_PRICE:
        raise ValueError(f"{what} {str(value)[:40]!r} is too large to be a price")
    return number


@dataclass(frozen=True)
class PriceItem:
    """One fetch of one offer, as the spiders describe it (see ``spiders/items.py``)."""

    offer_id: str
    status: Status
    fetched_at: str
    price: Decimal | None = None
    currency: str | None = None
    pack: str | None = None
    pack_source: str | None = None
    list_price: Decimal | None = None
    tiers: tuple[Mapping[str, Any], ...] | None = None
    in_stock: bool | None = None
    method: str | None = None
    raw: str | None = None
    error: str | None = None
    http_status: int | None = None
    url: str | None = None
    note: str | None = None
    sources: str | None = None  # JSON: which of the page's sources stated the price, which another
    final_url: str | None = None  # where the page was read, when a redirect moved it

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "PriceItem":
        """Check one item; anything unreadable makes it an error item with the reason, never a crash
        and never a price."""
        get = data.get
        fetched_at = str(get("fetched_at") or "")
        problems = []
        if fetched_at not in _PAST and (problem := _fetch_time_problem(fetched_at)):
            problems.append(problem)
            fetched_at = ""  # the run's time is used instead
        status = _STATUSES.get(str(get("status")))  # what Status(...) finds first, without the enum's call
        if status is None:
            status = Status.ERROR
            problems.append(f"unknown status {str(get('status'))[:40]!r}")
        # Every field in the fields' order; the price and its decoration are set below when they stand.
        values: dict[str, Any] = {
            "offer_id": str(get("offer_id") or ""), "status": status, "fetched_at": fetched_at, "price": None,
            "currency": _text(get("currency")), "pack": _text(get("pack")), "pack_source": _text(get("pack_source")),
            "list_price": None, "tiers": None, "in_stock": None, "method": _text(get("method")), "raw": _text(get("raw")),
            "error": _text(get("error")), "http_status": _int(get("http_status")), "url": _text(get("url")), "note": _text(get("note")),
            "sources": _sources(data), "final_url": _text(get("final_url")),
        }
        price = None
        try:
            price = finite_number(get("price"), "price")
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            values["status"], values["error"] = Status.ERROR, "; ".join(problems)
        elif status == Status.OK and price is None:
            values["status"], values["error"] = Status.MISSING, values["error"] or "the item says ok but gives no price"
        else:
            try:
                values["list_price"] = finite_number(get("list_price"), "list price")
            except ValueError:
                pass  # the "was" price is decoration: an odd one is dropped, the price stays
            in_stock = get("in_stock")
            values["price"], values["tiers"] = price if status == Status.OK else None, _tiers(get("tiers"))
            values["in_stock"] = None if in_stock is None else bool(in_stock)
        return _made(cls, values)


_PAST: set[str] = set()  # fetch times found valid and past: they stay past (a night's items share a few)


def _fetch_time_problem(fetched_at: str) -> str | None:
    """What is wrong with a fetch time (not a time; in the future), or None."""
    try:
        moment = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    except ValueError:
        return f"no valid fetch time ({fetched_at[:40]!r})"
    if (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)) > datetime.now(timezone.utc) + CLOCK_SKEW:
        return f"a fetch time in the future ({fetched_at[:40]})"
    if len(_PAST) >= 4096:
        _PAST.clear()
    _PAST.add(fetched_at)
    return None


def _plain_fields(cls: type) -> None:
    """Raise unless ``_made`` builds exactly what ``cls(**values)`` builds: every field a plain default
    (a default_factory's default is MISSING, which _made would store as the value), set by __init__,
    no __post_init__ to run, and a __dict__ to fill (not slots)."""
    problems = [f"field {f.name} has a default_factory" for f in fields(cls) if f.default_factory is not MISSING]
    problems += [f"field {f.name} is not set by __init__" for f in fields(cls) if not f.init]
    problems += ["it has a __post_init__"] if hasattr(cls, "__post_init__") else []
    problems += ["it has __slots__"] if "__slots__" in cls.__dict__ else []
    if problems:
        raise TypeError(f"{cls.__name__} can no longer be built by items._made ({'; '.join(problems)}): "
                        "make _made follow, or build it with its own __init__")


_plain_fields(PriceItem)


def _every_field_made() -> None:
    """Raise unless :meth:`PriceItem.from_mapping` fills every field of the class, in its order (its
    dict of values is written out: a field added to the class must be added there too)."""
    made = list(PriceItem.from_mapping({"offer_id": "o", "status": "ok", "fetched_at": "2000-01-01T00:00:00+00:00", "price": "1"}).__dict__)
    names = [f.name for f in fields(PriceItem)]
    if made != names:
        problems = [f"from_mapping fills no field {n}" for n in names if n not in made] or ["from_mapping fills the fields in another order"]
        raise TypeError(f"PriceItem can no longer be built by items._made ({'; '.join(problems)}): make from_mapping follow")


def _made(cls: type[PriceItem], values: dict[str, Any]) -> PriceItem:
    """The item ``cls(**values)`` makes (``values``: every field, in the fields' order), without the
    frozen dataclass's __init__ (one object.__setattr__ per field: most of reading a night's 100,000 items)."""
    if cls is not PriceItem:  # a subclass may have its own __init__
        return cls(**values)
    item = object.__new__(cls)
    object.__setattr__(item, "__dict__", values)
    return item


@dataclass(frozen=True)
class RateItem:
    """One reference rate: how many ``currency`` one EUR buys on ``date`` (the ECB's convention)."""

    date: str
    currency: str
    per_eur: float
    source: str


def _sources(data: Mapping[str, Any]) -> str | None:
    """Which of the page's sources stated the price and which stated another, as stored (JSON)."""
    agreed, disputed = data.get("agreed"), data.get("disputed")
    if data.get("sources") and not agreed and not disputed:
        return str(data["sources"])  # an item stored before, handed over again (a replay)
    if not agreed and not disputed:
        return None
    return json.dumps({"agreed": list(agreed or []), "disputed": list(disputed or [])})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _tiers(value: Any) -> tuple[Mapping[str, Any], ...] | None:
    """Quantity breaks whose numbers are all finite; anything else is dropped (decoration)."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    kept = []
    for tier in value:
        if not isinstance(tier, Mapping):
            return None
        try:
            for key in ("min", "max", "price"):
                finite_number(tier.get(key), key)
        except ValueError:
            return None
        kept.append(dict(tier))
    return tuple(kept)


def _rate(data: Mapping[str, Any]) -> RateItem | None:
    try:
        per_eur = float(data["per_eur"])
        datetime.fromisoformat(str(data["date"]))
    except (KeyError, TypeError, ValueError):
        return None
    if not math.isfinite(per_eur) or per_eur <= 0:
        return None
    return RateItem(str(data["date"]), str(data.get("currency")), per_eur, str(data.get("source") or "feed"))


_every_field_made()


def read_items(raw: Iterable[Mapping[str, Any] | PriceItem | RateItem]) -> tuple[list[PriceItem], list[RateItem]]:
    """Split what a crawl handed over into price items and exchange rates, each checked."""
    prices: list[PriceItem] = []
    rates: list[RateItem] = []
    with collector_paused():  # a night's 100,000 items: no cycles, and a collection walks the whole config
        for entry in raw:
            if isinstance(entry, PriceItem):
                prices.append(entry)
            elif isinstance(entry, RateItem):
                rates.append(entry)
            elif "per_eur" in entry:
                rate = _rate(entry)
                if rate is not None:
                    rates.append(rate)
            elif entry.get("offer_id"):
                prices.append(PriceItem.from_mapping(entry))
    return prices, rates
