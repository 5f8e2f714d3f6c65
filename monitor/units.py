"""Quantities and units: one pint registry that knows the trade units suppliers sell in, which of
them a material can be priced in, and the short names a person reads ("bd ft", "fl oz", "m³")."""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pint

# Trade units pint does not ship. A board foot is 12 in x 12 in x 1 in of lumber. Things counted
# one by one are [item]s; "bar" is a bar of soap here, not a pressure (nobody buys pressure).
_TRADE_UNITS = """
board_foot = 144 * inch ** 3 = bf = fbm = bdft
each = [item] = ea = pcs = piece = unit_each
sheet = each
bottle = each
jar = each
roll = each
bar = each
cubic_meter = meter ** 3 = cbm = cubic_metre
"""

# What a material can be priced in: a mass, a length, an area, a volume or a count. Anything else
# pint can read ("kilos" is kiloseconds to pint) is a typo as far as a supplier's price goes.
MATERIAL_DIMENSIONS = {
    "[mass]": "a mass", "[length]": "a length", "[length] ** 2": "an area", "[length] ** 3": "a volume", "[item]": "a count",
}

# How a unit reads on a phone, in a table and on an axis, by pint's name for it.
_DISPLAY = {
    "board_foot": "bd ft", "cubic_meter": "m³", "meter ** 3": "m³", "foot ** 3": "cu ft", "cubic_foot": "cu ft",
    "kilogram": "kg", "gram": "g", "milligram": "mg", "pound": "lb", "ounce": "oz", "metric_ton": "t",
    "liter": "L", "milliliter": "mL", "centiliter": "cL", "gallon": "gal", "quart": "qt", "pint": "pt",
    "fluid_ounce": "fl oz", "cup": "cup", "meter": "m", "centimeter": "cm", "millimeter": "mm", "foot": "ft",
    "inch": "in", "yard": "yd", "meter ** 2": "m²", "square_meter": "m²", "foot ** 2": "sq ft", "square_foot": "sq ft",
    "square_inch": "sq in", "square_yard": "sq yd", "each": "each",
}

# What people write that pint reads as something else, or not at all: for "did you mean".
_SPELLINGS = {
    "kilo": "kg", "kilos": "kg", "kgs": "kg", "kilogramme": "kg", "kilogrammes": "kg", "gramme": "g", "grammes": "g",
    "lbs": "lb", "pounds": "lb", "ozs": "oz", "litre": "L", "litres": "L", "ltr": "L", "ltrs": "L", "lt": "L",
    "gals": "gal", "gallons": "gal", "floz": "floz", "fl oz": "floz", "fl_oz": "floz", "fluid ounce": "floz",
    "board feet": "board_foot", "board_feet": "board_foot", "bd ft": "board_foot", "bd_ft": "board_foot", "bf": "board_foot",
    "m3": "m^3", "cbm": "m^3", "m2": "m^2", "sqm": "m^2", "sqft": "sq_ft", "sq ft": "sq_ft", "feet": "ft", "metres": "m",
    "meters": "m", "pc": "each", "pcs": "each", "pieces": "each", "units": "each", "unit": "each", "ea": "each",
    "sheets": "sheet", "bottles": "bottle", "jars": "jar", "rolls": "roll", "bars": "bar", "tonnes": "t", "tons": "t",
}
_KNOWN = sorted({*_DISPLAY, *_SPELLINGS.values(), "kg", "g", "lb", "oz", "L", "mL", "gal", "qt", "m", "cm", "mm", "ft", "in",
                 "sheet", "bottle", "jar", "roll", "bar", "board_foot", "floz"})

# Units the owner defined in the config (``units: {table: each, tote: 275 gal}``), by name.
_DEFINED: dict[str, str] = {}


class _TradeRegistry(pint.UnitRegistry):
    """pint's registry with the trade units read right after pint's own definitions, so that its
    cache of units is built once (defined afterwards, the cache was built twice: 0.05-0.1 s of
    every command's start, and "bar" read as a pressure in the first one)."""

    def load_definitions(self, file: Any, is_resource: bool = False) -> Any:
        loaded = super().load_definitions(file, is_resource)
        if is_resource:  # pint's default_en.txt, loaded once as the registry is made
            super().load_definitions(_TRADE_UNITS.strip().splitlines())
        return loaded


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The shared registry, built once: pint registries are slow to create."""
    return _TradeRegistry(non_int_type=Decimal, on_redefinition="ignore")


def define(name: str, definition: str) -> None:
    """Add a unit the owner named in the config: ``table: each`` (a count) or ``bag: 25 kg``.

    The owner's meaning wins over pint's (pint's "bag" is 94 lb of cement). There is one registry
    per process, so a name keeps the meaning this process first gave it: the same definition again
    (the next night, a second load) is fine, another one is an error.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z_]*", name):
        raise ValueError(f"{name!r} is not a unit name: use letters and _ only, e.g. 'tote' or 'soap_bar'")
    if name in _COMMON or name in ("board_foot", "cubic_meter"):
        raise ValueError(f"{name!r} is already a unit ({display(name)}, {describe_dimension(name)}); pick another name, e.g. 'my_{name}'")
    quantity = parse_quantity(definition if re.match(r"\s*\d", definition) else f"1 {definition}")
    material_unit(str(quantity.units))
    wanted = f"{quantity.magnitude} * {quantity.units}"
    if _DEFINED.get(name) == wanted:
        return
    if name in _DEFINED:
        raise ValueError(f"{name!r} is already defined as {_DEFINED[name]} in this process; use another name")
    ureg = registry()
    replaces = _is_unit(name)
    ureg.define(f"{name} = {wanted}")
    _DEFINED[name] = wanted
    if replaces:  # forget what pint had worked out about its own meaning of the name
        ureg._build_cache()
        for cached in (parse_unit, parse_quantity, units_per_pack, display):
            cached.cache_clear()


def _is_unit(name: str) -> bool:
    try:
        parse_unit(name)
    except ValueError:
        return False
    return True


def describe_dimension(unit: str) -> str:
    """"a mass", "a volume", "a count" ... or what pint takes it for ("a time"; "a mix of units" for
    ``fl oz``, femtolitre times ounce, rather than pint's "[length] ** 3 * [mass]", which no owner reads)."""
    dimension = str(registry().Quantity(1, parse_unit(unit)).dimensionality)
    if dimension in MATERIAL_DIMENSIONS:
        return MATERIAL_DIMENSIONS[dimension]
    if dimension == "dimensionless":  # percent, ppm: pint's word would read "a dimensionless"
        return "a plain number"
    return "a mix of units" if any(sign in dimension for sign in "*/") else f"a {dimension.strip('[]').replace('_', ' ')}"


def suggest(text: str) -> str | None:
    """The unit a person probably meant by ``text`` ("kilos" -> "kg"), or None."""
    key = text.strip().lower()
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    if key.endswith("s") and key[:-1] in _SPELLINGS:
        return _SPELLINGS[key[:-1]]
    close = difflib.get_close_matches(text.strip(), _KNOWN, n=1, cutoff=0.75)
    return close[0] if close else None


def material_unit(text: str) -> pint.Unit:
    """A unit a material can be priced in (mass, length, area, volume or count); ValueError with a
    "did you mean" otherwise, e.g. for ``kilos``, which pint reads as kiloseconds."""
    def did_you_mean() -> str:  # only for the error: a close-match search over every unit, per offer of a big config
        hint = suggest(text)
        return f"; did you mean {hint}?" if hint and hint != text.strip() else ""

    try:
        unit = parse_unit(text)
    except ValueError:
        raise ValueError(f"unknown unit {text!r}{did_you_mean() or ' (kg, lb, L, gal, m, board_foot, each ...)'}") from None
    dimension = str(registry().Quantity(1, unit).dimensionality)
    if dimension not in MATERIAL_DIMENSIONS:
        reads_as = str(unit).replace("_", " ")
        raise ValueError(f"{text!r} is not a unit materials are sold in (it reads as {reads_as}, {describe_dimension(text)})"
                         f"{did_you_mean() or '; use a mass, volume, length, area or count: kg, L, m, m^2, each ...'}")
    return unit


def check_quantity(text: str) -> pint.Quantity:
    """A pack or a recipe line: a positive amount of a unit a material can be priced in; a unit
    typo ("5 kilos") is named with what was probably meant."""
    word = re.sub(r"^\s*[\d.,]+\s*", "", str(text)).strip()
    try:
        quantity = parse_quantity(text)
    except ValueError as exc:
        if word and suggest(word):
            material_unit(word)  # raises, with "did you mean"
        raise exc
    try:
        material_unit(str(quantity.units))
    except ValueError:
        material_unit(word or str(quantity.units))  # raise about the unit as the owner wrote it
        raise
    return quantity


# The spellings configs use most, read without building pint's registry (seconds, once per process).
_COMMON = {"board_foot": "bd ft", "bdft": "bd ft", "kg": "kg", "g": "g", "lb": "lb", "oz": "oz", "gal": "gal", "L": "L", "l": "L",
           "ml": "mL", "mL": "mL", "floz": "fl oz", "each": "each", "ea": "each", "pcs": "each", "piece": "each", "sheet": "sheet",
           "bottle": "bottle", "jar": "jar", "roll": "roll", "bar": "bar", "m": "m", "ft": "ft", "m^3": "m³", "m**3": "m³",
           "cubic_meter": "m³", "m^2": "m²", "m**2": "m²", "sq_ft": "sq ft", "t": "t", "qt": "qt"}


@lru_cache(maxsize=1024)
def display(unit: str) -> str:
    """The unit as a person reads it: ``board_foot`` -> "bd ft", ``floz`` -> "fl oz", ``m^3`` -> "m³",
    a counting unit by its own name ("sheet"); a name pint does not know is shown as written."""
    if unit.strip() in _COMMON and unit.strip() not in _DEFINED:
        return _COMMON[unit.strip()]
    try:
        parsed = parse_unit(unit)
    except ValueError:
        return unit.replace("_", " ")
    name = str(parsed)
    if name in _DISPLAY:
        return _DISPLAY[name]
    if name in _DEFINED or str(registry().Quantity(1, parsed).dimensionality) == "[item]":
        return name.replace("_", " ")
    return f"{parsed:~P}".replace("_", " ")


def is_count(unit: str) -> bool:
    if unit.strip() in _COMMON:
        return _COMMON[unit.strip()] in ("each", "sheet", "bottle", "jar", "roll", "bar")
    try:
        return str(registry().Quantity(1, parse_unit(unit)).dimensionality) == "[item]"
    except ValueError:
        return True  # a word pint does not know ("table", "batch"): something counted


def plural(word: str) -> str:
    """English plural of a counting word: bar -> bars, box -> boxes, battery -> batteries."""
    if word in ("each",) or not word or not word[-1].isalpha():
        return word
    if word.endswith("f") and word not in ("roof", "proof", "chef"):
        return word[:-1] + "ves"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def singular(word: str) -> str:
    """English singular of a counting word: loaves -> loaf, bottles -> bottle, batteries -> battery."""
    lower = word.lower()
    if len(word) <= 3 or not lower.endswith("s") or lower.endswith("ss"):
        return word
    if lower.endswith("ves") and lower not in ("valves", "sleeves", "gloves"):
        return word[:-3] + "f"
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


def quantity_text(amount: float | Decimal, unit: str) -> str:
    """"12 fl oz", "2.5 kg", "40 bars", "1 table": an amount with its unit, counts in the plural."""
    number = f"{float(amount):,.4f}".rstrip("0").rstrip(".")
    name = display(unit)
    if (is_count(unit) or unit.strip() in _DEFINED) and float(amount) > 1 and " " not in name:
        name = plural(name)
    return f"{number} {name}"


def quantity_as_written(text: str) -> str:
    """A config quantity ("12 floz", "0.5 each") as a person reads it ("12 fl oz", "0.5 each")."""
    match = re.fullmatch(r"\s*([\d.,]+)\s*(.+?)\s*", str(text))
    if not match:
        return str(text)
    try:
        return quantity_text(Decimal(match.group(1).replace(",", "")), match.group(2))
    except ArithmeticError:
        return str(text)


def per_pack(text: str) -> str:
    """What a price on the page buys, after the price: "per bd ft" for 1 bd ft, "per 10 bd ft", "per 100"
    for 100 each, "each" for 1 each; "" when unknown."""
    match = re.fullmatch(r"\s*([\d.,]+)\s*(.+?)\s*", str(text))
    if not match:
        return f"per {text}" if str(text).strip() else ""
    try:
        amount = Decimal(match.group(1).replace(",", ""))
    except ArithmeticError:
        return f"per {text}"
    if amount == 1:
        return priced(match.group(2))
    written = quantity_as_written(text)
    if display(match.group(2)) == "each":
        return "per " + written.removesuffix(" each")
    return f"per {written}"


def priced(unit: str) -> str:
    """"per bd ft", "per sheet", or "each": how a material's prices are quoted."""
    name = display(unit)
    return "each" if name == "each" else f"per {name}"


def per(unit: str) -> str:
    """What follows a price: "/kg", "/bd ft", "/sheet", or " each"."""
    name = display(unit)
    return " each" if name == "each" else f"/{name}"


# The short names every message shows that pint misreads ("fl oz" is femtolitre times ounce, "cu ft"
# centi-atomic-mass-unit times foot) or cannot read ("bd ft"): an owner types what the phone showed.
_AS_SHOWN = {"bd ft": "board_foot", "fl oz": "fluid_ounce", "cu ft": "cubic_foot"}
_SHOWN_AT_END = re.compile(r"(?<![^\d\s.])(" + "|".join(re.escape(name) for name in _AS_SHOWN) + r")\s*$", re.IGNORECASE)


def as_pint_reads(text: str) -> str:
    """``text`` with a unit written as messages show it ("30 bd ft", "12 fl oz") in pint's name for it."""
    return _SHOWN_AT_END.sub(lambda m: _AS_SHOWN[m.group(1).lower()], text.strip())


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit name such as ``kg``, ``gal``, ``board_foot`` or ``bd ft``; ValueError if unknown."""
    try:
        return registry().Unit(as_pint_reads(text))
    except Exception as exc:  # pint raises what its tokenizer and parser raise: any of them means unreadable
        raise ValueError(f"unknown unit {text!r}") from exc


@lru_cache(maxsize=4096)
def parse_quantity(text: str | int | float) -> pint.Quantity:
    """Parse ``"5 gal"``, ``"10 board_foot"`` or ``"12 each"``; a bare number is rejected."""
    if isinstance(text, (int, float)):
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    try:
        quantity = registry().Quantity(as_pint_reads(str(text)))
    except Exception as exc:  # pint raises what its tokenizer and parser raise: any of them means unreadable
        raise ValueError(f"cannot read {text!r} as a quantity with a unit") from exc
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise ValueError(f"{text!r} has no unit: write it as '{text} kg', '{text} each' ...")
    if Decimal(str(quantity.magnitude)) <= 0:
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
    written = quantity_text(Decimal(str(quantity.magnitude)), str(quantity.units))  # "10 bd ft", not pint's "10 bf"
    raise ValueError(f"{written} cannot be converted to {display(unit)}{hint}")


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
