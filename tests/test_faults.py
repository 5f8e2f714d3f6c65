"""Faults a nightly job meets on real supplier sites, each against local servers: the run survives,
records what happened, and keeps every other supplier's prices."""

import sqlite_utils
from werkzeug import Response

from tests.conftest import FIXTURES, product_page, supplywatch, write_config


def one_each(tmp_path, sites, pages: dict[str, object], extra: str = ""):
    """One offer per fault page at supplier acme, plus a healthy offer at corner."""
    acme, corner = sites(), sites()
    offers = "\n".join(f'        - {{supplier: acme, id: {name}, url: "{acme.set(name, body) if not isinstance(body, tuple) else acme.set(name, *body)}"}}'
                       for name, body in pages.items())
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
{offers}
        - {{supplier: corner, id: healthy, url: "{corner.set('walnut', product_page('12.00'))}"}}
    """, extra=extra)
    return acme, corner


def rows(tmp_path):
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    return {r["offer_id"]: r for r in db.query("SELECT * FROM observations ORDER BY id")}


def test_captcha_login_garbage_gone_and_redirect_loop_are_recorded_never_priced(tmp_path, sites):
    captcha = (FIXTURES / "pages" / "us-captcha.html").read_text()
    login = "<html><body><h1>Trade customers</h1><form><input name=user><input type=password name=pw></form></body></html>"
    garbage = (FIXTURES / "pages" / "us-broken-truncated.html").read_bytes()
    acme, _ = one_each(tmp_path, sites, {
        "captcha": captcha, "login": login, "garbage": (garbage, 200, "application/octet-stream"),
        "gone": ("discontinued", 410), "missing": ("nope", 404),
    })
    loop = Response("", status=302, headers={"Location": acme.url("loop")})
    acme.set("loop", loop)
    result = supplywatch("run", cwd=tmp_path)
    found = rows(tmp_path)
    assert result.returncode == 1
    assert found["captcha"]["status"] == "error" and "captcha" in found["captcha"]["error"]
    assert found["login"]["status"] == "error" and "login page" in found["login"]["error"]
    assert found["garbage"]["status"] in ("error", "missing") and found["garbage"]["price"] is None
    assert (found["gone"]["http_status"], found["missing"]["http_status"]) == (410, 404)
    assert len(acme.requests("gone")) == 1  # a page that is gone is not retried
    assert found["healthy"]["status"] == "ok" and found["healthy"]["price"] == 12.0


def test_retry_after_is_honoured_on_429(tmp_path, sites):
    busy = Response("slow down", status=429, headers={"Retry-After": "2"})
    acme, _ = one_each(tmp_path, sites, {"busy": [busy, product_page("12.50")]}, extra="")
    supplywatch("run", cwd=tmp_path)
    found = rows(tmp_path)
    assert found["busy"]["status"] == "ok" and found["busy"]["price"] == 12.5
    (first, t1), (second, t2) = [t for t in acme.times if t[0] == "/p/busy"]
    assert t2 - t1 >= 1.9


def test_robots_crawl_delay_spaces_requests(tmp_path, sites):
    acme, _ = one_each(tmp_path, sites, {"a": product_page("1.00"), "b": product_page("2.00"), "c": product_page("3.00")})
    acme.robots = "User-agent: *\nCrawl-delay: 2\n"
    supplywatch("run", cwd=tmp_path)
    times = sorted(t for _, t in acme.times)
    assert len(times) == 3 and min(b - a for a, b in zip(times, times[1:])) >= 1.9
