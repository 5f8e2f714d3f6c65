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
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # every page gave its price
    found = rows(tmp_path)
    assert found["busy"]["status"] == "ok" and found["busy"]["price"] == 12.5
    (first, t1), (second, t2) = [t for t in acme.times if t[0] == "/p/busy"]
    assert t2 - t1 >= 1.9


def test_robots_crawl_delay_spaces_requests(tmp_path, sites):
    acme, _ = one_each(tmp_path, sites, {"a": product_page("1.00"), "b": product_page("2.00"), "c": product_page("3.00")})
    acme.robots = "User-agent: *\nCrawl-delay: 2\n"
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # every page gave its price
    times = sorted(t for _, t in acme.times)
    assert len(times) == 3 and min(b - a for a, b in zip(times, times[1:])) >= 1.9


def test_connection_reset_and_currency_change_are_recorded(tmp_path, sites):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def reset_every_connection():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()  # RST instead of an answer

    threading.Thread(target=reset_every_connection, daemon=True).start()
    acme, corner = sites(), sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, id: reset, url: "http://127.0.0.1:{listener.getsockname()[1]}/p/walnut"}}
        - {{supplier: corner, id: pounds, url: "{corner.set('walnut', product_page('10.00', currency='GBP'))}"}}
        - {{supplier: berger, id: healthy, url: "{acme.set('walnut', product_page('12.00', currency='EUR'))}"}}
    """)
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # partial: a page gave no valid price tonight
    listener.close()
    found = rows(tmp_path)
    assert found["reset"]["status"] == "error" and found["reset"]["price"] is None
    assert found["pounds"]["status"] == "suspect" and "currency GBP differs" in found["pounds"]["error"]
    assert found["healthy"]["status"] == "ok"


def test_two_runs_started_together_one_is_locked_out_with_its_own_exit_code(tmp_path, sites):
    import subprocess
    import sys

    acme, _ = one_each(tmp_path, sites, {"slow": ("1.5", -1)})
    runs = [subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in runs)
    assert codes == [1, 3]  # one ran (its slow page answers, without a price: partial), the other was locked out
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_reader_holding_the_database_does_not_stop_the_write(tmp_path, sites):
    import sqlite3

    one_each(tmp_path, sites, {"a": product_page("5.00")})
    assert supplywatch("run", cwd=tmp_path).returncode == 0  # every page gave its price
    reader = sqlite3.connect(tmp_path / "supplywatch.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM observations").fetchone()  # Datasette in the middle of a page
    result = supplywatch("run", cwd=tmp_path)
    reader.rollback()
    assert result.returncode == 0, result.stderr
    assert len(rows(tmp_path)) == 2


def test_kill_during_the_database_write_leaves_no_half_run(tmp_path, sites):
    import os
    import signal
    import subprocess
    import sys
    import time

    one_each(tmp_path, sites, {f"p{i}": product_page(f"{10 + i}.00") for i in range(30)})
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    # Kill a run again and again at random moments, including inside the write.
    for delay in (1.2, 1.5, 1.8, 2.1):
        process = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=tmp_path)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        db = sqlite_utils.Database(tmp_path / "supplywatch.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # A night is stored supplier by supplier as each one's crawl ends: a killed run may have stored
        # Corner's one price and not yet Acme's thirty, but never part of one supplier's batch.
        per_batch = db.execute("SELECT run_id, supplier_id, count(*) FROM observations GROUP BY run_id, supplier_id").fetchall()
        assert all(count == {"acme": 30, "corner": 1}[supplier] for _, supplier, count in per_batch), per_batch
    assert supplywatch("run", cwd=tmp_path).returncode == 0
