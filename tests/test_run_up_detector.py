"""The run-up detector as a plain function: where a climb starts, what a crash and a typo do to it,
and what it said on real histories, night by night, before the peaks."""

import bisect
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from monitor import backtest
from monitor.rules.detectors import climb_start, held_days, median3, run_up, usual_move

SERIES = Path(__file__).resolve().parent / "fixtures" / "series"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 100))


def ramp(a, b, n):
    return [a + (b - a) * i / n for i in range(1, n + 1)]


def nightly(prices, window=365):
    """The detector's answer on every night, reading what a night would read."""
    days = list(range(len(prices)))
    return [run_up(prices[max(0, i - 2 * window):i + 1], days[max(0, i - 2 * window):i + 1], window) for i in range(len(prices))]


def test_a_steady_climb_counts_from_the_day_it_left_its_low():
    prices = [100.0] * 400 + ramp(100, 150, 100)
    rise = run_up(prices, list(range(len(prices))), 365)
    assert rise.since == 399 and rise.reference == 100 and rise.low == 100
    assert rise.level == prices[-2]  # the median of the last three: a climb is seen one night late
    assert rise.percent == pytest.approx((prices[-2] / 100 - 1) * 100)


def test_a_fall_of_twenty_percent_starts_a_new_climb():
    prices = [100.0] * 400 + ramp(100, 150, 60) + ramp(150, 110, 30) + ramp(110, 140, 30)
    rise = run_up(prices, list(range(len(prices))), 365)
    assert rise.since == 489  # the day of the lowest price
    assert rise.low == pytest.approx(111)  # a V's bottom night alone is not a level: the median of three is
    assert rise.percent == pytest.approx((prices[-2] / 111 - 1) * 100)


def test_a_smaller_dip_keeps_the_climb_going():
    prices = [100.0] * 400 + ramp(100, 150, 60) + ramp(150, 130, 20) + ramp(130, 160, 30)
    assert run_up(prices, list(range(len(prices))), 365).since == 399


def test_a_rebound_after_a_crash_is_no_rise_until_it_passes_the_usual_level():
    prices = [100.0] * 400 + ramp(100, 30, 10) + [30.0] * 30 + ramp(30, 100, 60) + ramp(100, 125, 25)
    rises = nightly(prices)
    rebound = rises[440:500]
    assert max(r.percent for r in rebound) <= 0.0  # all the way back to 100: never a rise
    last = rises[-1]
    assert last.reference == 100 and last.low == 30
    assert last.since == 499  # the day it was back at its usual level
    assert last.percent == pytest.approx((prices[-2] / 100 - 1) * 100)


def test_too_little_history_says_nothing():
    assert run_up([1.0, 2.0], [0, 1], 365) is None
    with pytest.raises(ValueError):
        run_up([1.0, 2.0, 3.0], [0, 1], 365)


def test_climb_start_and_the_median_of_three():
    assert [median3(9, 1, 5), median3(1, 100, 3), median3(2, 2, 7)] == [5, 3, 2]
    assert climb_start([5, 4, 3, 4, 5, 6], 20) == 2
    assert climb_start([5, 6, 10, 7.9, 8, 9], 20) == 3  # 10 -> 7.9 is a fall of 21 %


# ---- properties ------------------------------------------------------------------------------

CALM = st.lists(st.floats(min_value=-0.01, max_value=0.01), min_size=10, max_size=90)


def calm_prices(moves):
    """A calm series: daily moves within 1 %, kept within 10 % of where it began."""
    prices, price = [], 100.0
    for move in moves:
        price = min(110.0, max(90.0, price * (1 + move)))
        prices.append(price)
    return prices


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(moves=CALM, where=st.floats(min_value=0, max_value=1), factor=st.one_of(
    st.floats(min_value=0.01, max_value=0.5), st.floats(min_value=1.5, max_value=100)))
def test_one_odd_night_of_any_size_never_makes_a_rise(moves, where, factor):
    prices = calm_prices(moves)
    night = min(int(where * len(prices)), len(prices) - 1)
    prices[night] *= factor
    for rise in nightly(prices, window=60):
        if rise is not None:
            assert rise.percent < 25  # a calm series stays within 22 % of any of its lows
            assert rise.level != prices[night] and rise.low != prices[night]


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(prices=st.lists(st.floats(min_value=1, max_value=1000), min_size=3, max_size=120), scale=st.floats(min_value=0.01, max_value=100))
def test_a_rise_does_not_depend_on_the_unit_of_the_price(prices, scale):
    days = list(range(len(prices)))
    plain, scaled = run_up(prices, days, 60), run_up([p * scale for p in prices], days, 60)
    assert scaled.percent == pytest.approx(plain.percent, rel=1e-6, abs=1e-6)
    assert scaled.reference == pytest.approx(plain.reference * scale, rel=1e-9)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(prices=st.lists(st.floats(min_value=1, max_value=1000), min_size=3, max_size=120))
def test_the_rise_counts_from_no_lower_than_the_climbs_low_and_never_before_it(prices):
    days = list(range(len(prices)))
    rise = run_up(prices, days, 60)
    assert rise.reference >= rise.low
    assert days[-1] - 60 <= rise.since <= days[-1]
    assert min(prices[-3:]) <= rise.level <= max(prices[-3:])


# ---- real histories, night by night ----------------------------------------------------------

def nights(series, start, end, window=365):
    """(date, rise) for each night from ``start`` to ``end``, reading what a night would read."""
    series = [(d, p) for d, p in series if p > 0]
    days = [date.fromisoformat(d).toordinal() for d, _ in series]
    prices = [p for _, p in series]
    out = []
    for i, (day, _) in enumerate(series):
        if start <= day <= end:
            first = bisect.bisect_left(days, days[i] - 2 * window)
            out.append((day, run_up(prices[first:i + 1], days[first:i + 1], window)))
    return out


def first_over(rises, percent):
    return next((d for d, r in rises if r.percent >= percent), None)


def test_lumber_2020_21_stands_twenty_percent_up_months_before_the_may_peak():
    lumber = backtest.read_series(SERIES / "WPU081.csv", "Date", "WPU081")
    assert first_over(nights(lumber, "2020-05-01", "2021-05-01"), 20) <= "2020-10-01"


def test_steel_2021_and_palm_oil_2022_stand_twenty_percent_up_before_their_peaks():
    steel = backtest.read_series(SERIES / "WPU1017.csv", "Date", "WPU1017")
    assert first_over(nights(steel, "2020-12-01", "2021-12-01"), 20) <= "2021-06-01"
    palm = backtest.read_series(SERIES / "pinksheet.csv", "date", "PALM_OIL")
    assert first_over(nights(palm, "2020-06-01", "2022-03-31"), 20) <= "2021-06-30"


def test_wti_2008_and_2022_stand_twenty_percent_up_before_their_peaks():
    wti = backtest.read_series(SERIES / "wti-daily.csv", "Date", "Price")
    assert first_over(nights(wti, "2007-03-29", "2008-07-03"), 20) <= "2008-01-01"
    assert first_over(nights(wti, "2021-12-02", "2022-03-08"), 20) <= "2022-02-15"


def test_wti_rebound_of_may_2020_is_no_rise():
    wti = backtest.read_series(SERIES / "wti-daily.csv", "Date", "Price")
    may = nights(wti, "2020-04-22", "2020-06-30")
    assert max(r.percent for _, r in may) < 0  # from $12 back toward $56: against $56, no rise at all


def test_a_climb_with_no_new_high_for_the_window_has_settled():
    """Up 25 % and held there: a year after its last high the climb is over (it began anew on the
    plateau); a day less and it is still the climb from 80."""
    prices = [80.0] * 400 + ramp(80, 100, 20) + [100.0] * 380
    days = list(range(len(prices)))
    high = 420  # the first night of three at 100
    still = run_up(prices[:high + 365 + 1], days[:high + 365 + 1], 365, settle_days=365)
    settled = run_up(prices[:high + 367], days[:high + 367], 365, settle_days=365)
    assert still.began == 399 and settled.began > high + 365
    assert settled.reference == 100 and settled.percent == 0
    assert run_up(prices, days, 365).began == 399  # without it: the climb from 80 never ends


def test_a_climb_that_rang_paused_and_climbed_as_far_again_starts_at_the_pauses_low():
    """Once it rose 20 %: 30 days without a new high and a sag of 8 %, then 20 % up from the sag's
    low, and the climb starts there. A shorter pause, a shallower sag, or no ``pause`` at all: the
    climb that rang goes on."""
    def levels(sag, hold):
        top = 100 * 1.25
        return ([100.0] + ramp(100, top, 25) + ramp(top, top * (1 - sag), 5) + [top * (1 - sag)] * hold
                + ramp(top * (1 - sag), top * (1 - sag) * 1.25, 25))

    def start(values, pause=(5.0, 30.0)):
        days = list(range(len(values)))
        return climb_start(values, 20.0, (20.0, 15.0), None, (days, 365.0), pause)

    paused = levels(0.08, 30)
    low = start(paused)
    assert low == 25 + 5 and paused[low] == pytest.approx(125 * 0.92)  # the first night at the sag's low
    assert start(paused, None) == 0
    assert start(levels(0.08, 10)) == 0  # some 24 days without a new high: not a pause
    assert start(levels(0.03, 30)) == 0  # a sag of 3 %: not a pause
    with pytest.raises(ValueError):
        climb_start(paused, 20.0, None, None, None, (5.0, 30.0))


def test_the_usual_move_is_the_median_quarterly_move_before_a_day_and_a_spike_does_not_make_it_large():
    days = list(range(0, 730, 7))
    steady = [100.0 * (1.01 if (d // 91) % 2 else 1.0) for d in days]  # 1 % up or down each quarter
    assert usual_move(steady, days, 91, 365, 4) == pytest.approx(0.00995, abs=1e-4)
    spiked = [p * (2.0 if 200 <= d < 240 else 1.0) for p, d in zip(steady, days)]  # six weeks at double
    assert usual_move(spiked, days, 91, 365, 4) < 0.02
    assert usual_move(steady, days, 91, 90, 4) is None  # three moves a quarter long before day 90: too few to judge by


def test_a_gap_in_the_history_is_no_move():
    days, prices = [0, 7, 14, 200, 207, 214, 221], [100.0, 100.0, 100.0, 150.0, 150.0, 150.0, 150.0]
    assert usual_move(prices, days, 91, 1000, 1) is None  # 186 days apart: no price within a quarter of a quarter of 91 days before


def test_the_run_up_rules_bar_is_lowered_for_a_steady_price_only_when_the_owner_left_percent_unset():
    from monitor.rules.runup import RunUpRule

    days = [float(d) for d in range(0, 730, 7)]
    steady = [100.0 * (1.01 if (d // 91) % 2 else 1.0) for d in days]
    lively = [100.0 * (1.25 if (d // 91) % 2 else 1.0) for d in days]  # 25 % a quarter
    default = RunUpRule(kind="runup")
    assert default.threshold(days, steady) == 14.0  # four times 1 % is under the floor
    assert default.threshold(days, lively) == 20.0  # never above the default
    assert default.threshold(days[:40], steady[:40]) == 20.0  # too little history before the window
    assert RunUpRule(kind="runup", percent=20).threshold(days, steady) == 20.0
    assert RunUpRule(kind="runup", percent=10).threshold(days, lively) == 10.0
    assert "less for a steady price" in default.describe() and "less" not in RunUpRule(kind="runup", percent=20).describe()


def test_a_rise_has_held_since_the_first_of_the_last_prices_at_its_bar_and_one_price_holds_nothing():
    days, prices = [0.0, 30.0, 61.0, 91.0], [100.0, 118.0, 117.0, 119.0]
    assert held_days(prices, days, 116.0, 91.0) == 61.0  # every price since day 30 stands at 116 or more
    assert held_days(prices, days, 117.5, 91.0) == 0.0  # day 61 fell short: only tonight's price stands there, one price
    assert held_days(prices[:2], days[:2], 116.0, 30.0) == 0.0  # one price 18 % up is no month held
    assert held_days(prices, days, 116.0, 93.0, tonight=110.0) == 0.0  # a sample's prices held, tonight's level did not
    assert held_days(prices, days, 116.0, 93.0, tonight=118.0) == 63.0
