"""Reads the KPIs start from: always the records the asking user may see, never more.

Every KPI's base queryset comes from here, and every function here starts
from an app's ``<entity>_visible_to(user)``: a rep's KPIs count their own
deals, a manager's their team's, sales ops' everyone's.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Exists,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Greatest, Least

from pipewise.activities.models import Activity, ActivityDay
from pipewise.activities.permissions import activity_days_visible_to, activity_visible_to
from pipewise.customers.models import Account
from pipewise.customers.permissions import account_visible_to
from pipewise.leads.models import Lead
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import Territory, User, UserRole
from pipewise.org.permissions import owner_ids_visible_to
from pipewise.org.selectors import territory_and_descendant_ids
from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import DealMonthTotal, LineItem, Opportunity, Stage, StageTotal
from pipewise.pipeline.permissions import opportunity_owners_visible_to, opportunity_visible_to
from pipewise.reports.choices import REP_ROLES
from pipewise.reports.expressions import MONEY_SUM, DayNumber, EpochSeconds
from pipewise.reports.models import SalesCost
from pipewise.reports.periods import Period


def visible_opportunities(user: User) -> QuerySet[Opportunity]:
    return opportunity_visible_to(user)


def visible_deal_totals(user: User) -> QuerySet[StageTotal]:
    """The running totals of the deals ``user`` sees (deals are seen by owner); rows counted
    down to zero stand for nothing."""
    rows = StageTotal.objects.filter(count__gt=0)
    owners = opportunity_owners_visible_to(user)
    return rows if owners is None else rows.filter(owner_id__in=owners)


def visible_deal_months(user: User) -> QuerySet[DealMonthTotal]:
    """The month totals of the deals ``user`` sees (by owner, as the deal totals)."""
    rows = DealMonthTotal.objects.filter(count__gt=0)
    owners = opportunity_owners_visible_to(user)
    return rows if owners is None else rows.filter(owner_id__in=owners)


def visible_line_items(user: User) -> QuerySet[LineItem]:
    return line_items_of(opportunity_visible_to(user))


def line_items_of(deals: QuerySet[Opportunity]) -> QuerySet[LineItem]:
    """The line items of a (visible, filtered) set of deals, as one ``IN (SELECT …)``."""
    return LineItem.objects.filter(opportunity__in=deals.order_by().values("pk"))


def without_line_items(deals: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return deals.filter(~Exists(LineItem.objects.filter(opportunity=OuterRef("pk"))))


def visible_leads(user: User) -> QuerySet[Lead]:
    return lead_visible_to(user)


def visible_activities(user: User) -> QuerySet[Activity]:
    return activity_visible_to(user)


def visible_activity_days(user: User) -> QuerySet[ActivityDay]:
    return activity_days_visible_to(user)


def visible_accounts(user: User) -> QuerySet[Account]:
    return account_visible_to(user)


def reps_visible_to(user: User) -> QuerySet[User]:
    """Active people holding a selling role (SDR, AE, customer success, partner manager)
    whose records ``user`` sees: the headcount of "per rep" KPIs."""
    reps = User.objects.filter(
        is_active=True,
        pk__in=UserRole.objects.filter(role__in=REP_ROLES).values("user_id"),
    )
    owners = owner_ids_visible_to(user)
    if owners is None:
        return reps
    return reps.filter(pk__in=owners)


def first_response_seconds() -> Subquery:
    """For a lead row: seconds from its creation to the first activity logged on it at or
    after creation; null while nobody has touched it."""
    return Subquery(
        Activity.objects.filter(lead=OuterRef("pk"), occurred_at__gte=OuterRef("created_at"))
        .order_by("occurred_at")
        .annotate(waited=EpochSeconds("occurred_at") - EpochSeconds(OuterRef("created_at")))
        .values("waited")[:1],
        output_field=FloatField(),
    )


def funnel_stages(pipeline: str | int | None) -> list[Stage]:
    """The open stages of a sales process in order, then its Won stage.

    ``pipeline`` is an id, a name or None for the default process.
    """
    stages = Stage.objects.filter(kind__in=[StageKind.OPEN, StageKind.WON])
    if pipeline is None:
        stages = stages.filter(pipeline__is_default=True)
    elif str(pipeline).isdigit():
        stages = stages.filter(pipeline_id=int(pipeline))
    else:
        stages = stages.filter(pipeline__name=pipeline)
    stages = list(stages.order_by("order"))
    won = [stage for stage in stages if stage.kind == StageKind.WON][:1]
    return [stage for stage in stages if stage.kind == StageKind.OPEN] + won


def territory_ids_within(territory: str | int) -> frozenset[int]:
    """A territory (by id or code) and every territory inside it."""
    if str(territory).isdigit():
        start = [int(territory)]
    else:
        start = list(Territory.objects.filter(code=territory).values_list("pk", flat=True))
    return territory_and_descendant_ids(start)


def sales_cost_list() -> QuerySet[SalesCost]:
    """Every entered sales cost, the latest period first (what the Sales costs page lists)."""
    return SalesCost.objects.order_by("-period_start", "-id")


def sales_cost_in(period: Period) -> Decimal:
    """What selling cost in ``period``: entered costs, a cost spanning the period's edge
    counted for the share of its days that fall inside. All time: every cost."""
    costs = SalesCost.objects.order_by()
    overlap_start = DayNumber("period_start")
    overlap_end = DayNumber("period_end")
    if period.start is not None:
        costs = costs.filter(period_end__gte=period.start)
        overlap_start = Greatest(overlap_start, DayNumber(Value(period.start)))
    if period.end is not None:
        costs = costs.filter(period_start__lte=period.end)
        overlap_end = Least(overlap_end, DayNumber(Value(period.end)))
    share = (
        F("amount")
        * (overlap_end - overlap_start + 1)
        / (DayNumber("period_end") - DayNumber("period_start") + 1)
    )
    total = costs.aggregate(cost=Sum(share, output_field=MONEY_SUM))["cost"]
    return total if total is not None else Decimal("0.00")
