"""Tuning what reaches the owner: replay history through the rules, silence, test the notification URLs."""

from __future__ import annotations

from pathlib import Path

import click

from .. import notify, store
from .common import config_option, load_or_exit


@click.command()
@click.argument("csv_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date-column", default=None, help="Column with the dates (YYYY-MM-DD).")
@click.option("--price-column", default=None, help="Column with the prices.")
@click.option("-c", "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Use the rules of a material in this config (default: the built-in rules); "
                   "without CSV_FILE, replay this config's own stored history.")
@click.option("--material", default=None, help="The material whose rules to use (with --config and CSV_FILE).")
@click.option("--nights", type=click.IntRange(1), default=None, help="Without CSV_FILE: only the last this many stored nights.")
@click.option("--index", "index_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A public index's history (CSV: date, then values): replay the index rules and say how far ahead it moved.")
@click.option("--index-column", default=None, help="The index file's value column (default: its second column).")
@click.option("--buy-window", is_flag=True, help="Also replay the buy-window verdict against buying on a fixed schedule.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def backtest(csv_file: Path | None, date_column: str | None, price_column: str | None, config_path: Path | None,
             material: str | None, nights: int | None, index_file: Path | None, index_column: str | None, buy_window: bool,
             as_json: bool) -> None:
    """Replay a price history through the rules as if each row were a nightly run.

    With CSV_FILE, the series is one offer under the built-in rules (or a material's rules).
    Without it, the nights stored in the config's database are replayed under today's config:
    every offer, material and product rule, margins included. With --index, also replay the index
    rules against it; with --buy-window, what a buyer following the buy-window verdict paid against
    one buying on a fixed schedule.

    \b
    Example:
        supplywatch backtest lumber.csv --date-column Date --price-column WPU081
        supplywatch backtest oil.csv --date-column Date --price-column Price --config supplywatch.yml --material coconut-oil --json
        supplywatch backtest mill-shapes.csv --date-column Date --price-column WPU102501 --index aluminum.csv --buy-window
        supplywatch backtest --config supplywatch.yml
    """
    import json

    from .. import backtest as backtest_module
    from ..rules import DEFAULT_RULES

    if csv_file is None:
        if config_path is None:
            raise click.UsageError("give a CSV_FILE to replay, or --config to replay the config's own history")
        config = load_or_exit(config_path)
        try:
            replayed = backtest_module.replay(config, nights)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps(replayed.as_json(), indent=2) if as_json else backtest_module.report(replayed, str(config.database_path)))
        return
    if not date_column or not price_column:
        raise click.UsageError("with CSV_FILE, give --date-column and --price-column")
    rule_set, unit, currency, name = DEFAULT_RULES, "each", "USD", csv_file.stem
    chosen = None
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
    decided, words = _decisions_backtest(series, index_file, index_column, buy_window, name,
                                         chosen.shelf_life_days if chosen is not None else None)
    click.echo(json.dumps({**result.as_json(), **decided}, indent=2) if as_json else backtest_module.report(result, str(csv_file)) + words)


def _decisions_backtest(series: list[tuple[str, float]], index_file: Path | None, index_column: str | None, buy_window: bool,
                        name: str, shelf_life_days: float | None) -> tuple[dict, str]:
    """The index rules and the buy-window verdict on the same history (monitor/decisions/backtests.py)."""
    import csv
    from datetime import date

    from ..decisions import backtests, indexes

    index_rows = None
    index_name = ""
    if index_file is not None:
        with open(index_file, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
        if len(header) < 2:
            raise click.BadParameter(f"{index_file} has no value column", param_hint="--index")
        index_name = index_column or header[1]
        try:
            index_rows = indexes.read_csv_series(index_file, header[0], index_name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        index_name = f"{index_file.name} ({index_name})"
    if index_rows is None and not buy_window:
        return {}, ""
    prices = [(date.fromisoformat(d), p) for d, p in series if p > 0]
    return backtests.cli_report(prices, index_rows, buy_window, name, index_name, shelf_life_days)


@click.command()
@config_option
@click.argument("target")
@click.option("--for", "duration", default="14d", show_default=True, help="How long: 12h, 14d, 2w.")
@click.option("--reason", default=None, help="Why, for whoever reads `supplywatch status`.")
@click.option("--lift", is_flag=True, help="End the silence on TARGET now; alerts still firing are told on the next run.")
def silence(config_path: Path, target: str, duration: str, reason: str | None, lift: bool) -> None:
    """Stop telling you about a material, offer, supplier or product for a while; it expires by itself.

    \b
    Example:
        supplywatch silence walnut-8-4 --for 14d --reason "bought a year's stock"
        supplywatch silence walnut-8-4 --lift
    """
    from ..alerts import silences

    config = load_or_exit(config_path)
    known = ({m.id for m in config.materials} | {o.offer_id for o in config.offers()} | {s.id for s in config.suppliers}
             | {p.id for p in config.products})
    if target not in known:
        raise click.BadParameter(f"{target!r} is not a material, offer, supplier or product of the config", param_hint="TARGET")
    if lift:
        lifted = silences.lift(store.open_db(config.database_path), target)
        click.echo(f"Lifted the silence on {target}." if lifted else f"{target} was not silenced.")
        return
    try:
        length = silences.parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    added = silences.add(store.open_db(config.database_path), target, length, reason)
    click.echo(f"Silenced {target} until {added['until'][:16]} UTC.")


@click.command("notify-test")
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
