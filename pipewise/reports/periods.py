"""The period a KPI is computed over: from/to dates in the company's time zone.

Both ends are inclusive days. A deal won at 23:30 on the last day belongs to
the period; the boundaries are midnight in the current (company) time zone, so
"March" means March where the sales team works, not in UTC.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date

PERIOD_REVERSED = "'from' ({start}) is after 'to' ({end})."
PERIOD_NEEDED = "This KPI compares the period with the one before: give both 'from' and 'to'."
OUT_OF_RANGE = "{day} is out of range: use a date between {first} and {last}."
# Dates a sales organisation can mean; beyond them date arithmetic would overflow.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _shift_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return datetime.date(year, month + 1, 1)


def _last_day_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end`` (inclusive dates); either may be open (None = all time)."""

    start: datetime.date | None = None
    end: datetime.date | None = None

    def __post_init__(self):
        for name, day in (("from", self.start), ("to", self.end)):
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValidationError(
                    {name: OUT_OF_RANGE.format(day=day, first=FIRST_DAY, last=LAST_DAY)}
                )
        if self.start and self.end and self.start > self.end:
            raise ValidationError({"from": PERIOD_REVERSED.format(start=self.start, end=self.end)})

    @property
    def is_bounded(self) -> bool:
        return self.start is not None and self.end is not None

    def require_bounds(self) -> None:
        if not self.is_bounded:
            raise ValidationError({"from": PERIOD_NEEDED})

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def in_whole_months(self) -> bool:
        """Whether each bound is a month's edge (an open bound is): month totals answer."""
        starts = self.start is None or self.start.day == 1
        return starts and (self.end is None or self.end == _last_day_of_month(self.end))

    @property
    def whole_months(self) -> int | None:
        """How many calendar months the period spans, if it is made of whole months."""
        if self.start.day != 1 or self.end != _last_day_of_month(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before: the previous quarter of a quarter,
        the previous month of a month; otherwise the same number of days before."""
        self.require_bounds()
        months = self.whole_months
        if months:
            start = _shift_months(self.start, -months)
            return Period(start, self.start - datetime.timedelta(days=1))
        return Period(
            self.start - datetime.timedelta(days=self.days), self.start - datetime.timedelta(days=1)
        )

    def per_year(self) -> Decimal:
        """How many such periods make a year: 4 for a quarter, 12 for a month, 365/days else."""
        months = self.whole_months
        if months:
            return Decimal(12) / Decimal(months)
        return Decimal(365) / Decimal(self.days)

    def q(self, field: str, *, on_dates: bool = False) -> Q:
        """Rows whose ``field`` (a datetime, or a date with ``on_dates``) lies in the period."""
        condition = Q()
        if self.start is not None:
            start = self.start if on_dates else _midnight(self.start)
            condition &= Q(**{f"{field}__gte": start})
        if self.end is not None:
            if on_dates:
                condition &= Q(**{f"{field}__lte": self.end})
            else:
                condition &= Q(**{f"{field}__lt": _midnight(self.end + datetime.timedelta(days=1))})
        return condition


NOT_A_DATE = "Not a date: {value!r}; use YYYY-MM-DD."


def parse_day(params, name: str) -> datetime.date | None:
    """The date in query parameter ``name`` (YYYY-MM-DD); None when absent or empty;
    ``ValidationError`` naming the parameter when it is not a date."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({name: NOT_A_DATE.format(value=raw)})
    return day
