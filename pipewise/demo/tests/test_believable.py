"""What a buyer sees first in the demo reads like a real sales team's: quotas the reps come
close to, work that is current, revenue that belongs to product lines."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from pipewise.activities.choices import OPEN_TASK_STATUSES
from pipewise.activities.models import Task
from pipewise.demo.generate import demo_generate
from pipewise.org.choices import Role
from pipewise.org.models import Team, User
from pipewise.pipeline.models import LineItem, Opportunity
from pipewise.planning.actuals import actuals_of
from pipewise.planning.choices import ACTIVITY_METRICS, Metric
from pipewise.planning.models import Target
from pipewise.planning.periods import fiscal_year, fiscal_year_of
from pipewise.reports.kpis import registry

TODAY = datetime.date(2026, 11, 18)  # late in the fiscal year: ten months to measure
SIZE = 1200
# Attainment a sales team believes: reps around their quota (none at 0 % or 9 000 %); a
# small demo spreads wider than the default 3 000 deals (74–129 %).
BELIEVABLE = (Decimal(40), Decimal(160))


def test_it_lays_out_a_demo_a_sales_team_would_believe(db):
    demo_generate(size=SIZE, seed=3, today=TODAY)  # once: each part below reads it
    _account_executives_come_close_to_their_quotas()
    _sdrs_carry_activity_quotas_and_directors_their_teams()
    _open_work_is_current()
    _won_deals_sell_by_product_line()


def _attainment_so_far(targets) -> dict[str, Decimal]:
    """Each person's actual over their monthly targets of the months already over."""
    months = [t for t in targets if t.period_end < TODAY.replace(day=1)]
    actual = actuals_of(months)
    planned: dict[str, list[Decimal]] = {}
    for index, target in enumerate(months):
        sums = planned.setdefault(target.user.username, [Decimal(0), Decimal(0)])
        sums[0] += target.amount
        sums[1] += actual[index]
    return {person: won * 100 / quota for person, (quota, won) in planned.items()}


def _account_executives_come_close_to_their_quotas():
    year = fiscal_year(fiscal_year_of(TODAY))
    months = Target.objects.filter(
        metric=Metric.WON_REVENUE, period_kind="month", user__isnull=False
    ).select_related("user")
    attainment = _attainment_so_far(list(months))
    aes = User.objects.filter(user_roles__role=Role.ACCOUNT_EXECUTIVE)
    assert set(attainment) == set(aes.values_list("username", flat=True))
    low, high = BELIEVABLE
    assert all(low <= value <= high for value in attainment.values()), attainment
    assert min(attainment.values()) < 100 < max(attainment.values())  # some behind, some ahead
    assert all(t.period_start >= year.start and t.period_end <= year.end for t in months)


def _sdrs_carry_activity_quotas_and_directors_their_teams():
    sdr_metrics = set(
        Target.objects.filter(user__user_roles__role=Role.SDR).values_list("metric", flat=True)
    )
    assert sdr_metrics == {Metric.CALLS, Metric.MEETINGS} and sdr_metrics <= ACTIVITY_METRICS
    directors = User.objects.filter(user_roles__role=Role.SALES_MANAGER)
    assert not Target.objects.filter(user__in=directors).exists()
    for team in Team.objects.filter(manager__in=directors):
        quota = Target.objects.get(team=team, metric=Metric.WON_REVENUE, period_kind="year")
        members = Target.objects.filter(
            user__team=team, metric=Metric.WON_REVENUE, period_kind="year"
        )
        assert quota.amount == sum(t.amount for t in members) > 0


def _open_work_is_current():
    today = datetime.datetime.combine(
        TODAY, datetime.time(0), tzinfo=timezone.get_current_timezone()
    )
    open_tasks = Task.objects.filter(status__in=OPEN_TASK_STATUSES, due_at__isnull=False)
    assert open_tasks.filter(due_at__lt=today).exists()  # some work is late …
    assert not open_tasks.filter(due_at__lt=today - datetime.timedelta(days=30)).exists()
    assert open_tasks.filter(due_at__gt=today + datetime.timedelta(days=7)).exists()  # … some ahead
    open_deals = Opportunity.objects.filter(status="open")
    assert open_deals.filter(close_date__gte=TODAY).count() > 0.9 * open_deals.count()


def _won_deals_sell_by_product_line():
    won = Opportunity.objects.filter(status="won")
    assert won.exists() and not won.filter(line_items__isnull=True).exists()
    assert not LineItem.objects.filter(opportunity__in=won, product__product_line=None).exists()
    revenue = registry.get("won_revenue").compute(
        user=User.objects.get(username="admin"),
        start=TODAY.replace(year=TODAY.year - 1),
        end=TODAY,
        group_by=("product_line",),
    )
    assert revenue.groups and all(group.group is not None for group in revenue.groups)
