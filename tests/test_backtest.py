"""The default rules on real history: they catch the moves that mattered, rarely ring the phone,
and never page on a one-night glitch. The backtest runs the nightly pipeline itself (one run per
night, with the immediate re-fetch a real night does)."""

import json
import random
import re
from pathlib import Path

import pytest

from monitor import backtest
from tests.conftest import supplywatch

SERIES = Path(__file__).resolve().parent / "fixtures" / "series"


@pytest.fixture(scope="module")
def wti():
    series = backtest.read_series(SERIES / "wti-daily.csv", "Date", "Price")
    return series, backtest.backtest(series)


@pytest.fixture(scope="module")
def brent():
    series = backtest.read_series(SERIES / "brent-daily.csv", "Date", "Price")
    return series, backtest.backtest(series)


def fired(result, start, end, direction=None):
    return [e for e in result.events if e.event in ("fired", "escalated") and start <= e.date < end
            and (direction is None or e.direction == direction)]


def pushes(result):
    return [(e.date, e.direction, e.event) for e in result.events if e.pushed]


def test_lumber_2021_run_up_alerts_before_the_may_peak(tmp_path):
    result = supplywatch("backtest", str(SERIES / "WPU081.csv"), "--date-column", "Date", "--price-column", "WPU081", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    before_peak = [a for a in report["alerts"] if "2021-01-01" <= a["date"] < "2021-05-01" and a["direction"] == "up"]
    assert before_peak and before_peak[0]["kind"] == "trend"
    assert {"date", "severity", "kind", "price"} <= set(report["alerts"][0])


@pytest.mark.parametrize("name", ["wti", "brent"])
def test_oil_alerts_in_the_2008_run_up_and_march_2022_and_pushes_at_most_one_and_a_half_times_a_year(name, request):
    series, result = request.getfixturevalue(name)
    assert result.years > 39
    assert fired(result, "2007-10-01", "2008-07-15", "up")
    assert fired(result, "2022-03-01", "2022-04-01", "up")
    assert result.count(pushed=True) / result.years <= 1.5


def test_the_negative_wti_print_is_held_not_alerted_on(wti):
    _, result = wti
    assert result.suspect_rows >= 1  # the negative print of 2020-04-20 was held, not alerted on
    assert not [e for e in result.events if e.date == "2020-04-20"]


def test_fifty_one_night_glitches_add_no_push_and_shift_none(brent):
    """x100 and /100 on the first look of 50 nights: held as suspect, cleared by the re-fetch."""
    series, clean = brent
    nights = random.Random(14).sample(range(30, len(series)), 50)
    first_looks = {i: series[i][1] * (100 if k % 2 == 0 else 0.01) for k, i in enumerate(nights)}
    glitched = backtest.backtest(series, first_looks=first_looks)
    assert pushes(glitched) == pushes(clean)
    assert [(e.date, e.event, e.direction) for e in glitched.events] == [(e.date, e.event, e.direction) for e in clean.events]
    assert glitched.suspect_rows == clean.suspect_rows + 50


def test_backtest_names_a_missing_column(tmp_path):
    result = supplywatch("backtest", str(SERIES / "WPU081.csv"), "--date-column", "Day", "--price-column", "WPU081", cwd=tmp_path)
    assert result.returncode == 1 and "no column 'Day'" in result.stderr


def test_backtest_with_an_index_and_the_buy_window_reads_both_files_and_reports_each_rule_and_both_baselines(tmp_path):
    """`backtest --index --buy-window` on the shipped aluminum mill shapes PPI and the World Bank
    aluminum price (2000-2023): the index rules' lead and firings, the verdict against a fixed
    schedule and against a schedule holding as much stock, the same figures as the library's."""
    from datetime import date, timedelta

    from monitor.decisions import backtests, indexes

    shapes = tmp_path / "mill-shapes.csv"
    shapes.write_text("Date,WPU102501\n" + "".join(line + "\n" for line in (SERIES / "WPU102501.csv").read_text().splitlines()[1:]
                                                   if line[:4] >= "2000"))
    pink = tmp_path / "pinksheet.csv"
    pink.write_text("".join(line + "\n" for line in (SERIES / "pinksheet-monthly.csv").read_text().splitlines()
                            if line[:4] >= "2000" or line.startswith("date")))
    args = ("backtest", str(shapes), "--date-column", "Date", "--price-column", "WPU102501", "--index", str(pink), "--index-column", "ALUMINUM",
            "--buy-window")
    text = supplywatch(*args, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Mill shapes: prices as they are in the file" in text.stdout
    assert "Index rules against Mill shapes with pinksheet.csv (ALUMINUM) (each value known from its period's end + 15 days)" in text.stdout
    for kind, words in (("index_rise", "expect an increase; buy ahead"), ("index_fall", "ask for a better price"),
                        ("above_index", "this rise is not the market")):
        assert f"  {kind} ({words}): fired " in text.stdout
    assert "holding as much:" in text.stdout and "than the schedule holding as much" in text.stdout

    found = json.loads(supplywatch(*args, "--json", cwd=tmp_path).stdout)
    prices = indexes.read_csv_series(shapes, "Date", "WPU102501")
    aluminum = [(d.replace(day=1), v) for d, v in indexes.read_csv_series(pink, "date", "ALUMINUM")]
    monthly = lambda rows: {(d.year, d.month): v for d, v in rows}  # noqa: E731
    lag, at_lag, same = backtests.lead(monthly(aluminum), monthly(prices))  # a monthly PPI: one price a month
    rules = found["index_rules"]
    assert (rules["lead_months"], rules["lead_correlation"], rules["same_month_correlation"]) == (lag, round(at_lag, 3), round(same, 3))
    assert set(rules["rules"]) == {"index_rise", "index_fall", "above_index"}
    assert all(r["fired"] == len(r["dates"]) and 0 <= r["borne_out"] <= r["fired"] for r in rules["rules"].values())

    bought = found["buy_window"]
    assert bought["verdict"]["short_units"] == bought["schedule"]["short_units"] == 0
    assert bought["verdict"]["units_used"] == bought["schedule"]["units_used"] == bought["days"]
    points = [indexes.IndexPoint(d, v, indexes.period_end(d, "monthly") + timedelta(days=15)) for d, v in aluminum]
    again = backtests.buy_window(prices, name="mill-shapes", index=points)
    assert bought["verdict"]["paid_per_unit"] == round(again.verdict.paid_per_unit, 4)
    every, matched = backtests.matched_schedule(prices, again)
    assert bought["matched_schedule"] == {"every_days": every, "paid_per_unit": round(matched.paid_per_unit, 4),
                                          "average_stock_days": round(matched.stock_days / again.days, 1),
                                          "saving_percent": round((1 - again.verdict.paid_per_unit / matched.paid_per_unit) * 100, 2)}
    assert date.fromisoformat(bought["first"]) >= date(2000, 1, 1)


def test_fifty_glitches_shown_all_night_count_as_nights_without_a_price_and_add_no_push():
    """The page shows x100 or /100 at the first look and again at the re-fetch: a jump of x5 or more
    waits for the next night, which shows the real price, so the glitch never counts. The night is
    then one without a price, exactly (four years of Brent around 2008, where the rules are busiest)."""
    series = backtest.read_series(SERIES / "brent-daily.csv", "Date", "Price")
    part = [night for night in series if "2006-01-01" <= night[0] < "2010-01-01"]
    nights = random.Random(18).sample(range(30, len(part)), 50)
    factor = {i: 100 if k % 2 == 0 else 0.01 for k, i in enumerate(nights)}
    glitched = backtest.backtest([(day, price * factor.get(i, 1)) for i, (day, price) in enumerate(part)])
    without = backtest.backtest([night for i, night in enumerate(part) if i not in factor])
    clean = backtest.backtest(part)
    assert glitched.suspect_rows == 50 and without.suspect_rows == clean.suspect_rows == 0
    assert [(e.date, e.event, e.direction, e.kind, e.pushed) for e in glitched.events] == [
        (e.date, e.event, e.direction, e.kind, e.pushed) for e in without.events]
    # No push added, lost or moved: a grid night the run-up rule reads without a price holds the
    # grid's last price, so the medians its climbs are judged on do not shift.
    assert pushes(glitched) and pushes(glitched) == pushes(clean)


def test_a_csv_series_is_named_by_its_material_or_its_file_in_words_never_at_the_file(tmp_path):
    """`backtest prices.csv` said "Prices at prices.csv up ...": the file in a supplier's place
    (newcomer's README walk). The series is the material (--material) or the file's name in words."""
    from tests.conftest import write_config

    prices = tmp_path / "prices.csv"
    prices.write_text((SERIES / "WPU081.csv").read_text())
    plain = supplywatch("backtest", str(prices), "--date-column", "Date", "--price-column", "WPU081", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "prices.csv up" not in plain.stdout and " at prices.csv" not in plain.stdout
    assert re.search(r"runup +Prices up \d+% since ", plain.stdout), plain.stdout[:2000]
    found = json.loads(supplywatch("backtest", str(prices), "--date-column", "Date", "--price-column", "WPU081", "--json", cwd=tmp_path).stdout)
    assert {a["target"] for a in found["alerts"]} == {"Prices"}
    write_config(tmp_path, """
- id: lumber
  name: Softwood lumber
  unit: each
  offers: [{supplier: acme, url: "http://127.0.0.1:9/lumber"}]
- id: glue
  name: Wood glue
  unit: each
  offers: [{supplier: acme, url: "http://127.0.0.1:9/glue"}]
""")
    named = supplywatch("backtest", str(prices), "--date-column", "Date", "--price-column", "WPU081", "--config", "supplywatch.yml",
                        "--material", "lumber", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert re.search(r"runup +Softwood lumber up \d+% since ", named.stdout) and "Prices" not in named.stdout
    assert "at prices.csv" not in named.stdout and "at the file" not in named.stdout
    helped = supplywatch("backtest", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "by its material's name (--material, or the config's only material), else by the file's name in words" in " ".join(helped.stdout.split())


@pytest.mark.parametrize("alerts, said", [
    (8, "about one a year"),  # 0.8 a year: said "about one every 1 years"
    (7, "about one a year"),  # 0.7 a year, a gap of 1.43 years
    (6, "about one every 2 years"),
    (10, "about one a year"),
    (14, "about one a year"),
    (16, "about 2 a year"),
    (1, "about one every 10 years"),
    (120, "about 12 a year"),
])
def test_how_often_is_said_as_a_person_would_never_one_every_1_years(alerts, said):
    """Ten years of a series with ``alerts`` alerts, none pushed: the report's rates in words."""
    result = backtest.BacktestResult(3653, "2000-01-01", "2010-01-01", events=[
        backtest.BacktestEvent(f"{2000 + n % 10}-06-01", "fired", "move", "move", "warning", "up", "Prices", 1.0, "Prices up 12%", False)
        for n in range(alerts)])
    text = backtest.report(result, "prices.csv")
    assert f"({said}, none on the phone)" in text, text
    assert "every 1 years" not in text
