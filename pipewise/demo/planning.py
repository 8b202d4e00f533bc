"""Demo planning data: a seasonality profile, the current fiscal year's quotas derived from
the demo's own results, the sales cost of every month, and a sales plan — written through
the planning and reports services, so attainment, roll-ups, efficiency and a plan under
review read as they would in a real team from the first log-in.

Who carries which quota (each year quota is split into months by the company's profile):

* an account executive: won revenue, their won revenue of the last twelve whole months
  times the growth their director asks of them (``QUOTA_ASKS``: a stretch for some, less
  for others), so some are ahead of their quota and some behind;
* a sales director: their team's won revenue, the sum of its account executives' quotas
  (bottom-up), and no personal revenue target; the company's is the sum of the teams';
* an SDR: calls and meetings, their own pace of the last twelve months times an ask, in
  even months.

Run after the deal totals and daily activity counts are built: the history is read through
the KPI registry like any planner's.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from pipewise.demo.clock import MARKETING_SEASON, YEARS_OF_HISTORY
from pipewise.demo.people import Organisation
from pipewise.org.choices import Role
from pipewise.org.models import Team, User
from pipewise.planning import services
from pipewise.planning.actuals import Probe, actuals_of
from pipewise.planning.choices import Dimension, Metric, PeriodKind
from pipewise.planning.models import Target
from pipewise.planning.periods import (
    fiscal_year,
    fiscal_year_of,
    month_end,
    month_index,
    month_of_index,
)
from pipewise.reports.models import SalesCost
from pipewise.reports.services import sales_cost_record

# The growth asked of each account executive over their last twelve months: evenly spread
# from the lowest to the highest over the company's account executives, in an order drawn
# from the seed. At their recent pace the first ends near 125 % of quota, the last near 70 %.
QUOTA_ASKS = (Decimal("0.80"), Decimal("1.40"))
# SDRs are asked for a little more activity than they logged.
ACTIVITY_ASKS = (Decimal("1.00"), Decimal("1.30"))
SDR_METRICS = (Metric.CALLS, Metric.MEETINGS)
# A revenue quota when a demo is too small for anyone to have won anything yet.
SMALLEST_QUOTA = Decimal(50_000)
THOUSAND = Decimal(1000)
# What selling costs (salaries, commissions, travel, events) as a share of the revenue the
# organisation won in the last twelve months, spread over the months like marketing work.
COST_SHARE = Decimal("0.35")
COST_NOTE = "Salaries, commissions, travel and marketing"
# A flat profile: SDRs' activity, and revenue when there is no history (tiny demos).
FLAT = ["8.34"] * 4 + ["8.33"] * 8
PLAN_OWNER = "lena.hoffmann"


def last_twelve_months(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The twelve whole calendar months before ``today``'s month: first and last day."""
    this_month = month_index(today)
    return month_of_index(this_month - 12), month_of_index(this_month) - datetime.timedelta(days=1)


def spread_asks(rng: random.Random, count: int, asks: tuple[Decimal, Decimal]) -> list[Decimal]:
    """``count`` asks evenly spread from the lowest to the highest, in a random order."""
    low, high = asks
    spread = [low + (high - low) * (2 * n + 1) / (2 * count) for n in range(count)]
    rng.shuffle(spread)
    return spread


def _in_thousands(amount: Decimal) -> Decimal:
    return (amount / THOUSAND).quantize(Decimal(1), rounding=ROUND_HALF_UP) * THOUSAND


def planning_generate(
    *, org: Organisation, today: datetime.date, rng: random.Random
) -> dict[str, int]:
    """Quotas for the fiscal year of ``today`` and the sales cost of every month up to it;
    returns the counts. An appended demo load keeps the plans the first load wrote."""
    if Target.all_objects.exists():
        return {"targets": 0, "sales costs": 0}
    admin = org.users["admin"]
    try:
        services.profile_derive(by=admin, years=1, today=today, name="Company (won revenue)")
    except ValidationError:
        services.profile_save(by=admin, name="Company (flat)", weights=FLAT)
    year = fiscal_year(fiscal_year_of(today))
    people = User.objects.filter(pk__in=[u.pk for u in org.users.values()])
    aes = list(people.filter(user_roles__role=Role.ACCOUNT_EXECUTIVE).order_by("username"))
    team_quotas = _revenue_quotas(admin, aes, year, today, rng)
    team_targets = []
    for team in Team.objects.filter(pk__in=list(team_quotas)).order_by("name"):
        team_targets.append(
            services.target_create(
                by=admin,
                team=team,
                metric=Metric.WON_REVENUE,
                period_kind=PeriodKind.YEAR,
                period_start=year.start,
                amount=team_quotas[team.pk],
                note="The team's quota: the sum of its account executives' quotas",
            )
        )
    services.target_create(
        by=admin,
        metric=Metric.WON_REVENUE,
        period_kind=PeriodKind.YEAR,
        period_start=year.start,
        amount=sum((t.amount for t in team_targets), Decimal(0)),
        note="The company's revenue target: the sum of the teams' quotas",
    )
    sdrs = list(people.filter(user_roles__role=Role.SDR).order_by("username"))
    _activity_quotas(admin, sdrs, year, today, rng)
    costs = _sales_costs(admin, today)
    _plan(org, year)
    return {"targets": Target.objects.count(), "sales costs": costs}


def _revenue_quotas(admin, aes: Sequence[User], year, today, rng) -> dict[int, Decimal]:
    """Each account executive's won-revenue quota for ``year``, split into months; returns
    the sum of the quotas per team."""
    start, end = last_twelve_months(today)
    found = actuals_of([Probe(Metric.WON_REVENUE, {Dimension.USER: ae}, start, end) for ae in aes])
    recent = [found[i] for i in range(len(aes))]
    earning = [amount for amount in recent if amount]
    typical = sum(earning, Decimal(0)) / len(earning) if earning else SMALLEST_QUOTA
    per_team: dict[int, Decimal] = {}
    for ae, won, ask in zip(aes, recent, spread_asks(rng, len(aes), QUOTA_ASKS), strict=True):
        amount = max(_in_thousands((won or typical) * ask), THOUSAND)
        target = services.target_create(
            by=admin,
            user=ae,
            metric=Metric.WON_REVENUE,
            period_kind=PeriodKind.YEAR,
            period_start=year.start,
            amount=amount,
            note=f"Won revenue of the last twelve months × {ask:.2f}",
        )
        services.target_split_by_profile(by=admin, target=target)
        if ae.team_id:
            per_team[ae.team_id] = per_team.get(ae.team_id, Decimal(0)) + amount
    return per_team


def _activity_quotas(admin, sdrs: Sequence[User], year, today, rng) -> None:
    """Each SDR's calls and meetings for ``year`` (their last twelve months' count × an
    ask), split into even months by a flat profile of their own: prospecting work does not
    follow the season deals close in."""
    start, end = last_twelve_months(today)
    for sdr in sdrs:
        services.profile_save(by=admin, name="Prospecting: even months", weights=FLAT, user=sdr)
    for metric in SDR_METRICS:
        found = actuals_of([Probe(metric, {Dimension.USER: sdr}, start, end) for sdr in sdrs])
        asks = spread_asks(rng, len(sdrs), ACTIVITY_ASKS)
        for index, (sdr, ask) in enumerate(zip(sdrs, asks, strict=True)):
            months = len(year.months)
            amount = max((found[index] * ask).quantize(Decimal(1), rounding=ROUND_HALF_UP), months)
            target = services.target_create(
                by=admin,
                user=sdr,
                metric=metric,
                period_kind=PeriodKind.YEAR,
                period_start=year.start,
                amount=amount,
                note=f"{Metric(metric).label} of the last twelve months × {ask:.2f}",
            )
            services.target_split_by_profile(by=admin, target=target)


def _sales_costs(admin, today: datetime.date) -> int:
    """The sales cost of every month of the demo's history up to today's month: a share of
    the last twelve months' won revenue, heavier in the busy marketing months. Returns how
    many months were entered (none when nothing was won, or when costs are already in)."""
    if SalesCost.objects.exists():
        return 0
    start, end = last_twelve_months(today)
    recent_won = actuals_of([Probe(Metric.WON_REVENUE, {}, start, end)])[0]
    if not recent_won:
        return 0
    monthly = recent_won * COST_SHARE / 12
    average_season = Decimal(str(sum(MARKETING_SEASON.values()) / len(MARKETING_SEASON)))
    first = month_index(today) - YEARS_OF_HISTORY * 12 + 1
    for index in range(first, month_index(today) + 1):
        month = month_of_index(index)
        season = Decimal(str(MARKETING_SEASON[month.month])) / average_season
        sales_cost_record(
            by=admin,
            period_start=month,
            period_end=month_end(month),
            amount=(monthly * season).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            note=COST_NOTE,
        )
    return month_index(today) + 1 - first


def _plan(org: Organisation, year) -> None:
    """A submitted plan of one account executive, with initiatives, tasks and to-dos."""
    owner = org.users.get(PLAN_OWNER)
    if owner is None:
        return
    target = Target.objects.filter(
        user=owner, metric=Metric.WON_REVENUE, period_kind=PeriodKind.YEAR
    ).first()
    plan = services.plan_create(
        by=owner,
        title=f"{owner.first_name}'s plan for FY{year.end.year}",
        fiscal_year=year.end.year,
        target=target,
        summary="Grow the installed base in my territory and open two new logos a quarter.",
    )
    upsell = services.initiative_add(
        plan=plan,
        by=owner,
        title="Upsell support plans to this year's new platform customers",
        expected_result="8 support deals, 60 000 booked",
    )
    services.initiative_task_add(
        initiative=upsell,
        by=owner,
        title="Call every customer who bought platform seats this year",
        due_at=None,
        todos=[
            {
                "text": "Pull the list of this year's platform buyers",
                "planned_minutes": 30,
                "resources": "Opportunity list, won, product line Core platform",
                "measured_result": "List of accounts",
            },
            {
                "text": "Call 5 customers a week",
                "planned_minutes": 300,
                "resources": "Support plan price list",
                "measured_result": "20 calls logged",
            },
        ],
    )
    logos = services.initiative_add(
        plan=plan,
        by=owner,
        title="Two new logos a quarter in my area",
        expected_result="8 new customers",
    )
    services.initiative_task_add(
        initiative=logos,
        by=owner,
        title="Work the SDR hand-offs within a day",
        todos=[{"text": "Review hand-offs every morning", "planned_minutes": 15}],
    )
    services.plan_submit(plan=plan, by=owner)
