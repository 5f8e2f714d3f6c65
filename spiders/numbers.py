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
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return sane(Decimal(str(value)))
    text = str(value).strip()
    if not text or len(text) > 200 or text[0] in "-−":
        return None
    plain = text.replace(" ", "")
    if re.fullmatch(r"[+]?\d+(\.\d+)?([eE][+-]?\d+)?", plain):
        try:
            return sane(Decimal(plain))
        except InvalidOperation:
            return None
    return read_number(text, ".", machine=True).amount


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
        return Reading(None, f"{match.group(0)!r} is not a price (zero, negative or absurdly large)")
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
