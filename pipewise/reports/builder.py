"""The report builder: what each entity offers (filters, dimensions, numbers) and how a
saved report's definition is checked and computed.

A report is one ``GROUP BY`` query over the entity's visible records
(``<entity>_visible_to(viewer)``), narrowed by the entity's own FilterSet (the
one its list page and API use) and the report's period, with every measure an
aggregate of that query; a KPI measure is the registry's KPI grouped the same
way (one more query). Two groupings make a pivot.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, F, Max, Min, QuerySet, Sum
from django.db.models.functions import TruncMonth

from pipewise.activities.filters import ActivityFilter, TaskFilter
from pipewise.activities.permissions import activity_visible_to, task_visible_to
from pipewise.core.filters import FilterSet
from pipewise.customers.filters import AccountFilter
from pipewise.customers.permissions import account_visible_to
from pipewise.leads.filters import LeadFilter
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import User
from pipewise.pipeline.filters import OpportunityFilter
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.reports import dashboards
from pipewise.reports.choices import (
    MAX_CALCULATED_FIELDS,
    MAX_GROUP_DIMENSIONS,
    MAX_MEASURES,
    MAX_RESULT_ROWS,
    Dimension,
    Measure,
    ReportEntity,
)
from pipewise.reports.expressions import calculated_expression
from pipewise.reports.kpis import registry
from pipewise.reports.kpis.base import UnknownKpi
from pipewise.reports.periods import Period
from pipewise.reports.selectors import visible_line_items

UNKNOWN_ENTITY = "Unknown entity {value!r}; use one of: {known}."
TOO_MANY_GROUPS = "Group by at most {limit} dimensions."
UNKNOWN_GROUP = "{entity} cannot be grouped by {value!r}; use one of: {known}."
REPEATED_GROUP = "Group by {value!r} only once."
NO_MEASURES = "Add at least one measure (e.g. count)."
TOO_MANY_MEASURES = "At most {limit} measures."
TOO_MANY_CALCULATED = "At most {limit} calculated fields."
UNKNOWN_OP = "Unknown measure {value!r}; use one of: {known}."
UNKNOWN_NUMBER = "{entity} has no number {value!r}; use one of: {known}."
FIELD_NEEDED = "Say which number to {op} (a field or a calculated field)."
KPI_NEEDED = "Say which KPI (a key of /api/v1/kpis/)."
KPI_GROUPS = "{kpi} cannot be grouped by {dimension!r}, which this report groups by."
KPI_FILTER = "A KPI measure cannot be combined with the filter {name!r}."
BAD_NAME = "A calculated field's name is a short identifier (letters, digits, _): {value!r}."
NAME_TAKEN = "{value!r} is already a field name."
BAD_FILTERS = "Filters must be an object of list filter names to values."
UNKNOWN_FILTER = "{entity} cannot be filtered by {value!r}; use one of: {known}."
TOO_MANY_ROWS = "The report has more than {limit} groups; group by fewer or narrower dimensions."
MONTH = "month"


@dataclass(frozen=True)
class EntitySpec:
    """What a report over one kind of record can use.

    ``numbers``: numeric fields by name (ORM paths), the operands of measures and
    calculated fields; ``dimensions``: group labels by name (``month`` is the
    month of ``date_field``); ``kpi_dimensions``/``kpi_filters``: how the report's
    groupings and filters translate for a KPI measure.
    """

    key: str
    visible: Callable[[User], QuerySet]
    filterset: type[FilterSet] | None
    date_field: str
    on_dates: bool
    numbers: Mapping[str, str]
    dimensions: Mapping[str, str]
    kpi_dimensions: Mapping[str, str] = field(default_factory=dict)
    kpi_filters: Mapping[str, str] = field(default_factory=dict)
    export_kind: str = ""


OWNER_KPI = {"owner": Dimension.OWNER, "team": Dimension.TEAM, MONTH: Dimension.MONTH}

ENTITIES: dict[str, EntitySpec] = {
    spec.key: spec
    for spec in [
        EntitySpec(
            key=ReportEntity.OPPORTUNITIES,
            visible=opportunity_visible_to,
            filterset=OpportunityFilter,
            date_field="close_date",
            on_dates=True,
            numbers={"amount": "amount", "probability": "stage__probability"},
            dimensions={
                "owner": "owner__username",
                "team": "owner__team__name",
                "status": "status",
                "stage": "stage__name",
                "pipeline": "pipeline__name",
                "source": "source",
                "territory": "account__territory__name",
                "segment": "account__segment__name",
                "account": "account__name",
                "forecast_category": "forecast_category",
                MONTH: "close_date",
            },
            kpi_dimensions=OWNER_KPI
            | {
                "territory": Dimension.TERRITORY,
                "source": Dimension.SOURCE,
                "stage": Dimension.STAGE,
                "segment": Dimension.SEGMENT,
            },
            kpi_filters={"owner": "owner", "pipeline": "pipeline", "source": "source"},
            export_kind="opportunities",
        ),
        EntitySpec(
            key=ReportEntity.LEADS,
            visible=lead_visible_to,
            filterset=LeadFilter,
            date_field="created_at",
            on_dates=False,
            numbers={"score": "score"},
            dimensions={
                "owner": "owner__username",
                "team": "owner__team__name",
                "status": "status",
                "rating": "rating",
                "source": "source",
                "territory": "territory__name",
                "campaign": "campaign",
                MONTH: "created_at",
            },
            kpi_dimensions=OWNER_KPI
            | {"territory": Dimension.TERRITORY, "source": Dimension.SOURCE},
            kpi_filters={"owner": "owner", "territory": "territory", "source": "source"},
            export_kind="leads",
        ),
        EntitySpec(
            key=ReportEntity.ACTIVITIES,
            visible=activity_visible_to,
            filterset=ActivityFilter,
            date_field="occurred_at",
            on_dates=False,
            numbers={"duration_minutes": "duration_minutes"},
            dimensions={
                "owner": "owner__username",
                "team": "owner__team__name",
                "type": "type",
                "outcome": "outcome",
                MONTH: "occurred_at",
            },
            kpi_dimensions=OWNER_KPI | {"type": Dimension.ACTIVITY_TYPE},
            kpi_filters={"owner": "owner", "type": "activity_type"},
            export_kind="activities",
        ),
        EntitySpec(
            key=ReportEntity.TASKS,
            visible=task_visible_to,
            filterset=TaskFilter,
            date_field="due_at",
            on_dates=False,
            numbers={},
            dimensions={
                "assignee": "assignee__username",
                "team": "assignee__team__name",
                "status": "status",
                "priority": "priority",
                MONTH: "due_at",
            },
        ),
        EntitySpec(
            key=ReportEntity.ACCOUNTS,
            visible=account_visible_to,
            filterset=AccountFilter,
            date_field="created_at",
            on_dates=False,
            numbers={"employees": "employees", "annual_revenue": "annual_revenue"},
            dimensions={
                "owner": "owner__username",
                "team": "owner__team__name",
                "type": "type",
                "territory": "territory__name",
                "segment": "segment__name",
                "industry": "industry",
                "country": "country",
                MONTH: "created_at",
            },
            kpi_dimensions=OWNER_KPI
            | {"territory": Dimension.TERRITORY, "segment": Dimension.SEGMENT},
            export_kind="accounts",
        ),
        EntitySpec(
            key=ReportEntity.LINE_ITEMS,
            visible=visible_line_items,
            filterset=None,
            date_field="opportunity__close_date",
            on_dates=True,
            numbers={
                "quantity": "quantity",
                "unit_price": "unit_price",
                "discount_percent": "discount_percent",
            },
            dimensions={
                "product": "product__name",
                "product_line": "product__product_line__name",
                "owner": "opportunity__owner__username",
                "status": "opportunity__status",
                "stage": "opportunity__stage__name",
                MONTH: "opportunity__close_date",
            },
        ),
    ]
}

AGGREGATES = {
    Measure.SUM: Sum,
    Measure.AVG: Avg,
    Measure.MIN: Min,
    Measure.MAX: Max,
}
PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Definition:
    """A report's checked definition (what ``SavedReport`` stores, validated)."""

    entity: str
    filters: Mapping[str, str] = field(default_factory=dict)
    period: str = "all"
    group_by: tuple[str, ...] = ()
    measures: tuple[Mapping[str, str], ...] = ({"op": "count"},)
    calculated_fields: tuple[Mapping[str, str], ...] = ()

    @classmethod
    def of(cls, report) -> Definition:
        return cls(
            entity=report.entity,
            filters=report.filters or {},
            period=report.period or "all",
            group_by=tuple(report.group_by or ()),
            measures=tuple(report.measures or ()),
            calculated_fields=tuple(report.calculated_fields or ()),
        )


@dataclass
class ReportResult:
    """The computed report: column headings, then one row per group (labels, then measure
    values); ``pivot`` lays the first measure out as rows × columns for two groupings."""

    columns: list[str]
    group_count: int
    rows: list[list[Any]]

    def pivot(self) -> dict | None:
        if self.group_count != 2:
            return None
        row_labels = _ordered({row[0] for row in self.rows})
        column_labels = _ordered({row[1] for row in self.rows})
        cells = {(row[0], row[1]): row[2] for row in self.rows}
        return {
            "measure": self.columns[2],
            "columns": column_labels,
            "rows": [
                {"label": r, "cells": [cells.get((r, c)) for c in column_labels]}
                for r in row_labels
            ],
        }

    def as_dict(self) -> dict:
        return {"columns": self.columns, "group_count": self.group_count, "rows": self.rows}


def _ordered(labels) -> list:
    return sorted(labels, key=lambda label: (label is None, str(label or "")))


# --- checking a definition --------------------------------------------------------
def check_definition(
    *,
    entity: str,
    filters: Any = None,
    period: str = "all",
    group_by: Sequence[str] | None = None,
    measures: Sequence[Mapping] | None = None,
    calculated_fields: Sequence[Mapping] | None = None,
) -> Definition:
    """The definition, checked; ``ValidationError`` names the bad part (field-level)."""
    spec = ENTITIES.get(entity)
    if spec is None:
        raise ValidationError(
            {"entity": UNKNOWN_ENTITY.format(value=entity, known=", ".join(ENTITIES))}
        )
    filters = _checked_filters(spec, filters)
    dashboards.preset_bounds(period or "all", datetime.date.today())  # refuses unknown names
    group_by = _checked_groups(spec, group_by or ())
    calculated = _checked_calculated(spec, calculated_fields or ())
    numbers = set(spec.numbers) | {c["name"] for c in calculated}
    if measures is None:
        measures = [{"op": Measure.COUNT}]
    checked_measures = _checked_measures(spec, measures, numbers, group_by, filters)
    return Definition(
        entity=entity,
        filters=filters,
        period=period or "all",
        group_by=group_by,
        measures=checked_measures,
        calculated_fields=calculated,
    )


def _checked_filters(spec: EntitySpec, filters) -> dict[str, str]:
    if filters in (None, ""):
        return {}
    if not isinstance(filters, Mapping):
        raise ValidationError({"filters": BAD_FILTERS})
    clean = {str(k): str(v) for k, v in filters.items() if v not in (None, "")}
    known = list(spec.filterset.base_filters) if spec.filterset else []
    for name in clean:
        if name not in known:
            raise ValidationError(
                {
                    "filters": UNKNOWN_FILTER.format(
                        entity=spec.key, value=name, known=", ".join(known) or "none"
                    )
                }
            )
    if spec.filterset and clean:
        filterset = spec.filterset(data=clean, queryset=spec.filterset._meta.model.objects.none())
        if not filterset.is_valid():
            raise ValidationError(
                {"filters": [f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()]}
            )
    return clean


def _checked_groups(spec: EntitySpec, group_by: Sequence[str]) -> tuple[str, ...]:
    if isinstance(group_by, str):
        group_by = [g for g in group_by.split(",") if g.strip()]
    group_by = tuple(str(g).strip() for g in group_by)
    if len(group_by) > MAX_GROUP_DIMENSIONS:
        raise ValidationError({"group_by": TOO_MANY_GROUPS.format(limit=MAX_GROUP_DIMENSIONS)})
    for name in group_by:
        if name not in spec.dimensions:
            raise ValidationError(
                {
                    "group_by": UNKNOWN_GROUP.format(
                        entity=spec.key, value=name, known=", ".join(spec.dimensions)
                    )
                }
            )
    if len(set(group_by)) < len(group_by):
        raise ValidationError({"group_by": REPEATED_GROUP.format(value=group_by[0])})
    return group_by


def _checked_calculated(spec: EntitySpec, calculated) -> tuple[dict, ...]:
    if len(calculated) > MAX_CALCULATED_FIELDS:
        raise ValidationError(
            {"calculated_fields": TOO_MANY_CALCULATED.format(limit=MAX_CALCULATED_FIELDS)}
        )
    checked = []
    for item in calculated:
        name = str((item or {}).get("name", "")).strip()
        if not name.isidentifier() or len(name) > 40:
            raise ValidationError({"calculated_fields": BAD_NAME.format(value=name)})
        if name in spec.numbers or name in {c["name"] for c in checked}:
            raise ValidationError({"calculated_fields": NAME_TAKEN.format(value=name)})
        expression = str(item.get("expression", ""))
        try:
            calculated_expression(expression, spec.numbers)
        except ValidationError as exc:
            raise ValidationError({"calculated_fields": f"{name}: {exc.messages[0]}"}) from None
        checked.append({"name": name, "expression": expression.strip()})
    return tuple(checked)


def _checked_measures(spec, measures, numbers, group_by, filters) -> tuple[dict, ...]:
    if not measures:
        raise ValidationError({"measures": NO_MEASURES})
    if len(measures) > MAX_MEASURES:
        raise ValidationError({"measures": TOO_MANY_MEASURES.format(limit=MAX_MEASURES)})
    checked = []
    for item in measures:
        op = str((item or {}).get("op", "")).strip()
        if op not in Measure.values:
            raise ValidationError(
                {"measures": UNKNOWN_OP.format(value=op, known=", ".join(Measure.values))}
            )
        if op == Measure.COUNT:
            checked.append({"op": op})
        elif op == Measure.KPI:
            checked.append({"op": op, "kpi": _checked_kpi(spec, item, group_by, filters)})
        else:
            name = str(item.get("field", "")).strip()
            if not name:
                raise ValidationError({"measures": FIELD_NEEDED.format(op=op)})
            if name not in numbers:
                known = ", ".join(sorted(numbers)) or "none"
                raise ValidationError(
                    {"measures": UNKNOWN_NUMBER.format(entity=spec.key, value=name, known=known)}
                )
            checked.append({"op": op, "field": name})
    return tuple(checked)


def _checked_kpi(spec, item, group_by, filters) -> str:
    key = str(item.get("kpi", "")).strip()
    if not key:
        raise ValidationError({"measures": KPI_NEEDED})
    try:
        kpi = registry.get(key)
    except UnknownKpi as exc:
        raise ValidationError({"measures": str(exc)}) from None
    for name in group_by:
        if spec.kpi_dimensions.get(name) not in kpi.dimensions:
            raise ValidationError({"measures": KPI_GROUPS.format(kpi=kpi.name, dimension=name)})
    for name in filters:
        if spec.kpi_filters.get(name) not in kpi.filters:
            raise ValidationError({"measures": KPI_FILTER.format(name=name)})
    return key


# --- computing ---------------------------------------------------------------------
def measure_label(measure: Mapping[str, str]) -> str:
    if measure["op"] == Measure.COUNT:
        return "count"
    if measure["op"] == Measure.KPI:
        return measure["kpi"]
    return f"{measure['op']}({measure['field']})"


def _period(definition: Definition, period: Period | None) -> Period:
    if period is not None:
        return period
    bounds = dashboards.preset_bounds(definition.period, datetime.date.today())
    return Period(*bounds) if bounds else Period()


def report_records(
    definition: Definition, *, viewer: User, period: Period | None = None
) -> QuerySet:
    """The records the report counts for ``viewer``: visible, filtered, in the period."""
    spec = ENTITIES[definition.entity]
    rows = spec.visible(viewer)
    if spec.filterset and definition.filters:
        # A report counts every status unless its filters name one (no list defaults).
        filterset = spec.filterset(data=dict(definition.filters), queryset=rows, defaults=False)
        if not filterset.is_valid():
            raise ValidationError({"filters": list(filterset.errors)})
        rows = filterset.qs
    return rows.filter(_period(definition, period).q(spec.date_field, on_dates=spec.on_dates))


def _rounded(op: str, value):
    if value is None or op == Measure.COUNT:
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP)


def run_report(
    definition: Definition, *, viewer: User, period: Period | None = None
) -> ReportResult:
    """The report over what ``viewer`` may see: one ``GROUP BY`` query for the field
    measures, one more per KPI measure."""
    spec = ENTITIES[definition.entity]
    period = _period(definition, period)
    rows = report_records(definition, viewer=viewer, period=period)
    operands = {name: F(path) for name, path in spec.numbers.items()}
    for item in definition.calculated_fields:
        operands[item["name"]] = calculated_expression(item["expression"], spec.numbers)
    aggregates = {}
    for index, measure in enumerate(definition.measures):
        if measure["op"] == Measure.COUNT:
            aggregates[f"m{index}"] = Count("pk")
        elif measure["op"] in AGGREGATES:
            aggregates[f"m{index}"] = AGGREGATES[measure["op"]](operands[measure["field"]])
    labels = {}
    for index, name in enumerate(definition.group_by):
        path = spec.dimensions[name]
        labels[f"g{index}"] = TruncMonth(path) if name == MONTH else F(path)
    query = rows.order_by().annotate(**labels).values(*labels).annotate(**aggregates)
    fetched = list(query[: MAX_RESULT_ROWS + 1]) if labels else [rows.aggregate(**aggregates)]
    if len(fetched) > MAX_RESULT_ROWS:
        raise ValidationError(TOO_MANY_ROWS.format(limit=MAX_RESULT_ROWS))
    kpi_values = _kpi_values(spec, definition, viewer, period)
    result_rows = []
    for row in fetched:
        key = tuple(_label(name, row[f"g{i}"]) for i, name in enumerate(definition.group_by))
        values = []
        for index, measure in enumerate(definition.measures):
            if measure["op"] == Measure.KPI:
                values.append(kpi_values[index].get(key))
            else:
                values.append(_rounded(measure["op"], row[f"m{index}"]))
        result_rows.append([*key, *values])
    result_rows.sort(key=lambda r: tuple((v is None, str(v or "")) for v in r[: len(labels)]))
    columns = [*definition.group_by, *(measure_label(m) for m in definition.measures)]
    return ReportResult(columns=columns, group_count=len(labels), rows=result_rows)


def _label(name: str, value):
    if value is None:
        return None
    if name == MONTH:
        return value.strftime("%Y-%m")
    return str(value)


def _kpi_values(spec, definition, viewer, period) -> dict[int, dict[tuple, Any]]:
    """Each KPI measure's value per group (labels as tuples), computed by the registry."""
    values = {}
    for index, measure in enumerate(definition.measures):
        if measure["op"] != Measure.KPI:
            continue
        kpi = registry.get(measure["kpi"])
        try:
            result = kpi.compute(
                user=viewer,
                start=period.start,
                end=period.end,
                group_by=[spec.kpi_dimensions[g] for g in definition.group_by] or None,
                filters={spec.kpi_filters[k]: v for k, v in definition.filters.items()},
            )
        except (PermissionDenied, ValidationError):
            values[index] = {}
            continue
        if not definition.group_by:
            values[index] = {(): result.value}
        else:
            values[index] = {
                tuple(g.group) if isinstance(g.group, list) else (g.group,): g.value
                for g in result.groups
            }
    return values
