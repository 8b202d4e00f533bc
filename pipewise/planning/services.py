"""Every write of sales planning: targets, splits and allocations, seasonality profiles,
ramps, sales plans and their review. Each validates, writes in one transaction and
leaves a history row (django-simple-history) naming who did it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pipewise.activities.services import task_create
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.money import CENTS
from pipewise.core.services import record_delete
from pipewise.customers.models import Account
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.planning import actuals
from pipewise.planning.allocation import as_percentages, split_exactly
from pipewise.planning.choices import (
    CHANNEL_CHOICES,
    EDITABLE_PLAN_STATUSES,
    METRIC_DIMENSIONS,
    MONEY_METRICS,
    AllocationMethod,
    Channel,
    Dimension,
    Metric,
    PeriodKind,
    PlanStatus,
    ProfileSource,
    member_column,
)
from pipewise.planning.models import (
    MONTH_FIELDS,
    Initiative,
    Ramp,
    SalesPlan,
    SeasonalityProfile,
    Target,
    plain_number,
)
from pipewise.planning.periods import FiscalPeriod, period_of, periods_in
from pipewise.planning.permissions import (
    NOT_THEIR_MANAGER,
    NOT_YOUR_TARGET,
    can_review_plan,
    can_set_target,
    require_planner,
)
from pipewise.planning.selectors import members_of, ramps_of

UNKNOWN_METRIC = "Unknown metric {value!r}; use one of: {known}."
DIMENSION_NOT_FOR_METRIC = (
    "{metric} targets cannot be set by {dimension}: actuals are not kept by it."
)
PERSON_AND_TEAM = "A target is for a person or for a team, not both."
UNKNOWN_CHANNEL = "Unknown channel {value!r}; use one of: {known}."
DUPLICATE_TARGET = "There is already a {metric} target for {member} in {period}; change that one."
NEGATIVE_AMOUNT = "A target cannot be negative."
WHOLE_NUMBER = "{metric} is counted in whole numbers; give a whole number."
NOT_AN_AMOUNT = "Not a number: {value!r}."
TOO_LARGE = "{value} is too large."
SPLIT_NEEDS_LONGER = "Only a year or quarter target is split into months."
NO_PROFILE = "No seasonality profile for {member} and no company profile: create one first."
ALLOCATE_NEEDS_TEAM = "Only a team's target is allocated to its members."
TEAM_WITHOUT_MEMBERS = "{team} has no active members to allocate to."
WEIGHTS_FOR_MEMBERS = "Give a weight for each member of the team: missing {names}."
UNKNOWN_METHOD = "Unknown allocation method {value!r}."
UNKNOWN_DIMENSION = "Unknown dimension {value!r}."
RAMPED_NOTE = "allocated: ramp {percent} % of a {share} share"
PROFILE_WEIGHTS = "Give 12 monthly weights (January to December)."
PROFILE_SUM = "The 12 weights add up to {total} %; they must add up to exactly 100 %."
PROFILE_PLACES = "Weights have at most two decimal places."
PROFILE_NEGATIVE = "Weights cannot be negative."
PROFILE_EXISTS = "{member} already has a seasonality profile; change that one."
NO_HISTORY = (
    "No won revenue in the last {years} year(s) for {member} or the company to derive from."
)
RAMP_STEPS = "Give the monthly percentages as numbers from 0 to 100, e.g. 25,50,75,100."
RAMP_FIRST_DAY = "A ramp starts on the first day of a month."
PLAN_NOT_EDITABLE = "The plan is {status}; only a draft (or one sent back) is changed."
PLAN_NOT_SUBMITTED = "Only a submitted plan is reviewed."
PLAN_TARGET_NOT_VISIBLE = "Link the plan to a target you can see."
REVIEW_NOTE_NEEDED = "Say what should change."
MAX_TARGET = Decimal("1e13")
TARGET_FIELDS = ("amount", "note")


# --- targets ------------------------------------------------------------------------------
def _number(value, *, metric: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": NOT_AN_AMOUNT.format(value=value)}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": NOT_AN_AMOUNT.format(value=value)})
    if amount < 0:
        raise ValidationError({"amount": NEGATIVE_AMOUNT})
    if amount >= MAX_TARGET:
        raise ValidationError({"amount": TOO_LARGE.format(value=value)})
    if metric not in MONEY_METRICS and amount != amount.to_integral_value():
        raise ValidationError({"amount": WHOLE_NUMBER.format(metric=Metric(metric).label)})
    return amount.quantize(CENTS)


def target_amount(value, *, metric: str) -> Decimal:
    """A target amount as entered (form, grid cell, API): checked and kept to cents."""
    return _number(value, metric=metric)


def _check_members(metric: str, members: Mapping[str, object]) -> None:
    if metric not in Metric.values:
        raise ValidationError(
            {"metric": UNKNOWN_METRIC.format(value=metric, known=", ".join(Metric.values))}
        )
    if members.get(Dimension.USER) is not None and members.get(Dimension.TEAM) is not None:
        raise ValidationError({"team": PERSON_AND_TEAM})
    _check_channel(members.get(Dimension.CHANNEL))
    for dimension, member in members.items():
        if member is not None and dimension not in METRIC_DIMENSIONS[metric]:
            raise ValidationError(
                {
                    dimension: DIMENSION_NOT_FOR_METRIC.format(
                        metric=Metric(metric).label, dimension=Dimension(dimension).label.lower()
                    )
                }
            )


def _check_channel(channel) -> None:
    if isinstance(channel, str) and channel not in dict(CHANNEL_CHOICES):
        raise ValidationError(
            {
                "channel": UNKNOWN_CHANNEL.format(
                    value=channel, known=", ".join(dict(CHANNEL_CHOICES))
                )
            }
        )


def same_member_targets(*, metric: str, members: Mapping[str, object]):
    """Live targets of ``metric`` for exactly these members (unset dimensions are empty)."""
    conditions = {f"{d}": members.get(d) for d in Dimension.values}
    conditions = {f"{d}__isnull": True for d, m in conditions.items() if m is None} | {
        d: m for d, m in conditions.items() if m is not None
    }
    return Target.objects.filter(metric=metric, **conditions)


def _member_label(members: Mapping[str, object]) -> str:
    named = [str(m) for m in members.values() if m is not None]
    return " × ".join(named) or "the company"


@transaction.atomic
def target_create(
    *,
    by: User,
    metric: str,
    period_kind: str,
    period_start: datetime.date,
    amount,
    user: User | None = None,
    team: Team | None = None,
    territory: Territory | None = None,
    product_line: ProductLine | None = None,
    segment: Segment | None = None,
    account: Account | None = None,
    channel: str | None = None,
    note: str = "",
    check_access: bool = True,
) -> Target:
    """Set a quota: ``amount`` of ``metric`` for a member (or combination) in a fiscal period."""
    members = {
        Dimension.USER: user,
        Dimension.TEAM: team,
        Dimension.TERRITORY: territory,
        Dimension.PRODUCT_LINE: product_line,
        Dimension.SEGMENT: segment,
        Dimension.ACCOUNT: account,
        Dimension.CHANNEL: Channel(channel) if channel else None,
    }
    _check_members(metric, members)
    if check_access and not can_set_target(by, person=user, team=team, account=account):
        raise PermissionDenied(NOT_YOUR_TARGET)
    period = period_of(period_kind, period_start, first_month=None)
    amount = _number(amount, metric=metric)
    if (
        same_member_targets(metric=metric, members=members)
        .filter(period_kind=period_kind, period_start=period.start)
        .exists()
    ):
        raise ValidationError(
            {
                "period_start": DUPLICATE_TARGET.format(
                    metric=Metric(metric).label, member=_member_label(members), period=period.label
                )
            }
        )
    target = Target(
        metric=metric,
        period_kind=period_kind,
        period_start=period.start,
        period_end=period.end,
        amount=amount,
        note=note,
        created_by=by,
        **members,
    )
    target._history_user = by
    target.full_clean(validate_constraints=False)
    target.save()
    return target


@transaction.atomic
def target_update(
    *, target: Target, by: User, expected_version: int | None = None, amount=None, note=None
) -> Target:
    """Change a target's amount or note. Members, metric and period stay: to plan for
    someone else or another period, create that target."""
    fresh = lock_current(target, expected_version=expected_version)
    if amount is not None:
        fresh.amount = _number(amount, metric=fresh.metric)
    if note is not None:
        fresh.note = note
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean(validate_constraints=False)
    fresh.save()
    return fresh


@transaction.atomic
def target_delete(*, target: Target, by: User, expected_version: int | None = None) -> Target:
    """Withdraw a target (soft delete: history keeps it and sales ops can restore it)."""
    return record_delete(record=target, by=by, expected_version=expected_version)


def _target_put(*, by: User, template: Target, period: FiscalPeriod, amount: Decimal, note: str):
    """Create or change the target with ``template``'s metric and members for ``period``."""
    existing = (
        same_member_targets(metric=template.metric, members=template.members)
        .filter(period_kind=period.kind, period_start=period.start)
        .first()
    )
    if existing is not None:
        if existing.amount == amount:
            return existing
        return target_update(target=existing, by=by, amount=amount)
    return target_create(
        by=by,
        metric=template.metric,
        period_kind=period.kind,
        period_start=period.start,
        amount=amount,
        note=note,
        check_access=False,
        **template.members,
    )


@transaction.atomic
def target_set(
    *,
    by: User,
    metric: str,
    period_kind: str,
    period_start: datetime.date,
    amount,
    check_access: bool = True,
    **members,
) -> Target:
    """Create the target or change its amount (the grid editor and the XLSX import)."""
    _check_members(metric, members)
    if check_access and not can_set_target(
        by,
        person=members.get(Dimension.USER),
        team=members.get(Dimension.TEAM),
        account=members.get(Dimension.ACCOUNT),
    ):
        raise PermissionDenied(NOT_YOUR_TARGET)
    period = period_of(period_kind, period_start, first_month=None)
    template = Target(metric=metric, **members)
    return _target_put(
        by=by, template=template, period=period, amount=_number(amount, metric=metric), note=""
    )


# --- top-down: seasonality split and team allocation ---------------------------------------
def ramp_factor(ramp: Ramp | None, month: datetime.date) -> Decimal:
    """The share of a full quota a new hire carries in ``month`` (1 before/without a ramp
    … once the ramp is over; 0 before it starts)."""
    return Decimal(1) if ramp is None else ramp.share_in(month)


def _ramped(amount: Decimal, factor: Decimal, unit: Decimal) -> Decimal:
    """A month's full share scaled by a ramp's share, in whole ``unit`` s."""
    return (amount * factor).quantize(unit) if factor != 1 else amount


@transaction.atomic
def target_split_by_profile(
    *, by: User, target: Target, profile: SeasonalityProfile | None = None
) -> list[Target]:
    """Split a year (or quarter) target into month targets by a seasonality profile.

    The months add up to the parent exactly (the cent left over by rounding goes to the
    month that lost most). A person with a ramp gets each month × the ramp's share, so
    their months add up to less than the parent: the roll-up shows the difference.
    Existing month targets are overwritten — this is the explicit top-down action; the
    parent itself is never changed.
    """
    if not can_set_target(by, person=target.user, team=target.team, account=target.account):
        raise PermissionDenied(NOT_YOUR_TARGET)
    if target.period_kind == PeriodKind.MONTH:
        raise ValidationError({"period_kind": SPLIT_NEEDS_LONGER})
    profile = profile or profile_for(target.members)
    if profile is None:
        raise ValidationError({"profile": NO_PROFILE.format(member=target.member_label)})
    parent = period_of(target.period_kind, target.period_start, first_month=None)
    months = periods_in(parent, PeriodKind.MONTH)
    weights = [profile.weights[m.start.month - 1] for m in months]
    if sum(weights) == 0:
        weights = [Decimal(1)] * len(months)
    whole = target.metric not in MONEY_METRICS
    unit = Decimal(1) if whole else CENTS
    shares = split_exactly(target.amount, weights, unit=unit)
    ramp = Ramp.objects.filter(user=target.user).first() if target.user_id else None
    written = []
    for month, share in zip(months, shares, strict=True):
        amount = _ramped(share, ramp_factor(ramp, month.start), unit)
        written.append(
            _target_put(by=by, template=target, period=month, amount=amount, note="split")
        )
    return written


def team_members(team: Team) -> list[User]:
    return list(User.objects.filter(team=team, is_active=True).order_by("username"))


@transaction.atomic
def target_allocate_to_members(
    *,
    by: User,
    target: Target,
    method: str,
    weights: Mapping[int, Decimal] | None = None,
) -> list[Target]:
    """Allocate a team's target to its active members (same metric, period and other
    members), by given weights, in equal shares or by each member's share of the team's
    actuals in the same period a year earlier. The shares add up to the team's target
    exactly; the team target is not changed.

    A month target allocated to a new hire with a ramp is their share × the ramp's share
    of that month (as when a year is split into months), so the members then add up to
    less than the team: the roll-up shows the difference. A year or quarter share is kept
    whole; the ramp scales its months when it is split."""
    if not can_set_target(by, person=None, team=target.team):
        raise PermissionDenied(NOT_YOUR_TARGET)
    if target.team_id is None:
        raise ValidationError({"team": ALLOCATE_NEEDS_TEAM})
    people = team_members(target.team)
    if not people:
        raise ValidationError({"team": TEAM_WITHOUT_MEMBERS.format(team=target.team)})
    if method == AllocationMethod.EQUAL:
        shares = [Decimal(1)] * len(people)
    elif method == AllocationMethod.WEIGHTS:
        weights = weights or {}
        missing = [str(p) for p in people if p.pk not in weights]
        if missing:
            raise ValidationError({"weights": WEIGHTS_FOR_MEMBERS.format(names=", ".join(missing))})
        shares = [Decimal(weights[p.pk]) for p in people]
    elif method == AllocationMethod.HISTORY:
        shares = actuals.history_shares(target, people)
    else:
        raise ValidationError({"method": UNKNOWN_METHOD.format(value=method)})
    try:
        unit = CENTS if target.metric in MONEY_METRICS else Decimal(1)
        amounts = split_exactly(target.amount, shares, unit=unit)
    except ValidationError as exc:
        raise ValidationError({"weights": exc.messages}) from exc
    period = period_of(target.period_kind, target.period_start, first_month=None)
    ramps = ramps_of(people) if period.kind == PeriodKind.MONTH else {}
    written = []
    for person, share in zip(people, amounts, strict=True):
        template = Target(metric=target.metric, **{**target.members, "team": None, "user": person})
        factor = ramp_factor(ramps.get(person.pk), period.start)
        note = "allocated"
        if factor != 1:
            note = RAMPED_NOTE.format(percent=plain_number(factor * 100), share=share)
        written.append(
            _target_put(
                by=by,
                template=template,
                period=period,
                amount=_ramped(share, factor, unit),
                note=note,
            )
        )
    return written


# --- seasonality profiles ------------------------------------------------------------------
def _checked_weights(weights: Sequence) -> list[int]:
    if len(weights) != 12:
        raise ValidationError({"weights": PROFILE_WEIGHTS})
    checked = []
    for weight in weights:
        try:
            value = Decimal(str(weight).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError({"weights": NOT_AN_AMOUNT.format(value=weight)}) from None
        if not value.is_finite():
            raise ValidationError({"weights": NOT_AN_AMOUNT.format(value=weight)})
        if value < 0:
            raise ValidationError({"weights": PROFILE_NEGATIVE})
        if value != value.quantize(CENTS):
            raise ValidationError({"weights": PROFILE_PLACES})
        checked.append(int(value * 100))
    if sum(checked) != 10000:
        total = Decimal(sum(checked)) / 100
        raise ValidationError({"weights": PROFILE_SUM.format(total=total)})
    return checked


def _profile_members(members: Mapping[str, object]) -> dict[str, object]:
    """Every dimension's member of a profile (None where unset), the channel checked and
    held as its plain key, as it is stored."""
    found = {d: members.get(d) or None for d in Dimension.values}
    channel = found[Dimension.CHANNEL]
    _check_channel(channel)
    if channel is not None:
        found[Dimension.CHANNEL] = Channel(channel).key
    return found


def profile_for(members: Mapping[str, object]) -> SeasonalityProfile | None:
    """The profile of exactly these members, else the company profile, else None."""
    own = _profile_of(members)
    return own if own is not None else _profile_of({})


def _profile_of(members: Mapping[str, object]) -> SeasonalityProfile | None:
    conditions = {}
    for dimension in Dimension.values:
        member = members.get(dimension)
        if member is None:
            conditions[f"{dimension}__isnull"] = True
        else:
            conditions[dimension] = member
    return SeasonalityProfile.objects.filter(**conditions).first()


@transaction.atomic
def profile_save(
    *,
    by: User,
    name: str,
    weights: Sequence,
    profile: SeasonalityProfile | None = None,
    expected_version: int | None = None,
    source: str = ProfileSource.ENTERED,
    history_years: int | None = None,
    **members,
) -> SeasonalityProfile:
    """Enter (or change) a seasonality profile: 12 weights January … December, in percent
    with at most two places, adding up to exactly 100."""
    require_planner(by)
    checked = _checked_weights(weights)
    if profile is None:
        members = _profile_members(members)
        if _profile_of(members) is not None:
            raise ValidationError({"name": PROFILE_EXISTS.format(member=_member_label(members))})
        profile = SeasonalityProfile(**members)
    else:
        profile = lock_current(profile, expected_version=expected_version)
        bump_version(profile)
    profile.name = name
    profile.source = source
    profile.history_years = history_years
    profile.updated_at = timezone.now()
    for field, value in zip(MONTH_FIELDS, checked, strict=True):
        setattr(profile, field, value)
    profile._history_user = by
    profile.full_clean(validate_constraints=False)
    profile.save()
    return profile


@transaction.atomic
def profile_derive(
    *,
    by: User,
    years: int,
    name: str = "",
    today: datetime.date | None = None,
    **members,
) -> SeasonalityProfile:
    """Derive a profile from won revenue: each calendar month's share of the last ``years``
    whole fiscal years, for these members when their history has enough won deals, else
    the company's. Replaces the members' existing profile."""
    require_planner(by)
    members = _profile_members(members)
    asked = _asked(members)
    shape = actuals.monthly_shape(asked, years=years, today=today)
    if shape is None:
        raise ValidationError(
            {"years": NO_HISTORY.format(years=years, member=_member_label(members))}
        )
    return _derived_save(by=by, members=members, shape=shape, years=years, name=name)


def _asked(members: Mapping[str, object]) -> dict[str, object]:
    """Profile members as a KPI question takes them (the channel as a ``Channel``)."""
    channel = members.get(Dimension.CHANNEL)
    return {**members, Dimension.CHANNEL: Channel(channel) if channel else None}


def _derived_save(*, by: User, members: dict, shape, years: int, name: str = ""):
    values, own = shape
    whose = _member_label(_asked(members))
    label = name or f"{whose[:1].upper()}{whose[1:]}: last {years} year(s) of won revenue"
    if not own and any(m is not None for m in members.values()):
        label += " (company history)"
    return profile_save(
        by=by,
        name=label[:120],
        weights=as_percentages(values),
        profile=_profile_of(members),
        source=ProfileSource.DERIVED,
        history_years=years,
        **members,
    )


@dataclass
class DerivedForDimension:
    """What deriving the profiles of every member of a dimension did: the profiles derived
    from the members' own history, the members with too little history (they fall back to
    the company profile) and the members whose entered profile was kept."""

    derived: list[SeasonalityProfile]
    too_little_history: list
    entered_kept: list


@transaction.atomic
def profiles_derive_for_dimension(
    *, by: User, dimension: str, years: int, today: datetime.date | None = None
) -> DerivedForDimension:
    """Derive a profile for every member of ``dimension`` (every territory, channel …;
    accounts: those with a target) whose own won deals in the last ``years`` whole fiscal
    years are enough (``MIN_DEALS_FOR_OWN_PROFILE``). Members with less history get no
    profile of their own, so their targets are split by the company profile; a profile
    someone entered is kept, a derived one is derived again."""
    require_planner(by)
    if dimension not in Dimension.values:
        raise ValidationError({"dimension": UNKNOWN_DIMENSION.format(value=dimension)})
    result = DerivedForDimension([], [], [])
    for member in members_of(by, dimension):
        members = _profile_members({dimension: member})
        existing = _profile_of(members)
        if existing is not None and existing.source == ProfileSource.ENTERED:
            result.entered_kept.append(member)
            continue
        shape = actuals.monthly_shape(_asked(members), years=years, today=today, own_only=True)
        if shape is None:
            result.too_little_history.append(member)
            continue
        result.derived.append(_derived_save(by=by, members=members, shape=shape, years=years))
    return result


# --- ramps ---------------------------------------------------------------------------------
@transaction.atomic
def ramp_save(*, by: User, user: User, starts_on: datetime.date, percentages: str) -> Ramp:
    """Give a new hire a ramp: e.g. 25,50,75,100 % of a full quota over their first months."""
    if not can_set_target(by, person=user):
        raise PermissionDenied(NOT_YOUR_TARGET)
    if starts_on.day != 1:
        raise ValidationError({"starts_on": RAMP_FIRST_DAY})
    try:
        steps = [Decimal(p.strip()) for p in percentages.split(",") if p.strip()]
    except InvalidOperation:
        raise ValidationError({"percentages": RAMP_STEPS}) from None
    if not steps or any(not s.is_finite() or s < 0 or s > 100 for s in steps):
        raise ValidationError({"percentages": RAMP_STEPS})
    ramp = Ramp.objects.filter(user=user).first() or Ramp(user=user)
    ramp.starts_on = starts_on
    ramp.percentages = ",".join(plain_number(s) for s in steps)
    ramp._history_user = by
    ramp.full_clean(validate_constraints=False)
    ramp.save()
    return ramp


# --- sales plans ---------------------------------------------------------------------------
def _editable(plan: SalesPlan) -> None:
    if plan.status not in EDITABLE_PLAN_STATUSES:
        raise ValidationError(
            {"status": PLAN_NOT_EDITABLE.format(status=plan.get_status_display().lower())}
        )


@transaction.atomic
def plan_create(
    *,
    by: User,
    title: str,
    fiscal_year: int,
    target: Target | None = None,
    summary: str = "",
) -> SalesPlan:
    """Start a sales plan: how ``by`` will reach a target in a fiscal year."""
    from pipewise.planning.permissions import target_visible_to

    if by.is_read_only:
        raise PermissionDenied(NOT_YOUR_TARGET)
    if target is not None and not target_visible_to(by).filter(pk=target.pk).exists():
        raise ValidationError({"target": PLAN_TARGET_NOT_VISIBLE})
    plan = SalesPlan(title=title, owner=by, fiscal_year=fiscal_year, target=target, summary=summary)
    plan._history_user = by
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def plan_update(
    *, plan: SalesPlan, by: User, expected_version: int | None = None, **changes
) -> SalesPlan:
    """Re-word a draft plan (title, summary, target, fiscal year)."""
    from pipewise.planning.permissions import target_visible_to

    fresh = lock_current(plan, expected_version=expected_version)
    _editable(fresh)
    allowed = {"title", "summary", "target", "fiscal_year"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    target = changes.get("target")
    if target is not None and not target_visible_to(by).filter(pk=target.pk).exists():
        raise ValidationError({"target": PLAN_TARGET_NOT_VISIBLE})
    for name, value in changes.items():
        setattr(fresh, name, value)
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean()
    fresh.save()
    return fresh


def _set_status(plan: SalesPlan, by: User, status: str, *, note: str | None = None) -> SalesPlan:
    plan.status = status
    if note is not None:
        plan.review_note = note
        plan.reviewed_by = by
        plan.reviewed_at = timezone.now()
    bump_version(plan)
    plan._history_user = by
    plan.save()
    return plan


@transaction.atomic
def plan_submit(*, plan: SalesPlan, by: User, expected_version: int | None = None) -> SalesPlan:
    """Send the plan to the owner's manager for review."""
    fresh = lock_current(plan, expected_version=expected_version)
    _editable(fresh)
    return _set_status(fresh, by, PlanStatus.SUBMITTED)


@transaction.atomic
def plan_review(
    *,
    plan: SalesPlan,
    by: User,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> SalesPlan:
    """A manager above the owner approves the submitted plan or sends it back with a note."""
    fresh = lock_current(plan, expected_version=expected_version)
    if not can_review_plan(by, fresh):
        raise PermissionDenied(NOT_THEIR_MANAGER)
    if fresh.status != PlanStatus.SUBMITTED:
        raise ValidationError({"status": PLAN_NOT_SUBMITTED})
    if not approve and not note.strip():
        raise ValidationError({"note": REVIEW_NOTE_NEEDED})
    status = PlanStatus.APPROVED if approve else PlanStatus.CHANGES_REQUESTED
    return _set_status(fresh, by, status, note=note)


@transaction.atomic
def initiative_add(
    *,
    plan: SalesPlan,
    by: User,
    title: str,
    description: str = "",
    expected_result: str = "",
) -> Initiative:
    """Add an initiative (one way the plan reaches its target) to a draft plan."""
    fresh = lock_current(plan, expected_version=None)
    _editable(fresh)
    position = fresh.initiatives.count()
    initiative = Initiative(
        plan=fresh,
        title=title,
        description=description,
        expected_result=expected_result,
        position=position,
    )
    initiative._history_user = by
    initiative.full_clean()
    initiative.save()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save(update_fields=["version", "updated_at"])
    return initiative


@transaction.atomic
def initiative_task_add(
    *,
    initiative: Initiative,
    by: User,
    title: str,
    due_at: datetime.datetime | None = None,
    todos: Iterable[dict] = (),
):
    """Break an initiative into a task with to-do items (planned time, resources, the
    measured result expected) — a task of the activities app, assigned to the plan owner."""
    _editable(initiative.plan)
    task = task_create(
        by=by, title=title, due_at=due_at, assignee=initiative.plan.owner, todos=list(todos)
    )
    initiative.tasks.add(task)
    return task


# --- the grid: many cells at once, all or nothing ------------------------------------------
CELL_NOT_YOURS = "you cannot set targets for {member}."


@dataclass(frozen=True)
class GridCell:
    """One entered value of the targets grid: where it came from (a spreadsheet cell
    reference such as "C7", or a form field), for which member and period."""

    ref: str
    member: object
    period: FiscalPeriod
    value: object


@transaction.atomic
def targets_grid_save(
    *, by: User, metric: str, dimension: str, cells: Sequence[GridCell]
) -> list[Target]:
    """Save a grid of targets (web grid editor, XLSX import): every cell is checked first
    and any problem — named by its cell reference — refuses the whole grid, so nothing is
    half-written. Blank cells are left alone; unchanged amounts are not rewritten (and not
    returned: the result is what changed)."""
    if metric not in Metric.values:
        raise ValidationError(
            {"metric": UNKNOWN_METRIC.format(value=metric, known=", ".join(Metric.values))}
        )
    _check_members(metric, {dimension: object()})
    errors: dict[str, list[str]] = {}
    checked = []
    allowed: dict[object, bool] = {}
    for cell in cells:
        if cell.value is None or str(cell.value).strip() == "":
            continue
        try:
            amount = _number(cell.value, metric=metric)
        except ValidationError as exc:
            errors[cell.ref] = exc.messages
            continue
        if cell.member not in allowed:
            allowed[cell.member] = can_set_target(
                by,
                person=cell.member if dimension == Dimension.USER else None,
                team=cell.member if dimension == Dimension.TEAM else None,
                account=cell.member if dimension == Dimension.ACCOUNT else None,
            )
        if not allowed[cell.member]:
            errors[cell.ref] = [CELL_NOT_YOURS.format(member=cell.member)]
            continue
        checked.append((cell, amount))
    if errors:
        raise ValidationError(errors)
    others_empty = {f"{d}__isnull": True for d in Dimension.values if d != dimension}
    current = {
        (member_id, kind, start): amount
        for member_id, kind, start, amount in Target.objects.filter(
            metric=metric, **{f"{dimension}__in": {c.member for c, _ in checked}}, **others_empty
        ).values_list(member_column(dimension), "period_kind", "period_start", "amount")
    }
    written = []
    for cell, amount in checked:
        if current.get((cell.member.pk, cell.period.kind, cell.period.start)) == amount:
            continue  # unchanged: no write, no history row
        template = Target(metric=metric, **{dimension: cell.member})
        written.append(
            _target_put(by=by, template=template, period=cell.period, amount=amount, note="")
        )
    return written
