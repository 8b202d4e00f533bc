"""What was achieved against each target, read from the KPI registry of ``reports``.

Planning never restates a metric: booked revenue is the registry's ``won_revenue``,
new customers its ``new_customers``, calls its ``activity_count`` filtered to calls,
and so on (``choices.METRIC_KPIS``). A target's members become the KPI's filters
and groups: a person's target asks for won revenue grouped by owner and month, a
territory × product line target filters by the territory (with the territories
inside it) and groups by product line and month.

Many targets are answered by one question: all person targets of a metric over a
year are one ``group_by=owner,month`` call (two SQL queries), however many people
and months. See docs/decisions/0002-planning-reads-kpi-registry.md.

The figure behind a target counts every record behind it, whoever asks: seeing a
target means seeing how it is going (a rep sees their team's total against the
team's target). The records themselves stay behind their own visibility: the
drill-down lists only what the viewer may open.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from pipewise.org.models import User
from pipewise.planning.choices import (
    DEFAULT_HISTORY_YEARS,
    METRIC_KPIS,
    MIN_DEALS_FOR_OWN_PROFILE,
    Dimension,
    Metric,
)
from pipewise.planning.periods import fiscal_year, fiscal_year_of, month_index, month_of_index
from pipewise.reports.kpis import registry

# How each target dimension narrows a KPI: (group_by dimension, its label attribute) and
# the filter name. Territories only filter (a region's target counts its countries).
GROUPS = {
    Dimension.PRODUCT_LINE: ("product_line", "name"),
    Dimension.USER: ("owner", "username"),
    Dimension.TEAM: ("team", "name"),
    Dimension.SEGMENT: ("segment", "name"),
}
FILTERS = {
    Dimension.USER: "owner",
    Dimension.TEAM: "team",
    Dimension.TERRITORY: "territory",
    Dimension.SEGMENT: "segment",
    Dimension.ACCOUNT: "account",
    Dimension.CHANNEL: "source",
}
# Product lines cannot be a KPI filter, only a group: they take the group when present.
GROUP_PREFERENCE = (Dimension.PRODUCT_LINE, Dimension.USER, Dimension.TEAM, Dimension.SEGMENT)
PERCENT = Decimal("0.1")
CENTS = Decimal("0.01")


def _organisation_reader() -> User:
    """Who target actuals are computed as: someone who sees every record (never saved)."""
    return User(username="planning-actuals", is_superuser=True)


@dataclass(frozen=True)
class Question:
    """One KPI call that answers every target sharing its metric, filters and group."""

    kpi: str
    filters: tuple[tuple[str, object], ...]
    group: str | None

    def by_month(self, start: datetime.date, end: datetime.date) -> dict[tuple, Decimal]:
        """The KPI per (group label, "YYYY-MM") from ``start`` to ``end``: one grouped
        question to the registry, without the total it would otherwise also compute."""
        answer = registry.get(self.kpi).compute(
            user=_organisation_reader(),
            start=start,
            end=end,
            group_by=(self.group, "month") if self.group else ("month",),
            filters=dict(self.filters),
            with_total=False,
        )
        found = {}
        for group in answer.groups:
            label, month = tuple(group.group) if self.group else (None, group.group)
            found[(label, month)] = Decimal(group.value or 0)
        return found


def question_for(metric: str, members: Mapping[str, object]) -> tuple[Question, str | None]:
    """The KPI question behind a target of ``metric`` for ``members``, and the label of the
    target's group in its answer (None: the question's total is the target's)."""
    kpi, fixed = METRIC_KPIS[metric]
    filters = dict(fixed)
    group = label = grouped_by = None
    for dimension in GROUP_PREFERENCE:
        member = members.get(dimension)
        if member is not None:
            group, attribute = GROUPS[dimension]
            label, grouped_by = getattr(member, attribute), dimension
            break
    for dimension, name in FILTERS.items():
        member = members.get(dimension)
        if member is not None and dimension != grouped_by:
            filters[name] = member.pk
    return Question(kpi, tuple(sorted(filters.items())), group), label


def _months(start: datetime.date, end: datetime.date) -> list[str]:
    return [
        month_of_index(n).strftime("%Y-%m") for n in range(month_index(start), month_index(end) + 1)
    ]


def actuals_of(items: Iterable) -> dict[int, Decimal]:
    """The actual of every target-like item (metric, members, period_start, period_end), by
    its position in ``items``; one KPI call per distinct question, whatever the count."""
    items = list(items)
    asked: dict[Question, list[tuple[int, str | None]]] = defaultdict(list)
    for position, item in enumerate(items):
        question, label = question_for(item.metric, item.members)
        asked[question].append((position, label))
    answers: dict[int, Decimal] = {}
    for question, wanted in asked.items():
        start = min(items[p].period_start for p, _ in wanted)
        end = max(items[p].period_end for p, _ in wanted)
        by_key = question.by_month(start, end)
        for position, label in wanted:
            item = items[position]
            answers[position] = sum(
                (
                    by_key.get((label, m), Decimal(0))
                    for m in _months(item.period_start, item.period_end)
                ),
                Decimal(0),
            )
    return answers


class AgainstTarget:
    """Attainment, gap and variance, derived the same way for one target and for targets
    added up: subclasses give ``planned`` (the target amount) and ``actual``."""

    planned: Decimal
    actual: Decimal

    @property
    def attainment(self) -> Decimal | None:
        """Actual as a percentage of the target (None for a zero target)."""
        if not self.planned:
            return None
        return (self.actual * 100 / self.planned).quantize(PERCENT, rounding=ROUND_HALF_UP)

    @property
    def variance(self) -> Decimal:
        """Achieved − target: negative while behind."""
        return self.actual - self.planned

    @property
    def gap(self) -> Decimal:
        """What is still to achieve (0 once the target is met)."""
        return max(self.planned - self.actual, Decimal(0))


@dataclass
class Standing(AgainstTarget):
    """A target beside what was achieved: attainment, gap, variance, run-rate projection."""

    target: object
    actual: Decimal
    today: datetime.date

    @property
    def amount(self) -> Decimal:
        return self.target.amount

    @property
    def planned(self) -> Decimal:
        return self.target.amount

    @property
    def projection(self) -> Decimal | None:
        """Where the period will end at today's pace: the actual once it is over, the run
        rate (actual ÷ days gone × days in the period) while it runs, None before."""
        start, end = self.target.period_start, self.target.period_end
        if self.today > end:
            return self.actual
        if self.today < start:
            return None
        gone = (self.today - start).days + 1
        days = (end - start).days + 1
        return (self.actual * days / gone).quantize(CENTS, rounding=ROUND_HALF_UP)


def standings(targets: Sequence, *, today: datetime.date | None = None) -> list[Standing]:
    today = today or timezone.localdate()
    found = actuals_of(targets)
    return [Standing(t, found[i], today) for i, t in enumerate(targets)]


@dataclass(frozen=True)
class Probe:
    """A target-shaped question without a stored target (history, growth checks)."""

    metric: str
    members: Mapping[str, object]
    period_start: datetime.date
    period_end: datetime.date


def history_shares(target, people: Sequence[User]) -> list[Decimal]:
    """Each person's actual of the target's metric in the same period a year earlier (all
    equal when nobody has any): the weights of an allocation by historical share."""
    start = month_of_index(month_index(target.period_start) - 12)
    end = _last_day(month_of_index(month_index(target.period_end) - 12))
    members = {**target.members, Dimension.TEAM: None}
    probes = [Probe(target.metric, {**members, Dimension.USER: p}, start, end) for p in people]
    found = actuals_of(probes)
    shares = [found[i] for i in range(len(people))]
    if not any(shares):
        return [Decimal(1)] * len(people)
    return shares


def _last_day(day: datetime.date) -> datetime.date:
    return month_of_index(month_index(day) + 1) - datetime.timedelta(days=1)


def history_years_range(years: int, *, today: datetime.date | None = None):
    """The last ``years`` whole fiscal years before the current one: (first day, last day)."""
    current = fiscal_year_of(today or timezone.localdate())
    return fiscal_year(current - years).start, fiscal_year(current - 1).end


def monthly_history(
    members: Mapping[str, object],
    *,
    years: int,
    metric: str = Metric.WON_REVENUE,
    today: datetime.date | None = None,
) -> list[Decimal]:
    """Won revenue (or ``metric``) per calendar month, January … December, added up over
    the last ``years`` whole fiscal years before ``today``'s, for these members."""
    start, end = history_years_range(years, today=today)
    question, label = question_for(metric, members)
    totals = [Decimal(0)] * 12
    for (group_label, month), value in question.by_month(start, end).items():
        if group_label == label and month:
            totals[int(month[5:7]) - 1] += value
    return totals


def _won_deals(members: Mapping[str, object], years: int, today) -> int:
    return int(sum(monthly_history(members, years=years, metric=Metric.WON_DEALS, today=today)))


def monthly_shape(
    members: Mapping[str, object],
    *,
    years: int = DEFAULT_HISTORY_YEARS,
    today: datetime.date | None = None,
    own_only: bool = False,
) -> tuple[list[Decimal], bool] | None:
    """The monthly won revenue a profile is derived from, and whether it is the members' own
    (True) or the company's (False, when they won fewer than MIN_DEALS_FOR_OWN_PROFILE
    deals). None when even the company won nothing, or (``own_only``) when the members'
    own history is too thin."""
    members = {d: m for d, m in members.items() if m is not None}
    if members and _won_deals(members, years, today) >= MIN_DEALS_FOR_OWN_PROFILE:
        own = monthly_history(members, years=years, today=today)
        if any(own):
            return own, True
    if own_only and members:
        return None
    company = monthly_history({}, years=years, today=today)
    if not any(company):
        return None
    return company, False
