"""The kinds of record KPIs count, and how each dimension and filter reaches them.

A KPI over deals groups "by territory" through the deal's account; a KPI over
line items reaches the same territory through the line's deal. Each subject
names those paths once, so every KPI over the same records groups and filters
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Expression, F, Min, Q, QuerySet

from pipewise.activities.choices import ActivityType
from pipewise.org.models import User
from pipewise.reports import selectors
from pipewise.reports.choices import Dimension, Filter
from pipewise.reports.expressions import MonthOf

UNKNOWN_ACTIVITY_TYPE = "Unknown activity type {value!r}; use one of: {known}."


def _by_id_or(natural_key: str) -> Callable[[str, object], Q]:
    """A filter on a related record given by its id or by a natural key (username, name)."""

    def condition(path: str, value) -> Q:
        if isinstance(value, int) or str(value).isdigit():
            return Q(**{f"{path}_id" if path else "pk": int(value)})
        return Q(**{f"{path}__{natural_key}" if path else natural_key: str(value)})

    return condition


def _within_territory(path: str, value) -> Q:
    return Q(**{f"{path}_id__in": selectors.territory_ids_within(value)})


def _equal(path: str, value) -> Q:
    return Q(**{path: str(value)})


def _activity_type(path: str, value) -> Q:
    if value not in ActivityType.values:
        raise ValidationError(
            {
                Filter.ACTIVITY_TYPE: UNKNOWN_ACTIVITY_TYPE.format(
                    value=value, known=", ".join(ActivityType.values)
                )
            }
        )
    return Q(**{path: value})


# How each filter's value becomes a condition on the path a subject gives it.
FILTER_CONDITIONS: dict[str, Callable[[str, object], Q]] = {
    Filter.OWNER: _by_id_or("username"),
    Filter.TEAM: _by_id_or("name"),
    Filter.TERRITORY: _within_territory,
    Filter.PIPELINE: _by_id_or("name"),
    Filter.SOURCE: _equal,
    Filter.SEGMENT: _by_id_or("name"),
    Filter.ACTIVITY_TYPE: _activity_type,
    Filter.ACCOUNT: _by_id_or("name"),
}


@dataclass(frozen=True)
class Subject:
    """Records of one kind, as the user may see them, with their dimension and filter paths.

    ``groups`` maps a dimension to the field holding its label (the month is
    computed from each KPI's own date); ``filters`` maps a filter to the field
    or relation it narrows; ``sorts`` orders groups other than by label (stages
    in process order).
    """

    name: str
    visible: Callable[[User], QuerySet]
    groups: Mapping[str, str]
    filters: Mapping[str, str]
    sorts: Mapping[str, str] = field(default_factory=dict)

    def records(self, user: User, filters: Mapping[str, object]) -> QuerySet:
        rows = self.visible(user)
        for key, value in filters.items():
            rows = rows.filter(FILTER_CONDITIONS[key](self.filters[key], value))
        return rows

    def group_expression(self, dimension: str, date_field: str | None) -> Expression:
        if dimension == Dimension.MONTH:
            return MonthOf(date_field)
        return F(self.groups[dimension])

    def group_sort(self, dimension: str) -> Expression | None:
        path = self.sorts.get(dimension)
        return Min(path) if path else None

    def through(self, prefix: str, *, name: str, visible, groups=None) -> Subject:
        """The same dimensions and filters seen from a record linked by ``prefix``."""
        return Subject(
            name=name,
            visible=visible,
            groups={k: prefix + v for k, v in self.groups.items()} | dict(groups or {}),
            filters={k: prefix + v for k, v in self.filters.items()},
            sorts={k: prefix + v for k, v in self.sorts.items()},
        )


def owned_records(
    name: str,
    visible: Callable[[User], QuerySet],
    *,
    territory: str | None = None,
    segment: str | None = None,
    groups: Mapping[str, str] | None = None,
    filters: Mapping[str, str] | None = None,
    sorts: Mapping[str, str] | None = None,
) -> Subject:
    """A subject of records with an owner: grouped and filtered by owner and by the owner's
    team, and — given the path to the record's territory or segment — by those too (the
    territory filter taking the territories inside it). ``groups``/``filters`` add the
    subject's own dimensions (source, stage, activity type …)."""
    own_groups = {Dimension.OWNER: "owner__username", Dimension.TEAM: "owner__team__name"}
    own_filters = {Filter.OWNER: "owner", Filter.TEAM: "owner__team"}
    for dimension, path in ((Dimension.TERRITORY, territory), (Dimension.SEGMENT, segment)):
        if path is not None:
            own_groups[dimension] = f"{path}__name"
            own_filters[Filter(dimension.value)] = path
    return Subject(
        name=name,
        visible=visible,
        groups=own_groups | dict(groups or {}),
        filters=own_filters | dict(filters or {}),
        sorts=dict(sorts or {}),
    )


OPPORTUNITIES = owned_records(
    "opportunities",
    selectors.visible_opportunities,
    territory="account__territory",
    segment="account__segment",
    groups={Dimension.SOURCE: "source", Dimension.STAGE: "stage__name"},
    filters={Filter.PIPELINE: "pipeline", Filter.SOURCE: "source", Filter.ACCOUNT: "account"},
    sorts={Dimension.STAGE: "stage__order"},
)

# The running totals per owner, stage and close day (pipeline.totals): they answer questions
# about closed deals asked only by owner, team, process, stage and month.
DEAL_TOTALS = owned_records(
    "deal totals",
    selectors.visible_deal_totals,
    groups={Dimension.STAGE: "stage__name"},
    filters={Filter.PIPELINE: "stage__pipeline"},
    sorts={Dimension.STAGE: "stage__order"},
)

# The running totals per owner, stage, territory, segment, source and month (pipeline.totals):
# they answer questions about deals over whole months by everything but account and product.
DEAL_MONTHS = owned_records(
    "deal month totals",
    selectors.visible_deal_months,
    territory="territory",
    segment="segment",
    groups={Dimension.SOURCE: "source", Dimension.STAGE: "stage__name"},
    filters={Filter.PIPELINE: "stage__pipeline", Filter.SOURCE: "source"},
    sorts={Dimension.STAGE: "stage__order"},
)

LINE_ITEMS = OPPORTUNITIES.through(
    "opportunity__",
    name="line items",
    visible=selectors.visible_line_items,
    groups={Dimension.PRODUCT_LINE: "product__product_line__name"},
)

LEADS = owned_records(
    "leads",
    selectors.visible_leads,
    territory="territory",
    groups={Dimension.SOURCE: "source"},
    filters={Filter.SOURCE: "source"},
)

# An activity is counted for its account's territory and segment (an activity logged on a
# deal or a contact takes their account: activities.services).
ACTIVITIES = owned_records(
    "activities",
    selectors.visible_activities,
    territory="account__territory",
    segment="account__segment",
    groups={Dimension.ACTIVITY_TYPE: "type"},
    filters={Filter.ACTIVITY_TYPE: "type", Filter.ACCOUNT: "account"},
)

# The daily counts per owner and type (activities.daily): they answer every activity
# question that asks only by owner, team, type and month, without reading the activities.
ACTIVITY_DAYS = owned_records(
    "activity days",
    selectors.visible_activity_days,
    groups={Dimension.ACTIVITY_TYPE: "type"},
    filters={Filter.ACTIVITY_TYPE: "type"},
)

ACCOUNTS = owned_records(
    "accounts", selectors.visible_accounts, territory="territory", segment="segment"
)

# The people "per rep" KPIs divide by (the owner filter is the person themselves).
REPS = Subject(
    name="reps",
    visible=selectors.reps_visible_to,
    groups={Dimension.OWNER: "username", Dimension.TEAM: "team__name"},
    filters={Filter.OWNER: "", Filter.TEAM: "team"},
)
