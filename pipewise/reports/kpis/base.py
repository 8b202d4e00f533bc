"""The KPI registry's building blocks: a KPI definition, the question asked, the answer.

A KPI is a class whose written definition is data — key, name, definition,
formula, unit, the dimensions it can be grouped by, the filters and inputs it
takes, what the period selects — plus one way to compute it with SQL
aggregates over the records the asking user may see::

    kpi = registry.get("won_revenue")
    result = kpi.compute(user=manager, start=date(2025, 1, 1), end=date(2025, 3, 31),
                         group_by="owner", filters={"territory": "DE"})
    result.value                     # Decimal("350000.00"), over everything asked for
    result.groups                    # [Group(group="ae", value=Decimal("230000.00")), …]

Dashboards, the API, exports and planning's target actuals all call
``compute``; none of them restates a formula.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from pipewise.org.models import User
from pipewise.reports.choices import (
    MAX_GROUP_DIMENSIONS,
    UNIT_PLACES,
    Dimension,
    Filter,
    Unit,
)
from pipewise.reports.kpis.subjects import LINE_ITEMS, Subject
from pipewise.reports.periods import Period
from pipewise.reports.selectors import line_items_of, without_line_items

UNKNOWN_KPI = "No KPI {key!r}. Known KPIs: {known}."
NOT_GROUPABLE = "{kpi} is a single figure and cannot be grouped."
UNKNOWN_DIMENSION = "{kpi} cannot be grouped by {dimension!r}; it accepts: {accepted}."
TOO_MANY_DIMENSIONS = "{kpi} can be grouped by at most {limit} dimension(s) at once."
REPEATED_DIMENSION = "Group by {dimension!r} only once."
UNKNOWN_FILTER = "{kpi} cannot be filtered by {name!r}; it accepts: {accepted}."
UNKNOWN_INPUT = "{kpi} takes no input {name!r}; it takes: {accepted}."
INPUT_NEEDED = "{kpi} needs this input: {help}"
NOT_A_NUMBER = "Not a number: {value!r}."
NUMBER_TOO_LARGE = "{value!r} is too large."
NOT_A_VALUE = "Not a valid value: {value!r}."
NO_SUCH_ID = "No record has the id {value}."
# Inputs are amounts: below this and kept to 4 places, so every quotient stays exact.
INPUT_LIMIT = Decimal("1e15")
INPUT_PLACES = Decimal("0.0001")
LARGEST_ID = 2**63 - 1
# What a KPI says when its value is null and it names no more precise reason.
NOT_COMPUTABLE = "{kpi} cannot be computed for this selection: there is nothing to divide by."
COMPANY_LEVEL = (
    "{kpi} compares company revenue with company cost: only roles that see every record "
    "(administrators, sales operations, executives) can compute it."
)


class UnknownKpi(LookupError):
    """No KPI has this key."""


@dataclass(frozen=True)
class KpiInput:
    """A number the caller supplies because Pipewise does not record it yet (e.g. a target)."""

    name: str
    help: str
    required: bool = True


@dataclass(frozen=True)
class Undefined:
    """Why a KPI has no value for a question, said for people: a sentence, and (when a
    missing input is the cause) the page where that input is entered.

    ``fix`` is a URL name and ``fix_query`` what that page is opened with (e.g. the
    period, so its form starts filled in); ``link`` is the path. Dashboards, the API
    and exports show ``reason`` (and the link), never the KPI's internal edge-case notes.
    """

    reason: str
    fix: str = ""
    fix_label: str = ""
    fix_query: tuple[tuple[str, str], ...] = ()

    @property
    def link(self) -> str:
        if not self.fix:
            return ""
        query = f"?{urlencode(self.fix_query)}" if self.fix_query else ""
        return reverse(self.fix) + query

    def as_dict(self) -> dict:
        return {"reason": self.reason, "fix_url": self.link or None, "fix_label": self.fix_label}


@dataclass(frozen=True)
class KpiQuery:
    """One checked question to a KPI: who asks, for which period, grouped and narrowed how;
    ``today`` is the clock (the company's date now, or the one a caller injects)."""

    user: User
    period: Period
    today: datetime.date
    group_by: tuple[str, ...] = ()
    filters: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Decimal] = field(default_factory=dict)
    # False: the caller reads only the groups, so a KPI may skip its total query.
    with_total: bool = True


@dataclass(frozen=True)
class Group:
    """The KPI for one group: ``group`` is its label (a list of labels for two dimensions);
    None labels the records without a value (no team, no territory, no product line)."""

    group: Any
    value: Any


@dataclass(frozen=True)
class KpiResult:
    """A KPI's answer: the value over all records asked for, and one value per group;
    ``undefined`` says why, when the value asked for is null."""

    key: str
    unit: str
    value: Any
    groups: list[Group] = field(default_factory=list)
    undefined: Undefined | None = None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "unit": self.unit,
            "value": self.value,
            "groups": [{"group": g.group, "value": g.value} for g in self.groups],
            "undefined": self.undefined.as_dict() if self.undefined else None,
        }


def divide(numerator, denominator) -> Decimal | None:
    """``numerator ÷ denominator``, or None when there is nothing to divide by.

    None means "not defined for this data" (no closed deals, no cost): a KPI
    never answers 0 for a ratio it cannot compute.
    """
    if numerator is None or denominator is None:
        return None
    denominator = as_decimal(denominator)
    if denominator == 0:
        return None
    return as_decimal(numerator) / denominator


def as_decimal(number) -> Decimal:
    """A SQL result as Decimal; floats (SQLite, durations) through their shortest repr."""
    if isinstance(number, float):
        return Decimal(repr(number))
    return Decimal(number)


def rounded(unit: str, value):
    """A KPI value as it is reported: counts as integers, the rest as Decimal rounded half
    up to the unit's places (cents for money, 4 places for ratios)."""
    if value is None or isinstance(value, Undefined):
        return None
    if unit == Unit.COUNT:
        return int(value)
    places = Decimal(1).scaleb(-UNIT_PLACES[unit])
    return as_decimal(value).quantize(places, rounding=ROUND_HALF_UP)


class Kpi:
    """One metric, defined once. Subclasses fill in the definition and ``evaluate``."""

    key: ClassVar[str]
    name: ClassVar[str]
    unit: ClassVar[str]
    definition: ClassVar[str]
    formula: ClassVar[str]
    period_rule: ClassVar[str]
    edge_cases: ClassVar[str] = ""
    # The sentence shown when the value is null ({kpi} = the name); ``evaluate`` may
    # instead return an ``Undefined`` naming a more precise reason.
    undefined_reason: ClassVar[str] = NOT_COMPUTABLE
    dimensions: ClassVar[tuple[str, ...]] = ()
    filters: ClassVar[tuple[str, ...]] = ()
    inputs: ClassVar[tuple[KpiInput, ...]] = ()
    needs_period: ClassVar[bool] = False
    company_level: ClassVar[bool] = False
    max_dimensions: ClassVar[int] = MAX_GROUP_DIMENSIONS

    def __repr__(self):
        return f"<KPI {self.key}>"

    def compute(
        self,
        *,
        user: User,
        start=None,
        end=None,
        group_by: str | Sequence[str] | None = None,
        filters: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        with_total: bool = True,
        today: datetime.date | None = None,
    ) -> KpiResult:
        """The KPI over the records ``user`` may see, from ``start`` to ``end`` (dates,
        inclusive; None = unbounded), optionally per group; raises ``ValidationError``
        naming the bad argument. ``with_total=False`` (grouped questions whose total is
        not read, e.g. a dashboard's per-person table) lets a KPI over one kind of record
        skip its total query; ``value`` is then None for those KPIs. ``today`` injects the
        clock (default: the company's date now). A null value comes with ``undefined``,
        the reason in a sentence."""
        query = self.prepare(
            user=user, start=start, end=end, group_by=group_by, filters=filters, inputs=inputs
        )
        query = replace(query, today=today or query.today)
        if not with_total and query.group_by:
            query = replace(query, with_total=False)
        value, groups = self.evaluate(query)
        undefined = None
        if isinstance(value, Undefined):
            undefined = value
        elif value is None and query.with_total:
            undefined = Undefined(self.undefined_reason.format(kpi=self.name))
        return KpiResult(
            key=self.key,
            unit=str(self.unit),
            value=rounded(self.unit, value),
            groups=[Group(g.group, rounded(self.unit, g.value)) for g in groups],
            undefined=undefined,
        )

    def evaluate(self, query: KpiQuery) -> tuple[Any, list[Group]]:
        raise NotImplementedError

    # --- checking the question ----------------------------------------------
    def prepare(self, *, user, start, end, group_by, filters, inputs) -> KpiQuery:
        if self.company_level and not user.sees_everything:
            raise PermissionDenied(COMPANY_LEVEL.format(kpi=self.name))
        period = Period(start, end)
        if self.needs_period:
            period.require_bounds()
        return KpiQuery(
            user=user,
            period=period,
            today=timezone.localdate(),
            group_by=self._checked_dimensions(group_by),
            filters=self._checked_filters(filters or {}),
            inputs=self._checked_inputs(inputs or {}),
        )

    def _checked_dimensions(self, group_by) -> tuple[str, ...]:
        if isinstance(group_by, str):
            group_by = group_by.split(",")
        dimensions = tuple(d.strip() for d in (group_by or ()) if d and d.strip())
        if not dimensions:
            return ()
        if not self.dimensions:
            raise ValidationError({"group_by": NOT_GROUPABLE.format(kpi=self.name)})
        if len(dimensions) > self.max_dimensions:
            raise ValidationError(
                {"group_by": TOO_MANY_DIMENSIONS.format(kpi=self.name, limit=self.max_dimensions)}
            )
        for dimension in dimensions:
            if dimension not in self.dimensions:
                raise ValidationError(
                    {
                        "group_by": UNKNOWN_DIMENSION.format(
                            kpi=self.name,
                            dimension=dimension,
                            accepted=", ".join(self.dimensions),
                        )
                    }
                )
        if len(set(dimensions)) < len(dimensions):
            raise ValidationError({"group_by": REPEATED_DIMENSION.format(dimension=dimensions[0])})
        return dimensions

    def _checked_filters(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        checked = {}
        for name, value in filters.items():
            if value is None or str(value).strip() == "":
                continue
            if name not in self.filters:
                accepted = ", ".join(self.filters) or "none"
                raise ValidationError(
                    {name: UNKNOWN_FILTER.format(kpi=self.name, name=name, accepted=accepted)}
                )
            text = str(value).strip()
            if "\x00" in text:
                raise ValidationError({name: NOT_A_VALUE.format(value=text)})
            if text.isdigit() and int(text) > LARGEST_ID:
                raise ValidationError({name: NO_SUCH_ID.format(value=text)})
            checked[name] = text if isinstance(value, str) else value
        return checked

    def _checked_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Decimal]:
        known = {spec.name: spec for spec in self.inputs}
        checked = {}
        for name, value in inputs.items():
            if name not in known:
                accepted = ", ".join(known) or "none"
                raise ValidationError(
                    {name: UNKNOWN_INPUT.format(kpi=self.name, name=name, accepted=accepted)}
                )
            if value is None or str(value).strip() == "":
                continue
            try:
                number = as_decimal(value if not isinstance(value, str) else value.strip())
            except (InvalidOperation, ValueError, TypeError):
                number = None
            if number is None or not number.is_finite():
                raise ValidationError({name: NOT_A_NUMBER.format(value=value)})
            if abs(number) >= INPUT_LIMIT:
                raise ValidationError({name: NUMBER_TOO_LARGE.format(value=value)})
            checked[name] = number.quantize(INPUT_PLACES, rounding=ROUND_HALF_UP)
        for spec in self.inputs:
            if spec.required and spec.name not in checked:
                raise ValidationError(
                    {spec.name: INPUT_NEEDED.format(kpi=self.name, help=spec.help)}
                )
        return checked

    # --- describing itself --------------------------------------------------
    def describe(self) -> dict:
        """The definition as data: what the registry endpoint and the docs show."""
        return {
            "key": self.key,
            "name": self.name,
            "definition": self.definition,
            "formula": self.formula,
            "unit": self.unit,
            "period": self.period_rule,
            "needs_period": self.needs_period,
            "dimensions": list(self.dimensions),
            "filters": list(self.filters),
            "inputs": [
                {"name": i.name, "help": i.help, "required": i.required} for i in self.inputs
            ],
            "edge_cases": self.edge_cases,
            "undefined_reason": self.undefined_reason.format(kpi=self.name),
            "company_level": self.company_level,
        }


# --- KPIs that are aggregates over one kind of record ------------------------
def group_label(dimension: str, value):
    if value is None:
        return None
    if dimension == Dimension.MONTH:
        return value.strftime("%Y-%m")
    return str(value)


def grouped(
    rows: QuerySet,
    subject: Subject,
    dimensions: Sequence[str],
    date_field: str | None,
    aggregates: Mapping[str, Any],
) -> dict[tuple, dict]:
    """One ``GROUP BY`` query: the aggregates per combination of group labels.

    Each row also carries ``_sort``, the order its group is listed in (labels,
    except stages, which follow the sales process).
    """
    labels = {
        f"group_{i}": subject.group_expression(d, date_field) for i, d in enumerate(dimensions)
    }
    sorts = {
        f"sort_{i}": sort
        for i, d in enumerate(dimensions)
        if (sort := subject.group_sort(d)) is not None
    }
    result = {}
    query = rows.order_by().annotate(**labels).values(*labels).annotate(**sorts, **aggregates)
    for row in query:
        key = tuple(group_label(d, row[f"group_{i}"]) for i, d in enumerate(dimensions))
        row["_sort"] = tuple(row.get(f"sort_{i}", key[i]) for i in range(len(dimensions)))
        result[key] = row
    return result


def _sort_key(item: tuple[tuple, dict]):
    return tuple(
        (label is None, sort) for label, sort in zip(item[0], item[1]["_sort"], strict=True)
    )


@dataclass(frozen=True)
class Rollup:
    """Pre-counted rows that answer an aggregate KPI without reading its records, for the
    questions that ask only for what the rows keep (activities per owner, type and day).

    ``subject`` gives the rows' own dimension and filter paths, ``date_field`` their
    day (a date column), ``aggregates`` the KPI's measures under the same names, over
    the rows' columns, so the KPI's ``value`` reads either; ``condition`` keeps the rows
    that stand for the records the KPI's ``scope`` keeps (won deals …).
    """

    subject: Subject
    date_field: str
    aggregates: Mapping[str, Any]
    # The rows that stand for the KPI's records (its ``scope``: won deals, closed deals …).
    condition: Q = field(default_factory=Q)
    # Rows kept per month (not per day) answer only periods made of whole months.
    whole_months: bool = False

    def answers(self, query: KpiQuery) -> bool:
        if self.whole_months and not query.period.in_whole_months:
            return False
        return set(query.filters) <= set(self.subject.filters) and all(
            d == Dimension.MONTH or d in self.subject.groups for d in query.group_by
        )

    def records(self, query: KpiQuery) -> QuerySet:
        rows = self.subject.records(query.user, query.filters).filter(self.condition)
        return rows.filter(query.period.q(self.date_field, on_dates=True))

    def group_rows(self, rows: QuerySet, query: KpiQuery) -> dict[tuple, dict]:
        return grouped(rows, self.subject, query.group_by, self.date_field, self.aggregates)


class AggregateKpi(Kpi):
    """A KPI computed as SQL aggregates over one subject's visible records.

    ``records`` selects (visible, filtered, in the period by ``date_field``, then
    ``scope``); ``aggregates`` names the SQL aggregates; ``value`` turns one row
    of them into the figure. The total is one ``aggregate()`` query, the groups
    one ``GROUP BY`` query: two queries whatever the number of rows. A ``rollup``
    answers instead whenever the question asks only for what it keeps; else the
    ``month_rollup`` (the month totals by territory, segment and source), for periods
    of whole months.
    """

    subject: ClassVar[Subject]
    date_field: ClassVar[str | None] = None
    on_dates: ClassVar[bool] = False
    rollup: ClassVar[Rollup | None] = None
    month_rollup: ClassVar[Rollup | None] = None

    def records(self, query: KpiQuery) -> QuerySet:
        rows = self.subject.records(query.user, query.filters)
        if self.date_field:
            rows = rows.filter(query.period.q(self.date_field, on_dates=self.on_dates))
        return self.scope(rows, query)

    def scope(self, rows: QuerySet, query: KpiQuery) -> QuerySet:
        return rows

    def aggregates(self, query: KpiQuery) -> dict[str, Any]:
        raise NotImplementedError

    def value(self, row: Mapping[str, Any], query: KpiQuery):
        raise NotImplementedError

    def group_rows(self, rows: QuerySet, aggregates: dict, query: KpiQuery) -> dict[tuple, dict]:
        return grouped(rows, self.subject, query.group_by, self.date_field, aggregates)

    def answering_rollup(self, query: KpiQuery) -> Rollup | None:
        """The first of the KPI's running totals that answers the question, if any."""
        for rollup in (self.rollup, self.month_rollup):
            if rollup is not None and rollup.answers(query):
                return rollup
        return None

    def evaluate(self, query: KpiQuery) -> tuple[Any, list[Group]]:
        rollup = self.answering_rollup(query)
        if rollup is None:
            rows, aggregates = self.records(query), self.aggregates(query)
        else:
            rows, aggregates = rollup.records(query), dict(rollup.aggregates)
        value = None
        if query.with_total or not query.group_by:
            value = self.value(rows.order_by().aggregate(**aggregates), query)
        if not query.group_by:
            return value, []
        if rollup is None:
            found = self.group_rows(rows, aggregates, query)
        else:
            found = rollup.group_rows(rows, query)
        single = len(query.group_by) == 1
        groups = [
            Group(key[0] if single else list(key), self.value(row, query))
            for key, row in sorted(found.items(), key=_sort_key)
        ]
        return value, groups


class ProductLineSplit:
    """Lets an additive KPI over deals (a sum or a count) be grouped by product line.

    A deal's line items split its amount by product; the product line of each
    line decides its group. Deals without line items form the group null, so
    the groups still add up to the total (counts excepted: a deal with lines in
    two product lines counts once in each). Mix into an ``AggregateKpi`` over
    opportunities and give ``line_aggregates`` with the same names as
    ``aggregates``.
    """

    def line_aggregates(self, query: KpiQuery) -> dict[str, Any]:
        raise NotImplementedError

    def group_rows(self, rows, aggregates, query):
        if Dimension.PRODUCT_LINE not in query.group_by:
            return super().group_rows(rows, aggregates, query)
        dimensions = query.group_by
        line_date = f"opportunity__{self.date_field}" if self.date_field else None
        result = grouped(
            line_items_of(rows), LINE_ITEMS, dimensions, line_date, self.line_aggregates(query)
        )
        at = dimensions.index(Dimension.PRODUCT_LINE)
        others = tuple(d for d in dimensions if d != Dimension.PRODUCT_LINE)
        lineless = without_line_items(rows)
        if others:
            extra = grouped(lineless, self.subject, others, self.date_field, aggregates)
        else:
            extra = {(): {**lineless.order_by().aggregate(**aggregates), "_sort": ()}}
        for key, row in extra.items():
            if not any(row.get(name) for name in aggregates):
                continue  # no deal without line items here
            full_key = key[:at] + (None,) + key[at:]
            sort = row["_sort"][:at] + (None,) + row["_sort"][at:]
            known = result.get(full_key)
            if known is None:
                result[full_key] = {**row, "_sort": sort}
            else:
                for name in aggregates:
                    known[name] = (known[name] or 0) + (row[name] or 0)
        return result


# --- the registry -------------------------------------------------------------
class KpiRegistry:
    """Every KPI, by key, in the order they were defined."""

    def __init__(self):
        self._kpis: dict[str, Kpi] = {}

    def register(self, kpi_class: type[Kpi]) -> type[Kpi]:
        """Class decorator: add a KPI, checking its definition is complete and consistent."""
        kpi = kpi_class()
        problems = []
        for attribute in ("key", "name", "unit", "definition", "formula", "period_rule"):
            if not getattr(kpi, attribute, ""):
                problems.append(f"no {attribute}")
        if kpi.unit not in Unit.values:
            problems.append(f"unknown unit {kpi.unit!r}")
        problems += [f"unknown dimension {d!r}" for d in kpi.dimensions if d not in Dimension]
        problems += [f"unknown filter {f!r}" for f in kpi.filters if f not in Filter]
        if kpi.key in self._kpis:
            problems.append("key already registered")
        if problems:
            raise ImproperlyConfigured(f"KPI {kpi_class.__name__}: {'; '.join(problems)}.")
        self._kpis[kpi.key] = kpi
        return kpi_class

    def get(self, key: str) -> Kpi:
        try:
            return self._kpis[key]
        except KeyError:
            raise UnknownKpi(UNKNOWN_KPI.format(key=key, known=", ".join(self._kpis))) from None

    def __iter__(self) -> Iterator[Kpi]:
        return iter(self._kpis.values())

    def __len__(self) -> int:
        return len(self._kpis)

    def __contains__(self, key: str) -> bool:
        return key in self._kpis


registry = KpiRegistry()
register = registry.register
