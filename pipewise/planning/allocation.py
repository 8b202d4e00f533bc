"""Exact splitting of amounts: shares that add up to the whole, to the cent.

Splitting 100 000.00 in three equal shares cannot give three equal amounts in
cents; the largest-remainder method gives every share its rounded-down amount
and then hands the cents left over, one each, to the shares that lost most in
rounding (ties: the earlier share). The result always adds up to the total and
is the same for the same input.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError

CENT = Decimal("0.01")
NO_WEIGHTS = "Give at least one weight above zero."
NEGATIVE_WEIGHT = "Weights cannot be negative."


def split_exactly(
    total: Decimal, weights: Sequence[Decimal], *, unit: Decimal = CENT
) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, in multiples of ``unit``, adding up to
    ``total`` exactly (``total`` must itself be a multiple of ``unit``)."""
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValidationError(NEGATIVE_WEIGHT)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValidationError(NO_WEIGHTS)
    sign = -1 if total < 0 else 1
    units = int((abs(total) / unit).to_integral_value())
    exact = [Decimal(units) * w / weight_sum for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * unit * n for n in floors]


def as_percentages(values: Sequence[Decimal]) -> list[Decimal]:
    """Shares of ``values`` in percent with two places, adding up to 100.00 exactly."""
    return split_exactly(Decimal("100.00"), values)
