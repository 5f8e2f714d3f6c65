"""The buy-window verdict: it abstains with too little history and says why, buys at a low, waits
on a slide unless the stock runs out first, stops at the shelf life; the nightly outlook gives the
same call as the verdict on the same prices; the replay on a real history keeps both buyers
supplied with the same usage."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone


from monitor.config import BuyWindow
from monitor.decisions import backtests, buywindow, indexes
from monitor.decisions.prices import DayPrice
from tests.conftest import FIXTURES, days_between, store_history, supplywatch, write_config

SETTINGS = BuyWindow()
TODAY = date(2024, 6, 30)


def series(prices: list[float]) -> list[DayPrice]:
    """One price a day, ending today."""
    return [DayPrice(TODAY - timedelta(days=len(prices) - 1 - k), p) for k, p in enumerate(prices)]


def test_too_little_history_is_no_call_and_says_why():
    found = buywindow.verdict(series([10.0] * 20), TODAY, SETTINGS)
    assert (found.call, found.reason) == ("no call", "only 19 days of prices (a call needs 60 days)")
    needed = buywindow.verdict(series([10.0] * 20), TODAY, SETTINGS, runway_days=5, lead_days=7, safety_days=7, base_cover_days=28)
    assert needed.call == "buy now" and needed.needed and needed.cover_days == 28
    assert needed.reason == "you need it: 5 days of stock left, 7 days lead time; only 19 days of prices (a call needs 60 days), so only what you need"


def test_a_price_at_its_low_is_a_buy_up_to_the_shelf_life():
    prices = [12.0 - 0.02 * k for k in range(100)]  # a slow slide that stopped: today is the 90-day low
    prices[-30:] = [prices[-31]] * 30
    found = buywindow.verdict(series(prices), TODAY, SETTINGS, runway_days=30, shelf_life_days=60, money="${:,.2f}/kg".format)
    assert found.call == "buy now" and found.cover_days == 60 and not found.needed
    assert found.reason == "at its 90-day low ($10.62/kg)"
    capped = buywindow.verdict(series(prices), TODAY, SETTINGS, runway_days=58, shelf_life_days=60)
    assert capped.call == "no call" and "but your stock already lasts 58 days (its shelf life of 60 days)" in capped.reason


def test_a_slide_is_wait_unless_the_stock_runs_out_first():
    prices = [10.0] * 70 + [10.0 - 0.05 * k for k in range(30)]
    found = buywindow.verdict(series(prices), TODAY, SETTINGS, runway_days=40)
    assert found.call == "wait" and found.reason.startswith("falling: down 14.")
    needed = buywindow.verdict(series(prices), TODAY, SETTINGS, runway_days=10, lead_days=7, safety_days=7, base_cover_days=28)
    assert needed.call == "buy now" and needed.cover_days == 28
    assert needed.reason.startswith("you need it: 10 days of stock left, 7 days lead time; only what you need, prices are falling")


def test_an_index_climbing_while_the_price_is_flat_is_a_buy_and_a_stale_price_is_no_call():
    found = buywindow.verdict(series([10.0] * 100), TODAY, SETTINGS, index_change=6.0, runway_days=20)
    assert found.call == "buy now" and "its index up 6.0% in 3 months" in found.reason
    old = [DayPrice(TODAY - timedelta(days=100 - k), 10.0) for k in range(80)]
    assert buywindow.verdict(old, TODAY, SETTINGS).reason == "no valid price since 9 Jun"  # the day order of every other line


def test_the_nightly_outlook_gives_the_verdict_of_the_same_prices(tmp_path):
    path = write_config(tmp_path, """
    - id: lye
      name: Lye
      unit: lb
      weekly_usage: 7 lb
      shelf_life_days: 365
      offers:
        - {supplier: acme, url: "http://127.0.0.1:9/lye", pack: 1 lb}
    """)
    today = datetime.now(timezone.utc).date()
    end = today - timedelta(days=1)
    days = days_between((end - timedelta(days=99)).isoformat(), end.isoformat())
    prices = [round(2.0 + 0.01 * k, 2) for k in range(70)] + [round(2.69 - 0.01 * k, 2) for k in range(30)]
    store_history(path, {"lye@acme": list(zip(days, prices))})
    assert supplywatch("stock", "lye", "30", "lb", cwd=tmp_path).returncode == 0
    listed = supplywatch("stock", cwd=tmp_path)
    assert listed.returncode == 0
    expected = buywindow.verdict([DayPrice(date.fromisoformat(d), p) for d, p in zip(days, prices)], today, SETTINGS,
                                 runway_days=30.0, lead_days=7, safety_days=7, shelf_life_days=365, base_cover_days=56,
                                 money="${:,.2f}/lb".format)
    assert expected.call == "wait"
    assert f"  {expected.call}: {expected.reason}" in listed.stdout


def test_replay_on_real_oil_prices_keeps_both_buyers_supplied_with_the_same_usage():
    wti = [(d, p) for d, p in indexes.read_csv_series(FIXTURES / "series" / "wti-daily.csv", "Date", "Price")
           if date(2014, 1, 1) <= d <= date(2016, 12, 31)]  # the 2014-16 oil crash
    result = backtests.buy_window(wti, SETTINGS, name="WTI 2014-16")
    assert result.verdict.short_units == 0 and result.schedule.short_units == 0
    assert result.verdict.used_units == result.schedule.used_units == result.days
    assert result.verdict.purchases > 1 and result.schedule.purchases == (result.days - 1) // 28 + 1
    assert math.isclose(result.saving_percent, (1 - result.verdict.paid_per_unit / result.schedule.paid_per_unit) * 100)
    assert sum(result.calls.values()) == result.days
    assert min(p for _, p in wti) <= result.verdict.paid_per_unit <= max(p for _, p in wti)

    every, matched = backtests.matched_schedule(wti, result)  # the baseline holding as much stock as the verdict's buyer
    assert matched.short_units == 0 and matched.used_units == result.days and matched.purchases == (result.days - 1) // every + 1
    held, matched_held = result.verdict.stock_days / result.days, matched.stock_days / result.days
    assert every == max(28, round(2 * held)) and abs(matched_held - held) <= 3  # 61.5 and 62.8 days
