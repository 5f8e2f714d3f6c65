"""The owner's pages inside Datasette, through its plugin hooks: a home page that answers "what do
my inputs cost now, what is moving, why did my phone buzz", a page per material and per product
(reached by id or by name), SQL functions that write money and units as people read them (for
the canned queries), and the CSS that keeps every page inside a phone's width.

Loaded by ``supplywatch serve`` from ``datasette/plugins/`` (see :mod:`monitor.serve`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import unquote

from datasette.hookspecs import hookimpl
from datasette.utils.asgi import Forbidden, NotFound, Response
from markupsafe import Markup, escape

from .. import display, units
from ..decisions import runway as runway_module
from . import charts, queries

CSS = Path(__file__).resolve().parents[2] / "datasette" / "static" / "supplywatch.css"
JS = CSS.with_name("supplywatch.js")  # labels the dashboards' table cells, for the phone layout
RANGES = {"90": (90, "90 days"), "365": (365, "a year"), "all": (0, "everything")}  # ?days= on material and product pages
Page = TypeVar("Page")


def _currency(datasette: Any) -> str | None:
    return (datasette.plugin_config("supplywatch") or {}).get("currency")


class Words:
    """The formatting helpers templates call: money, unit prices, quantities, changes, days."""

    def __init__(self, currency: str):
        self.currency = currency

    def money(self, value: float | None) -> str:
        return display.money(value, self.currency)

    def event(self, event: str) -> str:
        """What an alert event was, as the alert lists say it ("sent", "moved further", "cleared")."""
        return queries.EVENT_WORDS.get(event, event)

    def price(self, value: float | None, unit: str) -> str:
        return display.unit_price(value, self.currency, unit)

    def foreign(self, value: float | None, currency: str | None) -> str:
        return display.money(value, currency or self.currency)

    change = staticmethod(display.change)
    percent = staticmethod(display.percent)
    day = staticmethod(display.day)
    unit = staticmethod(units.display)
    priced = staticmethod(units.priced)
    quantity = staticmethod(units.quantity_text)
    as_written = staticmethod(units.quantity_as_written)
    per_pack = staticmethod(units.per_pack)
    count = staticmethod(display.count)
    no_price = staticmethod(display.no_price)

    @staticmethod
    def change_class(percent: float | None) -> str:
        return "" if percent is None or abs(percent) < 0.05 else "up" if percent > 0 else "down"


async def _allowed(request: Any, datasette: Any) -> None:
    if await datasette.permission_allowed(request.actor, "view-instance", default=True) is False:
        raise Forbidden("view-instance denied")


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    database = datasette.get_database()
    context = {"db_name": database.name, "range_choices": [(value, label) for value, (_, label) in RANGES.items()], **context}
    return Response.html(await datasette.render_template(template, context, request=request))


async def home_view(request: Any, datasette: Any) -> Response:
    await _allowed(request, datasette)
    database = datasette.get_database()
    page = await database.execute_fn(lambda conn: queries.home(conn, _currency(datasette)))
    words = Words(page.currency)
    sparks = {m.id: charts.sparkline(m.trend, label=f"{m.name}, cheapest price per day over {queries.SPARK_DAYS} days")
              for m in page.materials}
    sparks |= {f"product:{p.id}": charts.sparkline(p.trend, label=f"{p.name}, cost per {p.yield_unit}") for p in page.products}
    return await _render(datasette, request, "owner_home.html", {"page": page, "w": words, "sparks": sparks})


async def _page(request: Any, datasette: Any, read: Callable[[sqlite3.Connection, str, int, str | None], Page | None],
                what: str) -> tuple[Page, str]:
    """The page ``read`` finds for the address's key (an id or a name) over the chosen range of days,
    and that range's ``?days=`` value; not found names ``what`` was looked for."""
    await _allowed(request, datasette)
    key = unquote(request.url_vars["key"])
    chosen = request.args.get("days", "365")
    if chosen not in RANGES:
        chosen = "365"
    days = RANGES[chosen][0]
    page = await datasette.get_database().execute_fn(lambda conn: read(conn, key, days, _currency(datasette)))
    if page is None:
        raise NotFound(f"No {what} called {key}")
    return page, chosen


async def material_view(request: Any, datasette: Any) -> Response:
    page, chosen = await _page(request, datasette, queries.material, "material")
    words = Words(page.currency)
    suppliers = list(page.history)
    colors = {name: charts.PALETTE[i % len(charts.PALETTE)] for i, name in enumerate(suppliers)}
    chart = charts.Chart(
        series=[charts.Series(name, page.history[name], colors[name]) for name in suppliers],
        y_label=f"{page.currency} per {units.display(page.unit)}, landed",
        format_value=lambda v: display.money(v, page.currency),
        markers=[charts.Marker(day, price, message, charts.RED if severity == "critical" else "#e67700")
                 for supplier, day, price, severity, message in page.markers],
        title=f"{page.name}: price per {units.display(page.unit)} at each supplier",
    )
    return await _render(datasette, request, "owner_material.html",
                         {"page": page, "w": words, "chart": charts.render(chart), "chosen": chosen})


async def product_view(request: Any, datasette: Any) -> Response:
    page, chosen = await _page(request, datasette, queries.product, "product")
    words = Words(page.currency)
    unit = page.yield_unit
    series = [charts.Series(f"cost of one {unit}", page.costs, charts.PALETTE[0])]
    if page.selling_price and page.target_margin and page.costs:
        limit = page.selling_price * (1 - page.target_margin / 100)
        series.append(charts.limit_line(f"highest cost for your {page.target_margin:g}% margin ({display.money(limit, page.currency)})",
                                        page.costs, limit))
    cost_chart = charts.Chart(
        series=series, y_label=f"{page.currency} per {unit}", format_value=lambda v: display.money(v, page.currency),
        markers=[charts.Marker(day, value, message) for day, value, kind, message in page.markers if kind != "margin"],
        title=f"{page.name}: what one {unit} costs to make",
    )
    margin_chart = None
    if page.margins:
        margin_series = [charts.Series("margin", page.margins, charts.PALETTE[2])]
        if page.target_margin:
            margin_series.append(charts.limit_line(f"your target ({page.target_margin:g}%)", page.margins, page.target_margin))
        margin_chart = charts.render(charts.Chart(
            series=margin_series, y_label="margin, % of the selling price", format_value=lambda v: f"{v:g}%",
            markers=[charts.Marker(day, value, message) for day, value, kind, message in page.markers if kind == "margin"],
            title=f"{page.name}: margin at each night's cost"))
    return await _render(datasette, request, "owner_product.html",
                         {"page": page, "w": words, "chart": charts.render(cost_chart), "margin_chart": margin_chart, "chosen": chosen})


async def css_view(request: Any, datasette: Any) -> Response:
    return Response(CSS.read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=300"})


async def js_view(request: Any, datasette: Any) -> Response:
    return Response(JS.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "max-age=300"})


async def overview_view(request: Any, datasette: Any) -> Response:
    """The old overview dashboard's address now opens the home page, which answers the same."""
    return Response.redirect(datasette.urls.path("/"))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/$", home_view),
        (r"^/material/(?P<key>[^/]+)$", material_view),
        (r"^/product/(?P<key>[^/]+)$", product_view),
        (r"^/-/supplywatch\.css$", css_view),
        (r"^/-/supplywatch\.js$", js_view),
        (r"^/-/dashboards/overview$", overview_view),
    ]


@hookimpl
def startup(datasette: Any) -> Any:
    async def warm() -> None:
        import asyncio

        # pint's registry takes seconds to build: do it now, not inside a query's time limit.
        await asyncio.get_running_loop().run_in_executor(None, units.registry)

    return warm


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """Find the owner pages' templates in any Datasette of this process (a plugin, once loaded, is
    every instance's), not only in one started with ``--template-dir``."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    folder = str(CSS.parent.parent / "templates")
    loaders = getattr(env.loader, "loaders", [env.loader])
    if not any(folder in getattr(loader, "searchpath", []) for loader in loaders):
        env.loader = ChoiceLoader([*loaders, FileSystemLoader(folder)])


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/supplywatch.css")]


@hookimpl
def extra_js_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/supplywatch.js")]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    database = datasette.get_database()
    return [{"href": datasette.urls.path("/"), "label": "Home: prices, moves, alerts"},
            {"href": datasette.urls.database(database.name), "label": "All tables and queries (SQL)"}]


def _sql_functions(currency: str | None) -> dict[str, tuple[int, Any]]:
    """SQL functions for canned queries and dashboards: numbers as the owner reads them."""

    def safe(function: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            try:
                return function(*args)
            except (TypeError, ValueError, ArithmeticError):
                return None
        return wrapped

    return {
        "money": (2, safe(lambda value, cur: None if value is None else display.money(float(value), cur))),
        "unit_price": (3, safe(lambda value, cur, unit: None if value is None else display.unit_price(float(value), cur, unit))),
        "unit_label": (1, safe(lambda unit: None if unit is None else units.display(unit))),
        "priced_text": (1, safe(lambda unit: None if unit is None else units.priced(unit))),
        "per_pack_text": (1, safe(lambda pack: None if pack is None else units.per_pack(str(pack)))),
        "pack_text": (1, safe(lambda pack: None if pack is None else units.quantity_as_written(str(pack)))),
        "amount_text": (2, safe(lambda value, unit: None if value is None else units.quantity_text(display.amount(float(value)), unit))),
        "percent_text": (1, safe(lambda value: None if value is None else display.percent(float(value)))),
        "quantity_text": (2, safe(lambda value, unit: None if value is None else units.quantity_text(float(value), unit))),
        "change_text": (1, safe(lambda value: None if value is None else display.change(float(value)))),
        "day_text": (1, safe(lambda value: None if value is None else display.day(str(value)))),
        "order_by_text": (4, safe(lambda due, as_of, runway, lead: None if due is None or as_of is None or runway is None else
                                  runway_module.order_words_seen(str(due), str(as_of), float(runway), float(lead or 0)))),
        "no_price_text": (1, safe(lambda status: None if status is None else display.no_price(str(status)))),
        "run_outcome_text": (3, safe(lambda status, offers, suspect: None if status is None
                                     else display.run_outcome_words(str(status), offers, suspect))),
        "html_escape": (1, safe(lambda value: None if value is None else str(escape(value)))),
    }


@hookimpl
def prepare_connection(conn: sqlite3.Connection, datasette: Any) -> None:
    configured = _currency(datasette)
    for name, (arity, function) in _sql_functions(configured).items():
        conn.create_function(name, arity, function)
    currency: list[str] = []

    def home_currency() -> str:
        if not currency:  # read once per connection, on first use (the tables may not exist yet at connect time)
            try:
                currency.append(queries.home_currency(conn, configured))
            except sqlite3.Error:
                return configured or "USD"
        return currency[0]

    conn.create_function("home_currency", 0, home_currency)


__all__ = ["Markup", "register_routes", "startup", "prepare_jinja2_environment", "extra_css_urls", "extra_js_urls", "menu_links",
           "prepare_connection"]
