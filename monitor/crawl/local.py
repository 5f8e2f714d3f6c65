"""Run the ``offers`` spider in this process and hand its items back, one crawl per night.

Scrapy's Twisted reactor cannot be restarted in one process, so every crawl of a process
(one for ``supplywatch run``, one per night for the demo) is chained in a single reactor run.
With a ``batch`` handler, each supplier's items leave as that supplier finishes (the spider's
``supplier_finished`` signal) and are not kept: a night of 100,000 offers never sits in memory.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.internet.defer import DeferredList, inlineCallbacks

from spiders import settings as project_settings
from spiders.spiders.offers import OffersSpider, settings_from_config
from spiders.spiders.indexes import IndexesSpider
from spiders.spiders.rates import RatesSpider
from spiders.offer import OfferSpec
from spiders.signals import supplier_finished

from .. import private_files, safe_text
from ..config import Config

CrawlHandler = Callable[[str | None, list[dict[str, Any]], dict[str, Any]], None]
BatchHandler = Callable[[list[dict[str, Any]]], object]
# Offers whose first fetch looked wrong (a x10 jump, a changed pack): fetched once more at once.
RefetchChooser = Callable[[list[dict[str, Any]]], list[OfferSpec]]


def scrapy_settings(config: Config, log_level: str = "WARNING", log_file: Path | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(settings_from_config(config), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if log_file is not None:  # the run's own log, at INFO, whatever the terminal shows
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    return settings


@contextmanager
def _concealing_logs(config: Config) -> Iterator[None]:
    """While a crawl runs, values the config took from the environment show as ``${NAME}`` in its
    log: Scrapy logs every URL it gives up on, and a token may sit in the URL's path."""
    if not config.secrets:
        yield
        return
    restore = safe_text.clean_log_records(config.conceal)
    try:
        yield
    finally:
        restore()


class _Collector:
    """Keeps the items of one crawl (bound methods, because Scrapy holds signal receivers weakly).
    With ``batch``, a finished supplier's items go to it at once and are not kept."""

    def __init__(self, batch: BatchHandler | None = None, on_item: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.batch = batch
        self.on_item = on_item  # sees each item as it arrives (progress on a terminal)
        self.by_supplier: dict[Any, list[dict[str, Any]]] = {}  # None: items of no supplier (rates, index series)
        self.problem: BaseException | None = None

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for items in self.by_supplier.values() for item in items]

    def item_scraped(self, item: Any) -> None:
        kept = dict(item)
        self.by_supplier.setdefault(item.get("supplier"), []).append(kept)
        if self.on_item is not None:
            self.on_item(kept)

    def supplier_finished(self, supplier: str, spider: Any, **_: Any) -> None:
        if self.batch is None or self.problem is not None:
            return
        try:
            self.batch(self.by_supplier.pop(supplier, []))
        except BaseException as exc:  # storing failed: the crawl stops, and the caller raises it
            self.problem = exc
            spider.crawler.engine.close_spider(spider, "storing a supplier's prices failed")


def crawl_nights(
    config: Config,
    nights: Sequence[str | None],
    handle: CrawlHandler,
    before_each: Callable[[str | None], None] | None = None,
    log_level: str = "WARNING",
    refetch: RefetchChooser | None = None,
    log_file: Path | None = None,
    indexes: Sequence[dict[str, Any]] = (),
    batch: BatchHandler | None = None,
    on_item: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Crawl every active offer once per entry of ``nights`` (an ISO time, or None for now).

    ``handle(as_of, items, stats)`` runs after each crawl, before the next one starts; an
    exception in it stops the chain and is raised here. ``refetch(items)`` is asked, with each
    supplier's items as that supplier finishes, which offers to fetch once more straight away;
    their second items are handed over after the first ones.
    ``indexes`` (public series that are due) are fetched with the first crawl only. ``batch``, when
    given, receives each supplier's items (second looks included) as the supplier finishes, and
    ``handle`` only what is left (exchange rates, index series, suppliers that never finished).
    ``on_item(item)`` sees each item as it arrives (progress on a terminal).
    """
    safe_text.redact_logs()  # the log file is read by people: no passwords or keys of offer URLs in it
    process = CrawlerProcess(scrapy_settings(config, log_level, log_file))
    offers = [o for o in config.offers() if o.active]
    problem: list[BaseException] = []

    @inlineCallbacks
    def chain() -> Any:
        try:
            for as_of in nights:
                if before_each:
                    before_each(as_of)
                collector = _Collector(batch, on_item)
                if config.rates_feed and as_of is None:  # exchange rates are collected on real nights only
                    # Before the offers: a supplier's batch is priced as soon as it finishes, in
                    # tonight's rates (the first night of a foreign supplier has no older ones).
                    rates = process.create_crawler(RatesSpider)
                    rate_items = _Collector()
                    rates.signals.connect(rate_items.item_scraped, signal=signals.item_scraped)
                    yield process.crawl(rates, feed=config.rates_feed)
                    if batch is not None:
                        batch(rate_items.items)
                    else:
                        collector.by_supplier.setdefault(None, []).extend(rate_items.items)
                crawler = process.create_crawler(OffersSpider)
                crawler.signals.connect(collector.item_scraped, signal=signals.item_scraped)
                crawler.signals.connect(collector.supplier_finished, signal=supplier_finished)
                # Second looks happen in the same crawl, as each supplier finishes: its robots.txt,
                # delay and time budget carry on (a second crawl would ask robots.txt again at once).
                crawls = [process.crawl(crawler, offers=offers, as_of=as_of, second_look=refetch)]
                if indexes and as_of == nights[0]:
                    series = process.create_crawler(IndexesSpider)
                    series.signals.connect(collector.item_scraped, signal=signals.item_scraped)
                    crawls.append(process.crawl(series, indexes=list(indexes)))
                yield DeferredList(crawls, fireOnOneErrback=True, consumeErrors=True)
                if collector.problem is not None:
                    raise collector.problem
                handle(as_of, collector.items, crawler.stats.get_stats())
        except BaseException as exc:  # handed to the caller once the reactor has stopped
            problem.append(exc)
        finally:
            from twisted.internet import reactor  # only now: the first crawl installed the right one

            reactor.callLater(0, reactor.stop)  # type: ignore[arg-type,misc]  # the installed reactor, not the module

    with _concealing_logs(config):
        chain()
        process.start(stop_after_crawl=False)
    if problem:
        raise problem[0]


def crawl_indexes(config: Config, indexes: Sequence[dict[str, Any]], log_level: str = "WARNING",
                  log_file: Path | None = None) -> list[dict[str, Any]]:
    """Fetch public index series now (``supplywatch index fetch``), politely, with the owner's User-Agent.
    Scrapy's log goes to ``log_file`` (by default logs/indexes.log beside the database), never to the
    terminal: a series that cannot be fetched is said in words by its caller, not as Scrapy's traceback."""
    if log_file is None:
        log_file = private_files.make_folder(config.database_path.parent / "logs") / "indexes.log"
        private_files.create_file(log_file)
    process = CrawlerProcess(scrapy_settings(config, log_level, log_file))
    collector = _Collector()
    crawler = process.create_crawler(IndexesSpider)
    crawler.signals.connect(collector.item_scraped, signal=signals.item_scraped)
    process.crawl(crawler, indexes=list(indexes))
    process.start()
    return collector.items
