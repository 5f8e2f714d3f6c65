"""Tuning what reaches the owner: replay history through the rules, silence, test the notification URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import click

from .. import display, notify, store
from .. import config as config_module
from .common import config_option, load_or_exit, open_existing


@click.command()
@click.argument("csv_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date-column", default=None, help="Column with the dates (2024-11-01, 11/01/2024 or 01.11.2024).")
@click.option("--price-column", default=None, help="Column with the prices (128.67, $128.67, 1.128,67 €).")
@click.option("-c", "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Use the rules, unit and currency of a material in this config (default: the built-in rules); "
                   "without CSV_FILE, replay this config's own stored history.")
@click.option("--material", default=None, help="The material whose rules, unit and name to use (with --config and CSV_FILE).")
@click.option("--pack", default=None, help="What one price in the file buys, e.g. '50 lb' for a price per bag.")
@click.option("--nights", type=click.IntRange(1), default=None, help="Without CSV_FILE: only the last this many stored nights.")
@click.option("--index", "index_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A public index's history (CSV: date, then values): replay the index rules and say how far ahead it moved.")
@click.option("--index-column", default=None, help="The index file's value column (default: its second column).")
@click.option("--buy-window", is_flag=True, help="Also replay the buy-window verdict against buying on a fixed schedule.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def backtest(csv_file: Path | None, date_column: str | None, price_column: str | None, config_path: Path | None,
             material: str | None, pack: str | None, nights: int | None, index_file: Path | None, index_column: str | None,
             buy_window: bool, as_json: bool) -> None:
    """Replay a price history through the rules as if each row were a nightly run.

    With CSV_FILE, the series is one offer under the built-in rules (or a material's rules).
    Without --pack each price is taken as the price of one unit of the material (or of the file's
    own unit without --config); with it, each price is divided into a unit price first. Without
    CSV_FILE, the nights stored in the config's database are replayed under today's config: every
    offer, material and product rule, margins included. With --index, also replay the index rules
    against it; with --buy-window, what a buyer following the buy-window verdict paid against one
    buying on a fixed schedule.

    The messages name a CSV_FILE's series by its material's name (--material, or the config's only
    material), else by the file's name in words: "Mill shapes up 12% ..." for mill-shapes.csv.

    \b
    Example:
        supplywatch backtest lumber.csv --date-column Date --price-column WPU081
        supplywatch backtest oil.csv --date-column Date --price-column Price --config supplywatch.yml --material coconut-oil --pack "50 lb" --json
        supplywatch backtest mill-shapes.csv --date-column Date --price-column WPU102501 --index aluminum.csv --buy-window
        supplywatch backtest --config supplywatch.yml
    """
    import json
    from decimal import Decimal

    from .. import backtest as backtest_module, series, units
    from ..rules import DEFAULT_RULES, rules_for_material

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
    if material is not None and config_path is None:
        raise click.UsageError("--material picks a material of a config: add --config supplywatch.yml")
    name = backtest_module.series_name(csv_file)  # "Mill shapes" for mill-shapes.csv; the material's name with --config
    rule_set, unit, currency = DEFAULT_RULES, "each", "USD"
    chosen: config_module.Material | None = None
    if config_path is not None:
        config = load_or_exit(config_path)
        if material is None and len(config.materials) != 1:
            raise click.UsageError(f"say which material's rules to use with --material ({', '.join(m.id for m in config.materials)})")
        chosen = config.materials[0] if material is None else next(
            (m for m in config.materials if m.id == material or m.name.lower() == material.lower()), None)
        if chosen is None:
            raise click.BadParameter(f"{material!r} is not a material of {config_path}", param_hint="--material")
        rule_set, unit, currency, name = rules_for_material(config, chosen), chosen.unit, config.currency, chosen.name
        density = chosen.density
    else:
        density = None
    per_pack = Decimal(1)
    if pack is not None:
        try:
            quantity = units.check_quantity(pack)
            if config_path is None:
                unit = str(quantity.units)
            per_pack = units.amount_in(quantity, unit, density)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--pack") from None
    try:
        prices = series.read_prices(csv_file, date_column, price_column)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    prices = [(day, float(Decimal(repr(price)) / per_pack)) for day, price in prices]
    result = backtest_module.backtest(prices, rule_set, unit, currency, name, source=None)
    decided, words = _decisions_backtest(prices, index_file, index_column, buy_window, name,
                                         chosen.shelf_life_days if chosen is not None else None)
    if as_json:
        click.echo(json.dumps({**result.as_json(), "unit": unit, "currency": currency, "pack": pack, **decided}, indent=2))
        return
    if pack:
        read_as = f"each price buys {units.quantity_as_written(pack)}, compared {units.priced(unit)}"
    elif config_path is None:
        read_as = "prices as they are in the file (--pack '50 lb' if each buys a bag, a drum ...)"
    else:
        read_as = f"each price taken as {units.priced(unit)} (--pack '50 lb' if each buys a bag, a drum ...)"
    click.echo(f"{name}: {read_as}, in {currency}.")
    click.echo(backtest_module.report(result, str(csv_file)) + words)


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
@click.argument("target", required=False)
@click.option("--for", "duration", default="14d", show_default=True, help="How long: 12h, 14d, 2w.")
@click.option("--reason", default=None, help="Why, for whoever reads `supplywatch status`.")
@click.option("--lift", is_flag=True, help="End the silence on TARGET now; alerts still firing are told on the next run.")
@click.option("--list", "listing", is_flag=True, help="List the silences running now.")
def silence(config_path: Path, target: str | None, duration: str, reason: str | None, lift: bool, listing: bool) -> None:
    """Stop telling you about a material, offer, supplier or product for a while; it expires by
    itself. Silencing it again moves the end; --lift ends it now; --list shows what is silenced.

    TARGET is an id from the config or a name (a material's, supplier's or product's).

    \b
    Example:
        supplywatch silence walnut-8-4 --for 14d --reason "bought a year's stock"
        supplywatch silence --list
        supplywatch silence walnut-8-4 --lift
    """
    from .. import display
    from ..alerts import silences

    config = load_or_exit(config_path)
    names = targets(config)
    if listing:
        db = open_existing(config)
        running = silences.active(db)
        if not running:
            click.echo("Nothing is silenced.")
        for s in running:
            why = f"  ({s['reason']})" if s["reason"] else ""
            click.echo(f"  {names.get(s['target'], s['target'])}: silenced until {display.moment(s['until'])} UTC{why}")
        return
    if target is None:
        raise click.UsageError("say what to silence (a material, offer, supplier or product), or use --list")
    chosen = resolve_target(names, target)
    db = store.open_db(config.database_path)
    if lift:
        if silences.lift(db, chosen):
            click.echo(f"{names[chosen]}: silence lifted; you will be told about it again from the next run.")
        else:
            click.echo(f"{names[chosen]} was not silenced.")
        return
    try:
        length = silences.parse_duration(duration)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for") from None
    added = silences.add(db, chosen, length, reason)
    click.echo(f"Silenced {names[chosen]} until {display.day(added['until'])} {added['until'][11:16]} UTC.")


def targets(config: config_module.Config) -> dict[str, str]:
    """Everything a silence can name, by id, with how the owner reads it."""
    suppliers = {s.id: s.name for s in config.suppliers}
    materials = {m.id: m.name for m in config.materials}
    found = {m_id: f"{name} (material)" for m_id, name in materials.items()}
    found |= {s_id: f"{name} (supplier)" for s_id, name in suppliers.items()}
    found |= {p.id: f"{p.name} (product)" for p in config.products}
    found |= {o.offer_id: f"{materials[o.material]} at {suppliers[o.supplier]}" for o in config.offers()}
    return found


def resolve_target(names: dict[str, str], wanted: str) -> str:
    if wanted in names:
        return wanted
    text = wanted.strip().lower()
    by_name = [key for key, label in names.items() if label.rsplit(" (", 1)[0].lower() == text]
    if len(by_name) == 1:
        return by_name[0]
    raise click.BadParameter(f"{wanted!r} is not a material, offer, supplier or product of the config", param_hint="TARGET")


def notify_test_gets(tags: Sequence[str]) -> str:
    """What an address will be sent, in words: "This address gets urgent alerts, at once." for ``phone``."""
    said = {"phone": "urgent alerts, at once", "digest": "the nightly summary"}
    if not tags:
        return "Every message comes here: urgent alerts at once and the nightly summary."
    parts = [said.get(t, f"messages tagged {t}") for t in tags]
    return "This address gets " + " and ".join(parts) + "."


@click.command("notify-test")
@config_option
@click.option("--tag", default=None, help="Only the URLs with this tag (phone, digest ...); default: every URL.")
def notify_test(config_path: Path, tag: str | None) -> None:
    """Send a test message to each notification URL of the config, and say which got it.

    URLs are named by their number, service and tags, never by the URL (it holds your tokens).

    \b
    Example:
        supplywatch notify-test
        supplywatch notify-test --tag phone
    """
    import apprise

    from ..notify.outbox import Sender

    config = load_or_exit(config_path)
    targets = list(enumerate(config.notify.urls, 1))
    if not targets:
        raise click.ClickException("no notify.urls in the config: add one (see the README) and try again")
    known = sorted({t for _, target in targets for t in target.tags})
    if tag is not None:
        if tag not in known:
            raise click.BadParameter(f"no URL has the tag {tag!r} (tags in the config: {', '.join(known) or 'none'})", param_hint="--tag")
        targets = [(n, target) for n, target in targets if tag in target.tags]
    failed = 0
    for number, target in targets:
        sender = Sender()
        sender.add(target.url, target.tags)
        service = apprise.Apprise.instantiate(target.url)
        label = f"URL {number} ({service.service_name if service else 'unknown service'}, tagged {', '.join(target.tags) or 'nothing'})"
        ok, error = notify.send(sender, set(), "", "supplywatch test message",
                                f"If you can read this, supplywatch can reach you here. {notify_test_gets(target.tags)}")
        click.echo(f"{label}: {'delivered' if ok else 'NOT delivered: ' + error}")
        failed += not ok
    if failed:
        raise click.ClickException(f"{failed} of {display.counted(len(targets), 'URL')} did not get the test message; fix them and try again")
