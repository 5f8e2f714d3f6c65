"""The nightly job and the other ways prices come in: a crawl elsewhere, a quote by phone."""

from __future__ import annotations

from pathlib import Path

import click

from .. import pipeline
from .common import config_option, load_or_exit, report_run, safe_echo


@click.command()
@config_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log here instead of in logs/run-N.log.")
@click.option("--via", "via", type=(click.Choice(["scrapyd"]), str), multiple=True, metavar="scrapyd URL",
              help="Crawl on this scrapyd server instead of here (repeat for several; default crawl.scrapyd).")
@click.option("--jobs", type=click.IntRange(1), default=None, help="Split the offers into this many scrapyd jobs.")
def run(config_path: Path, verbose: bool, via: tuple[tuple[str, str], ...], jobs: int | None) -> None:
    """The nightly job: crawl every offer, store, evaluate rules, notify.

    \b
    Example (crontab, every night at 02:30):
        30 2 * * *  cd /home/me/supplies && supplywatch run >> supplywatch.log 2>&1
    Example (crawl on two scrapyd servers, store and alert here):
        supplywatch run --via scrapyd http://10.0.0.5:6800 --via scrapyd http://10.0.0.6:6800
    """
    config = load_or_exit(config_path)
    nodes = [url for _, url in via] or config.crawl.scrapyd
    report_run(lambda: pipeline.run(config, echo=safe_echo(config), log_level="INFO" if verbose else "WARNING",
                                   scrapyd_nodes=nodes, scrapyd_jobs=jobs))


@click.command()
@config_option
@click.argument("source")
def ingest(config_path: Path, source: str) -> None:
    """Store items crawled elsewhere, then evaluate and notify.

    SOURCE is a JSON Lines feed, a folder of feeds, or a scrapyd items URL. Items already stored
    are skipped, so ingesting the same feed twice stores nothing twice.

    \b
    Example:
        scrapy crawl offers -a config=supplywatch.yml -O items.jsonl
        supplywatch ingest items.jsonl
        supplywatch ingest feeds/
        supplywatch ingest http://10.0.0.5:6800/items/supplywatch/offers/JOBID.jl
    """
    config = load_or_exit(config_path)
    report_run(lambda: pipeline.ingest(config, source, echo=safe_echo(config)))


@click.command("add-price")
@config_option
@click.argument("offer")
@click.argument("price")
@click.option("--date", "when", default=None, help="When the quote was given (YYYY-MM-DD); default now.")
@click.option("--note", default=None, help="Where the price came from, e.g. 'phone, Jim at Bell Forest'.")
@click.option("--currency", default=None, help="Currency of the quote; default the supplier's.")
@click.option("--pack", default=None, help="What the price buys, e.g. '50 lb'; default the offer's pack.")
def add_price(config_path: Path, offer: str, price: str, when: str | None, note: str | None, currency: str | None, pack: str | None) -> None:
    """Record a price quoted by phone or e-mail; it joins the history and the rules like any other.

    \b
    Example:
        supplywatch add-price walnut-8-4@bellforest 17.90 --date 2026-11-03 --note "phone quote, 100 bf"
    """
    config = load_or_exit(config_path)
    from datetime import date as date_type, datetime, timezone

    try:
        moment = datetime.combine(date_type.fromisoformat(when), datetime.min.time(), timezone.utc).replace(hour=12) if when else datetime.now(timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{when!r} is not a date like 2026-11-03", param_hint="--date") from None
    report_run(lambda: pipeline.add_price(config, offer, price, moment.isoformat(timespec="seconds"), note, currency, pack, echo=safe_echo(config)))
