"""Enough open files for a night of many suppliers, and this machine's fault said as such when not.

Scrapy keeps each site's connection open between its pages (a supplier is asked again every few
seconds, and a new connection each time would cost the supplier a handshake per page), so a night
of 2,000 suppliers holds up to 2,000 sockets. Cron and systemd start commands with a soft limit of
1,024 open files: past it every new connection fails, and the night stored "could not connect to the
supplier's site" for each supplier beyond the limit, blaming them for this machine's limit. So:

- the soft limit is raised, for the crawl, to what the sites need (up to the hard limit, which only
  the machine's owner can raise);
- a finished supplier's kept-alive connection is closed at once instead of after Twisted's 240 s;
- when even the hard limit is too low for a connection per site, fewer suppliers are crawled at once
  and connections are not kept between pages (a socket per request in flight, no more);
- a page that fails all the same because this machine ran out of files (EMFILE, ENFILE) is a
  *node error*, this machine's, not the supplier's: the run says so and how to raise the limit.
"""

from __future__ import annotations

import errno
import logging
import os
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from spiders.signals import supplier_finished

logger = logging.getLogger(__name__)
SPARE = 256  # files besides the sites' connections: the database, logs, robots.txt, a browser's pipes
AT_LEAST = 4096  # a scrapyd job learns its offers after it opens: room for its sites whatever they are
RESERVE = 32  # files the crawl may still open besides its connections: database journals, logs, DNS
OUT_OF_FILES = (errno.EMFILE, errno.ENFILE)
STAT = "supplywatch/out_of_open_files"  # pages not fetched because this machine had no file left
LIMIT_STAT = "supplywatch/open_files_limit_at_failure"


def files_needed(sites: int) -> int:
    return max(sites + SPARE, AT_LEAST)


def how_to_raise(wanted: int) -> str:
    """What the operator does about it, in the places a nightly job is started from."""
    return (f"raise the open files limit to {wanted:,}: in the crontab line `ulimit -n {wanted} && supplywatch run`, "
            f"or LimitNOFILE={wanted} in the systemd unit; past the hard limit (`ulimit -Hn`), the machine's owner sets "
            f"nofile in /etc/security/limits.conf")


def out_of_files(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is this machine running out of file descriptors.
    Twisted says it as ConnectBindError(24, 'Too many open files'), Python as OSError(EMFILE)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in OUT_OF_FILES:
            return True
        if getattr(error, "osError", None) in OUT_OF_FILES or "too many open files" in str(error).lower():
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def machine_failed(stats: Any, machine: str = "this machine") -> str:
    """Count a page this machine could not fetch for want of open files; the reason stored with it
    (``machine``: "the scrapyd node that crawled it", when the reason is read on the main machine)."""
    soft, _ = _limits()
    stats.inc_value(STAT)
    if soft is not None:
        stats.min_value(LIMIT_STAT, soft)
    allowed = f" (it allows {soft:,} at once)" if soft is not None else ""
    return f"not fetched: {machine} ran out of open files{allowed}; the supplier is not to blame"


def machine_problem(pages: int, sites: int, limit: int | None) -> str:
    """The run's line about it (the terminal's summary, the digest's crawling machines)."""
    allowed = f" (its limit was {limit:,})" if limit is not None else ""
    wanted = max(files_needed(sites), 2 * (limit or 0))  # out of files with enough allowed: other processes hold them
    return f"this machine ran out of open files{allowed}: {pages:,} page{'s' if pages != 1 else ''} not fetched; " + how_to_raise(wanted)


def _limits() -> tuple[int | None, int | None]:
    try:
        import resource
    except ImportError:
        return None, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (None if soft == resource.RLIM_INFINITY else soft), (None if hard == resource.RLIM_INFINITY else hard)


def files_open() -> int | None:
    """How many files this process has open now (None where /proc does not say)."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # the listing's own
    except OSError:
        return None


class EnoughOpenFiles:
    """Raise the soft RLIMIT_NOFILE to the spider's sites + spare, within the hard limit; when it
    stays too low, crawl fewer suppliers at once and close finished suppliers' connections."""

    def __init__(self, crawler: Crawler, hosts: dict[str, set[tuple[str, int]]]) -> None:
        self.crawler = crawler
        self.hosts = hosts  # supplier -> its sites (host, port), whose connections close as it finishes
        self.sites = len({h for hs in hosts.values() for h in hs})
        self.tight = False  # too few files for a kept-alive connection per site

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "EnoughOpenFiles":
        try:
            import resource  # noqa: F401  (POSIX only)
        except ImportError as exc:
            raise NotConfigured("no resource limits on this system") from exc
        hosts: dict[str, set[tuple[str, int]]] = {}
        for offer in getattr(getattr(crawler, "spider", None), "offers", None) or []:
            hosts.setdefault(offer.supplier, set()).add(_site(offer.url))
        extension = cls(crawler, hosts)
        # Now, before the settings freeze: the downloader and the spider's schedule read the slots.
        soft = raise_open_files(files_needed(extension.sites), extension.sites)
        extension.keep_within(soft)
        crawler.signals.connect(extension.supplier_finished, signal=supplier_finished)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def keep_within(self, soft: int) -> None:
        """At most as many requests at once (a socket each) as the files left allow."""
        import resource

        if soft == resource.RLIM_INFINITY:
            return
        settings = self.crawler.settings
        slots = settings.getint("CONCURRENT_REQUESTS", 16)
        room = soft - (files_open() or 0) - RESERVE
        self.tight = (self.sites if self.hosts else AT_LEAST) > room  # a scrapyd job learns its sites later
        if not self.tight:
            return
        capped = min(slots, max(1, room))
        settings.set("CONCURRENT_REQUESTS", capped, priority="cmdline")
        logger.warning("this machine allows %d open files (ulimit -n), too few for a connection per site: the crawl keeps to "
                       "%d requests at once (instead of %d), without keeping connections between pages, a slower night; %s",
                       soft, capped, slots, how_to_raise(files_needed(self.sites)))

    def spider_opened(self, spider: Any) -> None:
        if not self.tight:
            return
        handlers = getattr(getattr(getattr(self.crawler, "engine", None), "downloader", None), "handlers", None)
        for scheme in ("http", "https"):
            try:
                pool = getattr(handlers._get_handler(scheme), "_pool", None)  # type: ignore[union-attr]  # Scrapy's, loaded now
            except Exception:  # another Scrapy: connections stay kept, the slots above still hold
                continue
            if pool is not None and hasattr(pool, "persistent"):
                pool.persistent = False  # Twisted's pool: "Connection: close", the socket closed after each page

    def supplier_finished(self, supplier: str, **_: Any) -> None:
        """A finished supplier is not asked again tonight: its kept-alive connection is closed now, not
        after Twisted's 240 s (2,000 suppliers' idle sockets would otherwise pile up past the limit)."""
        sites = self.hosts.get(supplier)
        engine = getattr(self.crawler, "engine", None)
        handlers = getattr(getattr(getattr(engine, "downloader", None), "handlers", None), "_handlers", {})
        if not sites or not handlers:
            return
        for handler in {id(h): h for h in handlers.values()}.values():
            pool = getattr(handler, "_pool", None)  # Scrapy's HTTP/1.1 handler: a Twisted HTTPConnectionPool
            cached, timeouts = getattr(pool, "_connections", None), getattr(pool, "_timeouts", None)
            if not isinstance(cached, dict) or not isinstance(timeouts, dict):
                continue
            for key, connections in list(cached.items()):
                if _key_site(key) in sites:
                    for connection in list(connections):
                        if connection in timeouts:
                            timeouts[connection].cancel()
                            pool._removeConnection(key, connection)  # what its 240 s timeout calls

    def spider_closed(self, spider: Any, **_: Any) -> None:
        stats = self.crawler.stats
        pages = stats.get_value(STAT, 0) if stats is not None else 0
        if pages and stats is not None:
            stats.set_value("supplywatch/machine_problems", [machine_problem(pages, self.sites, stats.get_value(LIMIT_STAT))])


def _site(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port past 65535: that page fails on its own (spiders/spiders/offers.py), not the crawl here
        port = None
    return (parts.hostname or "", port or (443 if parts.scheme == "https" else 80))


def _key_site(key: Any) -> tuple[str, int] | None:
    """(host, port) of a Twisted pool key: (scheme, host, port, ...), host as bytes."""
    try:
        host = key[1].decode() if isinstance(key[1], bytes) else str(key[1])
        return (host.lower(), int(key[2]))
    except (TypeError, IndexError, ValueError, UnicodeDecodeError):
        return None


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
    return soft
