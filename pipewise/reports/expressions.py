"""SQL expressions the KPIs share: time spans in seconds or days, line-item values.

Durations are computed as plain numbers (seconds since the epoch, day numbers)
rather than SQL intervals, because SQLite and PostgreSQL disagree on interval
arithmetic and both agree on numbers.
"""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, FloatField, Func, IntegerField
from django.db.models.functions import Round

from pipewise.core.money import PER_CENT

SECONDS_PER_DAY = 86400
SECONDS_PER_HOUR = 3600


class EpochSeconds(Func):
    """Seconds since 1970-01-01 UTC of a datetime column (a float)."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores datetimes in UTC; julianday() reads them as such.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)


class DayNumber(Func):
    """Whole days since 1970-01-01 of a date column or date value.

    An integer on PostgreSQL; a whole-valued float on SQLite, so that dividing two
    of them there is not an integer division.
    """

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "(julianday(%(expressions)s) - 2440587.5)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "((%(expressions)s)::date - DATE '1970-01-01')"
        return self.as_sql(compiler, connection, template=template, **extra)


def seconds_between(start: str, end: str) -> EpochSeconds:
    """``end`` − ``start`` in seconds, for two datetime fields of the same row."""
    return EpochSeconds(end) - EpochSeconds(start)


MONEY_SUM = DecimalField(max_digits=20, decimal_places=2)

# What a deal is expected to bring: its amount times its stage's probability.
WEIGHTED_AMOUNT = ExpressionWrapper(
    F("amount") * F("stage__probability") * PER_CENT, output_field=MONEY_SUM
)
# A line item at its unit price, before discount.
LINE_GROSS = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY_SUM)
# A line item after discount, rounded to cents like ``LineItem.total`` (so lines add up to
# the deal's amount).
LINE_NET = Round(
    ExpressionWrapper(
        F("quantity") * F("unit_price") * (100 - F("discount_percent")) * PER_CENT,
        output_field=MONEY_SUM,
    ),
    2,
    output_field=MONEY_SUM,
)
LINE_WEIGHTED = ExpressionWrapper(
    LINE_NET * F("opportunity__stage__probability") * PER_CENT, output_field=MONEY_SUM
)
