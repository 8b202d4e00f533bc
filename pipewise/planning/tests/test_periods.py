import datetime

import pytest
from django.core.exceptions import ValidationError

from pipewise.planning.periods import containing, fiscal_year, fiscal_year_of, period_of, periods_in

D = datetime.date


def test_it_names_a_fiscal_year_after_the_calendar_year_it_ends_in():
    year = fiscal_year(2026, first_month=4)
    assert (year.start, year.end, year.label) == (D(2025, 4, 1), D(2026, 3, 31), "FY2026")
    assert fiscal_year(2026, first_month=1).start == D(2026, 1, 1)


def test_it_cuts_a_fiscal_year_into_quarters_and_months():
    year = fiscal_year(2026, first_month=4)
    quarters = periods_in(year, "quarter", first_month=4)
    assert [q.label for q in quarters] == ["FY2026 Q1", "FY2026 Q2", "FY2026 Q3", "FY2026 Q4"]
    assert quarters[3].start == D(2026, 1, 1) and quarters[3].end == D(2026, 3, 31)
    months = periods_in(year, "month", first_month=4)
    assert len(months) == 12 and months[10].end == D(2026, 2, 28)


def test_it_finds_the_period_containing_a_day():
    assert containing("quarter", D(2026, 2, 14), first_month=4).label == "FY2026 Q4"
    assert containing("quarter", D(2026, 2, 14), first_month=1).label == "FY2026 Q1"
    assert fiscal_year_of(D(2025, 3, 31), first_month=4) == 2025
    assert fiscal_year_of(D(2025, 4, 1), first_month=4) == 2026


@pytest.mark.parametrize(
    "kind,start", [("quarter", D(2026, 2, 1)), ("year", D(2026, 1, 1)), ("month", D(2026, 1, 2))]
)
def test_it_refuses_a_start_that_does_not_begin_a_period(kind, start):
    with pytest.raises(ValidationError) as error:
        period_of(kind, start, first_month=4)
    assert "does not start" in str(error.value)


def test_a_period_becomes_the_reports_period_of_kpis():
    quarter = period_of("quarter", D(2026, 4, 1), first_month=4)
    assert quarter.as_period().whole_months == 3
