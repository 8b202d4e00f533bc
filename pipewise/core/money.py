"""Money: always ``Decimal``, two places, one company currency by default."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import models

CENTS = Decimal("0.01")
# "× PER_CENT" in SQL instead of "÷ 100": SQLite keeps 999.00 in a decimal column as the
# integer 999, and 999 * 5 / 100 is an integer division there (49, not 49.95).
PER_CENT = models.Value(CENTS, output_field=models.DecimalField(max_digits=3, decimal_places=2))
MAX_DIGITS = 16
DECIMAL_PLACES = 2


class MoneyField(models.DecimalField):
    """A DecimalField sized for money (up to 99 999 999 999 999.99)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def to_money(value) -> Decimal:
    """Parse and round a value to cents; raises ``ValueError`` on nonsense."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENTS, rounding=ROUND_HALF_UP)


def company_currency() -> str:
    return settings.PIPEWISE_CURRENCY
