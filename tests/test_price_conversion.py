"""A unit price worked out in floats is stored only where it is, bit for bit, the number the Decimal
arithmetic gives (monitor/store/conversion.py); anywhere else the Decimal arithmetic decides."""

from __future__ import annotations

import random
from decimal import Decimal

from monitor import config as config_module, pipeline, units
from monitor.store.conversion import Conversion
from monitor.store.pricing import Pricing
from tests.conftest import write_config

SUPPLIERS = """
    - {id: plain, name: Plain Shop, currency: USD}
    - {id: fees, name: Card Fees Shop, currency: USD, fees_percent: 2.9}
    - {id: shipped, name: Shipping Shop, currency: USD, shipping: {flat: 12, per_unit: 0.4, free_over: 500}, fees_percent: 2.5}
    - {id: flat, name: Flat Rate Shop, currency: EUR, shipping: {flat: 7.5}}
"""
PACKS = [("25 kg", "kg", None), ("50 lb", "kg", None), ("1 gal", "kg", "0.92 kg/L"), ("5 L", "gal", None), ("3 each", "each", None),
         ("12 board_foot", "board_foot", None), ("250 g", "lb", None), ("1 kg", "kg", None)]
RATES = ["1", "1.08", "0.8571", "1.2345678", "149.27"]


def reference(pricing: Pricing, price: Decimal, per_pack: Decimal, rate: Decimal, supplier: str, quantity: float) -> tuple[float, float]:
    """The stored unit and landed unit price as the Decimal arithmetic makes them (pricing._numbers)."""
    unit_price = price / per_pack * rate
    landed = pricing.landed_unit_price(price, per_pack, rate, supplier, quantity)
    rounded = round(float(unit_price), 6)
    return rounded, rounded if landed == unit_price else round(float(landed), 6)


def prices(rng: random.Random) -> list[str]:
    """Page prices as pages write them, and prices whose unit price lies on a rounding boundary
    (seven or more decimals ending in 5: 1 kg at rate 1 gives the same number per kg)."""
    cents = [f"{rng.uniform(0.01, 5000):.2f}" for _ in range(120)]
    boundary = [f"{rng.randint(0, 999)}.{rng.randint(0, 999999):06d}5" for _ in range(80)]
    long = [f"{rng.uniform(0.0001, 1e6):.{rng.randint(3, 12)}f}" for _ in range(40)]
    return cents + boundary + long + ["0.0000001", "0.0000005", "0.0000015", "999999999.99", "500.00", "499.99", "250.00"]


def test_float_prices_are_the_decimal_prices_bit_for_bit_wherever_they_are_used(tmp_path):
    write_config(tmp_path, '- {id: walnut, name: Walnut, unit: kg, offers: [{supplier: plain, url: "http://127.0.0.1:9/w"}]}', SUPPLIERS)
    config = config_module.load(tmp_path / "supplywatch.yml")
    db, _ = pipeline.open_store(config)
    pricing = Pricing(db, config)
    rng = random.Random(16)
    used = compared = 0
    for pack, unit, density in PACKS:
        per_pack = units.units_per_pack(pack, unit, density)
        for rate in map(Decimal, RATES):
            for supplier in ("plain", "fees", "shipped", "flat"):
                terms = pricing.catalog.terms_of(supplier)
                for quantity in (1, 3, 2.5):
                    conversion = Conversion.of(per_pack, rate, terms.fees, terms.per_unit, terms.flat, terms.free_over, Decimal(str(quantity)))
                    assert conversion.floats and conversion.fx_rate == float(rate)
                    for text in prices(rng):
                        price = Decimal(text)
                        fast = conversion.prices(float(price))
                        compared += 1
                        if fast is None:
                            continue
                        used += 1
                        assert fast == reference(pricing, price, per_pack, rate, supplier, quantity), (text, pack, unit, rate, supplier, quantity)
    db.close()
    assert used > 0.9 * compared  # the floats price nearly all (not prices on a boundary, nor unit prices of millions)


def test_prices_on_a_rounding_boundary_or_a_free_shipping_threshold_are_left_to_the_decimals():
    one = Decimal(1)
    plain = Conversion.of(one, one, one, None, Decimal(0), None, one)
    assert plain.prices(float(Decimal("12.3456785"))) is None  # exactly half way between two six-place prices
    assert plain.prices(float(Decimal("12.34567850000001"))) is None  # nearer than the floats can tell
    assert plain.prices(12.25) == (12.25, 12.25)
    shipped = Conversion.of(one, one, one, Decimal("0.4"), Decimal(12), Decimal(500), Decimal(2))
    assert shipped.prices(250.0) is None  # 2 packs of 250 is exactly the 500 from which the flat charge is waived
    assert shipped.prices(249.99) == (249.99, 256.39)  # 249.99 + 0.40 freight + 12 / 2 flat
    assert shipped.prices(250.01) == (250.01, 250.41)  # the flat charge waived
    # A factor that is not positive (no such config loads, but pricing is total): the Decimals decide.
    assert not Conversion.of(one, Decimal(0), one, None, Decimal(0), None, one).floats
    assert not Conversion.of(one, one, one, Decimal(-1), Decimal(0), None, one).floats
