"""Price lists: one page or file, many rows, each row an offer picked by a text that names it.

HTML tables or repeated cards use a row selector plus selectors inside the row; CSV and XLSX
files use column names.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from parsel import Selector
from price_parser import Price

from .candidates import Candidate
from .packs import pack_from_text


def _select(node: Selector, selector: str) -> list[str]:
    kind, _, query = selector.partition(":")
    return node.css(query).getall() if kind == "css" else node.xpath(query).getall()


def html_candidates(page: Selector, rows: str, match: str, price: str, pack: str | None, decimal_separator: str) -> list[Candidate]:
    """Rows whose text contains ``match`` (case-insensitive), priced by ``price`` within the row."""
    kind, _, query = rows.partition(":")
    found = []
    wanted = match.strip().lower()
    for row in page.css(query) if kind == "css" else page.xpath(query):
        text = " ".join(" ".join(row.xpath(".//text()").getall()).split())
        if wanted not in text.lower():
            continue
        raw = " ".join(t.strip() for t in _select(row, price) if t.strip())
        amount = Price.fromstring(raw, decimal_separator=decimal_separator).amount if raw else None
        if amount is None:
            continue
        pack_text = " ".join(_select(row, pack)) if pack else text
        found.append(Candidate(amount, Price.fromstring(raw).currency, "price-list", raw, name=text[:120],
                               ids=frozenset({wanted}), pack=pack_from_text(pack_text)))
    return found


def _cells(body: bytes, kind: str, sheet: str | None) -> list[dict[str, Any]]:
    if kind == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        rows = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
        header = [str(h).strip() if h is not None else "" for h in rows[0]] if rows else []
        return [dict(zip(header, r)) for r in rows[1:]]
    text = body.decode("utf-8-sig", errors="replace")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def table_candidates(body: bytes, kind: str, match: str, price: str, key: str | None, pack: str | None,
                     sheet: str | None, decimal_separator: str) -> list[Candidate]:
    """Rows of a CSV or XLSX price list whose ``key`` column (or any column) equals ``match``."""
    found = []
    wanted = match.strip().lower()
    for row in _cells(body, kind, sheet):
        values = [str(row.get(key, ""))] if key else [str(v) for v in row.values()]
        if wanted not in (v.strip().lower() for v in values):
            continue
        cell = row.get(price)
        if isinstance(cell, (int, float)):
            amount: Decimal | None = Decimal(str(round(cell, 6)))
        else:
            amount = Price.fromstring(str(cell or ""), decimal_separator=decimal_separator).amount
        if amount is None:
            continue
        description = " ".join(str(v) for v in row.values() if v is not None)
        found.append(Candidate(amount, None, kind, str(cell), name=description[:120], ids=frozenset({wanted}),
                               pack=pack_from_text(str(row.get(pack, ""))) if pack else pack_from_text(description)))
    return found
