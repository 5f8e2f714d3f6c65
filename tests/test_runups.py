"""The run-up finder, the yardstick of the spike rule: what it calls a run-up on made-up and real
series, and properties that hold for any series."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from monitor import backtest
from monitor.runups import find_runups, rising_legs

SERIES = Path(__file__).resolve().parent / "fixtures" / "series"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 150))


def daily(prices, start=date(2020, 1, 1)):
    return [((start + timedelta(days=i)).isoformat(), float(p)) for i, p in enumerate(prices)]


def ramp(a, b, n):
    return [a + (b - a) * i / n for i in range(1, n + 1)]


def test_a_climb_of_forty_percent_is_one_run_up_from_its_trough_to_its_peak():
    series = daily([100] * 400 + ramp(100, 140, 100) + ramp(140, 100, 60))
    (found,) = find_runups(series)
    assert (found.trough_date, found.start_date, found.peak_date) == (series[399][0], series[399][0], series[499][0])
    assert found.rise_percent == pytest.approx(40)
    assert not found.rebound and not found.ongoing
    assert found.share_behind(120) == pytest.approx(0.5)


def test_a_dip_smaller_than_the_interruption_stays_inside_the_run_up():
    series = daily([100] * 400 + ramp(100, 130, 60) + ramp(130, 110, 20) + ramp(110, 160, 60) + ramp(160, 100, 40))
    (found,) = find_runups(series)
    assert found.rise_percent == pytest.approx(60) and found.start_date == series[399][0]


def test_a_fall_of_twenty_percent_splits_two_run_ups():
    series = daily([100] * 400 + ramp(100, 140, 60) + ramp(140, 105, 30) + ramp(105, 150, 60) + ramp(150, 100, 40))
    first, second = find_runups(series)
    assert first.peak_date < second.trough_date
    assert first.rise_percent == pytest.approx(40) and second.start == pytest.approx(105)


def test_a_rebound_to_the_usual_level_after_a_crash_is_not_a_run_up():
    series = daily([100] * 400 + ramp(100, 40, 20) + [40] * 30 + ramp(40, 110, 90) + ramp(110, 80, 30))
    assert find_runups(series) == []
    (rebound,) = find_runups(series, rebounds=True)
    assert rebound.trough == 40 and rebound.start == 100


def test_a_rebound_that_goes_on_far_past_the_usual_level_counts_from_the_usual_level():
    series = daily([100] * 400 + ramp(100, 40, 20) + [40] * 30 + ramp(40, 150, 90) + ramp(150, 100, 30))
    (found,) = find_runups(series)
    assert found.start == 100 and found.trough == 40 and found.rebound
    assert found.rise_percent == pytest.approx(50)
    assert found.start_date == next(d for d, p in series[450:] if p >= 100)


def test_a_climb_of_decades_counts_only_its_last_two_years():
    series = [((date(1950, 1, 1) + timedelta(days=30 * i)).isoformat(), 10 * 1.015 ** i) for i in range(600)]
    (found,) = find_runups(series)
    assert date.fromisoformat(found.peak_date) - date.fromisoformat(found.start_date) == timedelta(days=30 * 24)
    assert found.rise_percent == pytest.approx((1.015 ** 24 - 1) * 100)
    assert found.ongoing  # the history ends at its highest price


def test_prices_at_or_below_zero_are_refused():
    with pytest.raises(ValueError, match="above zero"):
        find_runups(daily([10, 0, 12]))


def test_real_lumber_2020_21_is_a_run_up_of_more_than_a_hundred_percent_peaking_in_may_2021():
    lumber = backtest.read_series(SERIES / "WPU081.csv", "Date", "WPU081")
    found = {r.peak_date: r for r in find_runups(lumber)}
    assert found["2021-05-01"].rise_percent > 100
    assert "2020-04-01" <= found["2021-05-01"].start_date <= "2020-06-01"


def test_real_wti_2008_and_2022_run_ups_and_the_may_2020_rebound():
    wti = [(d, p) for d, p in backtest.read_series(SERIES / "wti-daily.csv", "Date", "Price") if p > 0]
    peaks = {r.peak_date for r in find_runups(wti)}
    assert {"2008-07-03", "2022-03-08"} <= peaks
    rebounds = find_runups(wti, rebounds=True)
    assert any(r.trough_date.startswith("2020-04") for r in rebounds)
    assert not any(r.start_date.startswith(("2020-04", "2020-05")) for r in find_runups(wti))


# ---- properties ------------------------------------------------------------------------------

PRICES = st.lists(st.floats(min_value=0.5, max_value=2000, allow_nan=False, allow_infinity=False), min_size=1, max_size=300)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(prices=PRICES)
def test_every_run_up_rises_thirty_percent_from_its_start_uninterrupted(prices):
    series = daily(prices)
    index = {d: i for i, (d, _) in enumerate(series)}
    previous_peak = -1
    for found in find_runups(series):
        start, peak = index[found.start_date], index[found.peak_date]
        assert index[found.trough_date] <= start <= peak and index[found.trough_date] > previous_peak
        assert found.peak >= found.start * 1.3 - 1e-9 and found.start >= found.trough
        assert found.peak == max(prices[start:peak + 1])
        high = prices[index[found.trough_date]]
        for price in prices[index[found.trough_date]:peak + 1]:
            assert price > high * 0.8  # no fall of 20 % inside it
            high = max(high, price)
        previous_peak = peak


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(prices=PRICES, scale=st.floats(min_value=0.01, max_value=100))
def test_run_ups_do_not_depend_on_the_unit_of_the_price(prices, scale):
    series = daily(prices)
    scaled = [(d, p * scale) for d, p in series]
    same = [(r.start_date, r.peak_date) for r in find_runups(scaled)]
    # Rounding may only decide a rise within a hair of 30 %: compare the clear ones.
    clear = [(r.start_date, r.peak_date) for r in find_runups(series) if abs(r.rise_percent - 30) > 1e-6]
    assert set(clear) <= set(same)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(prices=PRICES)
def test_rising_legs_are_in_order_and_each_rises(prices):
    legs = rising_legs(prices, 20)
    for (low, high), (next_low, _) in zip(legs, legs[1:]):
        assert high < next_low
    assert all(prices[high] > prices[low] for low, high in legs)
