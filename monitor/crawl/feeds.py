"""Items crawled elsewhere: a JSON Lines feed file, a folder of them, or a feed served over HTTP.

Every source gives the same items the in-process crawl would hand over, so ``ingest`` and
``run --via scrapyd`` store them through the same path as ``run``. A feed is untrusted input:
each item is checked (a known offer, a known status, a finite price, a time near now) before it
is stored, and a feed fetched over HTTP is read under a deadline and a size cap.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Collection, Iterable

import requests
import urllib3

FEED_SUFFIXES = (".jl", ".jsonl", ".ndjson")
REQUIRED = {"offer_id", "status", "fetched_at"}
STATUSES = {"ok", "missing", "ambiguous", "error", "node_error"}  # what the offers spider writes (node_error: its machine ran out of open files)
MAX_PRICE = Decimal(10) ** 12  # no supply costs a trillion a pack: a number past it is a misread
CLOCK_SKEW = timedelta(minutes=10)  # a node's clock may run a little ahead of this machine's
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # an ingested feed may be old (a backfill), never from before the web shop era
FETCH_DEADLINE = 600.0  # seconds for a whole feed fetched over HTTP
FETCH_MAX_BYTES = 512 * 2**20  # 100,000 offers make a feed of about 70 MB


class FeedError(ValueError):
    """A feed that cannot be read at all (not JSON Lines, too big, too slow, unreachable)."""


def display_url(url: str) -> str:
    """A URL as people may see it: without a user name or password, without its query."""
    from ..safe_text import redact_url

    return redact_url(url)


def is_job_header(item: dict[str, Any]) -> bool:
    """The first line of a scrapyd job's feed: which job, which code version, how many offers."""
    return "job" in item and "code_version" in item


def parse_lines(lines: Iterable[str], origin: str) -> list[dict[str, Any]]:
    """Items from JSON lines; a line that is not JSON or not a supplywatch item names itself."""
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_constant=_constant_as_text)
        except (json.JSONDecodeError, ValueError) as exc:
            raise FeedError(f"{origin}:{number}: not a JSON line ({getattr(exc, 'msg', exc)})") from None
        if not isinstance(item, dict):
            raise FeedError(f"{origin}:{number}: not a JSON object")
        if "per_eur" not in item and not is_job_header(item) and (missing := REQUIRED - item.keys()):
            raise FeedError(f"{origin}:{number}: the item lacks {', '.join(sorted(missing))}; is this a supplywatch feed?")
        items.append(item)
    return items


def _constant_as_text(name: str) -> str:
    """NaN and Infinity, which Python's and Scrapy's exporters write bare, kept as the text they are:
    the line stays readable and its price is refused for that offer alone, never the whole feed."""
    return name


@dataclass(frozen=True)
class ItemCheck:
    """What a feed's items must satisfy: offers it may speak of, and when they may have been fetched."""

    offers: Collection[str]
    earliest: datetime
    latest: datetime

    @classmethod
    def for_ingest(cls, offers: Collection[str], now: datetime | None = None) -> "ItemCheck":
        now = now or datetime.now(timezone.utc)
        return cls(offers, EARLIEST, now + CLOCK_SKEW)

    @classmethod
    def for_run(cls, offers: Collection[str], started: datetime) -> "ItemCheck":
        """Items of tonight's crawl: fetched after the run started, never later than now."""
        return cls(offers, started - CLOCK_SKEW, datetime.max.replace(tzinfo=timezone.utc))

    def fetched_at(self, value: Any) -> str:
        """The time as a UTC ISO string, or ValueError when it is not a time of this crawl."""
        if not isinstance(value, str):
            raise ValueError(f"fetched_at {value!r} is not a time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"fetched_at {value[:40]!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError(f"fetched_at {value[:40]!r} has no time zone")
        moment = moment.astimezone(timezone.utc)
        latest = min(self.latest, datetime.now(timezone.utc) + CLOCK_SKEW)
        if not self.earliest <= moment <= latest:
            raise ValueError(f"fetched_at {value[:40]} is not a time of this crawl "
                             f"(expected {self.earliest:%Y-%m-%d %H:%M} to {latest:%Y-%m-%d %H:%M} UTC)")
        return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _amount(value: Any, what: str) -> str | None:
    """A price from a feed as a plain decimal string, or ValueError when it is not a sane number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} {str(value)[:40]!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what} {str(value)[:40]!r} is not a number") from None
    if not amount.is_finite() or not 0 <= amount < MAX_PRICE:
        raise ValueError(f"{what} {str(value)[:40]} is not a price")
    return str(amount)


def check_item(item: dict[str, Any], check: ItemCheck, fallback_time: str) -> dict[str, Any] | None:
    """The item as it may be stored: unchanged when sound, an error without a price when a field
    is not, None when it speaks of an offer this feed was not meant to have (never stored)."""
    offer_id = item.get("offer_id")
    if not isinstance(offer_id, str) or offer_id not in check.offers:
        return None
    try:
        fetched_at = check.fetched_at(item.get("fetched_at"))
    except ValueError as exc:
        return _rejected(item, str(exc), fallback_time)
    status = item.get("status")
    if status not in STATUSES:
        return _rejected(item, f"unknown status {str(status)[:40]!r}", fetched_at)
    try:
        price = _amount(item.get("price"), "price")
        list_price = _amount(item.get("list_price"), "list price")
    except ValueError as exc:
        return _rejected(item, str(exc), fetched_at)
    if status == "ok" and price is None:
        return _rejected(item, "status ok without a price", fetched_at)
    return item | {"fetched_at": fetched_at, "price": price if status == "ok" else None, "list_price": list_price}


def _rejected(item: dict[str, Any], why: str, fetched_at: str) -> dict[str, Any]:
    """An error observation in place of an item that cannot be trusted: never a price."""
    return {"offer_id": item["offer_id"], "status": "error", "price": None, "list_price": None, "tiers": None, "in_stock": None, "method": None,
                   "raw": None, "http_status": None, "fetched_at": fetched_at, "error": f"the crawl's item is not valid: {why}"}


def check_rate(item: dict[str, Any]) -> bool:
    """An exchange rate line is stored only when it is a finite positive number for a dated currency."""
    try:
        rate = Decimal(str(item.get("per_eur")))
        datetime.strptime(str(item.get("date")), "%Y-%m-%d")
    except (InvalidOperation, ValueError):
        return False
    currency = item.get("currency")
    return rate.is_finite() and 0 < rate < MAX_PRICE and isinstance(currency, str) and len(currency) == 3 and currency.isalpha()


def checked(items: list[dict[str, Any]], check: ItemCheck) -> tuple[list[dict[str, Any]], list[str]]:
    """The items to store, and a line for each one left out (an offer not in the config)."""
    valid_times = []
    for item in items:
        try:
            valid_times.append(check.fetched_at(item.get("fetched_at")))
        except ValueError:
            pass
    fallback = max(valid_times, default=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    kept, dropped = [], []
    for item in items:
        if "per_eur" in item:
            if check_rate(item):
                kept.append(item)
            else:
                dropped.append(f"an exchange rate that is not a number ({str(item.get('per_eur'))[:20]!r})")
        elif is_job_header(item):
            continue
        elif (sound := check_item(item, check, fallback)) is not None:
            kept.append(sound)
        else:
            dropped.append(f"an item for {str(item.get('offer_id'))[:80]!r}, which is not an offer of this config")
    return kept, dropped


def read_feed(path: Path) -> list[dict[str, Any]]:
    """Items from a feed written by ``scrapy crawl offers -O items.jsonl``."""
    with open(path, encoding="utf-8") as feed:
        return parse_lines(feed, str(path))


def fetch(url: str, *, auth: Any = None, start: int = 0, deadline: float = FETCH_DEADLINE,
          max_bytes: int = FETCH_MAX_BYTES, timeout: float = 30.0) -> bytes:
    """The bytes of ``url`` from offset ``start`` on, read within ``deadline`` seconds and
    ``max_bytes`` bytes, or FeedError. A server that trickles or never ends is cut off."""
    shown = display_url(url)
    ends = time.monotonic() + deadline
    headers = {"Range": f"bytes={start}-"} if start else {}
    try:
        with requests.get(url, auth=auth, headers=headers, stream=True, timeout=(min(timeout, deadline), min(timeout, deadline))) as response:
            if response.status_code == 416:  # nothing after ``start`` yet
                return b""
            if response.status_code == 401:
                raise FeedError(f"{shown} asks for a user name and password")
            response.raise_for_status()
            skip = start if start and response.status_code != 206 else 0  # a server that ignores Range
            body = bytearray()
            # What has arrived, up to 64 KB, not a full 64 KB: a server sending a byte a second
            # never fills a block, so the deadline is looked at after every read.
            while chunk := response.raw.read1(65536, decode_content=True):
                body += chunk
                if len(body) - skip > max_bytes:
                    raise FeedError(f"{shown} is larger than {max_bytes // 2**20} MB; not read")
                if time.monotonic() > ends:
                    raise FeedError(f"{shown} took longer than {deadline:.0f} s to read; not read")
            return bytes(body[skip:])
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise FeedError(f"could not fetch {shown}: {exc.__class__.__name__}") from None


def fetch_feed(url: str, auth: Any = None, deadline: float = FETCH_DEADLINE, max_bytes: int = FETCH_MAX_BYTES) -> list[dict[str, Any]]:
    """Items from a feed served over HTTP, such as a finished scrapyd job's ``items_url``."""
    body = fetch(url, auth=auth, deadline=deadline, max_bytes=max_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FeedError(f"{display_url(url)} is not UTF-8 text") from None
    return parse_lines(text.splitlines(), display_url(url))


def feed_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in FEED_SUFFIXES)
    if not files:
        raise FeedError(f"{folder}: no feed files ({', '.join(FEED_SUFFIXES)}) in this folder")
    return files


def read_source(source: str) -> tuple[list[dict[str, Any]], str]:
    """Items and a short label for the run log, from a file, a folder of feeds or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return fetch_feed(source), display_url(source).rsplit("/", 1)[-1] or display_url(source)
    path = Path(source)
    if path.is_dir():
        items = [item for file in feed_files(path) for item in read_feed(file)]
        return items, f"{path.name}/"
    if not path.exists():
        raise FeedError(f"{source}: no such file or folder")
    return read_feed(path), path.name
