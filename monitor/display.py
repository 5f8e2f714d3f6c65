"""Numbers as the owner reads them: money with its currency sign, prices per unit in words,
changes in percent, days as dates. One place, so the phone, the terminal and the browser agree."""

from __future__ import annotations

from datetime import date, datetime
import re
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency, get_currency_precision

from . import units


@lru_cache(maxsize=64)
def _affixes(currency: str) -> tuple[str, str, int]:
    """What comes before and after the number for ``currency`` ("$", ""), ("€", ""), ("CHF ", ""),
    and its usual decimals (2; 0 for yen). Babel is slow per call and pages format thousands of
    prices: learn the pattern once."""
    try:
        sample = format_currency(1234, currency, locale="en_US")
        decimals = get_currency_precision(currency)
    except (ValueError, KeyError):
        return f"{currency} ", "", 2
    match = re.fullmatch(r"([^\d]*)1,234(?:\.0+)?([^\d]*)", sample)
    if match is None:
        return f"{currency} ", "", decimals
    prefix, suffix = match.groups()
    if prefix and prefix[-1].isalpha():  # "CHF1,234.00" reads better with a space
        prefix += " "
    return prefix, suffix, decimals


def price_decimals(amount: float, decimals: int = 2) -> int:
    """The currency's decimals, or more for a small unit price so its digits stay ("$0.032/g", not
    "$0.03/g", which is 6 % off and the same for every hop)."""
    small = abs(amount)
    return decimals if small >= 0.1 or amount == 0 else max(decimals, 3 if small >= 0.01 else 4)


def money(amount: float | None, currency: str, digits: int | None = None) -> str:
    """"$1,050.00", "€226.80", "$0.96", "$0.0094" (small unit prices keep their significant digits)."""
    if amount is None:
        return "—"
    prefix, suffix, decimals = _affixes(currency)
    if digits is None:
        digits = price_decimals(amount, decimals)
    sign = "-" if amount < 0 else ""
    return f"{sign}{prefix}{abs(amount):,.{digits}f}{suffix}"


def unit_price(amount: float | None, currency: str, unit: str) -> str:
    """"$13.10/bd ft", "$62.77/sheet", "$4.20 each"."""
    if amount is None:
        return "—"
    return money(amount, currency) + units.per(unit)


def change(percent: float | None) -> str:
    """"+4.2%", "-3.0%", "0%" (no sign: it did not move), or "—" when there is nothing to compare with."""
    if percent is None:
        return "—"
    return signed_percent(percent, 1)


def day(timestamp: str | None) -> str:
    """"24 Nov 2026" for an ISO time (UTC as stored); "never" for none."""
    if not timestamp:
        return "never"
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return f"{moment.day} {moment:%b %Y}"


def day_of_year(day: date, today: date) -> str:
    """"3 Mar", or "3 Mar 2020" when it was not this year: the day order of every other line."""
    text = f"{day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def moment(timestamp: str | None) -> str:
    """"24 Nov 2026 03:00" for an ISO time (UTC as stored, said so where it is shown); "never" for none."""
    if not timestamp:
        return "never"
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return f"{moment.day} {moment:%b %Y %H:%M}"


def amount(number: float) -> float:
    """An amount rounded as an owner counts it: 72.86 -> 73, 4.782 -> 4.8, 0.3839 -> 0.38."""
    size = abs(number)
    if size >= 10:
        return float(round(number))
    if size >= 1:
        return round(number, 1)
    return float(f"{number:.2g}")


def count(number: int, word: str) -> str:
    """"1 alert", "3 alerts", "no alerts"."""
    return f"no {units.plural(word)}" if number == 0 else counted(number, word)


def counted(number: int, word: str) -> str:
    """"0 prices", "1 price", "1,200 prices": a count said as a number, zero too."""
    return f"{number:,} {word if number == 1 else units.plural(word)}"


NO_PRICE = {"error": "page could not be read", "missing": "no price on the page", "ambiguous": "several prices, none chosen",
            "suspect": "price held back as suspect", "node_error": "not fetched (the crawling machine failed)"}


def no_price(status: str | None, error: str | None = None) -> str:
    """Why an offer has no price, in words: "no price on the page (selector ... matched no price)"; a
    page that could not be read by its reason alone ("the page is gone (404 Not Found): ..."), which
    says it better than "page could not be read (...)"."""
    what = NO_PRICE.get(status or "", status or "never fetched")
    if not error:
        return what
    return error if status in ("error", "node_error") else f"{what} ({error})"


RUN_OUTCOMES = {"ok": "all went well", "partial": "some pages gave no price", "failed": "no price at all",
                "crashed": "it crashed", "running": "still running"}


def _held_back(status: str, offers: int | None, suspect: int | None) -> bool:
    """A run whose every price was held back as suspect (a price typed by hand, waiting to be confirmed)."""
    return status == "partial" and bool(offers) and suspect == offers


def run_outcome(status: str, offers: int | None, suspect: int | None) -> str:
    """A run's outcome in a word: "ok", "partial", "failed", "crashed", "running", or "held back" for
    a run whose every price was held back as suspect (a price typed by hand, waiting to be confirmed)."""
    return "held back" if _held_back(status, offers, suspect) else status


def run_outcome_words(status: str, offers: int | None, suspect: int | None) -> str:
    """The run log's words for a run's outcome: "all went well", "held back (not used until confirmed)"."""
    if _held_back(status, offers, suspect):
        return "held back (not used until confirmed)"
    return RUN_OUTCOMES.get(status, status)


def run_summary(summary: dict[str, Any], fired: int, resolved: int, failing: list[str], node_problems: list[str],
                still_queued: int, worse: int = 0) -> str:
    """The run's one line, saying only what matters: "5 prices from 5 offers; 2 alerts fired, 1 resolved";
    "3 prices from 5 offers (1 missing, 1 error); no price at all from Holz Berger; no new alerts".
    Zeros are left out; ``failing`` are suppliers' names."""
    offers, prices = summary["offers"], summary["prices"]
    if _held_back("partial", offers, summary["suspect"]):  # every price held back (one typed by hand, say): not "0 prices from 1 offer"
        parts = [f"{counted(offers, 'price')} held back as suspect (not used until confirmed)"]
    else:
        head = f"{counted(prices, 'price')} from {counted(offers, 'offer')}"
        gaps = [f"{summary['missing']:,} missing" if summary["missing"] else "",
                counted(summary["errors"], "error") if summary["errors"] else "",
                f"{summary['suspect']:,} held back as suspect" if summary["suspect"] else "",
                f"{summary['node_errors']:,} not fetched because a crawling machine failed" if summary.get("node_errors") else ""]
        gaps = [g for g in gaps if g]
        parts = [head + (f" ({', '.join(gaps)})" if gaps else "")]
    if failing:
        parts.append(f"no price at all from {', '.join(failing)}")
    if node_problems:
        parts.append(f"{count(len(node_problems), 'crawling machine problem')}: " + " | ".join(node_problems))
    # An alert told again because the news got worse rang the phone or filled the digest: the line
    # said "no new alerts" beside it (README walk), as the digest's title says "moved further".
    news = [f"{count(fired, 'alert')} fired" if fired else "", f"{count(worse, 'alert')} moved further" if worse else "",
            f"{count(resolved, 'alert')} resolved" if resolved else ""]
    news = [n for n in news if n]
    if len(news) > 1:  # "2 alerts fired, 1 resolved": the noun once
        news[1:] = [n.replace(" alerts ", " ").replace(" alert ", " ") for n in news[1:]]
    parts.append(", ".join(news) if news else "no new alerts")
    if still_queued:
        parts.append(f"{count(still_queued, 'notification')} not delivered (kept for the next run)")
    return "; ".join(parts)


def currency_name(currency: str, count: int = 2) -> str:
    """"euros", "US dollars", "Swiss francs" (``count=1``: "euro", "US dollar"): a currency in words,
    as in "paid in euros", "$1.10 per euro". Babel's English names are cased as written ("euros",
    "Swiss francs"): lowering the first letter made "swiss francs", "british pounds"."""
    from babel.numbers import get_currency_name

    try:
        return get_currency_name(currency, count=count, locale="en_US")
    except (ValueError, KeyError):
        return currency


def percent(value: float | None, decimals: int = 1) -> str:
    """A level in percent, a margin ("52.6%", "68.0%"): the same decimals on the phone, the terminal
    and the browser, so one margin never reads "68%" here and "68.0%" there. "—" for none."""
    if value is None:
        return "—"
    return f"{abs(value) if round(value, decimals) == 0 else value:.{decimals}f}%"  # never "-0.0%"


def signed_percent(value: float, decimals: int = 0) -> str:
    """A move in percent with its sign: "+4%", "-12%", and "0%" (no sign) when it rounds to nothing,
    never "-0%" or "+0.0%"."""
    text = f"{value:+.{decimals}f}"
    return "0%" if float(text) == 0 else f"{text}%"


def span(days: float) -> str:
    """A length of time as an owner says it: "1 day", "10 days", "8 weeks" (whole weeks from two
    weeks up), so the same span never reads "56 days" in one place and "8 weeks" in another."""
    whole = round(days)
    if whole >= 14 and whole % 7 == 0:
        return f"{whole // 7} weeks"
    return "1 day" if whole == 1 else f"{whole} days"


def weeks(number: float) -> str:
    """A span given in weeks ("cover 8 weeks", "2.5 weeks"), worded by :func:`span` when it is whole days."""
    days = number * 7
    return span(days) if abs(days - round(days)) < 1e-9 else f"{number:g} weeks"
