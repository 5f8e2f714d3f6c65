"""Public price series in the formats their publishers serve them, read into (period, value) pairs.

- ``fred``: FRED's ``fredgraph.csv`` (``observation_date,WPU081``; ``DATE`` before 2024; ``.`` when
  a month has no value). BLS producer price indexes are distributed this way too.
- ``bls``: the BLS Public Data API v2 JSON (``Results.series[].data[]``: year, period ``M01``..``M12``,
  value), or a BLS flat file (``wp.data.*``: tab-separated series_id, year, period, value).
- ``worldbank``: the Pink Sheet, ``CMO-Historical-Data-Monthly.xlsx`` (sheet "Monthly Prices": a few
  title rows, the series codes in a header row, then one row per month ``1960M01``), or the same
  table saved as CSV (a date column, then one column per code).
- ``ecb``: the ECB Data Portal's SDMX-CSV (``?format=csvdata``: ``KEY``, ``TIME_PERIOD``, ``OBS_VALUE``).

A period is ``YYYY-MM-01`` for a monthly value and ``YYYY-MM-DD`` for a daily one. Anything that
cannot be read raises ``ValueError`` naming what was wrong; a value that is not a number is never 0.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import date
from typing import Any

DEFAULT_URLS = {
    "fred": "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}",
    "bls": "https://api.bls.gov/publicAPI/v2/timeseries/data/{series}",
    "worldbank": "https://thedocs.worldbank.org/en/doc/5d903e848db1d1b83e0ec8f744e55570-0350012021/related/CMO-Historical-Data-Monthly.xlsx",
    "ecb": "https://data-api.ecb.europa.eu/service/data/{flow}/{key}?format=csvdata",
}
_MONTH = re.compile(r"^(\d{4})M(\d{2})$")
_MISSING = {"", ".", "-", "…", "..", "n/a", "na", "nan"}


def source_url(source: str, series: str, url: str | None = None) -> str:
    """Where a series is fetched: the config's URL, else the publisher's public address."""
    if url:
        return url
    if source == "ecb":
        flow, _, key = series.partition("/")
        if not key:
            raise ValueError(f"ECB series {series!r}: write it as FLOW/KEY, e.g. EXR/M.USD.EUR.SP00.A")
        return DEFAULT_URLS["ecb"].format(flow=flow, key=key)
    return DEFAULT_URLS[source].format(series=series)


def _number(text: Any) -> float | None:
    """A published value, or None when the cell says there is none (``.``, ``-``, empty)."""
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        cleaned = str(text).strip().replace(",", "")
        if cleaned.lower() in _MISSING:
            return None
        try:
            value = float(cleaned)
        except ValueError:
            raise ValueError(f"{str(text)[:40]!r} is not a number") from None
    if not math.isfinite(value):
        return None
    return value


def _period(text: Any) -> str:
    """``2023-11-01``, ``2023-11``, ``2023M11`` or a date cell as a period string."""
    if isinstance(text, date):
        return text.isoformat()[:10]
    cleaned = str(text).strip()
    month = _MONTH.match(cleaned)
    if month:
        return f"{month.group(1)}-{month.group(2)}-01"
    if re.fullmatch(r"\d{4}-\d{2}", cleaned):
        return f"{cleaned}-01"
    return date.fromisoformat(cleaned[:10]).isoformat()


def _csv_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8-sig", errors="replace")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _column(header: list[str], wanted: str, what: str) -> int:
    names = [h.strip().strip('"').lower() for h in header]
    if wanted.lower() in names:
        return names.index(wanted.lower())
    raise ValueError(f"no column {wanted!r} in the {what} (columns: {', '.join(h.strip() for h in header[:12])})")


def _fred(series: str, body: bytes) -> list[tuple[str, float]]:
    rows = _csv_rows(body)
    if not rows or len(rows[0]) < 2:
        raise ValueError("not a FRED CSV: expected a header such as observation_date,WPU081")
    header = rows[0]
    column = _column(header, series, "FRED CSV") if len(header) > 2 else 1
    found = []
    for row in rows[1:]:
        if len(row) <= column:
            continue
        value = _number(row[column])
        if value is not None:
            found.append((_period(row[0]), value))
    return found


def _bls(series: str, body: bytes) -> list[tuple[str, float]]:
    text = body.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("{"):
        data = json.loads(text)
        if data.get("status") not in (None, "REQUEST_SUCCEEDED"):
            raise ValueError(f"the BLS API said {data.get('status')}: {'; '.join(data.get('message') or [])[:200]}")
        found = []
        for block in (data.get("Results") or {}).get("series") or []:
            if str(block.get("seriesID", "")).strip().upper() != series.upper():
                continue
            for point in block.get("data") or []:
                period = str(point.get("period", ""))
                if not re.fullmatch(r"M(0[1-9]|1[0-2])", period):
                    continue  # M13 is the annual average, not a month
                value = _number(point.get("value"))
                if value is not None:
                    found.append((f"{int(point['year']):04d}-{period[1:]}-01", value))
        if not found:
            raise ValueError(f"the BLS answer holds no monthly values of {series}")
        return found
    found = []
    for line in text.splitlines()[1:]:  # flat file: series_id year period value footnote_codes
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) >= 4 and parts[0].upper() == series.upper() and re.fullmatch(r"M(0[1-9]|1[0-2])", parts[2]):
            value = _number(parts[3])
            if value is not None:
                found.append((f"{int(parts[1]):04d}-{parts[2][1:]}-01", value))
    return found


def _pink_sheet_xlsx(series: str, body: bytes) -> list[tuple[str, float]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    names = workbook.sheetnames
    sheets = [n for n in names if n.strip().lower() == "monthly prices"] + [n for n in names if n.strip().lower() != "monthly prices"]
    for name in sheets:
        column = None
        found = []
        for row in workbook[name].iter_rows(values_only=True):
            if column is None:
                cells = [str(c).strip() if c is not None else "" for c in row]
                if series in cells:
                    column = cells.index(series)
                continue
            if not row or row[0] is None or not _MONTH.match(str(row[0]).strip()):
                continue
            value = _number(row[column] if column < len(row) else None)
            if value is not None:
                found.append((_period(row[0]), value))
        if column is not None:
            workbook.close()
            return found
    workbook.close()
    raise ValueError(f"no column {series!r} in the Pink Sheet (sheets: {', '.join(names)})")


def _pink_sheet_csv(series: str, body: bytes) -> list[tuple[str, float]]:
    rows = _csv_rows(body)
    for number, header in enumerate(rows[:10]):
        if series in [h.strip() for h in header]:
            column = [h.strip() for h in header].index(series)
            found = []
            for row in rows[number + 1:]:
                if len(row) > column and row[0].strip():
                    try:
                        period = _period(row[0])
                    except ValueError:
                        continue  # a units or notes row under the header
                    value = _number(row[column])
                    if value is not None:
                        found.append((period[:8] + "01", value))
            return found
    raise ValueError(f"no column {series!r} in the Pink Sheet CSV")


def _ecb(series: str, body: bytes) -> list[tuple[str, float]]:
    rows = _csv_rows(body)
    if not rows:
        raise ValueError("the ECB answer is empty")
    header = rows[0]
    when, value_at = _column(header, "TIME_PERIOD", "ECB SDMX-CSV"), _column(header, "OBS_VALUE", "ECB SDMX-CSV")
    key_at = [h.strip().upper() for h in header].index("KEY") if "KEY" in [h.strip().upper() for h in header] else None
    wanted_key = series.partition("/")[2] or series
    found = []
    for row in rows[1:]:
        if len(row) <= max(when, value_at):
            continue
        if key_at is not None and not row[key_at].strip().endswith(wanted_key):
            continue  # an answer with several series: only ours
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row[when].strip()):
            continue  # quarterly or annual periods are not followed
        value = _number(row[value_at])
        if value is not None:
            found.append((_period(row[when]), value))
    return found


def parse(source: str, series: str, body: bytes) -> list[tuple[str, float]]:
    """(period, value) pairs of ``series`` in a publisher's answer, oldest first."""
    if not body:
        raise ValueError("the answer is empty")
    if source == "fred":
        found = _fred(series, body)
    elif source == "bls":
        found = _bls(series, body)
    elif source == "worldbank":
        found = _pink_sheet_xlsx(series, body) if body[:2] == b"PK" else _pink_sheet_csv(series, body)
    elif source == "ecb":
        found = _ecb(series, body)
    else:
        raise ValueError(f"unknown source {source!r}")
    if not found:
        raise ValueError(f"no values of {series} in the answer")
    return sorted(dict(found).items())
