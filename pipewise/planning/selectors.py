"""Reads of sales planning: the targets grid, roll-ups (bottom-up against top-down),
growth checks and attainment tables. Visibility comes from ``permissions``; actuals
from the KPI registry through ``actuals``."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pipewise.activities.choices import TaskStatus
from pipewise.activities.models import Task, TodoItem
from pipewise.core.money import CENTS
from pipewise.customers.permissions import account_visible_to
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.org.permissions import owner_ids_visible_to
from pipewise.planning.actuals import (
    AgainstTarget,
    Probe,
    Standing,
    actuals_of,
    monthly_shape,
    standings,
)
from pipewise.planning.allocation import as_percentages
from pipewise.planning.choices import (
    CHANNEL_CHOICES,
    DEFAULT_HISTORY_YEARS,
    MONEY_METRICS,
    Channel,
    Dimension,
    PeriodKind,
    member_column,
)
from pipewise.planning.models import Ramp, SeasonalityProfile, Target, plain_number
from pipewise.planning.periods import (
    FiscalPeriod,
    fiscal_start_month,
    fiscal_year,
    fiscal_year_of,
    month_index,
    period_of,
    periods_in,
)
from pipewise.planning.permissions import target_visible_to

MEMBER_RELATIONS = ("user", "team", "territory", "product_line", "segment", "account")


def with_members(targets: QuerySet[Target]) -> QuerySet[Target]:
    return targets.select_related(*MEMBER_RELATIONS)


def only_dimension(targets: QuerySet[Target], dimension: str | None) -> QuerySet[Target]:
    """Targets for members of exactly one ``dimension`` (None: the company's own)."""
    conditions = {f"{d}__isnull": d != dimension for d in Dimension.values}
    return targets.filter(**conditions)


def members_of(viewer: User, dimension: str) -> list:
    """The members a grid for ``dimension`` lists: people the viewer sees, every team,
    territory, product line or segment; for accounts (too many to list them all) the visible
    accounts that already have a target — a new account's first target is set on the form."""
    if dimension == Dimension.USER:
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        owners = owner_ids_visible_to(viewer)
        return list(people if owners is None else people.filter(pk__in=owners))
    if dimension == Dimension.CHANNEL:
        return [Channel(key) for key, _ in CHANNEL_CHOICES]
    if dimension == Dimension.ACCOUNT:
        with_targets = Target.objects.filter(account__isnull=False).values("account_id")
        return list(account_visible_to(viewer).filter(pk__in=with_targets).order_by("name"))
    model = {
        Dimension.TEAM: Team,
        Dimension.TERRITORY: Territory,
        Dimension.PRODUCT_LINE: ProductLine,
        Dimension.SEGMENT: Segment,
    }[dimension]
    return list(model.objects.order_by("name"))


# --- the grid: members × months of a fiscal year -------------------------------------------
@dataclass
class GridRow:
    """One member's month targets over a fiscal year, beside their annual target."""

    member: object
    months: list[Decimal | None]
    year_target: Decimal | None

    @property
    def months_total(self) -> Decimal:
        return sum((m or Decimal(0) for m in self.months), Decimal(0))

    @property
    def difference(self) -> Decimal | None:
        """Months (bottom-up) − annual target (top-down); None without an annual target."""
        if self.year_target is None:
            return None
        return self.months_total - self.year_target


@dataclass
class Grid:
    metric: str
    dimension: str
    year: FiscalPeriod
    months: list[FiscalPeriod]
    rows: list[GridRow] = field(default_factory=list)

    @property
    def month_totals(self) -> list[Decimal]:
        return [
            sum((r.months[i] or Decimal(0) for r in self.rows), Decimal(0))
            for i in range(len(self.months))
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.month_totals, Decimal(0))

    @property
    def year_total(self) -> Decimal:
        return sum((r.year_target or Decimal(0) for r in self.rows), Decimal(0))


def target_grid(viewer: User, *, metric: str, year: int, dimension: str) -> Grid:
    """Month and year targets of ``metric`` per member of ``dimension`` in fiscal ``year``:
    three queries whatever the number of members."""
    period = fiscal_year(year)
    months = periods_in(period, PeriodKind.MONTH)
    members = members_of(viewer, dimension)
    targets = only_dimension(target_visible_to(viewer), dimension).filter(
        metric=metric, period_start__gte=period.start, period_end__lte=period.end
    )
    by_member: dict[tuple, Decimal] = {}
    for member_id, kind, start, amount in targets.values_list(
        member_column(dimension), "period_kind", "period_start", "amount"
    ):
        by_member[(member_id, kind, start)] = amount
    grid = Grid(metric=metric, dimension=dimension, year=period, months=months)
    for member in members:
        grid.rows.append(
            GridRow(
                member=member,
                months=[by_member.get((member.pk, PeriodKind.MONTH, m.start)) for m in months],
                year_target=by_member.get((member.pk, PeriodKind.YEAR, period.start)),
            )
        )
    return grid


# --- roll-ups: bottom-up compared with top-down ---------------------------------------------
def roll_up(
    node: Hashable,
    children_of: Callable[[Hashable], Sequence[Hashable]],
    leaf_amount: Callable[[Hashable], Decimal],
) -> Decimal:
    """The bottom-up figure of a tree node: its own amount for a leaf, otherwise the sum of
    its children's roll-ups."""
    children = children_of(node)
    if not children:
        return leaf_amount(node)
    return sum((roll_up(c, children_of, leaf_amount) for c in children), Decimal(0))


@dataclass
class Rollup:
    """A target (top-down) beside the sum of the targets below it (bottom-up)."""

    target: Target
    children: list[Target]
    kind: str

    @property
    def children_total(self) -> Decimal:
        return sum((c.amount for c in self.children), Decimal(0))

    @property
    def difference(self) -> Decimal:
        """Bottom-up − top-down: negative when the members plan less than the parent."""
        return self.children_total - self.target.amount


def target_rollups(viewer: User, target: Target) -> list[Rollup]:
    """Every set of targets directly below ``target``: its months (a year or quarter
    target), its team's members' targets for the same period (a team target), its child
    territories' targets (a territory target). Neither side is changed; each difference is
    shown."""
    visible = with_members(target_visible_to(viewer)).filter(metric=target.metric)
    members = target.members
    found = []
    if target.period_kind != PeriodKind.MONTH:
        children = _same_members(visible, members).filter(
            period_kind=PeriodKind.MONTH,
            period_start__gte=target.period_start,
            period_end__lte=target.period_end,
        )
        found.append(Rollup(target, list(children), "months"))
    same_period = visible.filter(period_kind=target.period_kind, period_start=target.period_start)
    if target.team_id:
        others = {**members, Dimension.TEAM: None}
        children = _same_members(same_period, others, free=(Dimension.USER,)).filter(
            user__team_id=target.team_id, user__isnull=False
        )
        found.append(Rollup(target, list(children), "members"))
    if target.territory_id:
        others = {**members, Dimension.TERRITORY: None}
        children = _same_members(same_period, others, free=(Dimension.TERRITORY,)).filter(
            territory__parent_id=target.territory_id
        )
        found.append(Rollup(target, list(children), "territories"))
    return found


def target_rollup(viewer: User, target: Target, kind: str | None = None) -> Rollup | None:
    """One roll-up of ``target``: of ``kind`` (months, members, territories), else the
    first that applies."""
    for rollup in target_rollups(viewer, target):
        if kind is None or rollup.kind == kind:
            return rollup
    return None


def _same_members(targets, members, *, free: Iterable[str] = ()):
    conditions = {}
    for dimension in Dimension.values:
        if dimension in free:
            continue
        member = members.get(dimension)
        if member is None:
            conditions[f"{dimension}__isnull"] = True
        else:
            conditions[dimension] = member
    return targets.filter(**conditions)


# --- growth check ---------------------------------------------------------------------------
@dataclass
class GrowthFlag:
    """A target lower than last year's, or (months) than the previous month once the
    seasonality profile's weights are taken out."""

    target: Target
    reason: str


LOWER_THAN_LAST_YEAR = "Below the same period last year ({last}: {amount})."
LOWER_THAN_PREVIOUS = "Below the previous month, seasonally adjusted ({previous}: {amount})."


def rounding_unit(metric: str) -> Decimal:
    """The step targets of ``metric`` are split and allocated in: a cent for money, one for
    counts. A split to this step leaves each share less than one step from its exact value."""
    return CENTS if metric in MONEY_METRICS else Decimal(1)


def falls_below(
    amount: Decimal, weight: Decimal, previous: Decimal, weight_before: Decimal, *, unit: Decimal
) -> bool:
    """Whether ``amount`` per unit of ``weight`` is below ``previous`` per ``weight_before``
    beyond what rounding both to ``unit`` can explain: a year split to the cent by a profile
    gives 521.25 at 8.34 % and 520.63 at 8.33 %, level once the weights are taken out."""
    return (amount + unit) / weight < (previous - unit) / weight_before


def growth_flags(targets: Sequence[Target]) -> list[GrowthFlag]:
    """Targets that fall: lower than the same period a year earlier (that year's target, or
    its actual when there was no target), or a month lower than the month before after
    dividing each by its seasonality weight. Falling targets discourage the team."""
    flags = []
    if not targets:
        return flags
    metric_ids = {t.metric for t in targets}
    first = min(t.period_start for t in targets)
    last = max(t.period_end for t in targets)
    earlier = {
        _key(t): t
        for t in with_members(
            Target.objects.filter(
                metric__in=metric_ids,
                period_start__gte=_months_before(first, 12),
                period_start__lte=last,
            )
        )
    }
    probes, probed = [], []
    for target in targets:
        year_ago = _months_before(target.period_start, 12)
        before = earlier.get(_key(target, start=year_ago))
        if before is not None:
            if target.amount < before.amount:
                flags.append(
                    GrowthFlag(
                        target,
                        LOWER_THAN_LAST_YEAR.format(last=_label(before), amount=before.amount),
                    )
                )
            continue
        probes.append(
            Probe(target.metric, target.members, year_ago, _months_before(target.period_end, 12))
        )
        probed.append(target)
    if probes:
        found = actuals_of(probes)
        for i, target in enumerate(probed):
            if found[i] and target.amount < found[i]:
                flags.append(
                    GrowthFlag(
                        target,
                        LOWER_THAN_LAST_YEAR.format(
                            last=f"actual {period_label(target, shift=-12)}", amount=found[i]
                        ),
                    )
                )
    profiles = {_member_ids(p): p for p in SeasonalityProfile.objects.all()}
    company = profiles.get(_member_ids(None))
    for target in targets:
        if target.period_kind != PeriodKind.MONTH:
            continue
        previous = earlier.get(_key(target, start=_months_before(target.period_start, 1)))
        if previous is None:
            continue
        profile = profiles.get(_member_ids(target), company)
        if profile is None:
            continue
        weight_now = profile.weights[target.period_start.month - 1]
        weight_before = profile.weights[previous.period_start.month - 1]
        if not weight_now or not weight_before:
            continue
        if falls_below(
            target.amount,
            weight_now,
            previous.amount,
            weight_before,
            unit=rounding_unit(target.metric),
        ):
            flags.append(
                GrowthFlag(
                    target,
                    LOWER_THAN_PREVIOUS.format(previous=_label(previous), amount=previous.amount),
                )
            )
    return flags


def _member_ids(row) -> tuple:
    """The member ids of a target or profile (None: the company), comparable across both."""
    return tuple(getattr(row, f"{d}_id") if row is not None else None for d in Dimension.values)


def _months_before(day: datetime.date, months: int) -> datetime.date:
    from pipewise.planning.periods import month_end, month_of_index

    shifted = month_of_index(month_index(day) - months)
    return shifted if day.day == 1 else month_end(shifted)


def _key(target, *, start: datetime.date | None = None) -> tuple:
    return (
        target.metric,
        target.period_kind,
        start or target.period_start,
        *(getattr(target, f"{d}_id") for d in Dimension.values),
    )


def _label(target: Target) -> str:
    return period_of(target.period_kind, target.period_start, first_month=None).label


def period_label(target, *, shift: int = 0) -> str:
    start = _months_before(target.period_start, -shift) if shift else target.period_start
    return period_of(target.period_kind, start, first_month=None).label


# --- attainment and variance ----------------------------------------------------------------
@dataclass
class AttainmentRow(AgainstTarget):
    """A member's targets added up over a period range, beside the actuals."""

    member: object
    standings: list[Standing]

    @property
    def target(self) -> Decimal:
        return sum((s.amount for s in self.standings), Decimal(0))

    planned = target

    @property
    def actual(self) -> Decimal:
        return sum((s.actual for s in self.standings), Decimal(0))

    @property
    def projection(self) -> Decimal | None:
        known = [s.projection for s in self.standings]
        if all(p is None for p in known):
            return None
        return sum((p for p in known if p is not None), Decimal(0))


@dataclass
class AttainmentReport(AgainstTarget):
    """Attainment rows per member and target/actual per period, with their totals."""

    metric: str
    dimension: str | None
    kind: str
    periods: list[FiscalPeriod]
    rows: list[AttainmentRow]
    by_period: list[tuple[FiscalPeriod, Decimal, Decimal]]

    @property
    def target(self) -> Decimal:
        return sum((r.target for r in self.rows), Decimal(0))

    planned = target

    @property
    def actual(self) -> Decimal:
        return sum((r.actual for r in self.rows), Decimal(0))


def attainment_report(
    viewer: User,
    *,
    metric: str,
    start: datetime.date,
    end: datetime.date,
    kind: str = PeriodKind.MONTH,
    dimension: str | None = Dimension.USER,
    today: datetime.date | None = None,
) -> AttainmentReport:
    """Attainment, gap, variance and run-rate projection of the visible ``kind`` targets of
    ``metric`` for members of ``dimension`` whose period lies in [start, end]; per member
    and per period. A fixed number of queries: the targets, then one KPI question per kind
    of target (all people are one question)."""
    targets = list(
        with_members(only_dimension(target_visible_to(viewer), dimension))
        .filter(metric=metric, period_kind=kind, period_start__gte=start, period_end__lte=end)
        .order_by("period_start", "id")
    )
    found = standings(targets, today=today or timezone.localdate())
    rows: dict[object, list[Standing]] = defaultdict(list)
    periods: dict[datetime.date, list[Standing]] = defaultdict(list)
    for standing in found:
        member = getattr(standing.target, dimension) if dimension else None
        rows[member].append(standing)
        periods[standing.target.period_start].append(standing)
    ordered = sorted(rows.items(), key=lambda item: str(item[0] or ""))
    first_month = fiscal_start_month()
    by_period = [
        (
            period_of(kind, day, first_month=first_month),
            sum((s.amount for s in periods[day]), Decimal(0)),
            sum((s.actual for s in periods[day]), Decimal(0)),
        )
        for day in sorted(periods)
    ]
    return AttainmentReport(
        metric=metric,
        dimension=dimension,
        kind=kind,
        periods=[p for p, _, _ in by_period],
        rows=[AttainmentRow(member, items) for member, items in ordered],
        by_period=by_period,
    )


# --- ramps where targets are allocated -------------------------------------------------------
def ramps_of(people: Iterable[User]) -> dict[int, Ramp]:
    """The ramps of these people by user id (one query); people without one are absent."""
    return {r.user_id: r for r in Ramp.objects.filter(user__in=[p.pk for p in people])}


@dataclass
class MemberRamp:
    """A team member's ramp as the manager allocating a target sees it: the ramp, and the
    share of a full quota it gives them in each month of the target's period that is not
    a full month (before the ramp starts or while it runs)."""

    person: User
    ramp: Ramp
    months: list[tuple[FiscalPeriod, Decimal]]

    @property
    def percentages(self) -> list[tuple[str, str]]:
        """("Oct 2026", "50") — month and percent of a full quota — for each reduced month
        of the period."""
        return [(m.start.strftime("%b %Y"), plain_number(f * 100)) for m, f in self.months]


def member_ramps(target: Target, people: Sequence[User]) -> list[MemberRamp]:
    """The ramp of each of ``people`` who has one, with the months of ``target``'s period
    it takes below a full quota (none once it is over). One query for the ramps."""
    period = period_of(target.period_kind, target.period_start, first_month=None)
    months = periods_in(period, PeriodKind.MONTH)
    ramps = ramps_of(people)
    found = []
    for person in people:
        ramp = ramps.get(person.pk)
        if ramp is None:
            continue
        reduced = [(m, ramp.share_in(m.start)) for m in months if ramp.share_in(m.start) != 1]
        found.append(MemberRamp(person, ramp, reduced))
    return found


# --- seasonality shape and plan progress ----------------------------------------------------
def profile_shape(profile, *, years: int = DEFAULT_HISTORY_YEARS) -> dict:
    """A profile's weights in fiscal order beside last years' actual share of won revenue
    per month (the members' own history, else the company's; None without history)."""
    year = fiscal_year(fiscal_year_of(timezone.localdate()))
    months = periods_in(year, PeriodKind.MONTH)
    shape = monthly_shape(profile.members, years=years)
    history = as_percentages(shape[0]) if shape else [None] * 12
    return {
        "months": [m.start.strftime("%b") for m in months],
        "weights": [profile.weights[m.start.month - 1] for m in months],
        "history": [history[m.start.month - 1] for m in months],
    }


def plan_progress(plan) -> dict:
    """How far a sales plan has got: its tasks and to-do items done, beside the attainment
    of the target it serves. Two queries (three with a target)."""
    tasks = Task.objects.filter(initiatives__plan=plan).distinct()
    counts = tasks.aggregate(
        tasks=Count("pk", distinct=True),
        tasks_done=Count("pk", filter=Q(status=TaskStatus.DONE), distinct=True),
    )
    todos = TodoItem.objects.filter(task__initiatives__plan=plan).aggregate(
        todos=Count("pk", distinct=True), todos_done=Count("pk", filter=Q(done=True), distinct=True)
    )
    steps = counts["tasks"] + todos["todos"]
    done = counts["tasks_done"] + todos["todos_done"]
    attainment = None
    if plan.target_id:
        attainment = standings([with_members(Target.objects).get(pk=plan.target_id)])[0].attainment
    return {
        **counts,
        **todos,
        "percent": (Decimal(done * 100) / steps).quantize(Decimal("0.1")) if steps else None,
        "attainment": attainment,
    }


# --- drill-down: the records behind a figure -------------------------------------------------
def target_records(viewer: User, target, *, limit: int = 200) -> tuple[str, list]:
    """The records a target's actual counts (won deals, line items or activities), as the
    KPI of the registry selects them, limited to what ``viewer`` may open. Returns the kind
    of record ("opportunities", "line items", "activities", "orders") and the first
    ``limit``."""
    from pipewise.planning.actuals import question_for
    from pipewise.reports.kpis import registry

    question, label = question_for(target.metric, target.members)
    kpi = registry.get(question.kpi)
    asked = kpi.prepare(
        user=viewer,
        start=target.period_start,
        end=target.period_end,
        group_by=None,
        filters=dict(question.filters),
        inputs=None,
    )
    rows = kpi.records(asked)
    subject = kpi.subject
    if question.group and question.group in subject.groups:
        rows = rows.filter(**{subject.groups[question.group]: label})
    elif question.group:  # deals by product line: those with a line in it
        rows = rows.filter(line_items__product__product_line__name=label).distinct()
    related = {
        "opportunities": ("owner", "account"),
        "line items": ("opportunity__owner", "opportunity__account", "product"),
        "activities": ("owner",),
        "orders": ("opportunity__owner", "opportunity__account"),
    }[subject.name]
    return subject.name, list(rows.select_related(*related).order_by("-pk")[:limit])
