"""Enough open files for a night of many suppliers: one connection kept open per supplier's site.

Scrapy keeps each site's connection open between its pages (a supplier is asked again every few
seconds, and a new connection each time would cost the supplier a handshake per page), so a night
of 2,000 suppliers holds 2,000 sockets. Cron and systemd start commands with a soft limit of 1,024
open files: past it every new connection fails, and the night stored "could not connect to the
supplier's site" for each supplier beyond the limit, blaming them for this machine's limit. The
soft limit is raised, for the crawl, to what the sites need (up to the hard limit, which only the
machine's owner can raise); when even that is too low, the log says so at the start.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
SPARE = 256  # files besides the sites' connections: the database, logs, robots.txt, a browser's pipes
AT_LEAST = 4096  # a scrapyd job learns its offers after it opens: room for its sites whatever they are


def files_needed(sites: int) -> int:
    return max(sites + SPARE, AT_LEAST)


class EnoughOpenFiles:
    """Raise the soft RLIMIT_NOFILE to the spider's sites + spare, within the hard limit."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "EnoughOpenFiles":
        try:
            import resource  # noqa: F401  (POSIX only)
        except ImportError as exc:
            raise NotConfigured("no resource limits on this system") from exc
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider: Any) -> None:
        sites = len({urlsplit(o.url).netloc for o in getattr(spider, "offers", [])})
        raise_open_files(files_needed(sites), sites)


def raise_open_files(wanted: int, sites: int) -> int:
    """The soft limit of open files after raising it towards ``wanted`` (never lowering it)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            logger.warning("could not raise the open files limit from %d to %d: %s", soft, target, exc)
    if soft < wanted:
        logger.warning("%d suppliers' sites need about %d open files and this machine allows %d (ulimit -n): "
                       "pages past that fail to connect; raise the hard limit (LimitNOFILE= in a systemd unit, "
                       "nofile in /etc/security/limits.conf)", sites, wanted, soft)
    return soft
