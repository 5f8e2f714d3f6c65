"""What the owner reads in the terminal: prices now, what a quote stored, what a batch costs,
silences, backtests of a spreadsheet export, progress on a terminal and quiet under cron, and
every error on one line saying what to do."""

import json
import os
import pty
import re
import socket
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from monitor import config as config_module, pipeline
from monitor.cli import cli
from tests.conftest import product_page, supplywatch, write_config

LUMBER = """
- id: walnut
  name: Black walnut
  unit: board_foot
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/walnut"}
    - {supplier: corner, url: "http://127.0.0.1:9/walnut-corner"}
- id: flour
  name: Rye flour
  unit: kg
  offers:
    - {supplier: berger, url: "http://127.0.0.1:9/roggen", pack: 5 kg}
"""


def invoke(tmp_path, *args):
    """The real CLI in this process (fast), from the config's folder."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def quotes(tmp_path, prices):
    config = config_module.load(tmp_path / "supplywatch.yml")
    for day, offer, price in prices:
        pipeline.add_price(config, offer, price, f"{day}T12:00:00+00:00", echo=lambda _: None)


def test_a_unit_typo_is_refused_with_what_was_meant(tmp_path):
    write_config(tmp_path, LUMBER.replace("unit: kg", "unit: kilos"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "materials[1].unit: 'kilos' is not a unit materials are sold in (it reads as kilosecond, a time); did you mean kg?" in result.stderr
    write_config(tmp_path, LUMBER.replace("pack: 5 kg", "pack: 5 kilo"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2 and "materials[1].offers[0].pack" in result.stderr and "did you mean kg?" in result.stderr
    # A mix of units is told in words, not as its dimensions.
    write_config(tmp_path, LUMBER.replace("unit: kg", "unit: lb ft"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "materials[1].unit: 'lb ft' is not a unit materials are sold in (it reads as foot * pound, a mix of units)" in result.stderr
    assert "**" not in result.stderr and "[mass]" not in result.stderr


def test_a_unit_written_as_messages_show_it_is_read_as_that_unit(tmp_path):
    # "fl oz" and "bd ft" as every message writes them (pint alone reads femtolitre times ounce, and no "bd ft").
    write_config(tmp_path, LUMBER.replace("unit: kg", "unit: fl oz").replace("pack: 5 kg", "pack: 16 fl oz"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    write_config(tmp_path, LUMBER.replace('url: "http://127.0.0.1:9/walnut"}', 'url: "http://127.0.0.1:9/walnut", pack: 10 bd ft}'))
    assert supplywatch("check", cwd=tmp_path).returncode == 0
    counted = supplywatch("stock", "walnut", "30 bd ft", cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    assert "Counted 30 bd ft" in counted.stdout, counted.stdout


def test_check_names_each_offer_and_gives_the_id_to_type_below_it(tmp_path):
    write_config(tmp_path, LUMBER)
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # no pack in the config: the run reads it from the page, so check must not promise "1 bd ft"
    offer = lines.index("    Black walnut at Acme Lumber: pack read from the page (1 bd ft if it states none), "
                        "price read from the shop data on the page")
    assert lines[offer + 1:offer + 3] == ["        http://127.0.0.1:9/walnut", "        (type walnut@acme in add-price, silence)"]
    material = lines.index("  Black walnut, priced per bd ft; rules: change, trend, runup, stale, stock (the defaults)")
    assert lines[material + 1] == "      (type walnut in prices, stock, bought, order, whatif, silence)"
    # an id shows only as the thing to type, in brackets on a line of its own
    assert all(line.lstrip().startswith("(type ") for line in lines if "walnut@" in line or "flour@" in line)
    assert "Rye flour at Holz Berger: 5 kg" in result.stdout


def test_check_lists_products_in_units_of_words_and_warns_about_the_example_contact(tmp_path):
    write_config(tmp_path, LUMBER.replace("unit: board_foot", "unit: board_foot\n  density: 0.6 kg/L").replace("Black walnut", "Walnut"),
                 extra="units: {loaf: each}\nproducts:\n  - {id: bread, name: Rye bread, yield: 12 loaves, price: 4.5, recipe: {flour: 4 kg}}\n")
    text = (tmp_path / "supplywatch.yml").read_text().replace("owner@example.com", "you@example.com")
    (tmp_path / "supplywatch.yml").write_text(text)
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "crawl.contact is still the example address you@example.com" in result.stderr
    assert "  Walnut, priced per bd ft" in result.stdout and "  Rye flour, priced per kg" in result.stdout
    assert "Products (1):\n  Rye bread: one batch makes 12 loaves, sells at $4.50 a loaf" in result.stdout
    assert "4 kg  Rye flour" in result.stdout


def days_ago(days):
    return (date.today() - timedelta(days=days)).isoformat()


def test_prices_shows_the_cheapest_landed_price_moves_and_flags(tmp_path):
    write_config(tmp_path, LUMBER)
    quotes(tmp_path, [(days_ago(31), "walnut@acme", "12.00"), (days_ago(31), "walnut@corner", "13.00"), (days_ago(31), "flour@berger", "10.00"),
                      (days_ago(8), "walnut@acme", "12.60"), (days_ago(1), "walnut@acme", "13.86"), (days_ago(1), "walnut@corner", "12.50"),
                      (days_ago(0), "walnut@acme", "1.30")])  # a typo: held back as suspect
    result = invoke(tmp_path, "prices", "walnut")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Black walnut, per bd ft (landed: shipping and fees included)"
    corner = next(line for line in lines if "Corner Shop" in line)
    acme = next(line for line in lines if "Acme Lumber" in line)
    assert corner.startswith("  * ") and "$12.50/bd ft" in corner and "-3.8%" in corner  # cheapest; 30 days against $13.00
    assert "$13.86/bd ft" in acme and "+10.0%" in acme and "+15.5%" in acme  # 7 days against $12.60, 30 against $12.00
    assert "newest fetch" in acme and "held back as suspect" in acme
    assert "Rye flour" not in result.output
    data = json.loads(invoke(tmp_path, "prices", "--json").output)
    flour = next(m for m in data["materials"] if m["material"] == "flour")
    (berger,) = flour["offers"]
    assert flour["unit_label"] == "kg" and berger["landed_unit_price"] == pytest.approx(2.2) and berger["pack"] == "5 kg"
    assert berger["stale"] is True and berger["cheapest"] is False  # a month old: not "the cheapest now"
    assert invoke(tmp_path, "prices", "teak").exit_code == 2


def test_add_price_says_what_it_stored_and_when_it_was_held_back(tmp_path):
    write_config(tmp_path, LUMBER.replace("pack: 5 kg", "pack: 25 kg"))
    result = supplywatch("add-price", "flour@berger", "1050", "--pack", "5 kg", "--date", "2026-03-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Stored €1,050.00 per 5 kg = $231.00/kg for Rye flour at Holz Berger, 1 Mar 2026" in result.stdout
    for day in ("2026-03-02", "2026-03-03"):
        assert supplywatch("add-price", "flour@berger", "1050", "--pack", "5 kg", "--date", day, cwd=tmp_path).returncode == 0
    typo = supplywatch("add-price", "flour@berger", "35", "--pack", "5 kg", "--date", "2026-03-04", cwd=tmp_path)
    assert typo.returncode == 1
    assert "Recorded, but held back as suspect, €35.00 per 5 kg = $7.70/kg" in typo.stdout
    assert "Not used by the rules: implausible jump: $7.70/kg is 1/30 of its recent median of $231.00/kg" in typo.stderr
    # The run is what it is: a price held back, waiting to be confirmed; not a failed run with "no price at all".
    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    last = status.stdout.splitlines()[1]  # the newest run
    assert "price added by hand  held back  1 price held back as suspect (not used until confirmed)" in last
    assert "failed" not in last and "no price at all" not in last and "0 prices" not in last
    runs = sqlite3.connect(tmp_path / "supplywatch.db").execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert runs == [("ok",)] * 3 + [("partial",)]
    walnut = supplywatch("add-price", "walnut@acme", "17.90", "--date", "2026-03-04", cwd=tmp_path)
    assert walnut.returncode == 0, walnut.stderr
    assert "Stored $17.90/bd ft for Black walnut at Acme Lumber, 4 Mar 2026" in walnut.stdout  # not "$17.90 per bd ft = $17.90/bd ft"
    # $17.89 a bd ft rounds to the same cents, but the price bought a little more than one: the pack is said
    near = supplywatch("add-price", "walnut@acme", "17.90", "--pack", "1.0002 board_foot", "--date", "2026-03-05", cwd=tmp_path)
    assert near.returncode == 0, near.stderr
    assert "Stored $17.90 per 1.0002 bd ft = $17.90/bd ft for Black walnut at Acme Lumber, 5 Mar 2026" in near.stdout, near.stdout
    bad = supplywatch("add-price", "flour@berger", "12", "--pack", "5 kilos", cwd=tmp_path)
    assert bad.returncode == 2 and "did you mean kg?" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_add_price_in_another_currency_than_the_suppliers_is_converted(tmp_path):
    """`add-price walnut@acme 15 --currency EUR` (a quote in euros from a dollar supplier) was held
    back as "currency EUR differs from the supplier's USD" and never priced, however often typed
    (README walk): the owner said the currency, so it is converted at the config's rate."""
    write_config(tmp_path, LUMBER)
    result = supplywatch("add-price", "walnut@acme", "15", "--currency", "EUR", "--date", "2026-03-01", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stored €15.00 per bd ft = $16.50/bd ft for Black walnut at Acme Lumber, 1 Mar 2026" in result.stdout
    unknown = supplywatch("add-price", "walnut@acme", "15", "--currency", "CHF", "--date", "2026-03-02", cwd=tmp_path)
    assert unknown.returncode == 1 and "no exchange rate from CHF to USD" in unknown.stderr


def test_silences_are_listed_lifted_and_never_doubled(tmp_path):
    write_config(tmp_path, LUMBER)
    assert invoke(tmp_path, "silence", "walnut", "--for", "3d", "--reason", "bought a year's stock").exit_code == 0
    again = invoke(tmp_path, "silence", "Black walnut", "--for", "14d")  # by name this time
    assert again.exit_code == 0 and again.output.startswith("Silenced Black walnut (material) until ")
    assert invoke(tmp_path, "silence", "Holz Berger", "--for", "1w").exit_code == 0
    listed = invoke(tmp_path, "silence", "--list")
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == 2
    assert "Black walnut (material): silenced until" in listed.output and "(bought a year's stock)" in listed.output
    assert not re.search(r"\d{4}-\d\d-\d\d", listed.output)  # "until 7 Dec 2026 18:04 UTC", as `silence` said it
    status = invoke(tmp_path, "status")
    silences = status.output[status.output.index("Silences (2):"):]
    assert status.exit_code == 0 and "Holz Berger (supplier) until " in silences and not re.search(r"\d{4}-\d\d-\d\d", silences)
    db = sqlite3.connect(tmp_path / "supplywatch.db")
    assert db.execute("SELECT count(*) FROM silences WHERE until > datetime('now')").fetchone()[0] == 2
    lifted = invoke(tmp_path, "silence", "walnut", "--lift")
    assert lifted.exit_code == 0 and "silence lifted" in lifted.output
    assert invoke(tmp_path, "silence", "--list").output.splitlines() == [
        next(line for line in listed.output.splitlines() if "Holz Berger" in line)]
    assert invoke(tmp_path, "silence", "walnut", "--lift").output.strip() == "Black walnut (material) was not silenced."


def test_backtest_reads_a_spreadsheet_export_and_says_which_cell_it_cannot_read(tmp_path):
    rows = ["Date,Price"] + [f"{m:02d}/{d:02d}/2024,\"${1120 + (d % 5) + (300 if (m, d) >= (3, 10) else 0):,}.67\""
                             for m in (1, 2, 3) for d in range(1, 29)]
    (tmp_path / "bags.csv").write_text("\n".join(rows) + "\n")
    write_config(tmp_path, LUMBER.replace("unit: kg", "unit: kg\n  rules: [{kind: change, percent: 10, confirm: 1}]"))
    result = supplywatch("backtest", "bags.csv", "--date-column", "Date", "--price-column", "Price", "--config", "supplywatch.yml",
                         "--material", "flour", "--pack", "50 lb", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Rye flour: each price buys 50 lb, compared per kg, in USD.")
    assert "84 nights from 1 Jan 2024 to 28 Mar 2024 (87 days)" in result.stdout and "a year" not in result.stdout
    # The material by name, not "at bags.csv" (a file in a supplier's place read as jargon).
    assert "Rye flour up" in result.stdout and "at bags.csv" not in result.stdout and "/kg" in result.stdout  # $1,123.67 a bag is $49.54/kg
    assert "the series" not in result.stdout
    (tmp_path / "bad.csv").write_text("Date,Price\n01/02/2024,$12.00\n2024-13-45,$12.50\n")
    bad = supplywatch("backtest", "bad.csv", "--date-column", "Date", "--price-column", "Price", cwd=tmp_path)
    assert bad.returncode == 1 and "line 3: cannot read the date '2024-13-45' in column 'Date'" in bad.stderr
    (tmp_path / "bad.csv").write_text("Date,Price\n01/02/2024,$12.00\n01/03/2024,call us\n")
    bad = supplywatch("backtest", "bad.csv", "--date-column", "Date", "--price-column", "Price", cwd=tmp_path)
    assert bad.returncode == 1 and "line 3: cannot read the price 'call us' in column 'Price'" in bad.stderr
    lonely = supplywatch("backtest", "bags.csv", "--date-column", "Date", "--price-column", "Price", "--material", "flour", cwd=tmp_path)
    assert lonely.returncode == 2 and "--material picks a material of a config: add --config supplywatch.yml" in lonely.stderr


def test_cost_says_out_of_stock_and_shows_no_total_before_any_price(tmp_path, sites):
    shop = sites()
    write_config(tmp_path, f"""
    - id: glue
      name: Wood glue
      unit: gal
      offers: [{{supplier: acme, url: "{shop.set('glue', product_page('40.00', in_stock=False))}"}}]
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{shop.set('walnut', product_page('12.00'))}"}}]
    """, extra="products:\n  - {id: table, name: Side table, yield: 1 table, recipe: {walnut: 12 board_foot, glue: 12 floz}}\n")
    before = supplywatch("cost", "table", cwd=tmp_path)
    assert before.returncode == 1 and "no database yet" in before.stderr
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_OK
    result = supplywatch("cost", "table", cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stderr  # incomplete: a script can tell
    assert "12 fl oz  out of stock at every supplier" in result.stdout and "12 bd ft  x   $12.00/bd ft" in result.stdout
    assert "INCOMPLETE: $144.00 for the priced lines only" in result.stdout
    early = supplywatch("cost", "table", "--at", "2020-01-01", cwd=tmp_path)
    assert early.returncode == pipeline.EXIT_PARTIAL and "0.00" not in early.stdout and "No line has a valid price" in early.stdout


def one_line_error(result, *words):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_every_error_is_one_line_saying_what_to_do(tmp_path):
    write_config(tmp_path, LUMBER)
    no_cron = supplywatch("schedule", "--install", "cron", cwd=tmp_path, env={"PATH": os.path.dirname(sys.executable)})
    one_line_error(no_cron, "no `crontab` program", "--install systemd")
    one_line_error(supplywatch("schedule", "--install", "cron", "--crontab-file", "nope/tab", cwd=tmp_path), "does not exist")
    quotes(tmp_path, [("2026-03-01", "walnut@acme", "12.00")])
    one_line_error(supplywatch("backup", "no/such/folder/copy.db", cwd=tmp_path), "does not exist: create it first (mkdir -p")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        one_line_error(supplywatch("serve", "--port", str(port), cwd=tmp_path), f"port {port} on 127.0.0.1 is already in use", f"--port {port + 1}")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        free = closed.getsockname()[1]
    unreachable = supplywatch("probe", f"http://127.0.0.1:{free}/walnut", cwd=tmp_path)
    one_line_error(unreachable, "refused the connection")
    assert unreachable.stdout == ""  # no Scrapy log on the way
    db = sqlite3.connect(tmp_path / "supplywatch.db")
    db.execute("PRAGMA user_version = 99")
    db.close()
    one_line_error(supplywatch("status", cwd=tmp_path), "newer supplywatch")


def test_run_under_cron_prints_one_line_and_on_a_terminal_shows_progress_and_what_changed(tmp_path, sites, sink):
    shop = sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{shop.set('walnut', product_page('12.00'))}"}}
        - {{supplier: corner, url: "{shop.set('walnut-2', product_page('12.40'))}"}}
    """, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]')
    cron = supplywatch("run", cwd=tmp_path)
    assert cron.returncode == 0, cron.stderr
    assert cron.stdout.splitlines() == [line for line in cron.stdout.splitlines() if line.startswith("run 1: ok:")] and cron.stderr == ""
    shop.set("walnut", product_page("13.20"))
    leader, follower = pty.openpty()
    process = subprocess.run([sys.executable, "-m", "monitor", "run"], cwd=tmp_path, stdout=follower, stderr=follower, timeout=120)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    text = seen.decode()
    assert process.returncode == 0, text
    assert "Fetched 2 of 2 offers: Acme Lumber 1/1, Corner Shop 1/1" in text
    assert "What changed:" in text and "Black walnut at Acme Lumber  $12.00/bd ft -> $13.20/bd ft (+10.0%)" in text
    assert "Corner Shop" not in text.split("What changed:")[1].split("run 2")[0]  # unchanged: not listed


def a_night_with_a_gone_page(tmp_path, sites, notify_yaml: str = "urls: []") -> None:
    """One offer whose page answers 404, crawled once (a partial night)."""
    shop = sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers: [{{supplier: acme, url: "{shop.set('walnut', 'gone', status=404)}"}}]
    """, notify_yaml=notify_yaml)
    assert supplywatch("run", cwd=tmp_path).returncode == pipeline.EXIT_PARTIAL


def test_status_says_an_offer_never_priced_has_no_valid_price_yet(tmp_path, sites):
    a_night_with_a_gone_page(tmp_path, sites)
    result = supplywatch("status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("  Black walnut at Acme Lumber: "))
    assert line.endswith("; no valid price yet") and "never" not in line, line


def test_status_and_notify_test_name_an_undelivered_message_by_its_tag_in_words(tmp_path, sites):
    a_night_with_a_gone_page(tmp_path, sites, notify_yaml='urls:\n  - url: "json://127.0.0.1:9/nobody"\n    tags: [digest]')
    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    waiting = next(line for line in status.stdout.splitlines() if line.startswith("  supplywatch, "))
    assert "(to the URLs tagged digest; 1 attempt; last error: " in waiting, waiting
    tested = supplywatch("notify-test", cwd=tmp_path)
    assert tested.returncode == 1
    assert "Error: 1 of 1 URL did not get the test message; fix them and try again" in tested.stderr, tested.stderr


def test_bought_names_the_one_argument_that_is_wrong(tmp_path):
    write_config(tmp_path, LUMBER)
    no_unit = supplywatch("bought", "flour", "2", "--price", "10", cwd=tmp_path)
    one_line_error(no_unit, "Invalid value for QUANTITY: '2': '2' has no unit")
    nobody = supplywatch("bought", "flour", "2 kg", "--supplier", "nobody", cwd=tmp_path)
    one_line_error(nobody, "Invalid value for --supplier: unknown supplier 'nobody'")
    free = supplywatch("bought", "flour", "2 kg", "--price", "0", cwd=tmp_path)
    one_line_error(free, "Invalid value for --price: a price must be above zero")


def test_a_percent_unit_is_refused_as_a_plain_number_not_a_dimensionless(tmp_path):
    write_config(tmp_path, LUMBER.replace("unit: kg", "unit: percent"))
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "materials[1].unit: 'percent' is not a unit materials are sold in (it reads as percent, a plain number)" in result.stderr
    assert "dimensionless" not in result.stderr
