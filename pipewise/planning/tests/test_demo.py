"""The demo's planning data, and variance checked over it against a plain computation."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pipewise.demo.generate import demo_generate
from pipewise.pipeline.models import Opportunity
from pipewise.planning.actuals import standings
from pipewise.planning.models import SalesPlan, SeasonalityProfile, Target
from pipewise.planning.selectors import target_rollup

TODAY = datetime.date(2026, 5, 20)


@pytest.fixture
def demo(db):
    return demo_generate(size=200, seed=3, today=TODAY)


def won_in(owner_id, start, end) -> Decimal:
    """Won revenue computed without the KPI registry: a plain loop over the deals."""
    total = Decimal(0)
    for deal in Opportunity.objects.filter(owner_id=owner_id, status="won"):
        day = timezone.localdate(deal.closed_at)
        if start <= day <= end:
            total += deal.amount
    return total


def test_the_demo_plans_top_down_and_everything_adds_up(demo):
    profile = SeasonalityProfile.objects.get(user__isnull=True, team__isnull=True)
    assert sum(profile.weights) == 100
    teams = Target.objects.filter(team__isnull=False, period_kind="year")
    assert teams.exists()
    for team_target in teams:
        people = Target.objects.filter(
            user__team=team_target.team, period_kind="year", metric="won_revenue"
        )
        assert sum(t.amount for t in people) == team_target.amount
    for person_year in Target.objects.filter(user__isnull=False, period_kind="year"):
        if person_year.amount:
            rollup = target_rollup(person_year.created_by, person_year)
            assert rollup.difference == 0 and len(rollup.children) == 12
    company = Target.objects.get(
        user__isnull=True, team__isnull=True, territory__isnull=True, period_kind="year"
    )
    assert company.amount == sum(t.amount for t in teams)
    for metric in ("calls", "meetings"):  # each SDR's year, split into its twelve months
        targets = Target.objects.filter(metric=metric)
        years = targets.filter(period_kind="year").count()
        assert years and targets.filter(period_kind="month").count() == 12 * years
    plan = SalesPlan.objects.get()
    assert plan.status == "submitted" and plan.initiatives.count() == 2


def test_variance_over_the_demo_matches_a_plain_computation(demo):
    months = list(
        Target.objects.filter(user__isnull=False, metric="won_revenue", period_kind="month")
        .select_related("user")
        .order_by("pk")
    )
    assert len(months) >= 24
    for standing in standings(months, today=TODAY):
        target = standing.target
        actual = won_in(target.user_id, target.period_start, target.period_end)
        assert standing.actual == actual
        assert standing.variance == actual - target.amount


def test_team_company_and_call_variance_over_the_demo_match_a_plain_computation(demo):
    """Beyond people's months: every team's and the company's year, and every SDR's calls
    per month, against sums written without the KPI registry."""
    from pipewise.activities.models import Activity

    won = [
        (deal.owner.team_id, timezone.localdate(deal.closed_at), deal.amount)
        for deal in Opportunity.objects.filter(status="won").select_related("owner")
    ]
    years = list(
        Target.objects.filter(metric="won_revenue", period_kind="year", user__isnull=True)
        .filter(territory__isnull=True, account__isnull=True, segment__isnull=True)
        .filter(product_line__isnull=True, channel__isnull=True)
        .select_related("team")
    )
    assert any(t.team_id for t in years) and any(not t.team_id for t in years)
    for standing in standings(years, today=TODAY):
        target = standing.target
        actual = sum(
            (
                amount
                for team_id, day, amount in won
                if target.period_start <= day <= target.period_end
                and (target.team_id is None or team_id == target.team_id)
            ),
            Decimal(0),
        )
        assert standing.actual == actual
        assert standing.variance == actual - target.amount
    calls = list(Target.objects.filter(metric="calls").order_by("pk"))
    assert calls
    logged = [
        (a.owner_id, timezone.localdate(a.occurred_at))
        for a in Activity.objects.filter(type="call")
    ]
    for standing in standings(calls, today=TODAY):
        target = standing.target
        count = sum(
            1
            for owner_id, day in logged
            if owner_id == target.user_id and target.period_start <= day <= target.period_end
        )
        assert standing.actual == count
        assert standing.variance == count - target.amount
