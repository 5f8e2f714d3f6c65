"""Pages that need JavaScript are rendered in the system's Chromium, only when the offer asks."""

import os
import shutil

import pytest
import sqlite_utils

from tests.conftest import supplywatch, write_config

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not os.environ.get("CI"), reason="Chromium is not installed (CI installs it)"
)

SCRIPTED = """<!doctype html><html><head><title>Beeswax pellets 1 lb</title></head><body>
<h1>Beeswax pellets, yellow, 1 lb</h1><div class="buy"><span id="price">loading…</span></div>
<script>
  // Prices arrive from the shop's API after the page loads, as on many single-page shops.
  setTimeout(function () { document.getElementById('price').textContent = '$' + (12.5).toFixed(2); }, 1500);
</script></body></html>"""


@needs_chromium
def test_render_true_reads_a_price_written_by_javascript(tmp_path, sites):
    shop = sites()
    url = shop.set("beeswax", SCRIPTED)
    write_config(tmp_path, f"""
    - id: beeswax
      name: Beeswax
      unit: lb
      offers:
        - {{supplier: acme, url: "{url}", price: "css:#price::text", render: true, id: rendered}}
        - {{supplier: corner, url: "{url}", price: "css:#price::text", id: plain}}
    """)
    result = supplywatch("run", cwd=tmp_path, timeout=180)
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    rows = {r["offer_id"]: r for r in db.query("SELECT * FROM observations")}
    assert (rows["rendered"]["status"], rows["rendered"]["price"], rows["rendered"]["pack"]) == ("ok", 12.5, "1 lb"), result.stderr[-2000:]
    assert rows["plain"]["status"] == "missing" and rows["plain"]["price"] is None  # without the browser: no price, not 0


def test_a_rendered_page_cannot_reach_this_machines_other_services(tmp_path, sites):
    shop, local_service = sites(), sites()  # another port on this machine: a scrapyd, a router page, ...
    service = local_service.server.url_for("/schedule.json")
    reaching = SCRIPTED.replace("</script>", f"""
  fetch({service!r}, {{method: 'POST', mode: 'no-cors', body: 'project=x'}}).catch(function () {{}});
  fetch({service.replace('127.0.0.1', 'localhost')!r}, {{mode: 'no-cors'}}).catch(function () {{}});
  new Image().src = {service.replace('schedule.json', 'pixel.gif')!r};
  try {{ new WebSocket({service.replace('http://', 'ws://')!r}); }} catch (e) {{}}
</script>""")
    url = shop.set("beeswax", reaching)
    write_config(tmp_path, f"""
    - id: beeswax
      name: Beeswax
      unit: lb
      offers:
        - {{supplier: acme, url: "{url}", price: "css:#price::text", render: true, id: rendered}}
    """)
    result = supplywatch("run", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    row = next(db.query("SELECT status, price FROM observations"))
    assert (row["status"], row["price"]) == ("ok", 12.5)  # the page's own scripts still ran
    assert local_service.server.log == []  # not one request reached the other service
