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
from django.db import models
from django.db.models import Avg, Count, F, Max, Min, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django_filters import BooleanFilter, ModelChoiceFilter

from pipewise.activities.filters import ActivityFilter, TaskFilter
from pipewise.activities.models import Activity, Task
from pipewise.activities.permissions import activity_visible_to, task_visible_to
from pipewise.core.filters import FilterSet
from pipewise.customers.filters import AccountFilter
from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import account_visible_to
from pipewise.leads.filters import LeadFilter
from pipewise.leads.models import Lead
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import User
from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.filters import OpportunityFilter
from pipewise.pipeline.models import LineItem, Opportunity, Stage
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
    Unit,
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
KPI_GROUPS = (
    "{kpi} cannot be grouped by {dimension} ({key!r}), which this report groups by; "
    "group by something else or pick another measure."
)
KPI_FILTER = (
    "{kpi} cannot be combined with the filter on {field} ({name!r}); "
    "remove that filter or pick another measure."
)
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
    model: type[models.Model] | None = None
    money: frozenset[str] = frozenset()  # the numbers that are amounts of money
    kpi_subject: str = ""  # the KPIs over these records (``Subject.name``) are its measures
    date_label: str = ""  # what the period and "month" are of, for people


OWNER_KPI = {"owner": Dimension.OWNER, "team": Dimension.TEAM, MONTH: Dimension.MONTH}

ENTITIES: dict[str, EntitySpec] = {
    spec.key: spec
    for spec in [
        EntitySpec(
            key=ReportEntity.OPPORTUNITIES,
            model=Opportunity,
            money=frozenset({"amount"}),
            kpi_subject="opportunities",
            date_label="expected close date",
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
            kpi_filters={
                "owner": "owner",
                "pipeline": "pipeline",
                "source": "source",
                "account": "account",
            },
            export_kind="opportunities",
        ),
        EntitySpec(
            key=ReportEntity.LEADS,
            model=Lead,
            money=frozenset(),
            kpi_subject="leads",
            date_label="date created",
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
            model=Activity,
            money=frozenset(),
            kpi_subject="activities",
            date_label="date it happened",
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
            kpi_filters={"owner": "owner", "type": "activity_type", "account": "account"},
            export_kind="activities",
        ),
        EntitySpec(
            key=ReportEntity.TASKS,
            model=Task,
            money=frozenset(),
            kpi_subject="",
            date_label="due date",
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
            model=Account,
            money=frozenset({"annual_revenue"}),
            kpi_subject="accounts",
            date_label="date created",
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
            model=LineItem,
            money=frozenset({"unit_price"}),
            kpi_subject="line items",
            date_label="deal's close date",
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
    """The computed report: column keys (the API's), then one row per group (labels, then
    measure values). For people: ``headings`` (what each column means), ``shown`` (each
    row's group labels: names, not usernames; choice labels; "Mar 2026"), ``units`` (each
    measure's unit, ``Unit`` or "" for a plain number) and ``totals`` (each measure over
    all the records, when grouped). Rows come in the groups' own order: stages in process
    order, people by name, months in time. ``pivot`` lays the first measure out as rows ×
    columns for two groupings."""

    columns: list[str]
    group_count: int
    rows: list[list[Any]]
    headings: list[str] = field(default_factory=list)
    shown: list[list[str]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    totals: list[Any] | None = None
    keys: list[tuple] = field(default_factory=list, repr=False)  # each row's sort key

    def pivot(self) -> dict | None:
        if self.group_count != 2:
            return None
        row_labels, column_keys, cells = {}, {}, {}
        for row, shown, key in zip(self.rows, self.shown, self.keys, strict=True):
            row_labels.setdefault(row[0], shown[0])
            column_keys.setdefault(row[1], (key[1], shown[1]))
            cells[(row[0], row[1])] = row[2]
        columns = sorted(column_keys, key=lambda raw: column_keys[raw][0])
        return {
            "measure": self.headings[2],
            "unit": self.units[0],
            "columns": [column_keys[c][1] for c in columns],
            "rows": [
                {"label": shown, "cells": [cells.get((raw, c)) for c in columns]}
                for raw, shown in row_labels.items()
            ],
        }

    def as_dict(self) -> dict:
        return {"columns": self.columns, "group_count": self.group_count, "rows": self.rows}


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
            label = dimension_label(spec, name)
            message = KPI_GROUPS.format(kpi=kpi.name, dimension=label, key=name)
            raise ValidationError({"measures": message})
    for name in filters:
        if spec.kpi_filters.get(name) not in kpi.filters:
            fields = {o.name: o.field_label for o in filter_options(spec)}
            message = KPI_FILTER.format(kpi=kpi.name, field=fields.get(name, name), name=name)
            raise ValidationError({"measures": message})
    return key


# --- what people read -------------------------------------------------------------
NOT_SET = "Not set"
DIMENSION_LABELS = {
    "owner": "Owner",
    "team": "Team",
    "status": "Status",
    "stage": "Stage",
    "pipeline": "Sales process",
    "source": "Source",
    "territory": "Territory",
    "segment": "Segment",
    "account": "Account",
    "forecast_category": "Forecast category",
    "rating": "Rating",
    "campaign": "Campaign",
    "type": "Type",
    "outcome": "Outcome",
    "assignee": "Assigned to",
    "priority": "Priority",
    "industry": "Industry",
    "country": "Country",
    "product": "Product",
    "product_line": "Product line",
}
NUMBER_LABELS = {
    "probability": "stage probability",
    "duration_minutes": "duration (minutes)",
    "annual_revenue": "annual revenue",
    "unit_price": "unit price",
    "discount_percent": "discount (%)",
}
MEASURE_WORDS = {
    Measure.SUM: "Sum of {number}",
    Measure.AVG: "Average {number}",
    Measure.MIN: "Lowest {number}",
    Measure.MAX: "Highest {number}",
}
COUNT_LABEL = "Count"


def dimension_label(spec: EntitySpec, name: str) -> str:
    """A grouping for people: owner → Owner, month → Month (expected close date)."""
    if name == MONTH:
        return f"Month ({spec.date_label})"
    return DIMENSION_LABELS.get(name, name.replace("_", " ").capitalize())


def number_label(name: str) -> str:
    return NUMBER_LABELS.get(name, name.replace("_", " "))


def measure_heading(measure: Mapping[str, str]) -> str:
    """A measure for people: Count, Sum of amount, Average score, Won revenue."""
    if measure["op"] == Measure.COUNT:
        return COUNT_LABEL
    if measure["op"] == Measure.KPI:
        return registry.get(measure["kpi"]).name
    return MEASURE_WORDS[measure["op"]].format(number=number_label(measure["field"]))


def measure_unit(spec: EntitySpec, measure: Mapping[str, str]) -> str:
    """The unit a measure's values are in: a count, money, a KPI's unit, or "" (a number)."""
    if measure["op"] == Measure.COUNT:
        return Unit.COUNT
    if measure["op"] == Measure.KPI:
        return str(registry.get(measure["kpi"]).unit)
    return Unit.CURRENCY if measure["field"] in spec.money else ""


def _kpi_subject(kpi) -> str:
    subject = getattr(kpi, "subject", None)
    if subject is not None:
        return subject.name
    parts = getattr(kpi, "parts", None)
    return _kpi_subject(registry.get(next(iter(parts.values())))) if parts else ""


def entity_kpis(spec: EntitySpec) -> list:
    """The registry KPIs over this kind of record that need no typed input (a target)."""
    if not spec.kpi_subject:
        return []
    return [
        kpi
        for kpi in registry
        if _kpi_subject(kpi) == spec.kpi_subject and not any(i.required for i in kpi.inputs)
    ]


def measure_key(measure: Mapping[str, str]) -> str:
    """A measure as one picker value: count, sum:amount, kpi:won_revenue."""
    if measure["op"] == Measure.COUNT:
        return Measure.COUNT
    if measure["op"] == Measure.KPI:
        return f"{Measure.KPI}:{measure['kpi']}"
    return f"{measure['op']}:{measure['field']}"


def measure_of_key(key: str) -> dict[str, str]:
    """The measure a picker value stands for (checked later with the whole definition)."""
    op, _, operand = key.partition(":")
    if op == Measure.COUNT:
        return {"op": op}
    if op == Measure.KPI:
        return {"op": op, "kpi": operand}
    return {"op": op, "field": operand}


def measure_choices(spec: EntitySpec, calculated: Sequence[str] = ()) -> list:
    """What the measure picker offers, in groups: a count, each number (and calculated
    field) summed, averaged, lowest, highest, and the KPIs over these records."""
    numbers = [(n, number_label(n)) for n in [*spec.numbers, *calculated]]
    groups = [("", [(Measure.COUNT, "Count of records")])]
    for number, label in numbers:
        groups.append(
            (
                label.capitalize(),
                [
                    (f"{op}:{number}", words.format(number=label))
                    for op, words in MEASURE_WORDS.items()
                ],
            )
        )
    kpis = entity_kpis(spec)
    if kpis:
        groups.append(("KPIs", [(f"{Measure.KPI}:{k.key}", k.name) for k in kpis]))
    return groups


def dimension_choices(spec: EntitySpec) -> list[tuple[str, str]]:
    return [(name, dimension_label(spec, name)) for name in spec.dimensions]


# --- filters as field → operator → value ----------------------------------------------
class FilterKind:
    """What value a filter takes, and so which widget picks it."""

    CHOICE = "choice"  # one of the field's choices
    PERSON = "person"  # a user, picked by name
    STAGE = "stage"  # a stage, in process order
    RECORD = "record"  # a record of a big table (accounts …): type-ahead
    OBJECT = "object"  # one of a short list (sales processes, territories …)
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"


OPERATOR_WORDS = {
    ("date", "gte"): "on or after",
    ("date", "gt"): "after",
    ("date", "lte"): "on or before",
    ("date", "lt"): "before",
    ("number", "gte"): "at least",
    ("number", "gt"): "more than",
    ("number", "lte"): "at most",
    ("number", "lt"): "less than",
    ("text", "icontains"): "contains",
}
BIG_TABLES = (Account, Contact, Lead, Opportunity)


@dataclass(frozen=True)
class FilterOption:
    """One filter of the entity's FilterSet, read as field → operator (``name`` is the
    FilterSet's own name, the key a stored definition and the API use)."""

    name: str
    field: str
    field_label: str
    operator: str
    kind: str
    related: type[models.Model] | None = None
    choices: tuple = ()


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a filter on a method or annotation has no model field
        return None


def _filter_option(model, name: str, spec_filter) -> FilterOption:
    lookup = spec_filter.lookup_expr
    field_name = spec_filter.field_name or name
    model_field = _model_field(model, field_name) if model is not None else None
    if isinstance(spec_filter, BooleanFilter) and spec_filter.method:
        label = str(spec_filter.label or name.replace("_", " ")).capitalize()
        return FilterOption(name, name, label, "is", FilterKind.BOOLEAN)
    label = str(model_field.verbose_name if model_field else field_name.replace("_", " "))
    label = label[:1].upper() + label[1:]
    label = label.removesuffix(" at")  # Created at → Created, Due at → Due
    if field_name == "external_id":
        label = "External ID"
    if isinstance(spec_filter, ModelChoiceFilter) and model_field is not None:
        related = model_field.related_model
        kind = (
            FilterKind.PERSON
            if issubclass(related, User)
            else FilterKind.STAGE
            if related is Stage
            else FilterKind.RECORD
            if related in BIG_TABLES
            else FilterKind.OBJECT
        )
        return FilterOption(name, field_name, label, "is", kind, related=related)
    if model_field is not None and model_field.choices:
        choices = tuple((str(k), str(v)) for k, v in model_field.choices)
        return FilterOption(name, field_name, label, "is", FilterKind.CHOICE, choices=choices)
    if isinstance(model_field, models.DateField):  # DateTimeField is one too
        words = OPERATOR_WORDS.get(("date", lookup), lookup)
        return FilterOption(name, field_name, label, words, FilterKind.DATE)
    if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        words = OPERATOR_WORDS.get(("number", lookup), "is")
        return FilterOption(name, field_name, label, words, FilterKind.NUMBER)
    words = OPERATOR_WORDS.get(("text", lookup), "is")
    return FilterOption(name, field_name, label, words, FilterKind.TEXT)


def filter_options(spec: EntitySpec) -> list[FilterOption]:
    """Every filter of the entity's list, as field → operator, in the FilterSet's order."""
    if spec.filterset is None:
        return []
    model = spec.filterset._meta.model
    return [_filter_option(model, n, f) for n, f in spec.filterset.base_filters.items()]


def filter_value_label(option: FilterOption, value: str) -> str:
    """A stored filter value for people: a choice's label, a person's or record's name, a
    date as a date."""
    if option.kind == FilterKind.CHOICE:
        return dict(option.choices).get(value, value)
    if option.kind == FilterKind.BOOLEAN:
        return "yes" if value.lower() in ("true", "1", "yes") else "no"
    if option.kind == FilterKind.DATE:
        return value[:10]
    if option.related is not None:
        record = option.related._base_manager.filter(pk=value).first() if value.isdigit() else None
        return str(record) if record is not None else value
    return value


def describe_filters(spec: EntitySpec, filters: Mapping[str, str]) -> list[str]:
    """Each filter as a phrase (Owner is Ann, Status is Won, Close date on or after
    2025-01-01), in the list's own filter order (a stored definition keeps no order:
    PostgreSQL's JSON sorts its keys); filters the list no longer has come last."""
    options = {o.name: o for o in filter_options(spec)}
    position = {name: index for index, name in enumerate(options)}
    phrases = []
    for name, value in sorted(
        filters.items(), key=lambda item: (position.get(item[0], len(position)), item[0])
    ):
        option = options.get(name)
        if option is None:
            phrases.append(f"{name} = {value}")
        else:
            label = filter_value_label(option, str(value))
            phrases.append(f"{option.field_label} {option.operator} {label}")
    return phrases


# --- computing ---------------------------------------------------------------------
def measure_label(measure: Mapping[str, str]) -> str:
    """A measure's column key (the API's): count, sum(amount), won_revenue."""
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
    measures, one more per KPI measure; grouped, the totals cost the same again (one
    ungrouped aggregate, one ungrouped KPI each)."""
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
    kpi_values = _kpi_values(spec, definition, viewer, period, definition.group_by)
    result_rows = []
    for row in fetched:
        key = tuple(_label(name, row[f"g{i}"]) for i, name in enumerate(definition.group_by))
        result_rows.append([*key, *_measure_values(definition, row, kpi_values, key)])
    readers = [_GroupReader(spec, name) for name in definition.group_by]
    for reader, position in zip(readers, range(len(readers)), strict=True):
        reader.load({row[position] for row in result_rows})
    keyed = sorted(
        ((tuple(r.sort_key(row[i]) for i, r in enumerate(readers)), row) for row in result_rows),
        key=lambda pair: pair[0],
    )
    totals = None
    if labels:
        total = rows.aggregate(**aggregates) if aggregates else {}
        kpi_totals = _kpi_values(spec, definition, viewer, period, ())
        totals = _measure_values(definition, total, kpi_totals, ())
    return ReportResult(
        columns=[*definition.group_by, *(measure_label(m) for m in definition.measures)],
        group_count=len(labels),
        rows=[row for _key, row in keyed],
        headings=[
            *(dimension_label(spec, name) for name in definition.group_by),
            *(measure_heading(m) for m in definition.measures),
        ],
        shown=[[r.shown(row[i]) for i, r in enumerate(readers)] for _key, row in keyed],
        units=[measure_unit(spec, m) for m in definition.measures],
        totals=totals,
        keys=[key for key, _row in keyed],
    )


def _measure_values(definition, row, kpi_values, key) -> list:
    values = []
    for index, measure in enumerate(definition.measures):
        if measure["op"] == Measure.KPI:
            values.append(kpi_values[index].get(key))
        else:
            values.append(_rounded(measure["op"], row[f"m{index}"]))
    return values


def _label(name: str, value):
    if value is None:
        return None
    if name == MONTH:
        return value.strftime("%Y-%m")
    return str(value)


def path_field(model, path: str):
    """The model field at the end of an ORM path (owner__team__name → Team.name)."""
    *links, last = path.split("__")
    for link in links:
        model = model._meta.get_field(link).related_model
    return model._meta.get_field(last)


class _GroupReader:
    """How one grouping's labels read for people, and in which order they come: people
    by name, stages in process order, choices in their own order, months in time."""

    def __init__(self, spec: EntitySpec, name: str):
        self.name = name
        self.path = spec.dimensions[name]
        self.person = self.path.endswith("__username")
        self.stage = self.path.endswith("stage__name")
        field_choices = [] if name == MONTH else path_field(spec.model, self.path).choices
        self.choices = {str(k): (i, str(v)) for i, (k, v) in enumerate(field_choices or [])}
        self.names: dict[str, str] = {}
        self.ranks: dict[str, tuple] = {}

    def load(self, labels: set) -> None:
        """Look up what the labels need: one query for names, one for stage order."""
        labels = {label for label in labels if label is not None}
        if self.person and labels:
            for username, first, last in User.objects.filter(username__in=labels).values_list(
                "username", "first_name", "last_name"
            ):
                self.names[username] = f"{first} {last}".strip() or username
        if self.stage and labels:
            # Process order: the default process's open stages, then the other processes',
            # then Won and Lost; a name several processes share takes its first place.
            stages = Stage.objects.filter(name__in=labels).values_list(
                "name", "kind", "pipeline__is_default", "pipeline__name", "order"
            )
            for stage_name, kind, default, process, order in stages:
                rank = (kind != StageKind.OPEN, kind == StageKind.LOST, not default, process, order)
                self.ranks[stage_name] = min(rank, self.ranks.get(stage_name, rank))

    def shown(self, label) -> str:
        if label is None:
            return NOT_SET
        if self.name == MONTH:
            return datetime.date.fromisoformat(f"{label}-01").strftime("%b %Y")
        if self.person:
            return self.names.get(label, label)
        if label in self.choices:
            return self.choices[label][1]
        return label

    def sort_key(self, label) -> tuple:
        if label is None:
            return (1, (), "")
        if self.stage:
            return (0, self.ranks.get(label, ()), label)
        if label in self.choices:
            return (0, (self.choices[label][0],), "")
        if self.name == MONTH:
            return (0, (), label)
        return (0, (), self.shown(label).lower())


def _kpi_values(spec, definition, viewer, period, group_by) -> dict[int, dict[tuple, Any]]:
    """Each KPI measure's value per group of ``group_by`` (labels as tuples; () for the
    total), computed by the registry."""
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
                group_by=[spec.kpi_dimensions[g] for g in group_by] or None,
                filters={spec.kpi_filters[k]: v for k, v in definition.filters.items()},
            )
        except (PermissionDenied, ValidationError):
            values[index] = {}
            continue
        if not group_by:
            values[index] = {(): result.value}
        else:
            values[index] = {
                tuple(g.group) if isinstance(g.group, list) else (g.group,): g.value
                for g in result.groups
            }
    return values
