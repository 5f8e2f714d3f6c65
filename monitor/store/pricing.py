"""From what a page said to what a unit costs you: pack, unit, currency, landed cost, plausibility.

Every observation keeps its native price and currency; ``unit_price`` is per unit of the material
in the home currency, ``landed_unit_price`` adds the supplier's shipping and fees. A price that
cannot be trusted is stored as *suspect* with the reason and is not used by the rules.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlite_utils

from .. import units
from ..config import Config

IMPLAUSIBLE_RATIO = 5  # a unit price 5x above or below the recent median (x10, /100 glitches) is suspect
RECENT = 10  # how many valid prices the recent median is taken over


@dataclass
class RecentWindow:
    """An offer's newest valid observation time, its last ``RECENT`` unit prices and its pack."""

    fetched_at: str
    unit_prices: list[float]
    pack: str | None


class Pricing:
    """Prices a batch of items against one database and config (lookups read once per batch)."""

    def __init__(self, db: sqlite_utils.Database, config: Config):
        self.db, self.config = db, config
        self.offers = {o.offer_id: o for o in config.offers()}
        self.materials = {m.id: m for m in config.materials}
        self.suppliers = {s.id: s for s in config.suppliers}
        self.windows: dict[str, RecentWindow] | None = None  # None: read history row by row
        self.changed: set[str] = set()
        self.out_of_order: set[str] = set()

    def exchange_rate(self, currency: str, on: str) -> Decimal | None:
        """Home-currency units per one ``currency`` on a date: the config's fixed rate, else the feed's."""
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

    def _landed(self, price: Decimal, per_pack: Decimal, supplier_id: str, order_quantity: float) -> Decimal:
        """What one pack costs delivered: fees, per-unit freight, and the flat charge spread over the order."""
        supplier = self.suppliers[supplier_id]
        landed = price * (1 + Decimal(str(supplier.fees_percent)) / 100)
        shipping = supplier.shipping
        if shipping:
            quantity = Decimal(str(order_quantity))
            landed += Decimal(str(shipping.per_unit)) * per_pack
            waived = shipping.free_over is not None and price * quantity >= Decimal(str(shipping.free_over))
            if not waived:
                landed += Decimal(str(shipping.flat)) / quantity
        return landed

    def preload(self) -> None:
        """Read every offer's recent valid unit prices in one query (the plausibility check needs
        them for each price, and this is a run's hot path)."""
        self.windows = {
            offer_id: RecentWindow(fetched_at, json.loads(recent or "[]"), pack)
            for offer_id, fetched_at, recent, pack in self.db.execute(
                "SELECT l.offer_id, l.fetched_at, l.recent_unit_prices, o.pack "
                "FROM latest_observations l JOIN observations o ON o.id = l.observation_id"
            ).fetchall()
        }

    def _recent(self, offer_id: str, before: str) -> tuple[float | None, str | None]:
        """The median unit price of the last ten valid observations before ``before``, and the last pack."""
        window = self.windows.get(offer_id) if self.windows is not None else None
        if window is not None and window.fetched_at < before:
            prices = window.unit_prices
            return (statistics.median(prices) if prices else None), window.pack
        if window is None and self.windows is not None:
            return None, None  # no valid price yet
        rows = self.db.execute(  # a price older than the newest one (a late feed): read the history
            "SELECT unit_price, pack FROM observations WHERE offer_id = ? AND status = 'ok' AND fetched_at < ? "
            "ORDER BY fetched_at DESC LIMIT 10", [offer_id, before]
        ).fetchall()
        return (statistics.median(r[0] for r in rows), rows[0][1]) if rows else (None, None)

    def accepted(self, row: dict[str, Any]) -> None:
        """Slide the offer's window after a valid price, so a re-fetch in the same run sees it."""
        if self.windows is None:
            return
        window = self.windows.get(row["offer_id"])
        if window is None or window.fetched_at < row["fetched_at"]:
            prices = [row["unit_price"], *(window.unit_prices if window else [])][:RECENT]
            self.windows[row["offer_id"]] = RecentWindow(row["fetched_at"], prices, row["pack"])
            self.changed.add(row["offer_id"])
        else:
            self.out_of_order.add(row["offer_id"])

    def observation_row(self, run_id: int, item: dict[str, Any]) -> dict[str, Any]:
        """An observations row for one spider item."""
        offer = self.offers[item["offer_id"]]
        material = self.materials[offer.material]
        supplier = self.suppliers[offer.supplier]
        status, error = item["status"], item.get("error")
        price = Decimal(str(item["price"])) if status == "ok" and item.get("price") is not None else None
        tiers = item.get("tiers")
        row: dict[str, Any] = {
            "run_id": run_id, "offer_id": offer.offer_id, "material_id": material.id, "supplier_id": supplier.id,
            "fetched_at": item["fetched_at"], "price": float(price) if price is not None else None,
            "currency": item.get("currency") or supplier.currency, "pack": item.get("pack") or offer.pack,
            "pack_source": item.get("pack_source") or "config", "unit_price": None, "fx_rate": None, "landed_unit_price": None,
            "list_price": float(item["list_price"]) if item.get("list_price") else None,
            "tiers": json.dumps(tiers) if tiers else None,
            "in_stock": None if item.get("in_stock") is None else int(bool(item["in_stock"])),
            "method": item.get("method"), "raw": item.get("raw"), "http_status": item.get("http_status"), "note": item.get("note"),
            "sources": _sources(item),
        }
        if price is not None:
            status, error = self._judge(row, price, material, offer)
        row["status"], row["error"] = status, error
        return row

    def _judge(self, row: dict[str, Any], price: Decimal, material: Any, offer: Any) -> tuple[str, str | None]:
        """Fill unit and landed prices; return ``("ok", None)`` or ``("suspect", why)``."""
        supplier = self.suppliers[offer.supplier]
        if row["currency"] != supplier.currency:
            return "suspect", f"currency {row['currency']} differs from the supplier's {supplier.currency}"
        if price <= 0:
            return "suspect", f"price {price} is not above zero"
        try:
            per_pack = units.units_per_pack(row["pack"], material.unit, material.density)
        except ValueError as exc:
            return "suspect", f"pack {row['pack']!r}: {exc}"
        rate = self.exchange_rate(row["currency"], row["fetched_at"])
        if rate is None:
            return "suspect", f"no exchange rate from {row['currency']} to {self.config.currency} on {row['fetched_at'][:10]}"
        row["fx_rate"] = float(rate)
        row["unit_price"] = float(round(price / per_pack * rate, 6))
        row["landed_unit_price"] = float(round(self._landed(price, per_pack, supplier.id, offer.order_quantity) / per_pack * rate, 6))
        median, last_pack = self._recent(offer.offer_id, row["fetched_at"])
        doubt = None
        if row["pack_source"] == "page" and last_pack and last_pack != row["pack"]:
            doubt = f"pack changed on the page from {last_pack} to {row['pack']}"
        elif median and not (1 / IMPLAUSIBLE_RATIO <= row["unit_price"] / median <= IMPLAUSIBLE_RATIO):
            doubt = f"implausible jump: x{row['unit_price'] / median:.2f} against the recent median {median:.2f}"
        elif median is None and (disagreement := _disagreement(row, price)):
            doubt = disagreement  # a first price has no history to be checked against: its page must agree with itself
        if doubt and not self._confirmed(offer.offer_id, row):
            return "suspect", doubt
        return "ok", None

    def _confirmed(self, offer_id: str, row: dict[str, Any]) -> bool:
        """A surprising price seen again on the next fetch (same pack, within 2 %) is real, not a glitch."""
        previous = self.db.execute(
            "SELECT status, unit_price, pack FROM observations WHERE offer_id = ? AND fetched_at < ? "
            "AND status IN ('ok', 'suspect') ORDER BY fetched_at DESC LIMIT 1", [offer_id, row["fetched_at"]]
        ).fetchone()
        return (previous is not None and previous[0] == "suspect" and previous[1] is not None and previous[2] == row["pack"]
                and abs(previous[1] / row["unit_price"] - 1) <= 0.02)


# The page's sources in the owner's words.
_SOURCE_WORDS = {
    "json-ld": "the page's JSON-LD data", "microdata": "its microdata", "rdfa": "its RDFa data", "opengraph": "its OpenGraph tags",
    "visible": "the price shown beside the title", "markup": "the shop theme's price", "magento": "the Magento price box",
    "woocommerce": "the WooCommerce price", "bigcommerce": "the BigCommerce price", "amazon": "Amazon's buy box",
}


def _sources(item: dict[str, Any]) -> str | None:
    """Which of the page's sources stated the price and which stated another, as stored (JSON)."""
    agreed, disputed = item.get("agreed"), item.get("disputed")
    if not agreed and not disputed:
        return None
    return json.dumps({"agreed": list(agreed or []), "disputed": list(disputed or [])})


def _disagreement(row: dict[str, Any], price: Decimal) -> str | None:
    """Why a price is doubtful when the page's own sources state different prices, in words."""
    if not row.get("sources"):
        return None
    sources = json.loads(row["sources"])
    others = [d for d in sources.get("disputed") or [] if d.get("price") not in (None, str(price))]
    if not others:
        return None
    said = ", ".join(_SOURCE_WORDS.get(m, m) for m in sources.get("agreed") or []) or "the chosen source"
    against = "; ".join(f"{_SOURCE_WORDS.get(d['method'], d['method'])} says {d['price']}" for d in others)
    return (f"first price for this offer and the page disagrees with itself: {price} {row['currency']} from {said}; "
            f"{against}. Held until the next run shows the same price")
