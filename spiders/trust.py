"""What a supplier page says is untrusted: a number becomes a price only when it can be one, and
text is data, never terminal control, and never longer than a person reads.

The last gate before an item leaves the spider, whatever extraction read: NaN, Infinity, 1e400,
amounts of 1e22 and more, and packs of 1e-30 kg never reach the store as prices.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, MutableMapping

from .plain_text import words

LARGEST = Decimal("1e22")  # no price or quantity on a supplier page is this large: a parse gone wrong
SMALLEST = Decimal("1e-6")  # nor this small, except 0 (which the store holds as suspect)
# What each text field of an item may hold, in characters.
TEXT_LIMITS = {"raw": 300, "error": 500, "pack": 80, "currency": 8, "method": 40, "final_url": 2000}


def clean_text(value: str, limit: int) -> str:
    """Page text safe to store and print: no terminal control (see ``plain_text``), whitespace
    collapsed, at most ``limit`` characters (an ellipsis marks a cut)."""
    return words(value, limit)


def amount_problem(value: Any, what: str = "price") -> str | None:
    """Why ``value`` cannot be an amount of money read from a page, or None when it can."""
    if value is None:
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return f"the {what} on the page is not a number ({str(value)[:40]!r})"
    if not amount.is_finite():
        return f"the {what} on the page is not a finite number ({amount})"
    if amount < 0:
        return f"the {what} on the page is negative ({amount})"
    if amount >= LARGEST or (0 < amount < SMALLEST):
        return f"the {what} on the page is not a plausible amount ({amount:.3g})"
    return None


def quantity_problem(value: Any, what: str) -> str | None:
    """Why ``value`` cannot be a quantity (a pack size, a quantity break), or None."""
    if value is None:
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return f"the {what} on the page is not a number ({str(value)[:40]!r})"
    if not amount.is_finite() or amount < 0 or amount >= LARGEST or (0 < amount < SMALLEST):
        return f"the {what} on the page is not a plausible quantity ({amount})"
    return None


def pack_problem(pack: Any) -> str | None:
    """A pack read from a page ("0.000…001 kilogram", "NaN kg") that no price can be divided by."""
    if pack is None:
        return None
    match = re.match(r"\s*(-?[0-9]+(?:[.,][0-9]+)*(?:[eE][-+]?[0-9]+)?|nan|inf\w*)", str(pack), re.IGNORECASE)
    if not match:
        return None
    number = match.group(1).replace(",", "")
    problem = quantity_problem(number, "pack size")
    if problem is None and Decimal(number) == 0:
        return "the pack size on the page is 0"
    return problem


def number_problem(fields: Mapping[str, Any]) -> str | None:
    """Why the numbers of an item with a price cannot be stored as one, or None when they can."""
    problem = amount_problem(fields.get("price")) or pack_problem(fields.get("pack") if fields.get("pack_source") == "page" else None)
    if problem:
        return problem
    for tier in fields.get("tiers") or []:
        problem = (amount_problem(tier.get("price"), "quantity-break price") or quantity_problem(tier.get("min"), "quantity break")
                   or quantity_problem(tier.get("max"), "quantity break"))
        if problem:
            return problem
    return None


def clean_fields(fields: MutableMapping[str, Any]) -> Any:  # the same mapping: a dict, or a Scrapy item
    """Every text field capped and stripped of control characters (in place, and returned)."""
    for key, limit in TEXT_LIMITS.items():
        if isinstance(fields.get(key), str):
            fields[key] = clean_text(fields[key], limit)
    return fields
