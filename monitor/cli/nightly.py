"""The nightly job and the other ways prices come in: a crawl elsewhere, a quote by phone."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from .. import display, pipeline, safe_text, units
from .common import config_option, load_or_exit, report_run, safe_echo


@click.command()
@config_option
@click.option("-v", "--verbose", is_flag=True, help="List each offer as it is fetched, with what it gave.")
@click.option("--scrapy-log", is_flag=True, help="Show Scrapy's own log here instead of in logs/run-N.log.")
@click.option("--via", "via", type=(click.Choice(["scrapyd"]), str), multiple=True, metavar="scrapyd URL",
              help="Crawl on this scrapyd server instead of here (repeat for several; default crawl.scrapyd).")
@click.option("--jobs", type=click.IntRange(1), default=None, help="Split the offers into this many scrapyd jobs.")
def run(config_path: Path, verbose: bool, scrapy_log: bool, via: tuple[tuple[str, str], ...], jobs: int | None) -> None:
    """The nightly job: crawl every offer, store, evaluate rules, notify.

    On a terminal it shows how far the crawl is and ends with what changed; from cron it prints
    only the one-line summary (and the digest, when no notification URL is set).

    \b
    Example (crontab, every night at 02:30; `supplywatch schedule` prints it with your paths):
        30 2 * * * umask 077; mkdir -p /home/me/supplies/logs; /home/me/.venv/bin/supplywatch run --config /home/me/supplies/supplywatch.yml >> /home/me/supplies/logs/cron.log 2>&1
    Example (crawl on two scrapyd servers, store and alert here):
        supplywatch run --via scrapyd http://10.0.0.5:6800 --via scrapyd http://10.0.0.6:6800
    """
    from .progress import Progress

    config = load_or_exit(config_path)
    nodes = [url for _, url in via] or config.crawl.scrapyd
    progress = Progress(config, verbose=verbose)

    def job() -> pipeline.RunResult:
        try:
            result = pipeline.run(config, echo=progress.echo_with(safe_echo(config)), log_level="INFO" if scrapy_log else "WARNING",
                                  scrapyd_nodes=nodes, scrapyd_jobs=jobs, on_item=progress)
        finally:
            progress.finish()
        # The night's objects (Scrapy's, the config's) stay until the process ends in a moment: after
        # one collection (which also closes the database, its write-ahead log checkpointed and
        # removed), frozen, the garbage collector no longer walks them at exit (0.25 s of a 1.6 s run).
        gc.collect()
        gc.freeze()
        return result

    def after(result: pipeline.RunResult) -> None:
        if progress.live or verbose:
            from .. import prices, store

            db = store.open_db(config.database_path)
            click.echo(prices.changes_report(prices.changes_in_run(db, result.run_id), config.currency))

    report_run(job, after=after)


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
    if pack is not None:
        try:
            units.check_quantity(pack)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--pack") from None
    try:
        result = pipeline.add_price(config, offer, price, moment.isoformat(timespec="seconds"), note, currency, pack, echo=safe_echo(config))
    except pipeline.Locked as exc:
        click.echo(f"supplywatch: {exc}", err=True)
        sys.exit(pipeline.EXIT_LOCKED)
    except pipeline.InputError as exc:  # a typo in the offer or the price: exit 2, as documented (it exited 1)
        click.echo(safe_text.redact(f"Error: {exc}"), err=True)
        sys.exit(pipeline.EXIT_INPUT)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    from .. import store

    (row,) = store.open_db(config.database_path).query(
        "SELECT o.*, m.name AS material_name, m.unit, s.name AS supplier_name FROM observations o JOIN materials m ON m.id = o.material_id "
        "JOIN suppliers s ON s.id = o.supplier_id WHERE o.run_id = ?", [result.run_id])
    click.echo(added_price_line(row, config.currency))
    fired = [t for t in result.transitions if t.event in ("fired", "escalated")]
    for t in fired:
        click.echo(f"  Alert: {t.message}")
    if row["status"] != "ok":
        click.echo(f"Not used by the rules: {row['error']}. If the price is right, record it again "
                   "(or let tomorrow's crawl confirm it).", err=True)
        sys.exit(pipeline.EXIT_PARTIAL)


def added_price_line(row: dict[str, object], currency: str) -> str:
    """"Stored €1,050.00 per 5 kg = $226.80/kg for Coconut oil at Bulk Naturals, 3 Nov 2026"."""
    price = display.money(float(row["price"]), str(row["currency"]))  # type: ignore[arg-type]
    per_pack = f"{price} {units.per_pack(str(row['pack']))}"
    where = f"{row['material_name']} at {row['supplier_name']}, {display.day(str(row['fetched_at']))}"
    if row["unit_price"] is None:
        return f"Recorded {per_pack} for {where}"
    unit_price = display.unit_price(float(row["unit_price"]), currency, str(row["unit"]))  # type: ignore[arg-type]
    verb = "Stored" if row["status"] == "ok" else "Recorded, but held back as suspect,"
    if row["currency"] == currency and _one_unit(row["pack"], str(row["unit"])):
        return f"{verb} {unit_price} for {where}"  # one unit in the home currency: not "$17.90 per bd ft = $17.90/bd ft"
    return f"{verb} {per_pack} = {unit_price} for {where}"


def _one_unit(pack: object, unit: str) -> bool:
    """Whether the price bought exactly one of the material's unit (1 kg, 1000 g), by the numbers: two
    prices that round to the same cents (per 1.0002 bd ft) are not a price per unit."""
    try:
        return pack is not None and units.units_per_pack(str(pack), unit) == 1
    except ValueError:
        return False  # 1 L of a material priced per kg (converted with its density): not one unit either
