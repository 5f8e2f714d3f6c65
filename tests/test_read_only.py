"""Commands that only look (status, cost, serve, backup) work on a read-only database in a read-only
folder and never change it; a database from a newer supplywatch is refused by every command with one
line and exit 2, byte for byte as it was."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import FIXTURES, SupplierSite, product_page, serve_process, supplywatch, without_root_powers, write_config

PRODUCT = """
products:
  - id: board
    name: Cutting board
    yield: 1 each
    recipe: {walnut: 2 board_foot}
"""


@pytest.fixture(scope="module")
def one_night(tmp_path_factory):
    """A config and the database of one crawled night, made once and copied by each test."""
    folder = tmp_path_factory.mktemp("one-night")
    shop = SupplierSite()
    try:
        write_config(folder, f'- {{id: walnut, name: Walnut, unit: board_foot, offers: [{{supplier: acme, url: "{shop.set("w", product_page("12.00"))}"}}]}}',
                     extra=PRODUCT)
        assert supplywatch("run", cwd=folder).returncode == 0
    finally:
        shop.stop()
    return folder


@pytest.fixture
def crawled(tmp_path, one_night):
    for name in ("supplywatch.yml", "supplywatch.db"):
        shutil.copy(one_night / name, tmp_path / name)
    return tmp_path


def fingerprint(directory) -> dict[str, str]:
    """Every file of a folder and a hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


def unprivileged(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*without_root_powers(), sys.executable, "-m", "monitor", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def read_only_folder(crawled, tmp_path):
    """A crawled database, the file and its folder made read-only (as on a mounted backup)."""
    for name in ("supplywatch.db", "supplywatch.yml"):
        os.chmod(tmp_path / name, 0o444)
    os.chmod(tmp_path, 0o555)
    yield tmp_path
    os.chmod(tmp_path, 0o755)


def test_looking_works_on_a_read_only_database_in_a_read_only_folder(read_only_folder, tmp_path_factory):
    before = fingerprint(read_only_folder)
    status = unprivileged("status", cwd=read_only_folder)
    assert status.returncode == 0, status.stderr
    assert "1 price from 1 offer; no new alerts" in status.stdout
    cost = unprivileged("cost", "board", cwd=read_only_folder)
    assert cost.returncode == 0, cost.stderr
    assert "Walnut" in cost.stdout and "24.00" in cost.stdout
    copy = tmp_path_factory.mktemp("usb") / "copy.db"
    backup = unprivileged("backup", str(copy), cwd=read_only_folder)
    assert backup.returncode == 0, backup.stderr
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM observations").fetchone()[0] == 1
    nowhere = unprivileged("backup", str(read_only_folder / "copy.db"), cwd=read_only_folder)
    assert nowhere.returncode == 1 and "cannot write the copy" in nowhere.stderr and "Traceback" not in nowhere.stderr
    with serve_process(read_only_folder, prefix=without_root_powers()) as (base, _):
        with urllib.request.urlopen(f"{base}/supplywatch/offers.json?_shape=array") as response:
            assert [row["id"] for row in json.load(response)] == ["walnut@acme"]
    run = unprivileged("run", cwd=read_only_folder)  # the nightly job needs to write: it says so
    assert run.returncode == 2 and "is read-only here" in run.stderr and "Traceback" not in run.stderr
    assert fingerprint(read_only_folder) == before


def test_looking_never_writes_to_a_read_only_file(crawled, tmp_path):
    os.chmod(tmp_path / "supplywatch.db", 0o444)
    before = hashlib.sha256((tmp_path / "supplywatch.db").read_bytes()).hexdigest()
    for command in (["status"], ["cost", "board"]):
        result = unprivileged(*command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert hashlib.sha256((tmp_path / "supplywatch.db").read_bytes()).hexdigest() == before
    run = unprivileged("run", cwd=tmp_path)  # the nightly job needs to write it: it says so, and leaves no lock file
    assert run.returncode == 2 and "the file" in run.stderr and "is read-only here" in run.stderr
    assert not (tmp_path / "supplywatch.db.lock").exists()


def newer(tmp_path):
    """A database a newer supplywatch wrote: schema 99, in the rollback journal mode it chose."""
    db = sqlite3.connect(tmp_path / "supplywatch.db")
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA user_version = 99")
    db.close()
    return fingerprint(tmp_path)


@pytest.mark.parametrize("command", [["run"], ["status"], ["cost", "board"], ["serve", "--port", "9"], ["silence", "walnut"],
                                     ["add-price", "walnut@acme", "11.50"]])
def test_newer_schema_is_refused_untouched_with_one_line_and_exit_2(crawled, tmp_path, command):
    before = newer(tmp_path)
    result = supplywatch(*command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "written by a newer supplywatch (schema 99; this one knows up to" in line and "left as it was" in line
    assert fingerprint(tmp_path) == before  # no lock file left beside it either
    assert sqlite3.connect(tmp_path / "supplywatch.db").execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_newer_schema_feed_ingest_is_refused_the_same_way(crawled, tmp_path):
    newer(tmp_path)
    feed = tmp_path / "items.jsonl"
    feed.write_text('{"offer_id": "walnut@acme", "status": "missing", "fetched_at": "2026-01-01T00:00:00+00:00"}\n')
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == 2 and "newer supplywatch" in result.stderr and "Traceback" not in result.stderr


def test_old_schema_is_upgraded_when_writable_and_refused_cleanly_when_not(crawled, tmp_path):
    shutil.copy(FIXTURES / "schema-v5.db", tmp_path / "supplywatch.db")
    os.chmod(tmp_path / "supplywatch.db", 0o444)
    refused = unprivileged("status", cwd=tmp_path)
    assert refused.returncode == 2 and "is at schema 5" in refused.stderr and "Traceback" not in refused.stderr
    os.chmod(tmp_path / "supplywatch.db", 0o644)
    upgraded = supplywatch("status", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    from monitor.store.schema import SCHEMA_VERSION

    assert sqlite3.connect(tmp_path / "supplywatch.db").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
