"""How a page writes numbers, when the owner did not say: from the numbers it shows, its language
and its currency. A page that gives no clue gets no guess: its ambiguous numbers are refused."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol
from parsel import Selector

from .currencies import minor_digits
from .numbers import shape_decimal

_THREE_AFTER_ONE_MARK = re.compile(r"(?<![\d.,])\d{1,3}([.,])\d{3}(?![\d.,])")
_NAMES = {".": "a decimal point (1,234.56)", ",": "a decimal comma (1.234,56)", "": "whole amounts (1.234 or 1,234 is a thousand)"}


@dataclass(frozen=True)
class PageLocale:
    """The page's decimal separator (``.``, ``,``, ``""`` for whole-amount currencies, None when
    unknown) and where that came from."""

    decimal: str | None
    locale: str | None = None
    source: str = "unknown"  # given | numbers | lang | currency | unknown

    def describe(self) -> str:
        if self.decimal is None:
            return "unknown (numbers like 1.299 are refused rather than guessed)"
        where = {"given": "as configured", "numbers": "from the prices the page shows", "lang": "from the page's language",
                 "currency": "from the currency"}.get(self.source, self.source)
        return f"{in_words(self.locale) + ', ' if self.locale else ''}{_NAMES[self.decimal]}, {where}"


def in_words(locale: str) -> str:
    """"German (de)", "German in Austria (de_AT)": the language an owner reads, with the code the
    config's ``locale:`` takes; the bare code when babel does not know it."""
    try:
        found = Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return locale
    language = found.get_language_name("en") or locale
    territory = found.get_territory_name("en") if found.territory else None
    return f"{language}{' in ' + territory if territory else ''} ({locale})"


def decimal_of(locale: str) -> str:
    """The decimal separator of a locale name such as ``de_AT`` or ``pt-BR``."""
    return get_decimal_symbol(Locale.parse(locale.replace("-", "_")))


def given(locale: str) -> PageLocale:
    return PageLocale(decimal_of(locale), locale, "given")


def page_language(page: Selector) -> str | None:
    """The page's declared language: ``<html lang>``, ``og:locale`` or Content-Language, as a babel name."""
    for value in (page.xpath("/html/@lang | /html/@xml:lang").get(), page.css('meta[property="og:locale"]::attr(content)').get(),
                  page.css('meta[http-equiv="content-language" i]::attr(content)').get()):
        if not value or not value.strip():
            continue
        try:
            return str(Locale.parse(value.strip().split(",")[0].replace("-", "_")))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


def infer(page: Selector, price_texts: Iterable[str], currency: str | None = None) -> PageLocale:
    """The page's decimal separator from the numbers its prices show (``12,50 €`` proves a decimal
    comma), else its language, else its currency when that has no decimals (yen, won, pesos)."""
    texts = list(price_texts)
    votes = Counter(d for d in (shape_decimal(t) for t in texts) if d)
    language = page_language(page)
    if votes:
        (best, count), total = votes.most_common(1)[0], sum(votes.values())
        if count >= 0.8 * total:
            return PageLocale(best, language, "numbers")
    # Every price with one mark and three digits after it ("$3.499", "$5.809"): prices do not have
    # three decimals (unless the currency does), so that mark groups thousands.
    marks = Counter(m.group(1) for t in texts if (m := _THREE_AFTER_ONE_MARK.search(t)))
    if not votes and len(marks) == 1 and sum(marks.values()) >= 2 and minor_digits(currency) != 3:
        return PageLocale("," if "." in marks else ".", language, "numbers")
    if language:
        try:
            return PageLocale(decimal_of(language), language, "lang")
        except (UnknownLocaleError, ValueError):
            pass
    if minor_digits(currency) == 0:
        return PageLocale("", None, "currency")
    return PageLocale(None)
