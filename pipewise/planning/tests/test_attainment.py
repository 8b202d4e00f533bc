"""Attainment and variance: actuals from the KPI registry, checked against the facts
written (computed here in plain Python, independently of the registry and SQL)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.planning import services
from pipewise.planning.actuals import standings
from pipewise.planning.selectors import attainment_report

D = datetime.date


@pytest.fixture
def facts(world, people):
    """Deals won by ae, sdr and other_ae across 2026 (some with line items), calls and
    meetings; returns the written facts as plain tuples."""
    rng = random.Random(5)
    deals, activities = [], []
    for n in range(30):
        who = rng.choice(["ae", "sdr", "other_ae"])
        day = D(2026, rng.randint(1, 12), rng.randint(1, 28))
        if n % 3 == 0:
            lines = [(world.drill, rng.randint(1, 4), "1000"), (world.care, 2, "50")]
            amount = sum(Decimal(q) * Decimal(p) for _, q, p in lines)
        else:
            lines = None
            amount = Decimal(rng.randrange(1000, 90000))
        account = world.accounts[who] if n % 5 else None
        deal = world.won(who, amount, day, lines=lines, account=account)
        deals.append(
            {
                "owner": who,
                "day": day,
                "amount": deal.amount,
                "account": deal.account_id,
                "territory": deal.account.territory.name,
                "machines": sum(
                    (
                        Decimal(q) * Decimal(price)
                        for p, q, price in lines or []
                        if p == world.drill
                    ),
                    Decimal(0),
                ),
                "drill_units": sum(q for p, q, _ in lines if p == world.drill) if lines else 0,
            }
        )
    for _ in range(25):
        who = rng.choice(["ae", "sdr"])
        kind = rng.choice(["call", "meeting"])
        day = D(2026, rng.randint(1, 12), rng.randint(1, 28))
        world.call(who, day, kind)
        activities.append({"owner": who, "day": day, "type": kind})
    return deals, activities


def month_targets(by, **fields):
    out = []
    for month in range(1, 13):
        out.append(
            services.target_create(
                by=by,
                period_kind="month",
                period_start=D(2026, month, 1),
                **fields,
            )
        )
    return out


def expected(deals, month, **match):
    return sum(
        (
            d["amount"]
            for d in deals
            if d["day"].month == month and all(d[k] == v for k, v in match.items())
        ),
        Decimal(0),
    )


def test_variance_per_person_and_month_matches_an_independent_sum(world, people, facts):
    deals, _ = facts
    targets = month_targets(people.ops, user=people.ae, metric="won_revenue", amount="50000")
    for standing in standings(targets, today=D(2027, 1, 5)):
        month = standing.target.period_start.month
        actual = expected(deals, month, owner="ae")
        assert standing.actual == actual
        assert standing.variance == actual - Decimal("50000")
        assert standing.gap == max(Decimal("50000") - actual, Decimal(0))
        assert standing.attainment == (actual * 100 / Decimal("50000")).quantize(Decimal("0.1"))
        assert standing.projection == actual  # the period is over


def test_team_territory_and_product_line_actuals(world, people, facts):
    deals, _ = facts
    year = dict(period_kind="year", period_start=D(2026, 1, 1), metric="won_revenue", amount="1")
    team = services.target_create(by=people.ops, team=world.team, **year)
    region = services.target_create(by=people.ops, territory=people.emea, **year)
    usa = services.target_create(by=people.ops, territory=people.usa, **year)
    emea_machines = services.target_create(
        by=people.ops, territory=people.emea, product_line=world.machines, **year
    )
    units = services.target_create(
        by=people.ops, product_line=world.machines, **{**year, "metric": "units"}
    )
    found = {s.target: s.actual for s in standings([team, region, usa, emea_machines, units])}
    in_team = [d for d in deals if d["owner"] in ("ae", "sdr")]
    assert found[team] == sum((d["amount"] for d in in_team), Decimal(0))
    # Bavaria is inside Germany inside EMEA: the region counts its areas' deals.
    assert found[region] == sum((d["amount"] for d in in_team), Decimal(0))
    assert found[usa] == sum((d["amount"] for d in deals if d["owner"] == "other_ae"), Decimal(0))
    assert found[emea_machines] == sum((d["machines"] for d in in_team), Decimal(0))
    assert found[units] == sum(d["drill_units"] for d in deals)


def test_new_customers_count_an_account_once_at_its_first_win(world, people, facts):
    deals, _ = facts
    year = dict(period_kind="year", period_start=D(2026, 1, 1), metric="new_customers", amount="1")
    ae_target = services.target_create(by=people.ops, user=people.ae, **year)
    first_wins = {}
    for d in sorted(deals, key=lambda d: d["day"]):
        first_wins.setdefault(d["account"], d)
    expected_ae = sum(1 for d in first_wins.values() if d["owner"] == "ae")
    assert standings([ae_target])[0].actual == expected_ae


def test_activity_targets_count_the_type(world, people, facts):
    _, activities = facts
    calls = month_targets(people.manager, user=people.sdr, metric="calls", amount="3")
    for standing in standings(calls):
        month = standing.target.period_start.month
        assert standing.actual == sum(
            1
            for a in activities
            if a["owner"] == "sdr" and a["type"] == "call" and a["day"].month == month
        )


def test_the_run_rate_projects_the_running_period(world, people):
    world.won("ae", "10000", D(2026, 4, 5))
    april = services.target_create(
        by=people.ops,
        user=people.ae,
        metric="won_revenue",
        period_kind="month",
        period_start=D(2026, 4, 1),
        amount="30000",
    )
    (standing,) = standings([april], today=D(2026, 4, 10))
    assert standing.projection == Decimal("30000.00")  # 10 000 in 10 of 30 days
    (before,) = standings([april], today=D(2026, 3, 31))
    assert before.projection is None


def test_the_report_adds_up_members_and_periods(world, people, facts):
    deals, _ = facts
    for who in ("ae", "sdr", "other_ae"):
        month_targets(people.ops, user=getattr(people, who), metric="won_revenue", amount="20000")
    report = attainment_report(
        people.ops, metric="won_revenue", start=D(2026, 1, 1), end=D(2026, 6, 30)
    )
    assert len(report.periods) == 6
    by_name = {row.member.username: row for row in report.rows}
    first_half = [d for d in deals if d["day"].month <= 6]
    for who in ("ae", "sdr", "other_ae"):
        row = by_name[who]
        actual = sum((d["amount"] for d in first_half if d["owner"] == who), Decimal(0))
        assert row.target == Decimal("120000.00")
        assert row.actual == actual
        assert row.variance == actual - Decimal("120000.00")
    assert report.actual == sum((d["amount"] for d in first_half), Decimal(0))
    assert sum(target for _, target, _ in report.by_period) == report.target


def test_a_rep_sees_only_their_own_row_and_a_manager_their_team(world, people, facts):
    for who in ("ae", "sdr", "other_ae"):
        month_targets(people.ops, user=getattr(people, who), metric="won_revenue", amount="1")
    window = dict(metric="won_revenue", start=D(2026, 1, 1), end=D(2026, 12, 31))
    assert [r.member for r in attainment_report(people.ae, **window).rows] == [people.ae]
    assert {r.member for r in attainment_report(people.manager, **window).rows} == {
        people.ae,
        people.sdr,
    }
    assert len(attainment_report(people.executive, **window).rows) == 3


def test_attainment_costs_the_same_queries_for_more_people_and_months(world, people):
    month_targets(people.ops, user=people.ae, metric="won_revenue", amount="1")
    window = dict(metric="won_revenue", start=D(2026, 1, 1), end=D(2026, 12, 31))
    with CaptureQueriesContext(connection) as few:
        attainment_report(people.ops, **window)
    for who in ("sdr", "other_ae", "manager", "cs"):
        month_targets(people.ops, user=getattr(people, who), metric="won_revenue", amount="1")
    for n in range(20):
        world.won("sdr", "1000", D(2026, 1 + n % 12, 3))
    with CaptureQueriesContext(connection) as many:
        report = attainment_report(people.ops, **window)
    assert len(report.rows) == 5
    assert len(many) == len(few)


def test_every_target_metric_is_an_aggregate_kpi_of_the_registry():
    from pipewise.planning.choices import METRIC_KPIS
    from pipewise.reports.kpis import registry
    from pipewise.reports.kpis.base import AggregateKpi

    for key, _ in METRIC_KPIS.values():
        kpi = registry.get(key)
        assert isinstance(kpi, AggregateKpi)
        assert "month" in kpi.dimensions
