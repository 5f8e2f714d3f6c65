"""Deciding what to do: what-if on margins, stock and purchases, order size, quotes, public indexes."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import click
import sqlite_utils

from .. import display, pipeline, store, units
from ..config import Config
from .common import config_option, load_or_exit

PERMISSIVE = {"ignore_unknown_options": True}  # "-5%" is a move, not an option


class BadInput(click.ClickException):
    """What the owner typed cannot be answered (a move that is no percent, a scenario its history
    cannot give, a quote that does not exist): one line, exit 2 like every command's bad input,
    nothing written."""

    exit_code = pipeline.EXIT_INPUT


def _when(text: str | None, option: str = "--date") -> str:
    """A day the owner typed (noon UTC, like add-price), or now."""
    if text is None:
        return store.now_iso()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-03", param_hint=option) from None
    return datetime.combine(day, datetime.min.time(), timezone.utc).replace(hour=12).isoformat(timespec="seconds")


def _existing_db(config: Config) -> sqlite_utils.Database:
    """The store opened read-only, for commands that only look (a read-only file works too)."""
    try:
        return store.open_db(config.database_path, read_only=True)
    except store.NoDatabase as exc:
        raise click.ClickException(str(exc)) from None


def _material(config: Config, material_id: str, hint: str = "MATERIAL"):  # noqa: ANN202 (a config Material)
    found = next((m for m in config.materials if m.id == material_id), None)
    if found is None:
        raise click.BadParameter(f"unknown material {material_id!r} (materials: {', '.join(m.id for m in config.materials) or 'none'})",
                                 param_hint=hint)
    return found


@click.command(context_settings=PERMISSIVE)
@config_option
@click.argument("material", required=False)
@click.argument("move", required=False)
@click.option("--and", "more", type=(str, str), multiple=True, metavar="MATERIAL MOVE", help="Move another input too (repeat).")
@click.option("--scenario", default=None, help="A move from history, e.g. p95-12m: the 95th percentile of 12-month moves.")
@click.option("--sensitivity", is_flag=True, help="Instead: margin points each input takes per 10 % rise, for every product.")
@click.option("--at", "on", default=None, help="Use the prices known at the end of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def whatif(config_path: Path, material: str | None, move: str | None, more: tuple[tuple[str, str], ...], scenario: str | None,
           sensitivity: bool, on: str | None, as_json: bool) -> None:
    """What happens to your margins if inputs move: new unit cost, margin, and the price that
    restores the target margin, for every product using them.

    With --scenario the move is read from the material's price history (or its linked index when
    its own prices are too short); without a MATERIAL, every material moves by its own scenario.

    \b
    Example:
        supplywatch whatif coconut-oil +20%
        supplywatch whatif coconut-oil +20% --and lye +5% --json
        supplywatch whatif coconut-oil --scenario p95-12m
        supplywatch whatif --scenario p95-12m
        supplywatch whatif --sensitivity
    """
    from ..decisions import whatif as w

    config = load_or_exit(config_path)
    db = _existing_db(config)
    as_of = store.now_iso() if on is None else _when(on, "--at").replace("T12:00:00", "T23:59:59")
    if sensitivity:
        click.echo(w.format_sensitivity(db, config, as_of))
        return
    moves: list[w.Move] = []
    try:
        if scenario is not None:
            if move is not None or more:
                raise click.UsageError("give either moves (+20%) or --scenario, not both")
            if material:
                moves.append(w.historical_move(db, config, _material(config, material), scenario, as_of))
            else:  # every input of a product, each by its own history; those without enough are named
                left_out = []
                for m in (m for m in config.materials if any(m.id in p.lines() for p in config.products)):
                    try:
                        moves.append(w.historical_move(db, config, m, scenario, as_of))
                    except ValueError as exc:
                        left_out.append(str(exc))
                if not moves:
                    raise ValueError("\n".join(left_out) or "no product in the config uses a material")
                for note in left_out:
                    click.echo(f"Left out: {note}", err=True)
        else:
            if material is None or move is None:
                raise click.UsageError("say what moves: supplywatch whatif MATERIAL +20% (or --scenario p95-12m)")
            for material_id, text in ((material, move), *more):
                moves.append(w.Move(_material(config, material_id), w.parse_move(text), "given"))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    result = w.what_if(db, config, moves, as_of)
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else w.format_what_if(result))


@click.command(context_settings=PERMISSIVE)
@config_option
@click.argument("material", required=False)
@click.argument("quantity", nargs=-1)
@click.option("--date", "when", default=None, help="When you counted (YYYY-MM-DD); default now.")
@click.option("--note", default=None, help="A note kept with the count.")
def stock(config_path: Path, material: str | None, quantity: tuple[str, ...], when: str | None, note: str | None) -> None:
    """Record what you have on hand, or (with no arguments) show every material's runway, reorder
    date, where its prices stand and the buy-window call.

    \b
    Example:
        supplywatch stock coconut-oil 120 kg
        supplywatch stock lye 0 lb --note "ran out"
        supplywatch stock
    """
    from ..decisions import runway, stock as stock_module
    from ..rules.base import Formatter

    config = load_or_exit(config_path)
    fmt = Formatter(config.currency)
    if material is None:
        db = _existing_db(config)
        as_of = store.now_iso()
        reads = runway.NightReads.read(db, config, as_of)
        for m in config.materials:
            o = runway.outlook(db, config, m, as_of, reads)
            click.echo(f"{o.stock_words()}\n  prices: {o.price_words(fmt)}\n  {o.verdict_words()}")
        return
    m = _material(config, material)
    if not quantity:
        raise click.UsageError(f"how much? e.g. supplywatch stock {material} 120 {m.unit}")
    db = store.open_db(config.database_path)
    try:
        stock_module.record(db, config, material, "count", " ".join(quantity), at=_when(when), note=note)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="QUANTITY") from None
    o = runway.outlook(db, config, m, store.now_iso())
    click.echo(f"Counted {units.quantity_as_written(' '.join(quantity))} of {m.name}.\n{o.stock_words()}")


@click.command(context_settings=PERMISSIVE)
@config_option
@click.argument("material")
@click.argument("quantity", nargs=-1, required=True)
@click.option("--price", type=float, default=None, help="What the whole purchase cost, as on the invoice (the supplier's currency unless --currency).")
@click.option("--currency", default=None, help="Currency of --price, e.g. EUR; default the --supplier's currency, else the home currency.")
@click.option("--supplier", default=None, help="Who you bought it from (a supplier id of the config).")
@click.option("--date", "when", default=None, help="When it arrived (YYYY-MM-DD); default now.")
@click.option("--note", default=None, help="A note kept with the purchase.")
def bought(config_path: Path, material: str, quantity: tuple[str, ...], price: float | None, currency: str | None,
           supplier: str | None, when: str | None, note: str | None) -> None:
    """Record a purchase: it adds to what is on hand, and keeps what you paid.

    --price is read in the supplier's currency (as on its invoice) when --supplier is given, else in
    the home currency; --currency says otherwise. The line printed says which currency was understood
    and, for a foreign one, what it comes to in the home currency.

    \b
    Example:
        supplywatch bought coconut-oil 50 lb --price 179
        supplywatch bought lye 2 x 25 kg --price 96.50 --supplier acme --date 2026-11-02
        supplywatch bought walnut-8-4 40 board_foot --price 120 --supplier holzhandel   # 120 euros
    """
    from ..decisions import runway, stock as stock_module

    config = load_or_exit(config_path)
    m = _material(config, material)
    text = _packs(" ".join(quantity))
    seller = next((s for s in config.suppliers if s.id == supplier), None)
    currency = (currency or (seller.currency if seller else None) or config.currency).strip().upper()
    db = store.open_db(config.database_path)
    try:
        row = stock_module.record(db, config, material, "bought", text, at=_when(when), price=price, currency=currency,
                                  supplier_id=supplier, note=note)
    except stock_module.BadEntry as exc:  # the one the owner got wrong, not "QUANTITY / --price / --supplier"
        hint = {"material": "MATERIAL", "supplier": "--supplier", "price": "--price"}.get(exc.field, "QUANTITY")
        raise click.BadParameter(str(exc), param_hint=hint) from None
    o = runway.outlook(db, config, m, store.now_iso())
    where = f" from {seller.name}" if seller else ""
    click.echo(f"Bought {units.quantity_as_written(text)} of {m.name}{where}{stock_module.paid_words(db, config, row, seller)}.\n{o.stock_words()}")


def _packs(text: str) -> str:
    """``"2 x 25 kg"`` -> ``"50 kg"`` (how purchases are often written)."""
    parts = text.replace("×", "x").split(" x ", 1)
    if len(parts) == 2:
        try:
            count = float(parts[0])
            amount, _, unit = parts[1].strip().partition(" ")
            return f"{count * float(amount):g} {unit}"
        except ValueError:
            return text
    return text


@click.command()
@config_option
@click.argument("material")
@click.option("--weeks", type=click.FloatRange(min=0, min_open=True), default=None, help="Weeks of usage to cover (default decisions.cover_weeks).")
@click.option("--quantity", default=None, help="Instead of weeks: how much to buy, e.g. '50 kg'.")
@click.option("--cash", "cash_limit", type=click.FloatRange(min=0, min_open=True), default=None, help="The most the order may cost (home currency).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def order(config_path: Path, material: str, weeks: float | None, quantity: str | None, cash_limit: float | None, as_json: bool) -> None:
    """Which purchase covers the next weeks at the lowest delivered cost per unit: packs, quantity
    breaks, free-shipping thresholds and minimum orders, within shelf life and a cash limit.

    \b
    Example:
        supplywatch order coconut-oil
        supplywatch order coconut-oil --weeks 12 --cash 500 --json
        supplywatch order lye --quantity "50 kg"
    """
    from ..decisions import ordersize, stock as stock_module

    config = load_or_exit(config_path)
    m = _material(config, material)
    db = _existing_db(config)
    try:
        amount = stock_module.in_material_unit(m, quantity) if quantity else None
        result = ordersize.plan(db, config, m, store.now_iso(), weeks=weeks, quantity=amount, cash_limit=cash_limit)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else ordersize.format_plan(result, config))


@click.group()
def quote() -> None:
    """Quotes you gave customers: each is re-costed every night until it ends, and you are told
    when one loses its margin.

    \b
    Example:
        supplywatch quote add --product walnut-side-table --quantity 8 --price 4200 --valid-until 2026-12-20 --number 112
        supplywatch quote add --bom "walnut-8-4=40 board_foot, wood-glue=1 qt" --price 900 --valid-until 2026-12-01
        supplywatch quote list
        supplywatch quote suggest walnut-side-table
        supplywatch quote close 112 --won
    """


@quote.command("add")
@config_option
@click.option("--product", "product_id", default=None, help="The product quoted (an id of the config).")
@click.option("--quantity", type=click.FloatRange(min=0, min_open=True), default=1, show_default=True, help="How many of the product.")
@click.option("--bom", default=None, help="Instead of a product: material=quantity pairs, comma-separated.")
@click.option("--price", type=click.FloatRange(min=0, min_open=True), required=True, help="The quoted price, home currency.")
@click.option("--valid-until", required=True, help="Last day the quote holds (YYYY-MM-DD).")
@click.option("--number", default=None, help="Your quote number (default: the next one).")
@click.option("--customer", default=None, help="Who it is for.")
@click.option("--description", default=None, help="What it is, in your words (default: the product's name).")
@click.option("--target-margin", type=click.FloatRange(0, 100, min_open=True, max_open=True), default=None,
              help="Margin to keep, percent (default: the product's target).")
@click.option("--date", "when", default=None, help="When you gave it (YYYY-MM-DD); its cost uses that day's prices. Default now.")
def _quote_add(config_path: Path, product_id: str | None, quantity: float, bom: str | None, price: float, valid_until: str,
              number: str | None, customer: str | None, description: str | None, target_margin: float | None, when: str | None) -> None:
    """Register a quote: costed now (or on --date) and every night until it ends.

    \b
    Example:
        supplywatch quote add --product walnut-side-table --quantity 8 --price 4200 --valid-until 2026-12-20 --number 112 --customer Smith
    """
    from ..decisions import quotes
    from ..rules.base import Formatter

    config = load_or_exit(config_path)
    until = date.fromisoformat(_when(valid_until, "--valid-until")[:10])
    db = store.open_db(config.database_path)
    try:
        added = quotes.add(db, config, number=number, price=price, valid_until=until, given_on=_when(when), product_id=product_id,
                           quantity=quantity, bom=bom, customer=customer, description=description, target_margin=target_margin)
        validity = quotes.suggest_validity(db, config, added.lines, price, added.target_margin, store.now_iso())
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    fmt = Formatter(config.currency)
    margin = f"margin {display.percent(added.margin_at_quote)} at cost {fmt.prefix}{added.cost_at_quote:,.2f}{fmt.suffix}" \
        if added.margin_at_quote is not None else "not all inputs have a price yet, so its margin is unknown"
    click.echo(f"Added {added.title(fmt, date.today())}: {margin}.")
    if validity.days is not None:
        click.echo(f"Suggested validity: {validity.days} days ({validity.reason}).")
    else:
        click.echo(f"No validity suggestion: {validity.reason}.")


@quote.command("list")
@config_option
@click.option("--all", "show_all", is_flag=True, help="Closed and ended quotes too.")
def _quote_list(config_path: Path, show_all: bool) -> None:
    """Open quotes with their margin tonight against when they were given.

    \b
    Example:
        supplywatch quote list
    """
    from ..decisions import quotes
    from ..rules.base import Formatter

    config = load_or_exit(config_path)
    db = _existing_db(config)
    fmt = Formatter(config.currency)
    now = store.now_iso()
    chosen = [quotes.Quote.from_row(r) for r in db.query("SELECT * FROM quotes ORDER BY valid_until")] if show_all else quotes.open_quotes(db, now)
    if not chosen:
        click.echo("No open quotes." if not show_all else "No quotes.")
    for q in chosen:
        if q.state != "open" or q.valid_until < now[:10]:
            click.echo(f"{q.title(fmt, date.today())}: {q.state if q.state != 'open' else 'ended'}")
            continue
        found = quotes.check(db, config, q, now)
        if found.margin is None:
            click.echo(f"{q.title(fmt, date.today())}: cannot be costed now (no valid price for {', '.join(found.cost.missing_names)})")
        elif q.margin_at_quote is None:  # given before its inputs had prices: tonight's run takes this costing as its baseline
            click.echo(f"{q.title(fmt, date.today())}: margin {display.percent(found.margin)} now; it could not be costed when given "
                       "(the next run takes this as its margin to keep)")
        else:
            moved = round(found.margin, 1) - round(q.margin_at_quote, 1)
            click.echo(f"{q.title(fmt, date.today())}: margin {display.percent(found.margin)} now, {display.percent(q.margin_at_quote)} {q.baseline_words(date.today())} "
                       f"({f'{moved:+.1f} points' if round(moved, 1) else 'unchanged'})" + (f", mostly {found.driver}" if found.driver and (found.lost_points or 0) > 0 else ""))


@quote.command("close")
@config_option
@click.argument("number")
@click.option("--won", "state", flag_value="won", help="The customer took it.")
@click.option("--lost", "state", flag_value="lost", help="The customer went elsewhere.")
@click.option("--withdrawn", "state", flag_value="withdrawn", help="You withdrew it.")
def _quote_close(config_path: Path, number: str, state: str | None) -> None:
    """Close a quote: it is no longer checked at night.

    \b
    Example:
        supplywatch quote close 112 --won
    """
    from ..decisions import quotes

    config = load_or_exit(config_path)
    if state is None:
        raise click.UsageError("say how it ended: --won, --lost or --withdrawn")
    try:
        closed = quotes.close(store.open_db(config.database_path), number, state)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    q = closed.quote
    if closed.was is None:
        click.echo(f"Quote {q.number} ({q.description}) closed: {state}.")
    elif closed.was.startswith(f"{state} "):
        click.echo(f"Quote {q.number} ({q.description}) was already closed: {closed.was}.")
    else:
        click.echo(f"Quote {q.number} ({q.description}) closed: {state} (it was {closed.was}).")


@quote.command("suggest")
@config_option
@click.argument("product_id", metavar="PRODUCT")
@click.option("--price", type=click.FloatRange(min=0, min_open=True), default=None, help="The unit price you would quote (default: the product's).")
def _quote_suggest(config_path: Path, product_id: str, price: float | None) -> None:
    """How long a quote for PRODUCT can safely hold, from how much its inputs' cost has moved.

    \b
    Example:
        supplywatch quote suggest walnut-side-table
    """
    from ..decisions import quotes

    config = load_or_exit(config_path)
    product = next((p for p in config.products if p.id == product_id), None)
    if product is None:
        raise click.BadParameter(f"unknown product {product_id!r}", param_hint="PRODUCT")
    price = price or product.price
    if price is None:
        raise click.UsageError(f"{product.name} has no price in the config: give --price")
    db = _existing_db(config)
    validity = quotes.suggest_validity(db, config, quotes.product_lines(config, product, 1), price, product.target_margin, store.now_iso())
    if validity.days is None:
        click.echo(f"{product.name}: no suggestion: {validity.reason}.")
    else:
        click.echo(f"{product.name}: quote for at most {validity.days} days ({validity.reason}).")


@click.group()
def index() -> None:
    """Public price indexes linked to your materials (producer price indexes, World Bank commodity
    prices, ECB series): `supplywatch run` fetches them when a new value is due.

    \b
    Example:
        supplywatch index list
        supplywatch index fetch
        supplywatch index load lumber-ppi WPU081.csv
    """


@index.command("list")
@config_option
def _index_list(config_path: Path) -> None:
    """Each index: its newest value, when it was fetched, and the materials it follows.

    \b
    Example:
        supplywatch index list
    """
    from .. import display
    from ..decisions.indexes import month_name

    config = load_or_exit(config_path)
    if not config.indexes:
        click.echo("No indexes in the config (see `indexes:` in the README).")
        return
    db = _existing_db(config)
    for i in config.indexes:
        row = db.execute("SELECT period, value FROM index_values WHERE index_id = ? ORDER BY period DESC LIMIT 1", [i.id]).fetchone()
        state = db.execute("SELECT last_success_at, last_error FROM index_series WHERE id = ?", [i.id]).fetchone()
        linked = [m.name for m in config.materials if i.id in m.indexes]
        newest = f"newest {month_name(date.fromisoformat(row[0][:10]))}: {row[1]:,.4g}" if row else "no values yet"
        fetched = f"fetched {display.day(state[0])}" if state and state[0] else "never fetched"
        problem = f"; last try failed: {state[1]}" if state and state[1] else ""
        click.echo(f"{i.name} ({i.source} {i.series}): {newest}, {fetched}{problem}; follows {', '.join(linked) or 'no material'}")


@index.command("fetch")
@config_option
@click.argument("index_ids", nargs=-1, metavar="[INDEX]...")
def _index_fetch(config_path: Path, index_ids: tuple[str, ...]) -> None:
    """Fetch index series now, due or not (`supplywatch run` fetches only those due).

    \b
    Example:
        supplywatch index fetch lumber-ppi
    """
    from ..crawl.local import crawl_indexes
    from ..decisions import indexes

    config = load_or_exit(config_path)
    chosen = [i for i in config.indexes if not index_ids or i.id in index_ids]
    unknown = set(index_ids) - {i.id for i in config.indexes}
    if unknown:
        raise click.BadParameter(f"unknown index {', '.join(sorted(unknown))}", param_hint="INDEX")
    if not chosen:
        raise click.ClickException("no indexes in the config")
    db = store.open_db(config.database_path)
    store.sync_config(db, config)
    items = crawl_indexes(config, indexes.spider_arguments(chosen))
    outcome = indexes.record_items(db, config, items)
    failed = 0
    for i in chosen:
        error = outcome.get(i.id, "no answer")
        count = sum(1 for item in items if item.get("index_id") == i.id and "period" in item)
        click.echo(f"{i.name}: " + (f"{count} values" if error is None else f"failed: {error}"))
        failed += error is not None
    if failed:
        raise SystemExit(1)


@index.command("load")
@config_option
@click.argument("index_id", metavar="INDEX")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def _index_load(config_path: Path, index_id: str, path: Path) -> None:
    """Load an index's history from a file saved from its publisher (FRED CSV, BLS JSON, Pink Sheet
    XLSX or CSV, ECB SDMX-CSV).

    \b
    Example:
        supplywatch index load lumber-ppi fredgraph.csv
    """
    from ..decisions import indexes

    config = load_or_exit(config_path)
    db = store.open_db(config.database_path)
    store.sync_config(db, config)
    try:
        new = indexes.load_file(db, config, index_id, path, store.now_iso())
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    total = db.execute("SELECT count(*), min(period), max(period) FROM index_values WHERE index_id = ?", [index_id]).fetchone()
    if not total[0]:
        click.echo(f"Loaded {path}: no values.")
        return
    first, last = (indexes.month_name(date.fromisoformat(day[:10])) for day in total[1:])
    click.echo(f"Loaded {path}: {new} new values; {total[0]} in all, {first} to {last}.")  # months in words, not 2021-01
