"""Secrets stay secret and files stay private: passwords and query strings of URLs never reach a
message, the output, a log or runs.message; `${ENV}` values never reach the database; the database,
its journal, the logs and backups are the owner's alone whatever the umask."""

import os
import socket
import sqlite3
import stat
import subprocess
import sys

from tests.conftest import product_page, supplywatch, write_config

KEY, PASSWORD, TOKEN = "sk_live_51HxQ2e8Zt", "hunter2-Buyer-Pass", "tok_9f8e7d6c5b4a"
ENV = {"SHOP_KEY": KEY, "SHOP_PASS": PASSWORD, "SHOP_TOKEN": TOKEN}


def secret_offers(tmp_path, sites, notify_yaml="urls: []"):
    shop = sites()
    shop.set("walnut", product_page("12.00"))
    shop.set("gone", "no such page", 404)
    base = shop.url("")  # http://127.0.0.1:PORT/p/
    authenticated = base.replace("http://", "http://buyer:${SHOP_PASS}@")  # Scrapy refuses it, and says why
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{base}walnut?key=${{SHOP_KEY}}"}}
        - {{supplier: corner, url: "{base}gone?key=${{SHOP_KEY}}&lang=en"}}
        - {{supplier: berger, url: "{authenticated}walnut"}}
        - {{supplier: corner, id: token-in-path, url: "{base}${{SHOP_TOKEN}}/walnut"}}
    """, notify_yaml=notify_yaml)
    return shop


def everything_written(directory) -> str:
    """The database (every row of every table), and every log, as text."""
    dump = "\n".join(sqlite3.connect(directory / "supplywatch.db").iterdump())
    return dump + "".join(p.read_text() for p in (directory / "logs").iterdir())


def test_offer_url_secrets_stay_out_of_messages_logs_and_the_database(tmp_path, sites, sink):
    shop = secret_offers(tmp_path, sites, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    run = supplywatch("run", cwd=tmp_path, env=ENV)
    assert run.returncode == 1, run.stderr  # the page that is gone: partial
    assert shop.requests("walnut")[0].args["key"] == KEY  # the supplier still gets the key
    status = supplywatch("status", cwd=tmp_path, env=ENV)
    assert status.returncode == 0, status.stderr
    check = supplywatch("check", cwd=tmp_path, env=ENV)
    assert check.returncode == 0, check.stderr
    assert f"{shop.url('gone')}?key=${{SHOP_KEY}}&lang=en" in check.stdout  # as the owner wrote it
    (digest,) = [m["message"] for m in sink.messages]
    assert f"Walnut at Corner Shop: the page is gone (404 Not Found): the supplier may have moved it; check the address ({shop.url('gone')})" in digest  # the page named, its secrets not
    assert f"Walnut at Holz Berger: the page could not be fetched (ValueError: invalid hostname: 127.0.0.1) ({shop.url('walnut')})" in digest
    assert f"Walnut at Corner Shop: the page is gone (404 Not Found): the supplier may have moved it; check the address ({shop.url('')}${{SHOP_TOKEN}}/walnut)" in digest  # a token in the path too
    log = (tmp_path / "logs" / "run-1.log").read_text()
    assert f"Error downloading <GET {shop.url('walnut')}>: invalid hostname: 127.0.0.1" in log  # Scrapy's words, without them
    for place in (digest, run.stdout, run.stderr, status.stdout, status.stderr, check.stdout, check.stderr, everything_written(tmp_path)):
        assert KEY not in place and PASSWORD not in place and "buyer" not in place and TOKEN not in place
    db = sqlite3.connect(tmp_path / "supplywatch.db")
    urls = dict(db.execute("SELECT id, url FROM offers"))
    assert urls["walnut@corner"] == f"{shop.url('gone')}?key=${{SHOP_KEY}}&lang=en"  # where the value came from, not what it is


def test_scrapyd_node_password_stays_out_of_the_output_and_the_run(tmp_path, sites):
    secret_offers(tmp_path, sites)
    with socket.socket() as s:  # a port where no scrapyd answers
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = supplywatch("run", "--via", "scrapyd", f"http://admin:{PASSWORD}@127.0.0.1:{port}", cwd=tmp_path, env=ENV)
    assert run.returncode == 4, run.stderr  # no node to crawl on: the run crashed, and says where
    assert f"http://127.0.0.1:{port}" in run.stderr
    (message,) = sqlite3.connect(tmp_path / "supplywatch.db").execute("SELECT message FROM runs").fetchone()
    assert f"127.0.0.1:{port}" in message
    for place in (run.stdout, run.stderr, everything_written(tmp_path)):
        assert PASSWORD not in place and "admin" not in place and TOKEN not in place


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_logs_and_backups_are_private_whatever_the_umask(tmp_path, sites):
    secret_offers(tmp_path, sites)
    careless = {**os.environ, **ENV}
    for command in (["run"], ["backup", str(tmp_path / "copy.db")]):
        result = subprocess.run(["sh", "-c", 'umask 000 && exec "$@"', "sh", sys.executable, "-m", "monitor", *command],
                                cwd=tmp_path, env=careless, capture_output=True, text=True, timeout=120)
        assert result.returncode in (0, 1), result.stderr
    assert mode(tmp_path / "supplywatch.db") == 0o600
    assert mode(tmp_path / "logs") == 0o700 and mode(tmp_path / "logs" / "run-1.log") == 0o600
    assert mode(tmp_path / "copy.db") == 0o600
    previous = os.umask(0)  # whoever opens it next, with whatever umask: SQLite gives -wal and -shm the database's mode
    try:
        reader = sqlite3.connect(tmp_path / "supplywatch.db")
        reader.execute("SELECT count(*) FROM observations").fetchone()
        assert mode(tmp_path / "supplywatch.db-wal") == 0o600 and mode(tmp_path / "supplywatch.db-shm") == 0o600
        reader.close()
    finally:
        os.umask(previous)


def test_log_cleaning_hides_secrets_and_leaves_other_formatters_their_arguments():
    """The demo crawls, then serves Datasette in the same process: the crawl's log cleaning must
    not break uvicorn's access log, which unpacks a record's arguments itself (it printed a
    'Logging error' traceback for every page the owner opened)."""
    import io
    import logging

    from uvicorn.logging import AccessFormatter

    from monitor import safe_text

    restore = safe_text.clean_log_records(lambda text: text.replace(TOKEN, "${SHOP_TOKEN}"))
    try:
        out = io.StringIO()
        handler = logging.StreamHandler(out)
        handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
        access = logging.getLogger("uvicorn.access.test")
        access.addHandler(handler)
        access.propagate, access.level = False, logging.INFO
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/material/walnut", "1.1", 200)

        plain = io.StringIO()
        scrapy_like = logging.getLogger("scrapy.test")
        scrapy_like.addHandler(logging.StreamHandler(plain))
        scrapy_like.propagate = False
        scrapy_like.error("Gave up retrying <GET %s>", f"http://127.0.0.1:1/{TOKEN}/walnut")
    finally:
        restore()
        access.removeHandler(handler)
    assert out.getvalue() == '127.0.0.1:5000 - "GET /material/walnut HTTP/1.1" 200 OK\n'
    assert plain.getvalue() == "Gave up retrying <GET http://127.0.0.1:1/${SHOP_TOKEN}/walnut>\n"
