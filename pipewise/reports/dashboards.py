"""Dashboards: which KPIs each audience looks at, and how each number drills down.

A dashboard is data: figures (one KPI value each), charts and tables (one KPI
grouped by one or two dimensions). Every number comes from the KPI registry's
``compute`` (the same call the API makes), so page and API cannot disagree; a
dashboard never counts anything itself. Each KPI costs a bounded number of
aggregate queries (its total and, when grouped, one ``GROUP BY``), whatever the
number of rows.

Every number links to the records behind it: the existing list page with its
URL filters where that list can express the question (won deals of a month by
an owner: ``/opportunities/?status=won&owner=7&close_after=…&close_before=…``),
otherwise the reports app's record page, which lists the KPI's own records.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pipewise.core.filters import ANY_STATUS
from pipewise.org.models import Team, Territory, User
from pipewise.org.permissions import owner_ids_visible_to
from pipewise.pipeline.models import Pipeline, Stage
from pipewise.planning.choices import Dimension as PlanningDimension
from pipewise.planning.choices import Metric, PeriodKind
from pipewise.planning.periods import containing, month_end, month_index, month_of_index
from pipewise.planning.permissions import target_visible_to
from pipewise.planning.selectors import only_dimension
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.kpis import KpiResult, Undefined, registry
from pipewise.reports.kpis.base import AggregateKpi, divide, rounded
from pipewise.reports.periods import parse_day

UNKNOWN_PRESET = "Unknown period {value!r}."
NOT_ALLOWED = "Not available to you: {reason}"
TARGET_NOT_A_NUMBER = "The target must be a number, e.g. 250000."

# Dashboard filters (the KPI filters a page offers); each KPI gets those it accepts.
PAGE_FILTERS = (Filter.OWNER, Filter.TEAM, Filter.TERRITORY, Filter.PIPELINE, Filter.SOURCE)


# --- the period ------------------------------------------------------------------
def preset_bounds(
    preset: str, today: datetime.date, *, first_month: int | None = None
) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day of a named period around ``today``; None for all time.

    Quarters and years are those of the fiscal calendar (planning's: the company's first
    fiscal month, or ``first_month``), so a dashboard's "this quarter" is the quarter its
    targets are set for; "last 12 months" is the twelve whole months up to this one."""
    if preset == "all":
        return None
    if preset not in PRESET_PERIODS:
        raise ValidationError({"period": UNKNOWN_PRESET.format(value=preset)})
    kind, back = PRESET_PERIODS[preset]
    if preset == "last_12_months":
        month = containing(PeriodKind.MONTH, today, first_month=first_month)
        return month_of_index(month_index(month.start) - 11), month.end
    period = containing(kind, today, first_month=first_month)
    for _ in range(back):
        period = containing(
            kind, period.start - datetime.timedelta(days=1), first_month=first_month
        )
    return period.start, period.end


# Each preset: the fiscal period kind it names and how many periods back from today's.
PRESET_PERIODS = {
    "this_month": (PeriodKind.MONTH, 0),
    "last_month": (PeriodKind.MONTH, 1),
    "this_quarter": (PeriodKind.QUARTER, 0),
    "last_quarter": (PeriodKind.QUARTER, 1),
    "this_year": (PeriodKind.YEAR, 0),
    "last_year": (PeriodKind.YEAR, 1),
    "last_12_months": (PeriodKind.MONTH, 0),
}

PRESETS = [
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter (fiscal)"),
    ("last_quarter", "Last quarter (fiscal)"),
    ("this_year", "This fiscal year"),
    ("last_year", "Last fiscal year"),
    ("last_12_months", "Last 12 months"),
    ("all", "All time"),
]


@dataclass(frozen=True)
class Selection:
    """What the page was asked for: the period, the dimension filters, an optional target."""

    start: datetime.date | None
    end: datetime.date | None
    preset: str
    filters: Mapping[str, str] = field(default_factory=dict)
    target: str = ""

    def params(self) -> dict[str, str]:
        """The selection as URL parameters (for links and the API)."""
        params = {}
        if self.start:
            params["from"] = self.start.isoformat()
        if self.end:
            params["to"] = self.end.isoformat()
        return params | dict(self.filters)


def read_selection(params, *, default_preset: str = "this_quarter", defaults=None) -> Selection:
    """The selection in a request's GET parameters: explicit from/to win over a preset."""
    start, end = parse_day(params, "from"), parse_day(params, "to")
    preset = params.get("period") or ""
    if start or end:
        preset = "custom"
    else:
        preset = preset or default_preset
        bounds = preset_bounds(preset, timezone.localdate())
        start, end = bounds if bounds else (None, None)
    filters = dict(defaults or {})
    for name in PAGE_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            filters[name] = value
        elif name in params:
            filters.pop(name, None)  # "anyone" chosen explicitly
    target = (params.get("target") or "").strip()
    return Selection(start=start, end=end, preset=preset, filters=filters, target=target)


# --- drilling down ---------------------------------------------------------------
@dataclass(frozen=True)
class ListDrill:
    """How a KPI's records are reached on an existing list page.

    ``fixed``: parameters always set (``status=won``); ``dates``: the list's
    from/to parameters for the KPI's period field and whether they take the
    last day itself (dates) or the day after (datetimes, ``<``); ``params``:
    which list parameter each dimension or filter maps to. A question the list
    cannot express (a team, say) goes to the record page instead.
    """

    url_name: str
    fixed: Mapping[str, str]
    dates: tuple[str, str, bool] | None
    params: Mapping[str, str]


DEALS_CLOSED_ON = ("close_after", "close_before", True)
DEAL_PARAMS = {
    Filter.OWNER: "owner",
    Filter.PIPELINE: "pipeline",
    Filter.SOURCE: "source",
    Dimension.STAGE: "stage",
}
LIST_DRILLS: dict[str, ListDrill] = {
    "won_revenue": ListDrill("pipeline:list", {"status": "won"}, DEALS_CLOSED_ON, DEAL_PARAMS),
    "won_deal_count": ListDrill("pipeline:list", {"status": "won"}, DEALS_CLOSED_ON, DEAL_PARAMS),
    "average_deal_size": ListDrill(
        "pipeline:list", {"status": "won"}, DEALS_CLOSED_ON, DEAL_PARAMS
    ),
    "sales_cycle_days": ListDrill("pipeline:list", {"status": "won"}, DEALS_CLOSED_ON, DEAL_PARAMS),
    "open_deal_count": ListDrill("pipeline:list", {"status": "open"}, DEALS_CLOSED_ON, DEAL_PARAMS),
    "pipeline_value": ListDrill("pipeline:list", {"status": "open"}, DEALS_CLOSED_ON, DEAL_PARAMS),
    "weighted_pipeline": ListDrill(
        "pipeline:list", {"status": "open"}, DEALS_CLOSED_ON, DEAL_PARAMS
    ),
    # Counted over every status: the lists' open-work default must not narrow them.
    "funnel_stage_reached": ListDrill(
        "pipeline:list",
        {"status": ANY_STATUS},
        ("created_after", "created_before", False),
        DEAL_PARAMS,
    ),
    "lead_volume": ListDrill(
        "leads:list",
        {"status": ANY_STATUS},
        ("created_after", "created_before", False),
        {
            Filter.OWNER: "owner",
            Filter.TERRITORY: "territory",
            Filter.SOURCE: "source",
            Dimension.SOURCE: "source",
        },
    ),
}
# KPIs made of others drill to the records of the part that carries the money.
DRILL_AS = {
    "quota_attainment": "won_revenue",
    "pipeline_coverage": "pipeline_value",
    "pipeline_velocity": "open_deal_count",
    "funnel_conversion": "funnel_stage_reached",
    "sales_efficiency": "won_revenue",
    "magic_number": "won_revenue",
}


# What the group of records without a value holds, as a figure's label says it.
UNASSIGNED = {
    Dimension.OWNER: "No owner",
    Dimension.TEAM: "No team",
    Dimension.TERRITORY: "No territory",
    Dimension.PRODUCT_LINE: "No product line",
    Dimension.SOURCE: "No source",
    Dimension.STAGE: "No stage",
    Dimension.MONTH: "No date",
    Dimension.SEGMENT: "No segment",
    Dimension.ACTIVITY_TYPE: "No activity type",
}
NO_VALUE = "Not set"


@dataclass
class DrillContext:
    """Lookups the links of one page share (usernames and stage names to ids): two queries
    per page, whatever the number of links."""

    usernames: dict[str, int] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # username → full name, for display

    @classmethod
    def load(cls, user: User, selection: Selection) -> DrillContext:
        owners = owner_ids_visible_to(user)
        people = User.objects.order_by()
        if owners is not None:
            people = people.filter(pk__in=owners)
        stages = Stage.objects.order_by()
        pipeline = selection.filters.get(Filter.PIPELINE)
        if pipeline and str(pipeline).isdigit():
            stages = stages.filter(pipeline_id=int(pipeline))
        else:
            stages = stages.filter(pipeline__is_default=True)
        people = list(people.values_list("username", "pk", "first_name", "last_name"))
        return cls(
            usernames={username: pk for username, pk, _, _ in people},
            stages=dict(stages.values_list("name", "pk")),
            names={
                username: f"{first} {last}".strip() or username
                for username, _, first, last in people
            },
        )

    def shown(self, dimension: str, label):
        """A group label as people read it: a person's name instead of the username, and
        the group of records without a value named for what it holds ("No product line")."""
        if label is None:
            return UNASSIGNED.get(dimension, NO_VALUE)
        if dimension == Dimension.OWNER and isinstance(label, str):
            return self.names.get(label, label)
        return label


def _month_bounds(label: str) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(int(label[:4]), int(label[5:7]), 1)
    return first, month_end(first)


def drill_url(
    kpi_key: str,
    selection: Selection,
    lookups: DrillContext,
    group: Mapping[str, Any] | None = None,
) -> str | None:
    """The page listing the records behind a KPI value (of one group, if given)."""
    key = DRILL_AS.get(kpi_key, kpi_key)
    group = dict(group or {})
    start, end = selection.start, selection.end
    if group.get(Dimension.MONTH):
        start, end = _month_bounds(group.pop(Dimension.MONTH))
    spec = LIST_DRILLS.get(key)
    if spec is not None:
        url = _list_url(spec, selection, lookups, group, start, end)
        if url is not None:
            return url
    if key not in registry or not isinstance(registry.get(key), AggregateKpi):
        return None
    params = {"kpi": key} | selection.params()
    params.pop("from", None), params.pop("to", None)
    if start:
        params["from"] = start.isoformat()
    if end:
        params["to"] = end.isoformat()
    for dimension, label in group.items():
        params[f"group_{dimension}"] = "" if label is None else label
    return f"{reverse('reports:records')}?{urlencode(params)}"


def _list_url(spec, selection, lookups, group, start, end) -> str | None:
    params = dict(spec.fixed)
    for name, value in selection.filters.items():
        if name not in spec.params:
            return None
        params[spec.params[name]] = value
    for dimension, label in group.items():
        if dimension not in spec.params or label is None:
            return None
        if dimension == Dimension.OWNER:
            label = lookups.usernames.get(label)
        elif dimension == Dimension.STAGE:
            label = lookups.stages.get(label)
        if label is None:
            return None
        params[spec.params[dimension]] = label
    if spec.dates:
        after, before, inclusive = spec.dates
        if start:
            params[after] = start.isoformat()
        if end:
            last = end if inclusive else end + datetime.timedelta(days=1)
            params[before] = last.isoformat()
    return f"{reverse(spec.url_name)}?{urlencode(params)}"


# --- what a dashboard shows --------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One KPI value in a card."""

    kpi: str
    label: str = ""


@dataclass(frozen=True)
class Chart:
    """One KPI grouped by one dimension (or two, for a heat map), drawn.

    ``kind``: bar, hbar (horizontal bars, funnels and leaderboards), line
    (trends), doughnut, heatmap (a table of shaded cells), table (a ranked table).
    """

    kpi: str
    group_by: str
    kind: str
    title: str
    attainment: bool = False
    with_target: bool = False
    ranked: bool = False
    wide: bool = False
    note: str = ""


@dataclass(frozen=True)
class Breakdown:
    """A table: one row per group (a person, a territory), one column per KPI."""

    dimension: str
    kpis: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    audience: str
    figures: tuple[Figure, ...]
    charts: tuple[Chart, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()
    own_records: bool = False
    printable: bool = False
    offers_target: bool = False
    # The period shown until another is picked (the board reads the year, not a quarter).
    default_preset: str = "this_quarter"


TREND_NOTE = (
    "Won revenue per month, beside the monthly won-revenue targets of the people shown "
    "(planning), when there are any."
)

# Charts several dashboards show.
REVENUE_TREND = Chart(
    "won_revenue", Dimension.MONTH, "line", "Won revenue trend", with_target=True, note=TREND_NOTE
)
PIPELINE_BY_STAGE = Chart("pipeline_value", Dimension.STAGE, "bar", "Pipeline by stage")

DASHBOARDS: dict[str, Dashboard] = {
    d.slug: d
    for d in [
        Dashboard(
            slug="rep",
            title="My sales",
            audience="A rep's own numbers: what was won, what is open, what was done.",
            own_records=True,
            figures=(
                Figure("won_revenue"),
                Figure("won_deal_count"),
                Figure("win_rate"),
                Figure("average_deal_size"),
                Figure("pipeline_value", "Open pipeline (closing in period)"),
                Figure("weighted_pipeline"),
                Figure("sales_cycle_days"),
                Figure("activity_count"),
            ),
            charts=(
                PIPELINE_BY_STAGE,
                REVENUE_TREND,
                Chart("activity_count", Dimension.ACTIVITY_TYPE, "doughnut", "Activities by type"),
                Chart(
                    "activity_count",
                    f"{Dimension.ACTIVITY_TYPE},{Dimension.MONTH}",
                    "heatmap",
                    "Activity heat map (type × month)",
                    wide=True,
                ),
            ),
        ),
        Dashboard(
            slug="manager",
            title="Team",
            audience="A manager's team: totals, and the same numbers per person.",
            offers_target=True,
            figures=(
                Figure("won_revenue"),
                Figure("won_deal_count"),
                Figure("win_rate"),
                Figure("pipeline_value", "Open pipeline (closing in period)"),
                Figure("weighted_pipeline"),
                Figure("activity_count"),
                Figure("activities_per_rep_per_week"),
                Figure("quota_attainment", "Attainment of the target"),
            ),
            charts=(
                Chart("won_revenue", Dimension.OWNER, "table", "Leaderboard", ranked=True),
                Chart(
                    "won_revenue",
                    Dimension.OWNER,
                    "hbar",
                    "Attainment per person",
                    attainment=True,
                    note="Won revenue of each person ÷ their won-revenue targets in planning.",
                ),
                PIPELINE_BY_STAGE,
                REVENUE_TREND,
                Chart(
                    "activity_count",
                    f"{Dimension.OWNER},{Dimension.MONTH}",
                    "heatmap",
                    "Activity heat map (person × month)",
                    wide=True,
                ),
            ),
            breakdowns=(
                Breakdown(
                    Dimension.OWNER,
                    (
                        "won_revenue",
                        "won_deal_count",
                        "win_rate",
                        "average_deal_size",
                        "pipeline_value",
                        "activity_count",
                    ),
                    "Per person",
                ),
            ),
        ),
        Dashboard(
            slug="executive",
            title="Company",
            audience="The company's numbers, by territory and product line.",
            figures=(
                Figure("won_revenue"),
                Figure("win_rate_by_value"),
                Figure("average_deal_size"),
                Figure("pipeline_value", "Open pipeline (closing in period)"),
                Figure("weighted_pipeline"),
                Figure("pipeline_velocity"),
                Figure("sales_efficiency"),
                Figure("customer_retention_rate"),
            ),
            charts=(
                REVENUE_TREND,
                Chart("funnel_stage_reached", Dimension.STAGE, "hbar", "Funnel (deals created)"),
                Chart("won_revenue", Dimension.TERRITORY, "bar", "Won revenue by territory"),
                Chart("won_revenue", Dimension.PRODUCT_LINE, "doughnut", "Won by product line"),
                PIPELINE_BY_STAGE,
            ),
            breakdowns=(
                Breakdown(
                    Dimension.TERRITORY,
                    ("won_revenue", "won_deal_count", "win_rate", "pipeline_value"),
                    "By territory",
                ),
                Breakdown(
                    Dimension.PRODUCT_LINE,
                    ("won_revenue", "pipeline_value", "average_discount"),
                    "By product line",
                ),
            ),
        ),
        Dashboard(
            slug="marketing",
            title="Marketing",
            audience="Where leads come from, how fast they are worked, how far they get.",
            figures=(
                Figure("lead_volume"),
                Figure("lead_conversion_rate"),
                Figure("lead_response_time"),
                Figure("funnel_conversion", "Deals created that were won"),
            ),
            charts=(
                Chart("lead_volume", Dimension.SOURCE, "bar", "Leads by source"),
                Chart("lead_volume", Dimension.MONTH, "line", "Lead volume trend"),
                Chart("funnel_stage_reached", Dimension.STAGE, "hbar", "Funnel (deals created)"),
                Chart("funnel_conversion", Dimension.STAGE, "table", "Stage-to-stage conversion"),
            ),
            breakdowns=(
                Breakdown(
                    Dimension.SOURCE,
                    ("lead_volume", "lead_conversion_rate", "lead_response_time"),
                    "By source",
                ),
            ),
        ),
        Dashboard(
            slug="board",
            title="Board report",
            audience="For investors and the board: printable on A4.",
            printable=True,
            default_preset="last_12_months",
            figures=(
                Figure("won_revenue"),
                Figure("won_deal_count"),
                Figure("average_deal_size"),
                Figure("win_rate_by_value"),
                Figure("pipeline_value", "Open pipeline (closing in period)"),
                Figure("sales_efficiency"),
                Figure("magic_number"),
                Figure("customer_retention_rate"),
                Figure("customer_churn_rate"),
            ),
            charts=(
                REVENUE_TREND,
                Chart("won_revenue", Dimension.TERRITORY, "bar", "Won revenue by territory"),
            ),
            breakdowns=(
                Breakdown(
                    Dimension.MONTH,
                    ("won_revenue", "won_deal_count", "average_deal_size", "win_rate_by_value"),
                    "Month by month",
                ),
            ),
        ),
    ]
}


# --- targets from planning ----------------------------------------------------------
TARGET_FILTERS = frozenset({Filter.OWNER, Filter.TEAM})
TARGET_KINDS = ("month", "quarter", "year")


@dataclass(frozen=True)
class RevenueTargets:
    """Planning's won-revenue targets of the people a dashboard shows, for its period:
    per person (username) and per month ("YYYY-MM", monthly targets only)."""

    per_person: Mapping[str, Decimal]
    per_month: Mapping[str, Decimal]
    kind: str

    @property
    def total(self) -> Decimal:
        return sum(self.per_person.values(), Decimal(0))


def revenue_targets(user: User, selection: Selection) -> RevenueTargets | None:
    """The person targets planning holds for the won revenue of the period (the finest kind
    of period that has any: months, else quarters, else years), as ``user`` may see them;
    None without a bounded period, with filters targets do not split by, or with no
    targets. One query per kind tried."""
    if not selection.start or not selection.end:
        return None
    if set(selection.filters) - TARGET_FILTERS:
        return None
    targets = only_dimension(target_visible_to(user), PlanningDimension.USER).filter(
        metric=Metric.WON_REVENUE,
        period_start__gte=selection.start,
        period_end__lte=selection.end,
    )
    owner = selection.filters.get(Filter.OWNER)
    if owner:
        targets = targets.filter(
            **({"user_id": owner} if owner.isdigit() else {"user__username": owner})
        )
    team = selection.filters.get(Filter.TEAM)
    if team:
        targets = targets.filter(
            **({"user__team_id": team} if team.isdigit() else {"user__team__name": team})
        )
    for kind in TARGET_KINDS:
        rows = list(
            targets.filter(period_kind=kind)
            .order_by()
            .values_list("user__username", "period_start", "amount")
        )
        if not rows:
            continue
        per_person: dict[str, Decimal] = {}
        per_month: dict[str, Decimal] = {}
        for username, start, amount in rows:
            per_person[username] = per_person.get(username, Decimal(0)) + amount
            if kind == "month":
                label = start.strftime("%Y-%m")
                per_month[label] = per_month.get(label, Decimal(0)) + amount
        return RevenueTargets(per_person=per_person, per_month=per_month, kind=kind)
    return None


# --- computing a dashboard --------------------------------------------------------


NO_TARGET_PLANNED = Undefined(
    "No won-revenue target is planned for these people in this period: set one under "
    "Targets, or type a total target in the filters above.",
    fix="planning:targets",
    fix_label="Set targets",
)


@dataclass
class Number:
    """A KPI value on the page: the value, its unit, where it drills to, or why it is missing."""

    kpi: str
    label: str
    unit: str
    value: Any
    url: str | None = None
    problem: str = ""
    # Why the value is null, in a sentence, with the page where the missing input is entered.
    undefined: Undefined | None = None


class Page:
    """Computes a dashboard's KPIs for one user and selection, each question once."""

    def __init__(self, user: User, selection: Selection):
        self.user = user
        self.selection = selection
        self.lookups = DrillContext.load(user, selection)
        self._cache: dict[tuple, KpiResult | str] = {}
        self._targets: RevenueTargets | None | bool = False

    @property
    def targets(self) -> RevenueTargets | None:
        """Planning's revenue targets for this page (looked up once, when first needed)."""
        if self._targets is False:
            self._targets = revenue_targets(self.user, self.selection)
        return self._targets

    def result(self, kpi_key: str, group_by: str = "") -> KpiResult | str:
        """The KPI's result, or the reason it cannot be given (a text)."""
        cache_key = (kpi_key, group_by)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._compute(kpi_key, group_by)
        return self._cache[cache_key]

    def kpi_arguments(self, kpi_key: str, group_by: str = "") -> dict:
        """What ``compute`` gets (also what the API is asked with, in the tests)."""
        kpi = registry.get(kpi_key)
        filters = {k: v for k, v in self.selection.filters.items() if k in kpi.filters}
        inputs = {}
        if any(spec.name == "target" for spec in kpi.inputs):
            # A target typed in wins; otherwise the people's targets planning holds.
            planned = self.targets.total if self.targets else ""
            inputs["target"] = self.selection.target or planned
        start, end = self.selection.start, self.selection.end
        return {
            "start": start,
            "end": end,
            "group_by": group_by or None,
            "filters": filters,
            "inputs": inputs,
        }

    def _compute(self, kpi_key, group_by) -> KpiResult | str:
        kpi = registry.get(kpi_key)
        try:
            # A grouping is read for its groups only: the figure asks for the total.
            return kpi.compute(
                user=self.user, with_total=not group_by, **self.kpi_arguments(kpi_key, group_by)
            )
        except PermissionDenied as exc:
            return NOT_ALLOWED.format(reason=exc)
        except ValidationError as exc:
            return " ".join(message for message in exc.messages)

    def number(self, kpi_key: str, label: str = "") -> Number:
        kpi = registry.get(kpi_key)
        label = label or kpi.name
        if self.kpi_arguments(kpi_key)["inputs"].get("target") == "":
            # Nothing planned and nothing typed: say where targets are set, not which
            # input the KPI lacks.
            return Number(kpi_key, label, str(kpi.unit), None, undefined=NO_TARGET_PLANNED)
        result = self.result(kpi_key)
        if isinstance(result, str):
            return Number(kpi_key, label, str(kpi.unit), None, problem=result)
        return Number(
            kpi_key,
            label,
            result.unit,
            result.value,
            url=drill_url(kpi_key, self.selection, self.lookups),
            undefined=result.undefined,
        )

    def groups(self, kpi_key: str, group_by: str) -> list[dict] | str:
        """The groups of a KPI, each with its label(s), value and drill-down link."""
        result = self.result(kpi_key, group_by)
        if isinstance(result, str):
            return result
        dimensions = group_by.split(",")
        rows = []
        for group in result.groups:
            labels = group.group if isinstance(group.group, list) else [group.group]
            where = dict(zip(dimensions, labels, strict=True))
            rows.append(
                {
                    "labels": labels,
                    "shown": [self.lookups.shown(d, label) for d, label in where.items()],
                    "value": group.value,
                    "url": drill_url(kpi_key, self.selection, self.lookups, where),
                }
            )
        return rows


def attainment_groups(
    won_by_owner: list[dict], targets: RevenueTargets, names: Mapping[str, str] | None = None
) -> list[dict]:
    """Each person with a target: their won revenue (the registry's) ÷ their target, as
    quota_attainment defines it; the link goes to the won deals behind it. ``names`` maps
    usernames to the names shown."""
    won = {g["labels"][0]: g for g in won_by_owner}
    names = names or {}
    rows = []
    for person, target in sorted(targets.per_person.items()):
        group = won.get(person, {"value": Decimal(0), "url": None})
        ratio = divide(group["value"], target) if target > 0 else None
        rows.append(
            {
                "labels": [person],
                "shown": [names.get(person, person)],
                "value": rounded(Unit.RATIO, ratio),
                "url": group["url"],
            }
        )
    return rows


def with_monthly_targets(
    won_by_month: list[dict], targets: RevenueTargets
) -> tuple[list[dict], list[float | None]]:
    """The won revenue per month over every month that has revenue or a target, and the
    target of each month (None where there is none)."""
    won = {g["labels"][0]: g for g in won_by_month}
    months = sorted(set(won) | set(targets.per_month))
    groups = [won.get(m, {"labels": [m], "value": Decimal(0), "url": None}) for m in months]
    line = [float(targets.per_month[m]) if m in targets.per_month else None for m in months]
    return groups, line


def filter_choices(user: User) -> dict[str, list[tuple[str, str]]]:
    """The options of the dimension filters: people the user sees, teams, territories,
    sales processes."""
    owners = owner_ids_visible_to(user)
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if owners is not None:
        people = people.filter(pk__in=owners)
    return {
        Filter.OWNER: [(str(p.pk), p.get_full_name() or p.username) for p in people],
        Filter.TEAM: [(str(t.pk), t.name) for t in Team.objects.order_by("name")],
        Filter.TERRITORY: [(str(t.pk), t.name) for t in Territory.objects.order_by("name")],
        Filter.PIPELINE: [(str(p.pk), p.name) for p in Pipeline.objects.order_by("name")],
    }
