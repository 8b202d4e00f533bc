"""The fiscal calendar: fiscal years, quarters and months from the company's first month.

A fiscal year is named after the calendar year it ends in: with April as the
first month, FY2026 runs from 1 April 2025 to 31 March 2026; with January it is
the calendar year. Every planning figure belongs to one of these periods, and
each converts to the reports' ``Period`` (inclusive dates) that KPIs take.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from pipewise.org.models import OrganisationSettings
from pipewise.planning.choices import PERIOD_MONTHS, PeriodKind
from pipewise.reports.periods import Period

NOT_A_PERIOD_START = (
    "{day} does not start a {kind} of the fiscal calendar (fiscal years start in {month})."
)
UNKNOWN_KIND = "Unknown period kind {kind!r}; use year, quarter or month."


def month_index(day: datetime.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> datetime.date:
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def fiscal_start_month() -> int:
    return OrganisationSettings.current().fiscal_year_start_month


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """A fiscal year, quarter or month: first and last day (inclusive) and its label."""

    start: datetime.date
    kind: str
    end: datetime.date
    label: str

    @property
    def months(self) -> list[datetime.date]:
        """The first days of the calendar months in the period."""
        first = month_index(self.start)
        return [month_of_index(first + n) for n in range(PERIOD_MONTHS[self.kind])]

    def as_period(self) -> Period:
        """The reports' period (what KPIs are computed over)."""
        return Period(self.start, self.end)

    def shifted_years(self, years: int) -> FiscalPeriod:
        """The same period ``years`` fiscal years later (earlier when negative)."""
        start = self.start.replace(year=self.start.year + years)
        return period_of(self.kind, start, first_month=None)


def fiscal_year_label(end: datetime.date) -> str:
    return f"FY{end.year}"


def _describe(kind: str, start: datetime.date, first_month: int) -> FiscalPeriod:
    months = PERIOD_MONTHS[kind]
    end = month_end(month_of_index(month_index(start) + months - 1))
    year_start = month_of_index(month_index(start) - (start.month - first_month) % 12)
    year_label = fiscal_year_label(month_end(month_of_index(month_index(year_start) + 11)))
    if kind == PeriodKind.YEAR:
        label = year_label
    elif kind == PeriodKind.QUARTER:
        quarter = (month_index(start) - month_index(year_start)) // 3 + 1
        label = f"{year_label} Q{quarter}"
    else:
        label = start.strftime("%b %Y")
    return FiscalPeriod(start=start, kind=kind, end=end, label=label)


def period_of(kind: str, start: datetime.date, *, first_month: int | None) -> FiscalPeriod:
    """The period of ``kind`` that starts on ``start``; ValidationError if none does."""
    if kind not in PERIOD_MONTHS:
        raise ValidationError({"period_kind": UNKNOWN_KIND.format(kind=kind)})
    first_month = first_month or fiscal_start_month()
    months_into_year = (start.month - first_month) % 12
    if start.day != 1 or months_into_year % PERIOD_MONTHS[kind]:
        raise ValidationError(
            {
                "period_start": NOT_A_PERIOD_START.format(
                    day=start,
                    kind=PeriodKind(kind).label.lower(),
                    month=calendar.month_name[first_month],
                )
            }
        )
    return _describe(kind, start, first_month)


def containing(kind: str, day: datetime.date, *, first_month: int | None = None) -> FiscalPeriod:
    """The period of ``kind`` that contains ``day``."""
    first_month = first_month or fiscal_start_month()
    months_into_year = (day.month - first_month) % 12
    back = months_into_year % PERIOD_MONTHS[kind]
    start = month_of_index(month_index(day) - back)
    return _describe(kind, start, first_month)


def fiscal_year(year: int, *, first_month: int | None = None) -> FiscalPeriod:
    """Fiscal year ``year`` (named after the calendar year it ends in)."""
    first_month = first_month or fiscal_start_month()
    start_year = year if first_month == 1 else year - 1
    return _describe(PeriodKind.YEAR, datetime.date(start_year, first_month, 1), first_month)


def periods_in(
    outer: FiscalPeriod, kind: str, *, first_month: int | None = None
) -> list[FiscalPeriod]:
    """The periods of ``kind`` inside ``outer`` (the quarters of a year, its months …)."""
    first_month = first_month or fiscal_start_month()
    step = PERIOD_MONTHS[kind]
    first = month_index(outer.start)
    count = PERIOD_MONTHS[outer.kind] // step
    return [_describe(kind, month_of_index(first + n * step), first_month) for n in range(count)]


def fiscal_year_of(day: datetime.date, *, first_month: int | None = None) -> int:
    """The fiscal year (its number) that ``day`` belongs to."""
    return containing(PeriodKind.YEAR, day, first_month=first_month).end.year
