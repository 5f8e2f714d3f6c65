"""Reading a price history the owner exported from a spreadsheet or an accounting program.

Dates as ISO (2024-11-01), US (11/01/2024), European (01.11.2024 or 01/11/2024: day first when a
first part above 12 shows it) or with a time; prices with a currency sign and thousands separators
(``$1,128.67``, ``1.128,67 €``). A row that cannot be read is named with its line and which of the
two cells it is, never skipped silently; an empty price cell is a day without a price.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path

from price_parser import Price

_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?$")


def _year(text: str) -> int:
    year = int(text)
    return year + (2000 if year < 70 else 1900) if len(text) == 2 else year


def _day_first(cells: list[str]) -> bool:
    """Whether slashed dates in this column put the day first: yes when a first part is above 12,
    or the separator is a dot (01.11.2024); otherwise the US order, month first."""
    for cell in cells:
        match = _SLASHED.match(cell)
        if match and (int(match.group(1)) > 12 or "." in cell):
            return True
    return False


def parse_date(text: str, day_first: bool = False) -> date:
    """One date cell; ValueError if it is not a date."""
    cell = text.strip()
    try:
        return datetime.fromisoformat(cell.replace("Z", "+00:00")).date() if "-" in cell[:5] else date.fromisoformat(cell[:10])
    except ValueError:
        pass
    match = _SLASHED.match(cell)
    if match is None:
        raise ValueError(cell)
    first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
    day, month = (first, second) if day_first else (second, first)
    return date(year, month, day)


def parse_price(text: str, decimal_comma: bool | None = None) -> float:
    """One price cell such as ``128.67``, ``$1,128.67`` or ``1.128,67 €``; ValueError if none."""
    cell = text.strip()
    try:
        return float(cell)
    except ValueError:
        pass
    separator = "," if decimal_comma else "." if decimal_comma is False else None
    found = Price.fromstring(cell, decimal_separator=separator)
    if found.amount is None:
        raise ValueError(cell)
    sign = -1 if cell.lstrip().startswith("-") or cell.startswith("(") else 1
    return sign * float(found.amount)


def read_prices(path: Path, date_column: str, price_column: str) -> list[tuple[str, float]]:
    """(ISO date, price) rows of a CSV export, oldest first; ValueError naming the row and the
    cell that could not be read."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        for name in (date_column, price_column):
            if name not in (reader.fieldnames or []):
                raise ValueError(f"{path}: no column {name!r} (columns: {', '.join(reader.fieldnames or [])})")
        rows = [(number, (row[date_column] or "").strip(), (row[price_column] or "").strip()) for number, row in enumerate(reader, 2)]
    day_first = _day_first([d for _, d, _ in rows])
    decimal_comma = dialect.delimiter == ";" or None  # a semicolon export is a comma-decimal locale's
    series = []
    for number, date_cell, price_cell in rows:
        if not price_cell:
            continue
        try:
            day = parse_date(date_cell, day_first)
        except ValueError:
            raise ValueError(f"{path}, line {number}: cannot read the date {date_cell!r} in column {date_column!r} "
                             "(write dates as 2024-11-01 or 11/01/2024)") from None
        try:
            price = parse_price(price_cell, decimal_comma)
        except ValueError:
            raise ValueError(f"{path}, line {number}: cannot read the price {price_cell!r} in column {price_column!r} "
                             "(write prices as 128.67 or $128.67)") from None
        series.append((day.isoformat(), price))
    if not series:
        raise ValueError(f"{path}: no prices in column {price_column!r}")
    return sorted(series)
