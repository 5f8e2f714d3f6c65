"""The default rules on real history: they catch the moves that mattered, rarely ring the phone,
and never page on a one-night glitch."""

import json
from pathlib import Path

import pytest

from monitor import backtest
from tests.conftest import supplywatch

SERIES = Path(__file__).resolve().parent / "fixtures" / "series"


@pytest.fixture(scope="module")
def wti():
    series = backtest.read_series(SERIES / "wti-daily.csv", "Date", "Price")
    return series, backtest.backtest(series)


def fired(result, start, end, direction=None):
    return [e for e in result.events if e["event"] in ("fired", "escalated") and start <= e["date"] < end
            and (direction is None or e["direction"] == direction)]


def test_lumber_2021_run_up_alerts_before_the_may_peak(tmp_path):
    result = supplywatch("backtest", str(SERIES / "WPU081.csv"), "--date-column", "Date", "--price-column", "WPU081", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    before_peak = [a for a in report["alerts"] if "2021-01-01" <= a["date"] < "2021-05-01" and a["direction"] == "up"]
    assert before_peak and before_peak[0]["kind"] == "trend"
    assert {"date", "severity", "kind", "price"} <= set(report["alerts"][0])


def test_wti_alerts_in_the_2008_run_up_and_march_2022(wti):
    _, result = wti
    assert fired(result, "2007-10-01", "2008-07-15", "up")
    assert fired(result, "2022-03-01", "2022-04-01", "up")


def test_wti_forty_years_push_to_the_phone_at_most_three_times_a_year(wti):
    series, result = wti
    assert result.years > 39
    assert result.count(pushed=True) / result.years <= 3
    assert result.suspect_rows >= 1  # the negative print of 2020-04-20 was held, not alerted on


def test_one_night_glitches_add_no_push(wti):
    series, result = wti
    glitched = list(series)
    for index, factor in ((2000, 100), (5000, 0.01), (8000, 100), (9500, 0.01)):
        day, price = glitched[index]
        glitched[index] = (day, price * factor)
    again = backtest.backtest(glitched)
    pushes = lambda r: [(e["date"], e["direction"]) for e in r.events if e["pushed"]]  # noqa: E731
    assert pushes(again) == pushes(result)
    assert again.suspect_rows == result.suspect_rows + 4


def test_backtest_names_a_missing_column(tmp_path):
    result = supplywatch("backtest", str(SERIES / "WPU081.csv"), "--date-column", "Day", "--price-column", "WPU081", cwd=tmp_path)
    assert result.returncode == 1 and "no column 'Day'" in result.stderr
