"""Quantities and units: one pint registry that knows the trade units suppliers sell in."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import pint

# Trade units pint does not ship. A board foot is 12 in x 12 in x 1 in of lumber.
_TRADE_UNITS = """
board_foot = 144 * inch ** 3 = bf = fbm = bdft
each = [item] = ea = pcs = piece = unit_each
sheet = each
cubic_meter = meter ** 3 = cbm = cubic_metre
"""


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The shared registry, built once: pint registries are slow to create."""
    ureg = pint.UnitRegistry(non_int_type=Decimal)
    for line in _TRADE_UNITS.strip().splitlines():
        ureg.define(line)
    return ureg


def parse_unit(text: str) -> pint.Unit:
    """Parse a unit name such as ``kg``, ``gal`` or ``board_foot``; ValueError if unknown."""
    try:
        return registry().Unit(text.strip())
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"unknown unit {text!r}") from exc


def parse_quantity(text: str | int | float) -> pint.Quantity:
    """Parse ``"5 gal"``, ``"10 board_foot"`` or ``"12 each"``; a bare number is rejected."""
    if isinstance(text, (int, float)):
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    try:
        quantity = registry().Quantity(str(text).strip())
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise ValueError(f"cannot read {text!r} as a quantity with a unit") from exc
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    if quantity.magnitude <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return quantity


def amount_in(quantity: pint.Quantity, unit: str) -> Decimal:
    """How many ``unit`` are in ``quantity``; ValueError when the dimensions differ (kg vs L)."""
    try:
        return Decimal(str(quantity.to(parse_unit(unit)).magnitude))
    except pint.errors.DimensionalityError as exc:
        raise ValueError(f"{quantity:~} cannot be converted to {unit}") from exc


@lru_cache(maxsize=4096)
def units_per_pack(pack: str, unit: str) -> Decimal:
    """How many ``unit`` one ``pack`` holds; cached, since every night asks for the same packs."""
    return amount_in(parse_quantity(pack), unit)


def unit_price(price: Decimal, pack: str, unit: str) -> Decimal:
    """Price of one ``unit`` when ``price`` buys one ``pack`` (e.g. $60 for 5 gal -> $12/gal)."""
    return price / units_per_pack(pack, unit)
