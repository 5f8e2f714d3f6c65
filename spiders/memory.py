"""A memory bound for the crawl that costs one page, never the night.

Scrapy's own bound (MEMUSAGE_LIMIT_MB) closes the whole crawl when it is passed. Here the
process's data size is limited instead (RLIMIT_DATA, while the crawl runs): an allocation past it
raises MemoryError in the code that asked, and the offers spider records that as an error for the
offer being read, then goes on. The size caps (DOWNLOAD_MAXSIZE, the spreadsheet checks, RDFa
skipped on large pages) keep ordinary hostile pages far below it; this is the backstop.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
MB = 1024 * 1024


def default_limit_mb() -> int:
    """2 GB, or half the machine's memory when it has less than 4 GB."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // MB
    except (ValueError, OSError, AttributeError):
        return 2048
    return max(512, min(2048, physical // 2))


class MemoryBound:
    """Lower the soft RLIMIT_DATA to ``SUPPLYWATCH_MEMORY_LIMIT_MB`` for the crawl, and restore it after."""

    def __init__(self, limit_mb: int) -> None:
        self.limit = limit_mb * MB
        self.previous: tuple[int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "MemoryBound":
        try:
            import resource  # noqa: F401  (POSIX only)
        except ImportError as exc:
            raise NotConfigured("no resource limits on this system") from exc
        limit = crawler.settings.getint("SUPPLYWATCH_MEMORY_LIMIT_MB", 0) or default_limit_mb()
        if limit < 0:
            raise NotConfigured("the crawl's memory is not bounded (SUPPLYWATCH_MEMORY_LIMIT_MB < 0)")
        bound = cls(limit)
        crawler.signals.connect(bound.engine_started, signal=signals.engine_started)
        crawler.signals.connect(bound.engine_stopped, signal=signals.engine_stopped)
        return bound

    def engine_started(self, **_: Any) -> None:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        wanted = self.limit if hard == resource.RLIM_INFINITY else min(self.limit, hard)
        if soft != resource.RLIM_INFINITY and soft <= wanted:
            return  # already as tight or tighter (another crawl of this process, or the owner's ulimit)
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
        except (ValueError, OSError) as exc:
            logger.warning("could not bound the crawl's memory to %d MB: %s", wanted // MB, exc)
            return
        self.previous = (soft, hard)

    def engine_stopped(self, **_: Any) -> None:
        import resource

        if self.previous is not None:
            resource.setrlimit(resource.RLIMIT_DATA, self.previous)
            self.previous = None
