"""The records behind a KPI value: the KPI's own queryset, narrowed to one group.

A dashboard number that no list page can express (a team's won deals, the
activities of a month) drills down here. The rows are exactly the ones the
KPI aggregated — ``AggregateKpi.records`` — so the list and the number agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet

from pipewise.org.models import User
from pipewise.pipeline.models import LineItem
from pipewise.reports.choices import Dimension
from pipewise.reports.kpis import registry
from pipewise.reports.kpis.base import AggregateKpi, UnknownKpi
from pipewise.reports.kpis.subjects import OPPORTUNITIES

NO_RECORDS_PAGE = "{kpi} has no single set of records to list."
UNKNOWN_GROUP = "{kpi} cannot be grouped by {dimension!r}."


def kpi_records(
    *,
    user: User,
    kpi_key: str,
    start=None,
    end=None,
    filters: Mapping[str, str] | None = None,
    group: Mapping[str, str | None] | None = None,
) -> QuerySet:
    """The records ``kpi_key`` counts for ``user`` in the period, filtered, and in one group
    (dimension → label; None = the records without a value). Raises ``UnknownKpi`` or
    ``ValidationError``."""
    kpi = registry.get(kpi_key)
    if not isinstance(kpi, AggregateKpi):
        raise UnknownKpi(NO_RECORDS_PAGE.format(kpi=kpi.name))
    kept = {k: v for k, v in (filters or {}).items() if k in kpi.filters}
    query = kpi.prepare(user=user, start=start, end=end, group_by=None, filters=kept, inputs={})
    rows = kpi.records(query)
    for dimension, label in (group or {}).items():
        if dimension not in kpi.dimensions or dimension == Dimension.MONTH:
            raise ValidationError(
                {f"group_{dimension}": UNKNOWN_GROUP.format(kpi=kpi.name, dimension=dimension)}
            )
        if dimension == Dimension.PRODUCT_LINE and kpi.subject is OPPORTUNITIES:
            lines = LineItem.objects.filter(opportunity=OuterRef("pk"))
            if label is None:
                rows = rows.filter(~Exists(lines))
            else:
                rows = rows.filter(Exists(lines.filter(product__product_line__name=label)))
            continue
        path = kpi.subject.groups[dimension]
        rows = rows.filter(**({f"{path}__isnull": True} if label is None else {path: label}))
    return rows
