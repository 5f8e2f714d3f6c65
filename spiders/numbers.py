"""Read an amount of money from what a page wrote, or say why not.

Two kinds of writing: attributes meant for machines (schema.org ``price``, ``content="26.00"``,
``data-price-amount``) are read as machines write them, a ``.`` decimal point; text meant for
people (``1.234,56 €``, ``$1,234.56``, ``20,-``) is read with the page's decimal separator when
the number's own shape does not already say it. A shape that fits both readings (``1.299``)
with no known separator is refused, never guessed. Nothing here ever returns 0, a negative,
an infinite or an absurd amount: a failed reading is None with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .plain_text import without_control

LARGEST = Decimal("1e22")  # no price on a supplier page is this large: a parse gone wrong
_STRUCTURE = set('{}[]"=:;<>|\\%#@')
_GROUPING = " \u00a0\u202f\u2009'’"  # spaces, narrow no-break space, thin space, apostrophes (CHF 1'234.50)
# One number as people write it: digits with separators, maybe ",-" / ".–" for whole amounts.
NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009'’.,]\d{2,3})*(?:[.,]\d+)?(?:[.,][-–—])?(?![\d])|(?<![\d.,])\d+(?:[.,]\d+)?(?:[.,][-–—])?(?![\d])")


@dataclass(frozen=True)
class Reading:
    """An amount read from text, or None with why it could not be read."""

    amount: Decimal | None
    why: str | None = None


def sane(amount: Decimal | None) -> Decimal | None:
    """The amount if it can be a price: finite, above zero, below 1e22."""
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= LARGEST:
        return None
    return amount


def machine_number(value: object) -> Decimal | None:
    """A number written for machines: JSON numbers, ``"26.00"``, ``"1,299.00"``; a comma is a decimal
    comma only when the shape says so (``"26,00 €"``), as some shops write even there."""
    return machine_reading(value).amount


def machine_reading(value: object) -> Reading:
    """A machine-written price, or None with why: only a number or a string holding one number is a
    price. ``true`` (1 in Python), an object, a list of different values, ``"1e9"``, ``"NaN"``,
    ``"2 for 10"`` or ``"USD"`` are not, whatever digit they hold. A list of one value (how extruct
    and RDFa write a single property) and a JSON-LD value object (``{"@value": "26.00"}``) are read."""
    if value is None:
        return Reading(None, "no price")
    if isinstance(value, bool):
        return Reading(None, f"{str(value).lower()} is a yes or no, not a number")
    if isinstance(value, dict):
        if "@value" in value and set(value) <= {"@value", "@type", "@language"}:
            return machine_reading(value["@value"])
        return Reading(None, "an object is not a number")
    if isinstance(value, (list, tuple)):
        readings = [machine_reading(v) for v in value]
        amounts = {r.amount for r in readings}
        if len(amounts) == 1 and readings[0].amount is not None:
            return readings[0]  # ["26.00"], or the same price written twice
        if not readings:
            return Reading(None, "an empty list is not a number")
        return Reading(None, f"a list of {len(readings)} values is not one number")
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, (float, Decimal)) and not math.isfinite(value):
            return Reading(None, f"{value} is not a finite number")
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ValueError):  # an int past Python's digit limit for str()
            return Reading(None, "the number is absurdly large")
        return Reading(amount) if sane(amount) is not None else _not_a_price(_short(amount))
    if not isinstance(value, str):
        return Reading(None, f"a {type(value).__name__} is not a number")
    text = value.strip()
    if not text:
        return Reading(None, "an empty text is not a number")
    if len(text) > 200:
        return Reading(None, "a text of over 200 characters is not one number")
    if text[0] in "-−":
        return Reading(None, f"{text[:40]!r} is negative")
    plain = text.replace(" ", "")
    if re.fullmatch(r"[+]?\d+(\.\d+)?", plain):
        plain_amount = sane(_decimal(plain.lstrip("+")))
        return Reading(plain_amount) if plain_amount is not None else _not_a_price(repr(text[:40]))
    if re.search(r"\d[eE][+-]?\d", text):
        return Reading(None, f"{text[:40]!r} is written in exponent notation")
    text = without_control(text)
    numbers = list(NUMBER.finditer(text))
    if len(numbers) > 1:
        return Reading(None, f"{text[:40]!r} holds {len(numbers)} numbers, not one price")
    if numbers and not all(_decoration(c) for c in text[:numbers[0].start()] + text[numbers[0].end():]):
        return Reading(None, f"{text[:40]!r} holds more than a number and its currency")
    return read_number(text, ".", machine=True)


def _not_a_price(written: str) -> Reading:
    """A number read right that no price can be (a parse gone wrong, or a page's placeholder)."""
    return Reading(None, f"{written} is not a price (zero, negative or absurdly large)")


def _decoration(char: str) -> bool:
    """What may stand beside a machine-written price: its currency ("US$", "Rs.", "원~"), never the
    marks of data written as text (``{"a": 1}``, ``[1]``, ``amount=1``, ``50%``)."""
    return char not in _STRUCTURE


def _short(amount: Decimal) -> str:
    text = f"{amount:f}" if abs(amount.adjusted()) < 30 else f"{amount:e}"
    return text if len(text) <= 40 else text[:37] + "..."


def _shape(token: str, decimal: str | None, machine: bool) -> Reading:
    """Interpret one number token's separators."""
    whole = re.match(r"^(.*?)[.,][-–—]$", token)  # "20,-" is 20 (German and Swiss whole amounts)
    if whole:
        token = whole.group(1)
    for mark in _GROUPING:
        token = token.replace(mark, "\u2009")
    if "\u2009" in token:
        groups = token.split("\u2009")
        if any(len(g.rstrip(".,0123456789")) for g in groups) or any(not re.fullmatch(r"\d{3}([.,]\d+)?", g) for g in groups[1:]):
            return Reading(None, f"{token!r} is not one number")
        token = token.replace("\u2009", "")
    separators = [c for c in token if c in ".,"]
    if not separators:
        return Reading(_decimal(token))
    last = separators[-1]
    head, _, tail = token.rpartition(last)
    if len(set(separators)) == 2:  # 1.234,56 and 1,234.56: the last one is the decimal mark
        other = "," if last == "." else "."
        if last in head or not _grouped(head, other):
            return Reading(None, f"{token!r} mixes separators in a way no locale writes")
        return Reading(_decimal(head.replace(other, "") + "." + tail))
    if len(separators) > 1:  # 1.234.567: only thousands groups repeat
        if _grouped(token, last):
            return Reading(_decimal(token.replace(last, "")))
        return Reading(None, f"{token!r} is not a number in any locale")
    if len(tail) != 3 or head in ("0", ""):  # 26,00 / 26.5 / 0,125: the mark can only be a decimal one
        return Reading(_decimal(head + "." + tail))
    # One mark followed by three digits: 1.299 is 1299 in Berlin and 1.299 in Boston.
    if decimal is None:
        if machine:
            return Reading(_decimal(head + "." + tail) if last == "." else _decimal(head + tail))
        return Reading(None, f"{token!r} could be {head}{tail} or {head}.{tail}: the page's locale is unknown")
    return Reading(_decimal(head + "." + tail) if last == decimal else _decimal(head + tail))


def _grouped(text: str, mark: str) -> bool:
    """Thousands groups of three (or the Indian 1,23,456) between ``mark``s."""
    groups = text.split(mark)
    if not groups[0] or len(groups[0]) > 3 or not all(g.isdigit() for g in groups):
        return False
    return all(len(g) == 3 for g in groups[1:]) or (
        len(groups) > 2 and all(len(g) == 2 for g in groups[1:-1]) and len(groups[-1]) == 3)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def read_number(text: str, decimal: str | None, *, machine: bool = False) -> Reading:
    """The first number in ``text`` (``"ab 1.234,56 €"``), read with ``decimal`` as the page's
    decimal separator when its shape is ambiguous; None with why when it cannot be read. Terminal
    escapes and control characters go first: ``"\x1b[2J"`` holds no number."""
    if not text:
        return Reading(None, "no text")
    text = without_control(text)
    lowered = text.lower()
    if re.search(r"\b(nan|inf|infinity)\b", lowered):
        return Reading(None, f"{text.strip()[:40]!r} is not a number")
    match = NUMBER.search(text)
    if match is None:
        return Reading(None, f"no number in {text.strip()[:40]!r}")
    after = text[match.end():match.end() + 4]
    if re.match(r"[eE][+-]?\d", after):
        return Reading(None, f"{text.strip()[:40]!r} is written in exponent notation")
    if re.search(r"(?:^|[^\w])[-−]\s?$", text[:match.start()]):
        return Reading(None, f"{text.strip()[:40]!r} is negative")
    reading = _shape(match.group(0), decimal, machine)
    if reading.amount is None:
        return reading
    if sane(reading.amount) is None:
        return _not_a_price(repr(match.group(0)))
    return reading


def shape_decimal(text: str) -> str | None:
    """The decimal separator a number's own shape proves, if any: ``12,50`` -> ``,``; ``1.234,5`` -> ``,``;
    ``1,299`` and ``1299`` prove nothing."""
    match = NUMBER.search(text)
    if match is None:
        return None
    token = re.sub(r"[.,][-–—]$", "", match.group(0))
    separators = [c for c in token if c in ".,"]
    if not separators:
        return None
    last = separators[-1]
    head, _, tail = token.rpartition(last)
    if len(set(separators)) == 2:
        return last
    if len(separators) > 1:
        return "," if last == "." else "."  # repeated marks are thousands groups
    if len(tail) != 3 or head == "0":
        return last
    return None
