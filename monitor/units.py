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


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit name such as ``kg``, ``gal`` or ``board_foot``; ValueError if unknown."""
    try:
        return registry().Unit(text.strip())
    except Exception as exc:  # pint raises what its tokenizer and parser raise: any of them means unreadable
        raise ValueError(f"unknown unit {text!r}") from exc


@lru_cache(maxsize=4096)
def parse_quantity(text: str | int | float) -> pint.Quantity:
    """Parse ``"5 gal"``, ``"10 board_foot"`` or ``"12 each"``; a bare number is rejected."""
    if isinstance(text, (int, float)):
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    try:
        quantity = registry().Quantity(str(text).strip())
    except Exception as exc:  # pint raises what its tokenizer and parser raise: any of them means unreadable
        raise ValueError(f"cannot read {text!r} as a quantity with a unit") from exc
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    if quantity.magnitude <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return quantity


def parse_density(text: str) -> pint.Quantity:
    """A density such as ``"0.92 kg/L"`` or ``"7.6 lb/gal"``; ValueError if it is not mass per volume."""
    try:
        density = registry().Quantity(str(text).strip())
    except Exception as exc:  # pint raises what its tokenizer and parser raise: any of them means unreadable
        raise ValueError(f"cannot read {text!r} as a density such as '0.92 kg/L'") from exc
    if not isinstance(density, pint.Quantity) or density.dimensionality != registry().Quantity("1 kg/L").dimensionality:
        raise ValueError(f"{text!r} is not a density (mass per volume, e.g. '0.92 kg/L')")
    return density


def amount_in(quantity: pint.Quantity, unit: str, density: str | None = None) -> Decimal:
    """How many ``unit`` are in ``quantity``; mass and volume convert only through a density."""
    target = parse_unit(unit)
    try:
        return Decimal(str(quantity.to(target).magnitude))
    except pint.errors.DimensionalityError:
        pass
    if density:
        rho = parse_density(density)
        for converted in (quantity * rho, quantity / rho):
            try:
                return Decimal(str(converted.to(target).magnitude))
            except pint.errors.DimensionalityError:
                continue
    hint = " without a density: add 'density: <kg/L>' to the material" if _mass_volume(quantity, target) else ""
    raise ValueError(f"{quantity:~} cannot be converted to {unit}{hint}")


def _mass_volume(quantity: pint.Quantity, unit: pint.Unit) -> bool:
    dims = {str(quantity.dimensionality), str(registry().Quantity(1, unit).dimensionality)}
    return dims == {"[mass]", "[length] ** 3"}


@lru_cache(maxsize=4096)
def units_per_pack(pack: str, unit: str, density: str | None = None) -> Decimal:
    """How many ``unit`` one ``pack`` holds; cached, since every night asks for the same packs."""
    return amount_in(parse_quantity(pack), unit, density)


def unit_price(price: Decimal, pack: str, unit: str, density: str | None = None) -> Decimal:
    """Price of one ``unit`` when ``price`` buys one ``pack`` (e.g. $60 for 5 gal -> $12/gal)."""
    return price / units_per_pack(pack, unit, density)
