"""Pages that need JavaScript are rendered in the system's Chromium, only when the offer asks, and
supplier JavaScript cannot reach this machine's other services. One real `supplywatch run` for the
module: Chromium starts once."""

import os
import shutil
import stat

import pytest
import sqlite_utils

from tests.conftest import SupplierSite, supplywatch, write_config

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not os.environ.get("CI"), reason="Chromium is not installed (CI installs it)"
)
pytestmark = needs_chromium

SCRIPTED = """<!doctype html><html><head><title>Beeswax pellets 1 lb</title></head><body>
<h1>Beeswax pellets, yellow, 1 lb</h1><div class="buy"><span id="price">loading…</span></div>
<script>
  // Prices arrive from the shop's API after the page loads, as on many single-page shops.
  setTimeout(function () { document.getElementById('price').textContent = '$' + (12.5).toFixed(2); }, 1500);
</script></body></html>"""

# A name that this process cannot resolve but Chromium resolves to 127.0.0.1: what a DNS rebinding
# attack looks like from here (the name pointed at the public shop when it was checked).
REBINDING = "rebind.test"


def reaching(service: str) -> str:
    """The scripted page, sending every kind of request a page loads to ``service`` (a URL on this
    machine) while it shows its price."""
    near = service.rsplit("/", 1)[0]
    return SCRIPTED.replace("</script>", f"""
  fetch({service!r}, {{method: 'POST', mode: 'no-cors', body: 'project=x'}}).catch(function () {{}});
  fetch({service.replace('127.0.0.1', 'localhost')!r}, {{mode: 'no-cors'}}).catch(function () {{}});
  new Image().src = {near + '/pixel.gif'!r};
  navigator.sendBeacon({near + '/beacon'!r}, 'x');
  try {{ new WebSocket({service.replace('http://', 'ws://')!r}); }} catch (e) {{}}
  var frame = document.createElement('iframe'); frame.src = {near + '/frame'!r}; document.body.appendChild(frame);
</script>""")


def leaving(*services: str) -> str:
    """The scripted page, trying to go to ``services`` itself: windows it opens, forms it posts, itself."""
    tries = "".join(f"""
  window.open({service.rsplit('/', 1)[0] + '/popup'!r});
  post({service!r}, '_blank');""" for service in services)
    return SCRIPTED.replace("</script>", f"""
  function post(url, target) {{
    var form = document.createElement('form'); form.method = 'POST'; form.action = url; form.target = target;
    document.body.appendChild(form); form.submit();
  }}{tries}
  setTimeout(function () {{ post({services[0]!r}, '_self'); }}, 300);  // the page itself: Chromium lets a navigation through
  setTimeout(function () {{ location.href = {services[-1]!r}; }}, 600);
</script>""")


def chromium_seeing(tmp_path, public_port: int) -> str:
    """Chromium as it would run for a supplier on the internet: the shop at ``public_port`` is a
    public site, and REBINDING resolves to this machine (as a rebinding DNS server answers)."""
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("chromium")} "--host-resolver-rules=MAP {REBINDING} 127.0.0.1" '
                       f'--ip-address-space-overrides=127.0.0.1:{public_port}=public "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("render")
    shop, public_shop, local_service = SupplierSite(), SupplierSite(), SupplierSite()  # the service: a scrapyd, a router page...
    try:
        service = local_service.server.url_for("/schedule.json")
        rebound = service.replace("127.0.0.1", REBINDING)
        write_config(tmp_path, f"""
    - id: beeswax
      name: Beeswax
      unit: lb
      offers:
        - {{supplier: acme, url: "{shop.set("beeswax", SCRIPTED)}", price: "css:#price::text", render: true, id: rendered}}
        - {{supplier: corner, url: "{shop.set("beeswax", SCRIPTED)}", price: "css:#price::text", id: plain}}
        - {{supplier: acme, url: "{shop.set("reaching", reaching(service))}", price: "css:#price::text", render: true, id: reaching}}
        - {{supplier: corner, url: "{public_shop.set("rebinding", reaching(rebound))}", price: "css:#price::text", render: true, id: rebinding}}
        - {{supplier: corner, url: "{public_shop.set("leaving", leaving(rebound, service))}", price: "css:#price::text", render: true, id: leaving}}
        """)
        config = tmp_path / "supplywatch.yml"  # a browser needs more than the 2 s a plain test page gets
        config.write_text(config.read_text().replace("timeout_seconds: 2", "timeout_seconds: 20"))
        result = supplywatch("run", cwd=tmp_path, timeout=240,
                             env={"SUPPLYWATCH_CHROMIUM": chromium_seeing(tmp_path, public_shop.server.port)})
        db = sqlite_utils.Database(tmp_path / "supplywatch.db")
        rows = {r["offer_id"]: r for r in db.query("SELECT * FROM observations")}
        yield result, rows, list(local_service.server.log)
    finally:
        for site in (shop, public_shop, local_service):
            site.stop()


def test_render_true_reads_a_price_written_by_javascript(night):
    result, rows, _ = night
    assert result.returncode == 1, result.stderr[-2000:]  # partial: the plain offer has no price
    assert (rows["rendered"]["status"], rows["rendered"]["price"], rows["rendered"]["pack"]) == ("ok", 12.5, "1 lb")
    assert rows["plain"]["status"] == "missing" and rows["plain"]["price"] is None  # without the browser: no price, not 0


def test_a_rendered_page_cannot_reach_this_machines_other_services_even_by_dns_rebinding(night):
    result, rows, reached = night
    for offer in ("reaching", "rebinding", "leaving"):  # the page's own scripts ran, and it stayed where it was
        assert (rows[offer]["status"], rows[offer]["price"]) == ("ok", 12.5), (offer, result.stderr[-2000:])
    assert [(request.method, request.url) for request, _ in reached] == []  # not one request reached the other service
