"""Looking at what was collected: the morning status, what a product costs, the history in Datasette."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
import sqlite_utils

from .. import pipeline, safe_text, serve as serve_module, store
from .common import check_port_free, config_option, load_or_exit, open_existing


def read_only(path: Path) -> sqlite_utils.Database:
    """The store opened read-only for a command that only looks (a read-only file works too)."""
    try:
        return store.open_db(path, read_only=True)
    except store.NoDatabase as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@config_option
@click.option("--runs", default=5, show_default=True, help="How many recent runs to show.")
def status(config_path: Path, runs: int) -> None:
    """Recent runs, open alerts, offers without a valid price lately, queued messages.

    \b
    Example:
        supplywatch status
    """
    config = load_or_exit(config_path)
    from ..status import report
    from .tune import targets

    click.echo(safe_text.for_terminal(report(read_only(config.database_path), runs, targets(config))))


@click.command()
@config_option
@click.argument("material", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def prices(config_path: Path, material: str | None, as_json: bool) -> None:
    """What each material costs now at every supplier: landed unit price, the cheapest marked,
    the change over 7 and 30 days, and offers whose price is stale or was held back.

    MATERIAL is a material's id, its name or a word of its name; without it, every material.

    \b
    Example:
        supplywatch prices
        supplywatch prices walnut
        supplywatch prices "Wood glue" --json
    """
    from .. import prices as prices_module

    config = load_or_exit(config_path)
    try:
        chosen = [prices_module.find_material(config, material)] if material else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="MATERIAL") from None
    db = open_existing(config)
    as_of = store.now_iso()
    found = prices_module.current(db, config, chosen, as_of)
    if as_json:
        click.echo(json.dumps(prices_module.as_json(found, config.currency, as_of), indent=2))
    else:
        click.echo(prices_module.report(found, config.currency))


@click.command()
@config_option
@click.argument("product")
@click.option("--at", "on", default=None, help="Cost it with the prices known at the end of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def cost(config_path: Path, product: str, on: str | None, as_json: bool) -> None:
    """What one batch of PRODUCT costs, line by line, now or on a past date.

    Each line is priced from the cheapest in-stock offer of its material (or the supplier the
    recipe names), landed, in the home currency.

    Exits 0 when every line has a price, 1 when the cost is incomplete (a line has no valid price:
    the sum shown is of the priced lines only), 2 on a bad config or argument, like `run`'s codes.

    \b
    Example:
        supplywatch cost soap-bar
        supplywatch cost soap-bar --at 2026-03-01 --json
    """
    from .. import costing

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
    db = read_only(config.database_path)
    result = costing.cost_at(db, config, products[product], as_of)
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else costing.format_cost(result))
    if not result.complete:  # a cron wrapper or script tells a partial sum from a cost by the code, as with `run`
        sys.exit(pipeline.EXIT_PARTIAL)


@click.command()
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
        serve_module.needs_password(host)  # a refusal says what to do whatever listens on the port
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    check_port_free(host, port)
    try:
        read_only(config.database_path).conn.close()  # checked (and upgraded if old), so Datasette shows the current schema
        immutable = store.read_only_mode(config.database_path) == "immutable"
        sys.exit(serve_module.serve(config.database_path, host, port, config.notify.base_url, immutable=immutable, currency=config.currency))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
