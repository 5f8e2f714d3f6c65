"""Trade units through pint: board feet, sheets, gallons and litres, and densities for kg vs L."""

from decimal import Decimal

import pytest

from monitor import units


@pytest.mark.parametrize("price, pack, unit, expected", [
    ("60", "5 gal", "gal", "12"),
    ("60", "5 gal", "L", "3.170065"),
    ("125", "10 board_foot", "board_foot", "12.5"),
    ("4903.17", "1 m^3", "board_foot", "11.570193"),
    ("14.95", "12 each", "each", "1.245833"),
    ("10", "1 lb", "kg", "22.046226"),
    ("118.50", "1 sheet", "each", "118.5"),
    ("16", "16 floz", "L", "33.814023"),
])
def test_unit_prices_in_trade_units(price, pack, unit, expected):
    assert round(units.unit_price(Decimal(price), pack, unit), 6) == Decimal(expected)


def test_mass_and_volume_convert_only_through_a_density():
    with pytest.raises(ValueError, match="without a density"):
        units.unit_price(Decimal("23"), "5 L", "kg")
    # Olive oil at 0.92 kg/L: 5 L is 4.6 kg
    assert round(units.unit_price(Decimal("23"), "5 L", "kg", "0.92 kg/L"), 4) == Decimal("5.0000")
    assert round(units.unit_price(Decimal("46"), "4.6 kg", "L", "0.92 kg/L"), 4) == Decimal("9.2000")


@pytest.mark.parametrize("text", ["5", "five kg", "-2 kg", "0 L", "12 wombats"])
def test_a_pack_needs_a_positive_amount_and_a_known_unit(text):
    with pytest.raises(ValueError):
        units.parse_quantity(text)


def test_density_must_be_mass_per_volume():
    with pytest.raises(ValueError, match="not a density"):
        units.parse_density("5 kg")


@pytest.mark.parametrize("pack, words", [("1 board_foot", "per bd ft"), ("10 board_foot", "per 10 bd ft"), ("100 each", "per 100"),
                                         ("1 each", "each"), ("4 L", "per 4 L"), ("1 cubic_meter", "per m³"), ("12 bottle", "per 12 bottles")])
def test_what_a_price_on_the_page_buys_reads_without_a_lone_one_or_each(pack, words):
    assert units.per_pack(pack) == words
