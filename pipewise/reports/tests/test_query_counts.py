"""Every KPI costs a fixed number of queries, whatever the amount of data.

Each KPI is computed for a manager (reporting-line visibility) and for sales
ops, without grouping and grouped by each dimension it accepts, first on a
small book of business and again after it has grown five-fold: the number of
queries must not change, and stays under ``MAX_QUERIES``.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.org.models import User
from pipewise.reports.kpis import registry
from pipewise.reports.services import sales_cost_record

# The heaviest KPI (pipeline velocity, four parts) with the visibility look-ups.
MAX_QUERIES = 12
QUARTER = {"start": datetime.date(2025, 4, 1), "end": datetime.date(2025, 6, 30)}


def questions():
    for kpi in registry:
        viewers = ["ops"] if kpi.company_level else ["manager", "ops"]
        inputs = {spec.name: Decimal("100000") for spec in kpi.inputs}
        period = QUARTER if kpi.needs_period else {}
        for viewer in viewers:
            for group_by in [None, *kpi.dimensions]:
                yield kpi, viewer, group_by, {"inputs": inputs, **period}


def query_counts(people, django_assert_max_num_queries) -> dict:
    counts = {}
    for kpi, viewer, group_by, arguments in questions():
        user = User.objects.get(pk=getattr(people, viewer).pk)  # nothing cached on it
        with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as run:
            kpi.compute(user=user, group_by=group_by, **arguments)
        counts[(kpi.key, viewer, group_by)] = len(run.captured_queries)
    return counts


def test_each_kpi_costs_the_same_queries_on_five_times_the_data(
    people, book, django_assert_max_num_queries
):
    sales_cost_record(
        by=people.ops, period_start=QUARTER["start"], period_end=QUARTER["end"], amount=Decimal(9)
    )
    book.add(deals=8, leads=4, activities=6)
    small = query_counts(people, django_assert_max_num_queries)
    book.add(deals=32, leads=16, activities=24)
    large = query_counts(people, django_assert_max_num_queries)
    assert large == small
    assert max(small.values()) <= MAX_QUERIES
