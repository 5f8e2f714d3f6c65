"""Getting started: write a config, check it, and probe a supplier page for what to put in it."""

from __future__ import annotations

from pathlib import Path

import click

from .. import config as config_module, display, safe_text, units
from ..rules import rules_for_material
from .common import config_option, load_or_exit


@click.command()
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


@click.command()
@config_option
def check(config_path: Path) -> None:
    """Validate the config and list what will be watched and what is made. Writes nothing.

    \b
    Example:
        supplywatch check --config supplywatch.yml
    """
    config = load_or_exit(config_path)
    click.echo(f"{config_path}: OK. Prices are compared in {config.currency}; the history is kept in {config.database_path}.")
    for note in config_module.advice(config) + _history_left_behind(config):
        click.echo(f"Warning: {note}", err=True)
    click.echo(check_report(config))


def _history_left_behind(config: config_module.Config) -> list[str]:
    """``status.left_behind`` read from the database as it is (opened read-only, never upgraded: check writes nothing)."""
    import sqlite3

    import sqlite_utils

    from ..status import left_behind

    path = config.database_path
    if not path.is_file():
        return []
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return left_behind(sqlite_utils.Database(connection), config)
    except sqlite3.Error:  # not a supplywatch database, or one too old to hold the columns: run says so
        return []
    finally:
        connection.close()


def _typed(key: str, commands: str, indent: int) -> str:
    """The id a command takes, under the name it stands for: "(type walnut-8-4@oakridge in add-price, silence)"."""
    return f"{' ' * indent}(type {key} in {commands})"


def check_report(config: config_module.Config) -> str:
    """What ``check`` lists: each material with its unit, rules and offers, each product and its
    recipe, and where notifications go (by tag: the URLs hold secrets). Names first; the id to type
    in a command is on its own line below, in brackets."""
    suppliers = {s.id: s.name for s in config.suppliers}
    lines = [f"\nMaterials ({len(config.materials)}):"]
    for material in config.materials:
        # A material's own rules replace the others: say so, or a threshold added to one material
        # silently ends its change, run-up and stale alerts.
        default = (f" (its own, in place of {'the rules at the bottom of the config' if config.rules else 'the defaults'})"
                   if material.rules else "" if config.rules else " (the defaults)")
        rules = ", ".join(r.kind for r in rules_for_material(config, material)) + default
        lines.append(f"  {material.name}, priced {units.priced(material.unit)}; rules: {rules}")
        lines.append(_typed(material.id, "prices, stock, bought, order, whatif, silence", 6))
        for offer in config.offers():
            if offer.material == material.id:
                how = offer.price_selector or ("a price list" if offer.price_list else "the shop data on the page")
                # Without pack: the run takes the size the page states (a "25 kg bag", the product's weight), so
                # "1 each" here would promise what the run does not do.
                pack = units.quantity_as_written(offer.pack)
                pack = pack if offer.pack_from_config else f"pack read from the page ({pack} if it states none)"
                lines.append(f"    {material.name} at {suppliers[offer.supplier]}: {pack}, "
                             f"price read from {how}{'' if offer.active else ' (inactive)'}")
                lines.append(f"        {safe_text.configured_url(offer.url, config.secrets)}")
                lines.append(_typed(offer.offer_id, "add-price, silence", 8))
    if config.products:
        materials = {m.id: m.name for m in config.materials}
        lines.append(f"\nProducts ({len(config.products)}):")
        for product in config.products:
            made = units.quantity_text(product.yield_count, product.yield_unit)
            sells = f", sells at {display.money(product.price, config.currency)} a {product.yield_unit}" if product.price else ""
            target = f", target margin {product.target_margin:g}%" if product.target_margin else ""
            lines.append(f"  {product.name}: one batch makes {made}{sells}{target}")
            lines.append(_typed(product.id, "cost, quote, silence", 6))
            for material_id, line in product.lines().items():
                at = f" from {suppliers.get(line.supplier, line.supplier)}" if line.supplier else ""
                lines.append(f"    {units.quantity_as_written(line.quantity):>12}  {materials[material_id]}{at}")
    targets = config.notify.urls
    if targets:
        by_tag: dict[str, int] = {}
        for url in targets:
            for tag in url.tags or ["(no tag: gets everything)"]:
                by_tag[tag] = by_tag.get(tag, 0) + 1
        tags = ", ".join(f"{tag} ({n} URL{'s' if n > 1 else ''})" for tag, n in sorted(by_tag.items()))
        lines.append(f"\nNotifications: {tags}. Try them with `supplywatch notify-test`.")
    else:
        lines.append("\nNotifications: no URL yet, so the digest is printed (into your cron log).")
    return "\n".join(lines)


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="FILE_OR_URL...")
@click.option("--locale", default=None, help="How the pages write numbers (de_DE: 1.234,56); read from each page when not given.")
@click.option("--variant", default=None, help="SKU or variant name to choose.")
@click.option("--price", "selector", default=None, help="A css: or xpath: selector for the price.")
@click.option("--platform", type=click.Choice(["shopify"]), default=None, help="Read the shop's JSON endpoint.")
@click.option("--unit", default=None, help="Show unit prices in this unit (kg, gal, board_foot ...).")
@click.option("--supplier", default="SUPPLIER-ID", help="Supplier id for the config snippet.")
@click.option("--contact", default="probe@supplywatch.invalid", help="Contact for the User-Agent.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per page, in order.")
def probe(targets: tuple[str, ...], locale: str | None, variant: str | None, selector: str | None, platform: str | None,
          unit: str | None, supplier: str, contact: str, as_json: bool) -> None:
    """Show every price a page (or a saved file) offers, and the config to watch it.

    Without --locale, how numbers are written is read from each page (its
    prices, its language, its currency) and shown; a page that gives no
    clue gets no guess.

    \b
    Example:
        supplywatch probe https://www.example.com/products/lye-25kg --unit kg
        supplywatch probe saved-page.html --locale de_DE
        supplywatch probe --json page1.html https://www.example.com/p/2
    """
    import json

    from ..probe import as_json as probe_json, probe_all, report

    if locale is not None:
        try:
            config_module.Supplier(id="probe", name="probe", locale=locale)
        except Exception:
            raise click.BadParameter(f"unknown locale {locale!r} (expected e.g. en_US, de_DE, fr_FR)", param_hint="--locale") from None
    results = probe_all(list(targets), locale=locale, variant=variant, selector=selector, platform=platform, unit=unit, contact=contact)
    failed = False
    for target, result in zip(targets, results):
        failed = failed or isinstance(result, ValueError)
        if as_json:
            click.echo(safe_text.for_terminal(json.dumps(probe_json(result, target, supplier), ensure_ascii=False)))
        elif isinstance(result, ValueError):
            click.echo(f"Error: {result}", err=True)
        else:
            click.echo(safe_text.for_terminal(report(result, supplier)))  # the page's own words, without terminal control
            if len(targets) > 1:
                click.echo("")
    if failed:
        raise SystemExit(1)
