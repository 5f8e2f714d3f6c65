"""Which currency a page means: ISO 4217 codes, the symbols and words shops print, and the codes
they get wrong ("RUR", "pln"). A code that is none of these is reported, never passed on as if it
were a currency."""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.numbers import get_currency_precision, list_currencies

_ISO = frozenset(list_currencies())
# Codes shops write that are not today's ISO code for the money they mean (same value).
ALIASES = {
    "RUR": "RUB",  # the pre-1998 code, still common on Russian shops
    "RMB": "CNY", "NIS": "ILS", "NTD": "TWD", "YEN": "JPY", "EURO": "EUR", "EUROS": "EUR", "SFR": "CHF",
    "STG": "GBP", "GBR": "GBP",
}
# Historical codes whose money was redenominated: mapping them would change the amount.
_RETIRED = {"BYR": "BYN", "VEF": "VES", "ZMK": "ZMW", "MRO": "MRU", "STD": "STN", "GHC": "GHS", "TRL": "TRY",
            "ROL": "RON", "MZM": "MZN", "SDD": "SDG", "AZM": "AZN", "YUM": "RSD", "CSD": "RSD", "MGF": "MGA", "BGL": "BGN"}
# Symbols and words printed beside prices; the ambiguous ones ($, kr, Rs) mean the supplier's own.
SYMBOLS = {
    "€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY", "￥": "JPY", "₩": "KRW", "원": "KRW", "₽": "RUB", "руб": "RUB",
    "₹": "INR", "zł": "PLN", "kč": "CZK", "ft": "HUF", "kn": "HRK", "lei": "RON", "лв": "BGN", "₺": "TRY", "tl": "TRY",
    "₴": "UAH", "грн": "UAH", "₪": "ILS", "₫": "VND", "฿": "THB", "r$": "BRL", "тг": "KZT", "₸": "KZT", "chf": "CHF",
    "fr.": "CHF", "ر.س": "SAR", "د.إ": "AED", "nt$": "TWD", "hk$": "HKD", "c$": "CAD", "ca$": "CAD", "a$": "AUD",
    "au$": "AUD", "nz$": "NZD", "us$": "USD", "s$": "SGD", "₱": "PHP", "rp": "IDR", "rm": "MYR", "₦": "NGN",
    "$": None, "kr": None, "kr.": None, "rs": None, "rs.": None,
}
_SYMBOL_PATTERN = re.compile("|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True)), re.IGNORECASE)


@dataclass(frozen=True)
class CurrencyReading:
    """An ISO code for what the page said, or None with ``problem`` saying why."""

    code: str | None
    problem: str | None = None


def iso_code(found: str | None) -> CurrencyReading:
    """``"EUR"``, ``"eur"``, ``"€"``, ``"RUR"`` -> an ISO code; ``"UAN"`` -> None and why."""
    if not found or not str(found).strip():
        return CurrencyReading(None)
    text = str(found).strip()
    upper = text.upper()
    if upper in ALIASES:
        return CurrencyReading(ALIASES[upper])
    if upper in _RETIRED:
        return CurrencyReading(None, f"the page states currency {text!r}, a retired code (now {_RETIRED[upper]}, at a different value)")
    if re.fullmatch(r"[A-Z]{3}", upper):
        if upper in _ISO:
            return CurrencyReading(upper)
        return CurrencyReading(None, f"the page states currency {text!r}, which is not an ISO 4217 code")
    symbol = SYMBOLS.get(text.lower().rstrip("."), SYMBOLS.get(text.lower(), "?"))
    if symbol != "?":
        return CurrencyReading(symbol)
    return CurrencyReading(None, f"the page states currency {text!r}, which is not a currency this reads")


def currency_in_text(text: str) -> str | None:
    """The currency a price text names by code or unambiguous symbol (``"1.234,56 €"`` -> EUR)."""
    for match in re.finditer(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", text):
        code = iso_code(match.group(1)).code
        if code:
            return code
    symbol = _SYMBOL_PATTERN.search(text)
    return SYMBOLS[symbol.group(0).lower()] if symbol else None


def currency_code(found: str | None, supplier_currency: str) -> str:
    """An ISO code for what the page showed; an ambiguous symbol ($, kr) or nothing means the supplier's own."""
    return iso_code(found).code or supplier_currency


def minor_digits(code: str | None) -> int | None:
    """How many decimals a currency's prices have (JPY, KRW, CLP: none), None when unknown."""
    if not code or code not in _ISO:
        return None
    return get_currency_precision(code)
