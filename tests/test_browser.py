"""What a person sees, in a real headless Chromium against a running `supplywatch serve`: every
owner page at a desktop width (1400 px) and a phone's (390 px) keeps inside the screen, speaks in
names and units, draws its charts with alert marks on the price line, and shows names full of
markup as text. Screenshots are kept in test-artifacts/ for a person to look at."""

import os
import re
import shutil
import urllib.parse

import pytest

from tests.conftest import REPO, serving

CHROMIUM = os.environ.get("SUPPLYWATCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Chromium is not installed (CI installs it)")
WIDTHS = (1400, 390)

# A canvas with drawn marks has many non-transparent pixels; an empty chart has none.
DRAWN_PIXELS = """(selector) => {
  const root = document.querySelector(selector);
  if (!root) return -1;
  const svg = root.querySelector('svg .mark-line path, svg .mark-rect path, svg .mark-symbol path, svg .mark-area path');
  if (svg) return 1e6;
  const canvas = root.querySelector('canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}"""

# Words the owner never wrote and never needs: ids, pint's names, the rules' internals.
NOT_FOR_PEOPLE = ("walnut-8-4", "@oakridge", "@holzhandel", "board_foot", "cubic_meter", "fingerprint", "offer_id",
                  "material_id", "unit_price", "median_30d", "walnut-side-table")

OWNER_PAGES = {
    "home": "/",
    "material": "/material/walnut-8-4",
    "material-by-name": "/material/" + urllib.parse.quote("black walnut 8/4 fas", safe=""),
    "product": "/product/walnut-side-table",
    "query-prices-now": "/supplywatch/latest_unit_prices",
    "query-cheapest": "/supplywatch/cheapest_now",
    "query-movers": "/supplywatch/movers_30d",
    "query-history": "/supplywatch/material_history?material=walnut",
    "query-alerts": "/supplywatch/alert_history",
    "query-problems": "/supplywatch/offers_with_problems",
    "query-runs": "/supplywatch/run_log",
    "query-product-costs": "/supplywatch/product_costs_now",
    "query-product-moves": "/supplywatch/product_cost_change_30d",
    "query-to-do": "/supplywatch/to_do_this_week",
    "query-stock": "/supplywatch/stock_and_buying",
    "query-quotes": "/supplywatch/open_quotes",
    "query-sensitivity": "/supplywatch/product_sensitivity",
}
DASHBOARDS = {
    "dashboard-material": ("/-/dashboards/material?material=" + urllib.parse.quote("Black walnut 8/4 FAS"), ["prices", "index"]),
    "dashboard-product": ("/-/dashboards/product?product=" + urllib.parse.quote("Walnut side table"), ["stack", "margin"]),
}


@pytest.fixture(scope="module")
def server(demo):
    directory, _ = demo
    with serving(directory) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


class Seen:
    """One page as a person saw it: its text, width, problems, and the screenshot's path."""

    def __init__(self, browser, url: str, shot: str, width: int, charts: list[str] = ()):
        page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: not request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                and self.errors.append(f"off-machine request: {request.url}"))
        response = page.goto(url, wait_until="networkidle")
        self.status = response.status if response else 0
        for chart in charts:
            page.wait_for_function(f"({DRAWN_PIXELS})('#chart-{chart}') > 500", timeout=20_000)
        self.text = page.evaluate("document.body.innerText")
        self.overflow = page.evaluate("document.documentElement.scrollWidth") - width
        self.markers_off_line = page.evaluate("""() => {
          // every alert mark of a visible chart must sit on a point of a price line
          const off = [];
          for (const svg of document.querySelectorAll('svg.chart')) {
            if (!svg.getBoundingClientRect().width) continue;
            const points = [...svg.querySelectorAll('polyline')].flatMap(p => p.getAttribute('points').split(' '))
              .map(p => p.split(',').map(Number));
            for (const dot of svg.querySelectorAll('circle.marker-dot')) {
              const x = +dot.getAttribute('cx'), y = +dot.getAttribute('cy');
              if (!points.some(([px, py]) => Math.abs(px - x) < 0.6 && Math.abs(py - y) < 0.6)) off.push([x, y]);
            }
          }
          return off;
        }""")
        self.markers = page.evaluate("[...document.querySelectorAll('svg.chart circle.marker-dot')].filter(c => c.getBoundingClientRect().width).length")
        ARTIFACTS.mkdir(exist_ok=True)
        self.shot = ARTIFACTS / (shot if shot.endswith(".png") else f"{shot}-{width}.png")
        page.screenshot(path=str(self.shot), full_page=True)
        page.close()


def load(browser, url: str, shot: str, charts: list[str], metrics: tuple[str, ...] = (), width: int = 1400) -> list[str]:
    """Load ``url`` at ``width``, wait for ``charts`` to draw, keep a screenshot; the page's errors."""
    seen = Seen(browser, url, shot, width, charts)
    return seen.errors if seen.status == 200 else [*seen.errors, f"status {seen.status}"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(OWNER_PAGES))
def test_owner_page_fits_the_screen_and_speaks_in_names_and_units(server, browser, name, width):
    seen = Seen(browser, server + OWNER_PAGES[name], name, width)
    assert seen.status == 200 and seen.errors == []
    assert seen.overflow <= 0, f"{name} is {seen.overflow} px wider than a {width} px screen"
    leaked = [token for token in NOT_FOR_PEOPLE if token in seen.text]
    assert not leaked, f"{name} shows {leaked}"
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", seen.text), f"{name} shows an ISO day"
    assert not re.search(r"\b\d+\.\d{4,}\b", seen.text), f"{name} shows a raw float"
    assert seen.markers_off_line == []
    assert seen.shot.stat().st_size > 10_000


@pytest.mark.parametrize("width", WIDTHS)
def test_material_page_draws_each_supplier_with_the_alerts_on_the_line(server, browser, width):
    seen = Seen(browser, server + OWNER_PAGES["material"], "material-chart", width)
    assert seen.markers > 0 and seen.markers_off_line == []
    for words in ("Oakridge Hardwoods", "Timberline Supply Co.", "Holzhandel Berger", "USD per bd ft", "/bd ft", "cheapest"):
        assert words in seen.text, words


def test_home_page_answers_what_things_cost_what_moves_and_why_the_phone_buzzed(server, browser):
    seen = Seen(browser, server + "/", "home-answers", 390)
    text = seen.text
    assert text.index("What your inputs cost now") < text.index("What is moving") < text.index("Why did my phone buzz?")
    for words in ("Black walnut 8/4 FAS", "Baltic birch plywood 18 mm", "/sheet", "/bd ft", "/gal", "Walnut side table", "Last run"):
        assert words in text, words
    assert "message #" not in text and "hover" not in text  # the outbox's number is for matching copies; a phone has no hover


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboards_draw_with_currency_and_unit_and_fit_a_phone(server, browser, name, width):
    url, charts = DASHBOARDS[name]
    seen = Seen(browser, server + url, name, width, charts)
    assert seen.status == 200 and seen.errors == []
    assert seen.overflow <= 0, f"{name} is {seen.overflow} px wider than a {width} px screen"
    assert not [token for token in NOT_FOR_PEOPLE if token in seen.text]
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b|\bper 1 ", seen.text), f"{name} shows an ISO day or 'per 1'"


def test_names_full_of_markup_show_as_written_and_run_nothing(names_db, browser):
    with serving(names_db) as base:
        for path in ("/", "/material/screws", "/product/kit", "/supplywatch/latest_unit_prices",
                     "/-/dashboards/material?material=screws"):
            seen = Seen(browser, base + path, "names" + path.replace("/", "-").split("?")[0], 390,
                        ["prices"] if "dashboards" in path else [])
            assert seen.dialogs == [] and seen.errors == []
            assert "<script>alert('owned')</script> Ltd" in seen.text or "Screws <M6>" in seen.text, path
            assert seen.overflow <= 0


def test_empty_chart_says_there_is_not_enough_history(names_db, browser, tmp_path):
    from monitor import config as config_module, pipeline

    (tmp_path / "supplywatch.yml").write_text((names_db / "supplywatch.yml").read_text())
    pipeline.add_price(config_module.load(tmp_path / "supplywatch.yml"), "flour@ab", "20.00", "2026-03-01T12:00:00+00:00",
                       echo=lambda _: None)
    with serving(tmp_path) as base:
        seen = Seen(browser, base + "/material/flour", "not-enough-history", 390)
        assert "Not enough history yet" in seen.text and seen.markers == 0



def test_a_query_parameter_name_keeps_to_one_line_on_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    response = page.goto(server + OWNER_PAGES["query-history"], wait_until="networkidle")
    assert response.status == 200
    label = page.evaluate("""() => { const l = document.querySelector('form.sql label');
      return [l.getBoundingClientRect().height, parseFloat(getComputedStyle(l).lineHeight) || 20]; }""")
    page.close()
    assert label[0] < 1.5 * label[1], f"'material' wraps: {label}"  # it read "materi / al" at 390 px


# Each labelled value of an owner card whose lines do not all start in the value's column: (label, indent in px).
UNDER_LABEL = """() => [...document.querySelectorAll('table.owner-table td[data-label]')].filter(td => td.textContent.trim()).map(td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const lefts = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.left);
  return [td.getAttribute('data-label'), Math.round(Math.min(...lefts) - td.getBoundingClientRect().left)];
}).filter(([label, indent]) => indent < 60)"""


@pytest.mark.parametrize("name", ["home", "material", "product"])
def test_a_value_that_wraps_on_a_phone_keeps_to_its_column_beside_its_label(server, browser, name):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    assert page.goto(server + OWNER_PAGES[name], wait_until="networkidle").status == 200
    cards = page.evaluate("document.querySelectorAll('table.owner-table td[data-label]').length")
    under = page.evaluate(UNDER_LABEL)
    page.close()
    assert cards > 0 and under == [], f"{name}: lines running back under their label: {under}"  # "at Oakridge / Hardwoods" did


# Text of a drawn chart (axis titles, legend labels) that runs past the chart's edge is cut off there.
CUT_TEXT = """() => [...document.querySelectorAll('.dashboard-card-chart svg')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).filter(t => {
    const r = t.getBoundingClientRect();
    return r.width && (r.right > box.right + 1 || r.left < box.left - 1);
  }).map(t => t.textContent);
})"""

# Each table of a dashboard: how far it scrolls sideways in its card, and whether its cells say their column.
TABLES = """() => [...document.querySelectorAll('.dashboard-card-chart table')].map(table => {
  const box = table.closest('.dashboard-card-chart').firstElementChild;
  const cells = [...table.querySelectorAll('tbody td')];
  return [box.scrollWidth - box.clientWidth, cells.length, cells.filter(td => td.getAttribute('data-label')).length,
          table.querySelector('thead').getBoundingClientRect().right > 0 ? 'header shown' : 'header hidden'];
})"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_tables_read_without_sideways_scrolling_and_chart_words_are_whole(server, browser, name, width):
    url, charts = DASHBOARDS[name]
    page = browser.new_page(viewport={"width": width, "height": 900})
    assert page.goto(server + url, wait_until="networkidle").status == 200
    for chart in charts:
        page.wait_for_function(f"({DRAWN_PIXELS})('#chart-{chart}') > 500", timeout=20_000)
    page.wait_for_function("document.querySelectorAll('.dashboard-card-chart table').length >= 2", timeout=20_000)
    tables, cut = page.evaluate(TABLES), page.evaluate(CUT_TEXT)
    words = page.evaluate("[...document.querySelectorAll('.dashboard-card-chart svg text')].map(t => t.textContent)")
    page.close()
    weekdays = [w for w in words if re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d|[A-Z][a-z]{2} \d\d", w)]
    assert not weekdays, f"{name}'s date axis reads {weekdays}: days are '9 Sep', as everywhere else"  # it said "Wed 09", "Aug 09"
    assert any(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}|[A-Z][a-z]{2}", w) for w in words), words
    assert tables and all(cells for _, cells, _, _ in tables)
    for scroll, cells, labelled, header in tables:
        assert scroll <= 0, f"a table of {name} scrolls {scroll} px sideways inside its card at {width} px"
        assert labelled == cells  # on a phone each row is a card whose values say what they are
        assert header == ("header hidden" if width < 700 else "header shown")
    assert cut == [], f"{name} at {width} px cuts {cut} at the chart's edge"  # the lumber index's legend was cut at 390 px
