"""Running unattended: scheduling, the daemon, backups, a log and crawl health for every run,
and no secret in the database, the log or the status output."""

import json
import sqlite3

import sqlite_utils

from tests.conftest import product_page, supplywatch, write_config


def simple_config(tmp_path, sites, notify_yaml="urls: []"):
    shop = sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{shop.set('walnut', product_page('12.00'))}"}}, {{supplier: corner, url: "{shop.set('gone', 'x', 404)}"}}]
    """, notify_yaml=notify_yaml)
    return shop


def test_schedule_prints_and_installs_the_crontab_line(tmp_path, sites):
    simple_config(tmp_path, sites)
    printed = supplywatch("schedule", "--at", "03:15", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "15 3 * * *" in printed.stdout and f"run --config {tmp_path / 'supplywatch.yml'}" in printed.stdout
    assert "OnCalendar=*-*-* 03:15:00" in printed.stdout and "[Install]" in printed.stdout
    tab = tmp_path / "crontab"
    tab.write_text("MAILTO=owner@example.com\n0 * * * * echo unrelated\n")
    for _ in range(2):  # installing twice keeps one line
        assert supplywatch("schedule", "--install", "cron", "--crontab-file", str(tab), cwd=tmp_path).returncode == 0
    lines = tab.read_text().splitlines()
    assert any(line.endswith("echo unrelated") for line in lines)  # the owner's other jobs stay
    assert len([line for line in lines if "supplywatch" in line and line.startswith("30 2")]) == 1
    assert supplywatch("schedule", "--at", "25:00", cwd=tmp_path).returncode == 2


def test_daemon_runs_each_job_in_a_fresh_process(tmp_path, sites):
    simple_config(tmp_path, sites)
    result = supplywatch("daemon", "--every", "0.5", "--runs", "2", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("finished with exit code 1") == 2  # one page is gone: partial, each time
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM runs WHERE source = 'crawl'").fetchone()[0] == 2


def test_every_run_keeps_a_log_and_its_crawl_health(tmp_path, sites):
    simple_config(tmp_path, sites)
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # partial: a page gave no valid price tonight
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    (run,) = db.query("SELECT * FROM runs")
    health = json.loads(run["crawl_stats"])
    assert health["finish_reason"] == "finished" and health["downloader/response_status_count/404"] == 1
    assert json.loads(run["suppliers_json"])["corner"]["http_errors"] == {"404": 1}
    log = (tmp_path / "logs" / "run-1.log").read_text()
    assert "Spider closed (finished)" in log and log.rstrip().endswith(run["message"])
    assert "run-1.log" in supplywatch("status", cwd=tmp_path).stdout


def test_backup_is_a_consistent_copy_while_a_reader_holds_the_database(tmp_path, sites):
    simple_config(tmp_path, sites)
    assert supplywatch("run", cwd=tmp_path).returncode == 1  # partial: a page gave no valid price tonight
    reader = sqlite3.connect(tmp_path / "supplywatch.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM observations").fetchone()  # Datasette reading meanwhile
    result = supplywatch("backup", str(tmp_path / "copy.db"), cwd=tmp_path)
    reader.rollback()
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM observations").fetchone()[0] == 2
    assert supplywatch("backup", str(tmp_path / "copy.db"), cwd=tmp_path).returncode == 1  # never overwrites


def test_notification_secrets_never_reach_the_database_logs_or_status(tmp_path, sites, sink, monkeypatch):
    token = "-".join(("sw", "test", "9f8e7d6c5b4a"))  # made here: no credential-looking string in a tracked file
    sink.failing = True
    simple_config(tmp_path, sites, notify_yaml=f'urls: [{{url: "json://127.0.0.1:{sink.server.port}/notify?token=${{SW_TOKEN}}", tags: [digest]}}]')
    result = supplywatch("run", cwd=tmp_path, env={"SW_TOKEN": token})
    assert result.returncode == 1
    status = supplywatch("status", cwd=tmp_path, env={"SW_TOKEN": token})
    dump = "\n".join(sqlite3.connect(tmp_path / "supplywatch.db").iterdump())
    logs = "".join(p.read_text() for p in (tmp_path / "logs").iterdir())
    for place in (dump, logs, status.stdout, status.stderr, result.stdout, result.stderr):
        assert token not in place
