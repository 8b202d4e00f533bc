"""Demo planning data: seasonality, targets top-down from last year's results, activity
targets for SDRs, and a sales plan — written through the planning services, so the demo
shows attainment, roll-ups and a plan under review from the first log-in."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from pipewise.demo.people import Organisation
from pipewise.org.models import Team, User
from pipewise.planning import services
from pipewise.planning.actuals import Probe, actuals_of
from pipewise.planning.choices import AllocationMethod, Dimension, Metric, PeriodKind
from pipewise.planning.models import Target
from pipewise.planning.periods import fiscal_year, fiscal_year_of, periods_in

# Next year's targets: last year's won revenue plus this growth, in whole thousands.
GROWTH = Decimal("1.12")
THOUSAND = Decimal(1000)
# Calls a month an SDR is asked to make.
SDR_CALLS_PER_MONTH = 60
# A flat profile when there is no history to derive one from (tiny demos).
FLAT = ["8.34"] * 4 + ["8.33"] * 8
PLAN_OWNER = "lena.hoffmann"


def _grown(amount: Decimal) -> Decimal:
    grown = (amount * GROWTH / THOUSAND).quantize(Decimal(1), rounding=ROUND_HALF_UP) * THOUSAND
    return max(grown, 50 * THOUSAND)


def planning_generate(*, org: Organisation, today: datetime.date) -> dict[str, int]:
    """Targets for the fiscal year of ``today``, from last year's won revenue; returns counts.
    An appended demo load keeps the plans the first load wrote."""
    if Target.all_objects.exists():
        return {"targets": 0}
    admin = org.users["admin"]
    try:
        services.profile_derive(by=admin, years=2, today=today, name="Company (won revenue)")
    except ValidationError:
        services.profile_save(by=admin, name="Company (flat)", weights=FLAT)
    year = fiscal_year(fiscal_year_of(today))
    last_year = fiscal_year(fiscal_year_of(today) - 1)
    teams = [
        team
        for team in Team.objects.filter(members__in=org.users.values()).distinct().order_by("name")
        if team.manager_id and team.members.filter(user_roles__role="account_executive").exists()
    ]
    history = actuals_of(
        [
            Probe(Metric.WON_REVENUE, {Dimension.TEAM: t}, last_year.start, last_year.end)
            for t in teams
        ]
    )
    team_targets = []
    for index, team in enumerate(teams):
        target = services.target_create(
            by=admin,
            team=team,
            metric=Metric.WON_REVENUE,
            period_kind=PeriodKind.YEAR,
            period_start=year.start,
            amount=_grown(history[index]),
            note="Last year's won revenue + 12 %",
        )
        team_targets.append(target)
        for person_target in services.target_allocate_to_members(
            by=admin, target=target, method=AllocationMethod.HISTORY
        ):
            if person_target.amount:
                services.target_split_by_profile(by=admin, target=person_target)
    services.target_create(
        by=admin,
        metric=Metric.WON_REVENUE,
        period_kind=PeriodKind.YEAR,
        period_start=year.start,
        amount=sum((t.amount for t in team_targets), Decimal(0)),
        note="The company's revenue target",
    )
    sdrs = User.objects.filter(user_roles__role="sdr", pk__in=[u.pk for u in org.users.values()])
    for sdr in sdrs.order_by("username"):
        for month in periods_in(year, PeriodKind.MONTH):
            services.target_create(
                by=admin,
                user=sdr,
                metric=Metric.CALLS,
                period_kind=PeriodKind.MONTH,
                period_start=month.start,
                amount=SDR_CALLS_PER_MONTH,
            )
    _plan(org, year)
    return {"targets": Target.objects.count()}


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
        title="Upsell service contracts to this year's machine buyers",
        expected_result="8 service deals, 60 000 booked",
    )
    services.initiative_task_add(
        initiative=upsell,
        by=owner,
        title="Call every customer who bought a machine this year",
        due_at=None,
        todos=[
            {
                "text": "Pull the list of machine buyers",
                "planned_minutes": 30,
                "resources": "Opportunity list, won, product line Machines",
                "measured_result": "List of accounts",
            },
            {
                "text": "Call 5 customers a week",
                "planned_minutes": 300,
                "resources": "Service price list",
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
