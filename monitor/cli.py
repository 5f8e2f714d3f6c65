"""The ``supplywatch`` command: click wiring over plain functions in the other modules."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import click

from . import config as config_module, notify, pipeline, serve as serve_module, store
from .config import ConfigError


def config_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=config_module.DEFAULT_CONFIG, show_default=True, help="The supplywatch.yml to use.",
    )(function)


def load_or_exit(path: Path) -> config_module.Config:
    """Load the config; on any problem print it and exit 2 before anything is written."""
    try:
        return config_module.load(path)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(pipeline.EXIT_CONFIG)


def report_run(job: Callable[[], pipeline.RunResult], crash_is_fatal: bool = False) -> None:
    """Run a job that records a run, print its one-line outcome and exit with its documented code."""
    try:
        result = job()
    except pipeline.Locked as exc:
        click.echo(f"supplywatch: {exc}", err=True)
        sys.exit(pipeline.EXIT_LOCKED)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # cron mails one line; the run row says "crashed" and the data stays consistent
        if not crash_is_fatal:
            raise
        click.echo(f"supplywatch: the run crashed: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(pipeline.EXIT_FATAL)
    click.echo(f"run {result.run_id}: {result.status}: {result.message}")
    sys.exit(result.exit_code)


EXIT_HELP = "\n".join(f"  {code}  {meaning}" for code, meaning in pipeline.EXIT_CODES.items())


@click.group(epilog="Exit codes of `supplywatch run` and `ingest`:\n\n\b\n" + EXIT_HELP)
@click.version_option(package_name="supplywatch")
def cli() -> None:
    """Watch what your suppliers charge for raw materials, and get told when a price moves."""


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=config_module.DEFAULT_CONFIG)
def init(path: Path, force: bool) -> None:
    """Write a commented example config to PATH.

    \b
    Example:
        supplywatch init
        supplywatch init ~/supplies/supplywatch.yml
    """
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists (use --force to overwrite it)")
    path.write_text(config_module.EXAMPLE, encoding="utf-8")
    click.echo(f"Wrote {path}. Edit it, then run: supplywatch check --config {path}")


@cli.command()
@config_option
def check(config_path: Path) -> None:
    """Validate the config and list what will be watched. Writes nothing.

    \b
    Example:
        supplywatch check --config supplywatch.yml
    """
    config = load_or_exit(config_path)
    click.echo(f"{config_path}: OK. Database {config.database_path}, prices compared in {config.currency}.")
    for material in config.materials:
        rules = ", ".join(r.kind + (" (default)" if not (material.rules or config.rules) else "") for r in config.rules_for(material))
        click.echo(f"\n{material.id}  {material.name}  (per {material.unit}; rules: {rules})")
        for offer in config.offers():
            if offer.material == material.id:
                how = offer.price_selector or "structured data"
                click.echo(f"  {offer.offer_id:<32} {offer.pack:<16} {how:<24} {offer.url}{'' if offer.active else '  (inactive)'}")
    targets = config.notify.urls
    click.echo(f"\nNotifications: {len(targets)} URL(s)" + ("" if targets else " - digests will be printed"))


@cli.command()
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
    report_run(lambda: pipeline.run(config, echo=click.echo, log_level="INFO" if verbose else "WARNING",
                                   scrapyd_nodes=nodes, scrapyd_jobs=jobs), crash_is_fatal=True)


@cli.command()
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
    report_run(lambda: pipeline.ingest(config, source, echo=click.echo))


@cli.command("add-price")
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
    report_run(lambda: pipeline.add_price(config, offer, price, moment.isoformat(timespec="seconds"), note, currency, pack, echo=click.echo))


@cli.command()
@click.argument("target")
@click.option("--locale", default="en_US", show_default=True, help="How the page writes numbers (de_DE: 1.234,56).")
@click.option("--variant", default=None, help="SKU or variant name to choose.")
@click.option("--price", "selector", default=None, help="A css: or xpath: selector for the price.")
@click.option("--platform", type=click.Choice(["shopify"]), default=None, help="Read the shop's JSON endpoint.")
@click.option("--unit", default=None, help="Show unit prices in this unit (kg, gal, board_foot ...).")
@click.option("--supplier", default="SUPPLIER-ID", help="Supplier id for the config snippet.")
@click.option("--contact", default="probe@supplywatch.invalid", help="Contact for the User-Agent.")
def probe(target: str, locale: str, variant: str | None, selector: str | None, platform: str | None,
          unit: str | None, supplier: str, contact: str) -> None:
    """Show every price a page (or a saved file) offers, and the config to watch it.

    \b
    Example:
        supplywatch probe https://www.example.com/products/lye-25kg --unit kg
        supplywatch probe saved-page.html --locale de_DE
    """
    from .probe import probe as run_probe, report

    try:
        result = run_probe(target, locale=locale, variant=variant, selector=selector, platform=platform, unit=unit, contact=contact)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report(result, supplier))


@cli.command()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date-column", required=True, help="Column with the dates (YYYY-MM-DD).")
@click.option("--price-column", required=True, help="Column with the prices.")
@click.option("-c", "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Use the rules of a material in this config (default: the built-in rules).")
@click.option("--material", default=None, help="The material whose rules to use (with --config).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def backtest(csv_file: Path, date_column: str, price_column: str, config_path: Path | None, material: str | None, as_json: bool) -> None:
    """Replay a price history through the rules as if each row were a nightly run.

    \b
    Example:
        supplywatch backtest lumber.csv --date-column Date --price-column WPU081
        supplywatch backtest oil.csv --date-column Date --price-column Price --config supplywatch.yml --material coconut-oil --json
    """
    import json

    from . import backtest as backtest_module
    from .rules.kinds import DEFAULT_RULES

    rule_set, unit, currency, name = DEFAULT_RULES, "each", "USD", csv_file.stem
    if config_path is not None:
        config = load_or_exit(config_path)
        chosen = next((m for m in config.materials if m.id == material), None)
        if chosen is None:
            raise click.BadParameter(f"{material!r} is not a material of {config_path}", param_hint="--material")
        rule_set, unit, currency, name = config.rules_for(chosen), chosen.unit, config.currency, chosen.name
    try:
        series = backtest_module.read_series(csv_file, date_column, price_column)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    result = backtest_module.backtest(series, rule_set, unit, currency, name)
    click.echo(json.dumps(result.as_json(), indent=2) if as_json else backtest_module.report(result, str(csv_file)))


@cli.command()
@config_option
@click.argument("target")
@click.option("--for", "duration", default="14d", show_default=True, help="How long: 12h, 14d, 2w.")
@click.option("--reason", default=None, help="Why, for whoever reads `supplywatch status`.")
def silence(config_path: Path, target: str, duration: str, reason: str | None) -> None:
    """Stop telling you about a material, offer or supplier for a while; it expires by itself.

    \b
    Example:
        supplywatch silence walnut-8-4 --for 14d --reason "bought a year's stock"
    """
    from .alerts import silences

    config = load_or_exit(config_path)
    known = {m.id for m in config.materials} | {o.offer_id for o in config.offers()} | {s.id for s in config.suppliers}
    if target not in known:
        raise click.BadParameter(f"{target!r} is not a material, offer or supplier of the config", param_hint="TARGET")
    try:
        length = silences.parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    added = silences.add(store.open_db(config.database_path), target, length, reason)
    click.echo(f"Silenced {target} until {added['until'][:16]} UTC.")


@cli.command()
@config_option
@click.option("--at", default="02:30", show_default=True, help="Time of day to run (24 h).")
@click.option("--install", type=click.Choice(["cron", "systemd"]), default=None, help="Write it instead of printing it.")
@click.option("--crontab-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --install cron: edit this crontab file instead of the user's crontab.")
def schedule(config_path: Path, at: str, install: str | None, crontab_file: Path | None) -> None:
    """Print (or install) the crontab line and systemd units that run supplywatch every night.

    \b
    Example:
        supplywatch schedule --at 02:30
        supplywatch schedule --install cron
        supplywatch schedule --install systemd && systemctl --user enable --now supplywatch.timer
    """
    from . import schedule as schedule_module

    load_or_exit(config_path)
    try:
        if install == "cron":
            line = schedule_module.install_crontab(config_path, at, crontab_file)
            click.echo(f"Wrote to {'the crontab ' + str(crontab_file) if crontab_file else 'your crontab'}:\n{line}")
        elif install == "systemd":
            for path in schedule_module.install_systemd(config_path, at):
                click.echo(f"Wrote {path}")
            click.echo("Enable it with: systemctl --user daemon-reload && systemctl --user enable --now supplywatch.timer")
        else:
            click.echo(f"# crontab (crontab -e):\n{schedule_module.crontab_line(config_path, at)}\n")
            for name, text in schedule_module.systemd_units(config_path, at).items():
                click.echo(f"# ~/.config/systemd/user/{name}\n{text}")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None


@cli.command()
@config_option
@click.option("--at", default="02:30", show_default=True, help="Time of day to run (24 h).")
@click.option("--every", type=float, default=None, help="Instead of a time of day: run every this many seconds.")
@click.option("--runs", type=int, default=None, help="Stop after this many runs (default: never).")
def daemon(config_path: Path, at: str, every: float | None, runs: int | None) -> None:
    """Stay running and do the nightly job at --at every day, for hosts without cron.

    \b
    Example:
        supplywatch daemon --at 02:30
    """
    from . import schedule as schedule_module

    load_or_exit(config_path)
    sys.exit(schedule_module.daemon(config_path, at, every, runs, echo=click.echo))


@cli.command()
@config_option
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup(config_path: Path, destination: Path) -> None:
    """Write a consistent copy of the database, safe while a run or Datasette is using it.

    \b
    Example:
        supplywatch backup /mnt/usb/supplywatch-$(date +%F).db
    """
    config = load_or_exit(config_path)
    if destination.exists():
        raise click.ClickException(f"{destination} exists; pick a new name")
    rows = store.backup(config.database_path, destination)
    click.echo(f"Backed up {config.database_path} to {destination} ({rows:,} observations).")


@cli.command()
@config_option
@click.argument("product")
@click.option("--at", "on", default=None, help="Cost it with the prices known at the end of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def cost(config_path: Path, product: str, on: str | None, as_json: bool) -> None:
    """What one batch of PRODUCT costs, line by line, now or on a past date.

    Each line is priced from the cheapest in-stock offer of its material (or the supplier the
    recipe names), landed, in the home currency.

    \b
    Example:
        supplywatch cost soap-bar
        supplywatch cost soap-bar --at 2026-03-01 --json
    """
    from . import costing

    config = load_or_exit(config_path)
    products = {p.id: p for p in config.products}
    if product not in products:
        raise click.BadParameter(f"unknown product {product!r} (products: {', '.join(products) or 'none in the config'})", param_hint="PRODUCT")
    if on is not None:
        try:
            as_of = datetime.fromisoformat(on).date().isoformat() + "T23:59:59+00:00"
        except ValueError:
            raise click.BadParameter(f"{on!r} is not a date; write it as 2026-03-01", param_hint="--at") from None
    else:
        as_of = store.now_iso()
    if not config.database_path.exists():
        raise click.ClickException(f"no database yet at {config.database_path}: run `supplywatch run` first")
    db = store.open_db(config.database_path)
    result = costing.cost_at(db, config, products[product], as_of)
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else costing.format_cost(result))


@cli.command()
@config_option
@click.option("--runs", default=5, show_default=True, help="How many recent runs to show.")
def status(config_path: Path, runs: int) -> None:
    """Recent runs, open alerts, offers without a valid price lately, queued messages.

    \b
    Example:
        supplywatch status
    """
    config = load_or_exit(config_path)
    if not config.database_path.exists():
        raise click.ClickException(f"no database yet at {config.database_path}: run `supplywatch run` first")
    from .status import report

    click.echo(report(store.open_db(config.database_path), runs))


@cli.command("notify-test")
@config_option
@click.option("--tag", default=None, help="Only the URLs with this tag (phone, digest ...).")
def notify_test(config_path: Path, tag: str | None) -> None:
    """Send a test message to the notification URLs of the config.

    \b
    Example:
        supplywatch notify-test --tag phone
    """
    config = load_or_exit(config_path)
    if not config.notify.urls:
        raise click.ClickException("no notify.urls in the config: add one (see the README) and try again")
    sender, tags = notify.sender_for(config)
    ok, error = notify.send(sender, tags, tag or notify.DIGEST, "supplywatch test", "If you can read this, supplywatch can reach you.")
    if not ok:
        raise click.ClickException(f"the test message was not delivered: {error}")
    click.echo("Test message delivered.")


@cli.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8001, show_default=True, help="Port to listen on.")
@click.option("--set-password", is_flag=True, help="Ask for a password and print the hash to put in SUPPLYWATCH_PASSWORD_HASH.")
def serve(config_path: Path, host: str, port: int, set_password: bool) -> None:
    """Browse the price history in Datasette (http://127.0.0.1:8001), with dashboards.

    Any address other than 127.0.0.1 needs a password: run with --set-password once, then
    export SUPPLYWATCH_PASSWORD_HASH=<the hash> and log in at /-/login as "owner".

    \b
    Example:
        supplywatch serve --port 8001
        supplywatch serve --set-password
        SUPPLYWATCH_PASSWORD_HASH='pbkdf2_sha256$...' supplywatch serve --host 0.0.0.0
    """
    if set_password:
        password = click.prompt("Password for the owner", hide_input=True, confirmation_prompt=True)
        click.echo(serve_module.hash_password(password))
        click.echo(f"Put it in the environment: export {serve_module.PASSWORD_ENV}='<the line above>'", err=True)
        return
    config = load_or_exit(config_path)
    try:
        store.open_db(config.database_path)  # create or migrate it, so Datasette shows the current schema
        sys.exit(serve_module.serve(config.database_path, host, port))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("supplywatch-demo"),
              show_default=True, help="Where the demo's supplywatch.yml and database go.")
@click.option("--nights", default=120, show_default=True, type=click.IntRange(10, 1000), help="Nights of history to crawl.")
@click.option("--serve/--no-serve", default=True, help="Serve Datasette afterwards (until Ctrl-C).")
@click.option("--site-only", is_flag=True, help="Only run the demo supplier site, for `supplywatch run` in --dir.")
@click.option("-p", "--port", default=8001, show_default=True, help="Datasette's port.")
def demo(directory: Path, nights: int, serve: bool, site_only: bool, port: int) -> None:
    """Watch a furniture shop's supplies on a built-in demo site, with months of real history.

    \b
    Example:
        supplywatch demo                 # ~30 s, then browse http://127.0.0.1:8001
        supplywatch demo --no-serve --dir /tmp/demo
    """
    from .demo import run as demo_module

    directory.mkdir(parents=True, exist_ok=True)
    site, catalog = demo_module.start_site(directory, nights, reuse=site_only)
    try:
        if site_only:
            click.echo(f"Demo supplier site on {', '.join(f'127.0.0.1:{p}' for p in site.ports().values())}. Ctrl-C to stop.")
            _wait_forever()
            return
        started = time.monotonic()
        click.echo(f"Demo suppliers on 127.0.0.1 ports {', '.join(map(str, site.ports().values()))}; crawling {nights} nights ...")
        click.echo("Alerts as they happened:")
        summary = demo_module.fill_history(directory, site, catalog, echo=click.echo)
        click.echo(f"\n{summary['observations']} observations in {nights} nightly runs; "
                   f"{summary['fired']} alerts fired, {summary['resolved']} resolved.")
        click.echo("\nOpen alerts now:")
        for alert in summary["open"]:
            click.echo(f"  [{alert['severity']}] {alert['message']}")
        if summary["last_digest"]:
            click.echo(f"\nThe last digest it would send:\n{summary['last_digest']}")
        click.echo(f"\nDemo finished in {time.monotonic() - started:.1f} s. Config: {summary['config']}")
        click.echo(f"Try: cd {directory} && supplywatch status")
        if serve:
            click.echo(f"\nServing Datasette on http://127.0.0.1:{port}/ (Ctrl-C to stop); the demo site stays up, "
                       f"so `supplywatch run` works in {directory} meanwhile.")
            serve_module.serve(summary["database"], "127.0.0.1", port)
    finally:
        site.close()


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
