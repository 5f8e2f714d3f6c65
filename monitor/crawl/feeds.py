"""Items crawled elsewhere: a JSON Lines feed file, a folder of them, or a scrapyd items URL.

Every source gives the same items the in-process crawl would hand over, so ``ingest`` and
``run --via scrapyd`` store them through the same path as ``run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import requests

FEED_SUFFIXES = (".jl", ".jsonl", ".ndjson")
REQUIRED = {"offer_id", "status", "fetched_at"}


def parse_lines(lines: Iterable[str], origin: str) -> list[dict[str, Any]]:
    """Items from JSON lines; a line that is not JSON or not a supplywatch item names itself."""
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{origin}:{number}: not a JSON line ({exc.msg})") from None
        if not isinstance(item, dict):
            raise ValueError(f"{origin}:{number}: not a JSON object")
        if "per_eur" not in item and (missing := REQUIRED - item.keys()):  # per_eur: an exchange rate
            raise ValueError(f"{origin}:{number}: the item lacks {', '.join(sorted(missing))}; is this a supplywatch feed?")
        items.append(item)
    return items


def read_feed(path: Path) -> list[dict[str, Any]]:
    """Items from a feed written by ``scrapy crawl offers -O items.jsonl``."""
    with open(path, encoding="utf-8") as feed:
        return parse_lines(feed, str(path))


def fetch_feed(url: str, timeout: float = 60, auth: Any = None) -> list[dict[str, Any]]:
    """Items from a feed served over HTTP, such as a finished scrapyd job's ``items_url``."""
    try:
        response = requests.get(url, timeout=timeout, auth=auth)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise ValueError(f"could not fetch {url}: {exc}") from None
    response.encoding = "utf-8"
    return parse_lines(response.text.splitlines(), url)


def feed_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in FEED_SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: no feed files ({', '.join(FEED_SUFFIXES)}) in this folder")
    return files


def read_source(source: str) -> tuple[list[dict[str, Any]], str]:
    """Items and a short label for the run log, from a file, a folder of feeds or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return fetch_feed(source), source.rsplit("/", 1)[-1] or source
    path = Path(source)
    if path.is_dir():
        items = [item for file in feed_files(path) for item in read_feed(file)]
        return items, f"{path.name}/"
    if not path.exists():
        raise ValueError(f"{source}: no such file or folder")
    return read_feed(path), path.name
