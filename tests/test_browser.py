"""A real headless Chromium loads the dashboards from a running `supplywatch serve` and the charts
really draw; screenshots are kept in test-artifacts/ for a person to look at."""

import os
import shutil

import pytest

from tests.conftest import REPO, serving

CHROMIUM = os.environ.get("SUPPLYWATCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Chromium is not installed (CI installs it)")

# A canvas with drawn marks has many non-transparent pixels; an empty chart has none.
DRAWN_PIXELS = """(selector) => {
  const root = document.querySelector(selector);
  if (!root) return -1;
  const svg = root.querySelector('svg .mark-line path, svg .mark-rect path, svg .mark-symbol path');
  if (svg) return 1e6;
  const canvas = root.querySelector('canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}"""


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


def load(browser, url: str, shot: str, charts: list[str], metrics: tuple[str, ...] = (), width: int = 1400) -> list[str]:
    page = browser.new_page(viewport={"width": width, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) and errors.append(f"off-machine request: {request.url}"))
    page.goto(url, wait_until="networkidle")
    for chart in charts:
        page.wait_for_function(f"({DRAWN_PIXELS})('#chart-{chart}') > 500", timeout=20_000)
    for metric in metrics:
        page.wait_for_function(f"document.querySelector('#chart-{metric}').innerText.trim().length > 0", timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.close()
    return errors


def test_overview_dashboard_draws_its_charts(server, browser):
    errors = load(browser, f"{server}/-/dashboards/overview", "overview.png", ["movers"], ("materials", "open-alerts", "last-run"))
    assert errors == []
    assert (ARTIFACTS / "overview.png").stat().st_size > 10_000


def test_material_dashboard_draws_prices_per_supplier_with_alerts(server, browser):
    errors = load(browser, f"{server}/-/dashboards/material?material=walnut-8-4", "material-walnut.png", ["prices"])
    assert errors == []
    assert (ARTIFACTS / "material-walnut.png").stat().st_size > 10_000


def test_product_dashboard_draws_cost_by_input_and_margin(server, browser):
    errors = load(browser, f"{server}/-/dashboards/product?product=walnut-side-table", "product-table.png", ["stack", "margin"])
    assert errors == []
    assert (ARTIFACTS / "product-table.png").stat().st_size > 10_000
