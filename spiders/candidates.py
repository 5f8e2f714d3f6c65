"""The prices a page offers, before one is chosen for an offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Tier:
    """A quantity break: ``price`` applies from ``min_quantity`` up to ``max_quantity`` packs."""

    min_quantity: Decimal
    max_quantity: Decimal | None
    price: Decimal

    def as_dict(self) -> dict[str, str | None]:
        return {"min": str(self.min_quantity), "max": str(self.max_quantity) if self.max_quantity else None, "price": str(self.price)}


@dataclass(frozen=True)
class Candidate:
    """One price found on a page, with what identifies it (SKU, variant name) and what it buys."""

    price: Decimal
    currency: str | None
    method: str
    raw: str
    in_stock: bool | None = None
    name: str | None = None
    ids: frozenset[str] = field(default_factory=frozenset)
    pack: str | None = None
    list_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    group: int = 0  # which product of the page's data it belongs to (variants of one product share it)

    def matches(self, variant: str) -> bool:
        """An offer's ``variant:`` names this candidate: its SKU or id exactly, or words of its name."""
        wanted = variant.strip().lower()
        return wanted in self.ids or (self.name is not None and wanted in self.name.lower())

    def price_for(self, quantity: Decimal | None) -> Decimal:
        """The price per pack when buying ``quantity`` packs (the base price without tiers)."""
        if quantity is None or not self.tiers:
            return self.price
        for tier in reversed(self.tiers):
            if quantity >= tier.min_quantity:
                return tier.price
        return self.tiers[0].price

    def describe(self) -> dict[str, Any]:
        return {
            "price": str(self.price), "currency": self.currency, "method": self.method, "name": self.name,
            "ids": sorted(self.ids), "pack": self.pack, "in_stock": self.in_stock,
            "list_price": str(self.list_price) if self.list_price else None, "tiers": [t.as_dict() for t in self.tiers],
        }
