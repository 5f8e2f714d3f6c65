"""A pack's price to its stored unit prices by float arithmetic, where it provably gives the Decimal
arithmetic's numbers, bit for bit.

:class:`~monitor.store.pricing.Pricing` defines a unit price in Decimal (28 digits) and stores
``round(float(value), 6)``. That stored float depends only on which interval
``((n - 1/2) / 10**6, (n + 1/2) / 10**6)`` the value lies in: ``round`` rounds the double's exact
value to six places and returns the double nearest ``n / 10**6``, which is what IEEE division
``n / 1e6`` gives for an integer ``n`` below 2**53. A :class:`Conversion` holds, once per pack,
unit, supplier, currency and day (a night's offers share a few), the factors a pack's price is
multiplied by, as floats scaled by 10**6. The price times a factor, plus non-negative terms, is
within a few float roundings (2**-53 each, about 10**-15 in all) of the exact value, and the
Decimal result within 10**-19 of it, relatively: when the float lies farther than :data:`MARGIN`
from the ends of its interval, all of them lie in the same one and the stored number is the same.
Otherwise (about one price in a million, and any out of range) the Decimal path decides.
"""

from __future__ import annotations

from decimal import Decimal, Inexact, Rounded, getcontext
from typing import NamedTuple

SCALE = 1e6  # six places
MARGIN = 1e-13  # relative: 50 times the float and Decimal errors above
_LIMIT = 2.0 ** 52  # n / 1e6 is the double nearest n / 10**6 only while n is exact as a double


def six_places(scaled: float) -> float | None:
    """``round(x, 6)`` of every ``x`` within :data:`MARGIN` (relative) of ``scaled / 10**6``, or None
    when they do not all round alike, or ``scaled`` is negative, NaN or 2**52 and over."""
    if not 0.0 <= scaled < _LIMIT:
        return None
    n = round(scaled)
    return n / SCALE if abs(scaled - n) < 0.5 - scaled * MARGIN else None  # scaled - n is exact (Sterbenz)


class Conversion(NamedTuple):
    """What a pack's price becomes a unit price by, for one pack, unit, supplier, currency and day:
    the Decimals the reference arithmetic uses, and the same factors as scaled floats."""

    per_pack: Decimal  # units of the material one pack holds
    rate: Decimal  # home currency per one of the price's
    fx_rate: float  # the rate as stored
    unit: float  # rate / per_pack * 10**6
    landed: float  # (1 + fees) * rate / per_pack * 10**6
    freight: float  # per-unit shipping * rate * 10**6
    flat: float  # the flat shipping charge spread over the order: flat / order quantity * rate / per_pack * 10**6
    free_over: float | None  # the pack price from which the flat charge is waived: free_over / order quantity
    floats: bool  # the floats may stand in for the Decimals (every factor positive, Decimal at 20 digits or more)

    @classmethod
    def of(cls, per_pack: Decimal, rate: Decimal, fees: Decimal, per_unit: Decimal | None, flat: Decimal,
           free_over: Decimal | None, order_quantity: Decimal) -> "Conversion":
        """The factors of :meth:`Pricing.landed_unit_price`'s terms (``per_unit`` None: no shipping, so
        no flat charge either); floats only where every one is positive and finite."""
        context = getcontext()
        terms = (per_pack, rate, fees, order_quantity, *(d for d in (per_unit, flat, free_over) if d is not None))
        usable = (context.prec >= 20 and not (context.traps[Inexact] or context.traps[Rounded]) and all(d.is_finite() for d in terms)
                  and per_pack > 0 and rate > 0 and fees > 0 and order_quantity > 0 and all(d >= 0 for d in terms))
        if usable:
            try:
                per_million = rate / per_pack * 1_000_000
                shipped = per_unit is not None
                return cls(per_pack, rate, float(rate), float(per_million), float(fees * per_million),
                           float(per_unit * rate * 1_000_000) if per_unit is not None else 0.0,
                           float(flat / order_quantity * per_million) if shipped else 0.0,
                           float(free_over / order_quantity) if shipped and free_over is not None else None, True)
            except ArithmeticError:  # a factor beyond Decimal's exponents: the reference arithmetic says what it makes of it
                pass
        return cls(per_pack, rate, 0.0, 0.0, 0.0, 0.0, 0.0, None, False)

    def prices(self, price: float) -> tuple[float, float] | None:
        """The stored unit price and landed unit price of a pack's ``price`` (positive, as a float),
        or None where the floats cannot tell them (then the Decimal arithmetic does)."""
        if not self.floats:
            return None
        unit = six_places(price * self.unit)
        if unit is None:
            return None
        landed = price * self.landed + self.freight
        if self.free_over is None or price < self.free_over * (1 - MARGIN):
            landed += self.flat
        elif price <= self.free_over * (1 + MARGIN):
            return None  # at the threshold: whether the flat charge is waived is Decimal's call
        landed_price = six_places(landed)
        return None if landed_price is None else (unit, landed_price)
