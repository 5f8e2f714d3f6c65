"""Read what one price buys ("25 kg bag", "case of 12", "5 gal pail") from what a page says.

Returns quantities as text pint understands (``"25 kg"``), or None when the text does not say.
"""

from __future__ import annotations

import re
from decimal import Decimal

# UN/CEFACT unit codes used by schema.org's unitCode (UnitPriceSpecification.referenceQuantity).
UNIT_CODES = {
    "KGM": "kg", "GRM": "g", "LBR": "lb", "ONZ": "oz", "LTR": "L", "MLT": "mL", "GLL": "gal",
    "QT": "quart", "C62": "each", "EA": "each", "H87": "each", "XPP": "each", "BFT": "board_foot",
    "MTQ": "m^3", "MTK": "m^2", "MTR": "m", "FOT": "ft",
}

# Words shops use for units, mapped to the registry's names. Order matters: longest first.
_UNIT_WORDS = {
    "board feet": "board_foot", "board foot": "board_foot", "board ft": "board_foot", "bdft": "board_foot",
    "bd ft": "board_foot", "bf": "board_foot", "fbm": "board_foot",
    "kilograms": "kg", "kilogram": "kg", "kilo": "kg", "kg": "kg", "grams": "g", "gram": "g", "g": "g",
    "pounds": "lb", "pound": "lb", "lbs": "lb", "lb": "lb", "ounces": "oz", "ounce": "oz", "oz": "oz",
    "fl oz": "floz", "fl. oz": "floz",
    "gallons": "gal", "gallon": "gal", "gal": "gal", "quarts": "quart", "quart": "quart", "qt": "quart",
    "litres": "L", "liters": "L", "litre": "L", "liter": "L", "ltr": "L", "l": "L",
    "millilitres": "mL", "milliliters": "mL", "ml": "mL",
    "m³": "m^3", "m3": "m^3", "cbm": "m^3",
}
_COUNT_WORDS = r"case|pack|box|bag|carton|roll|set|bundle|lot|packung|karton|rolle|lot de|paquet|carton de|ケース"
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_UNIT_ALTERNATION = "|".join(re.escape(w) for w in sorted(_UNIT_WORDS, key=len, reverse=True))
_MULTI = re.compile(rf"(\d+)\s*[x×]\s*{_NUMBER}\s*({_UNIT_ALTERNATION})(?![a-z])", re.IGNORECASE)
_QUANTITY = re.compile(rf"(?<![\w/.,]){_NUMBER}\s*-?\s*({_UNIT_ALTERNATION})(?![a-z0-9])", re.IGNORECASE)
_COUNT_OF = re.compile(rf"(?:{_COUNT_WORDS})\s+(?:of\s+)?(\d+)(?!\s*(?:{_UNIT_ALTERNATION})(?![a-z]))", re.IGNORECASE)
_COUNT_PIECES = re.compile(r"(?<![\w.,])(\d+)\s*(?:-?\s*)(?:pcs|pieces|piece|count|ct|pk|stück|stk|pièces|個|本|枚)(?![a-z])", re.IGNORECASE)


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _format(amount: Decimal, unit: str) -> str:
    return f"{amount.normalize():f} {unit}"


def packs_in_text(text: str | None) -> list[str]:
    """Every pack a title states, most specific first: "Bottles 150 ml, case of 12" -> 150 mL, 12 each."""
    if not text:
        return []
    text = " ".join(text.split())
    found = []
    for match in _MULTI.finditer(text):  # "12 x 500 ml" is 6 L
        count, amount, unit = match.groups()
        found.append(_format(int(count) * _number(amount), _UNIT_WORDS[unit.lower()]))
    for match in _QUANTITY.finditer(text):
        amount, unit = match.groups()
        found.append(_format(_number(amount), _UNIT_WORDS[unit.lower()]))
    for pattern in (_COUNT_OF, _COUNT_PIECES):
        found += [f"{int(m.group(1))} each" for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


def pack_from_text(text: str | None, unit: str | None = None) -> str | None:
    """The pack a title states, e.g. ``"Lye, 25 kg bag"`` -> ``"25 kg"``; with ``unit``, the first
    one that converts to it, so "Bottles 5 oz, case of 12" bought per ``each`` reads as 12 each."""
    packs = packs_in_text(text)
    if unit is None:
        return packs[0] if packs else None
    from monitor import units  # the project's one registry, with the trade units

    for pack in packs:
        try:
            units.amount_in(units.parse_quantity(pack), unit)
            return pack
        except ValueError:
            continue
    return None


def pack_from_reference(reference: object) -> str | None:
    """schema.org ``referenceQuantity`` ({value, unitCode}) as a pack."""
    if not isinstance(reference, dict):
        return None
    value, code = reference.get("value"), str(reference.get("unitCode") or reference.get("unitText") or "").strip()
    unit = UNIT_CODES.get(code.upper()) or _UNIT_WORDS.get(code.lower())
    try:
        amount = Decimal(str(value)) if value is not None else Decimal(1)
    except ArithmeticError:
        return None
    return _format(amount, unit) if unit and amount > 0 else None


def pack_from_grams(grams: object) -> str | None:
    """A shop's variant weight in grams (Shopify), used only when the title says nothing."""
    try:
        amount = Decimal(str(grams))
    except (ArithmeticError, ValueError):
        return None
    return _format(amount, "g") if amount > 0 else None
