"""Price lists: one page or file, many rows, each row an offer picked by a text that names it.

HTML tables or repeated cards use a row selector plus selectors inside the row; CSV and XLSX
files use column names.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from parsel import Selector
from price_parser import Price

from .candidates import Candidate
from .packs import pack_from_text
from .plain_text import without_control


def _select(node: Selector, selector: str) -> list[str]:
    kind, _, query = selector.partition(":")
    return node.css(query).getall() if kind == "css" else node.xpath(query).getall()


def html_candidates(page: Selector, rows: str, match: str, price: str, pack: str | None, decimal_separator: str | None) -> list[Candidate]:
    """Rows whose text contains ``match`` (case-insensitive), priced by ``price`` within the row."""
    kind, _, query = rows.partition(":")
    found = []
    wanted = match.strip().lower()
    for row in page.css(query) if kind == "css" else page.xpath(query):
        text = " ".join(" ".join(row.xpath(".//text()").getall()).split())
        if wanted not in text.lower():
            continue
        raw = " ".join(t.strip() for t in (without_control(t) for t in _select(row, price)) if t.strip())
        amount = Price.fromstring(raw, decimal_separator=decimal_separator).amount if raw else None
        if amount is None:
            continue
        pack_text = " ".join(_select(row, pack)) if pack else text
        found.append(Candidate(amount, Price.fromstring(raw).currency, "price-list", raw, name=text[:120],
                               ids=frozenset({wanted}), pack=pack_from_text(pack_text)))
    return found


# A spreadsheet is a zip: 2.7 MB can inflate to 1 GB. Checked before openpyxl opens it: the sizes
# the zip declares (Python's zipfile never inflates a member past its declared size), then the rows
# the sheet declares, then the rows actually read. openpyxl reads about 6,000 rows a second here.
XLSX_MAX_INFLATED = 200 * 1024 * 1024
XLSX_MAX_MEMBERS = 10_000
MAX_ROWS = 50_000


class TooBig(ValueError):
    """A price list larger than is read: its size and the limit, in words."""


@dataclass(frozen=True)
class Table:
    """A CSV or XLSX price list read once for all the offers on it, or why it could not be."""

    rows: tuple[dict[str, Any], ...] = ()
    error: Exception | None = None


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _rows_in(archive: zipfile.ZipFile, member: str) -> int:
    """Rows of a sheet, counted by their tags while it streams out of the zip (1 MB at a time)."""
    count, tail = 0, b""
    with archive.open(member) as stream:
        while chunk := stream.read(1024 * 1024):
            data = tail + chunk
            cut = data.rfind(b"<")  # a tag cut by the chunk's end is counted with the next chunk
            body, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            count += len(_ROW_TAG.findall(body))
    return count + len(_ROW_TAG.findall(tail))


def _check_zip(body: bytes) -> None:
    """Sizes and rows before openpyxl opens the file (it reads every sheet without a declared size
    to its end just to find one)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise TooBig(f"the spreadsheet holds {len(members)} files, more than the {XLSX_MAX_MEMBERS} read")
        inflated = sum(m.file_size for m in members)
        if inflated > XLSX_MAX_INFLATED:
            raise TooBig(f"the spreadsheet inflates to {inflated / 1024 / 1024:,.0f} MB, more than the "
                         f"{XLSX_MAX_INFLATED / 1024 / 1024:.0f} MB read")
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                rows = _rows_in(archive, member.filename)
                if rows > MAX_ROWS + 1:
                    raise _too_many_rows(rows - 1)


def _too_many_rows(count: int) -> TooBig:
    return TooBig(f"the price list has {count:,} rows or more, more than the {MAX_ROWS:,} read "
                  "(ask the supplier for a shorter list, or a CSV file)")


def _xlsx_rows(body: bytes, sheet: str | None) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    _check_zip(body)
    book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        worksheet = book[sheet] if sheet else book.worksheets[0]
        declared = worksheet.max_row  # from the sheet's own <dimension>; checked again while reading
        if declared and declared > MAX_ROWS + 1:
            raise _too_many_rows(declared - 1)
        rows = []
        for row in worksheet.iter_rows(values_only=True):
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise _too_many_rows(len(rows) - 1)
        return rows
    finally:
        book.close()


@lru_cache(maxsize=1)
def table_rows(body: bytes, kind: str, sheet: str | None) -> Table:
    """The rows of a CSV or XLSX file as dicts by column name, read once per file (the spider calls
    ``spiders.extract.forget_parsed_pages()`` after each response)."""
    try:
        if kind == "xlsx":
            rows = _xlsx_rows(body, sheet)
            header = [str(h).strip() if h is not None else "" for h in rows[0]] if rows else []
            return Table(tuple(dict(zip(header, r)) for r in rows[1:]))
        text = body.decode("utf-8-sig", errors="replace")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        found = []
        for row in csv.DictReader(io.StringIO(text), dialect=dialect):
            found.append(row)
            if len(found) > MAX_ROWS * 10:  # CSV reads fast: ten times as many rows
                raise TooBig(f"the price list has more than {MAX_ROWS * 10:,} rows, more than read")
        return Table(tuple(found))
    except Exception as exc:  # a broken or hostile file: each offer on it is missing, with the reason
        return Table(error=exc)


def table_candidates(body: bytes, kind: str, match: str, price: str, key: str | None, pack: str | None,
                     sheet: str | None, decimal_separator: str | None) -> list[Candidate]:
    """Rows of a CSV or XLSX price list whose ``key`` column (or any column) equals ``match``."""
    found = []
    wanted = match.strip().lower()
    table = table_rows(body, kind, sheet)
    if table.error is not None:
        raise table.error
    for row in table.rows:
        values = [str(row.get(key, ""))] if key else [str(v) for v in row.values()]
        if wanted not in (v.strip().lower() for v in values):
            continue
        cell = row.get(price)
        if isinstance(cell, (int, float)):
            amount: Decimal | None = Decimal(str(round(cell, 6)))
        else:
            amount = Price.fromstring(without_control(str(cell or "")), decimal_separator=decimal_separator).amount
        if amount is None:
            continue
        description = " ".join(str(v) for v in row.values() if v is not None)
        found.append(Candidate(amount, None, kind, str(cell), name=description[:120], ids=frozenset({wanted}),
                               pack=pack_from_text(str(row.get(pack, ""))) if pack else pack_from_text(description)))
    return found
