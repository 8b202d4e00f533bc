"""Closed-business KPIs against values computed independently from the generated ledger."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
)
from pipewise.reports.kpis import registry
from pipewise.reports.tests import expect

SPRING_SUMMER = {"start": datetime.date(2025, 3, 1), "end": datetime.date(2025, 8, 31)}
PERIODS = [{}, SPRING_SUMMER]
VIEWERS = ["ae", "manager", "vp", "ops", "other_ae"]
# Each viewer with each period: a rep counts own deals, a manager the team's, ops everyone's.
CASES = [(viewer, period) for viewer in VIEWERS for period in PERIODS]
CLOSED_DIMENSIONS = ["owner", "team", "territory", "source", "segment", "month"]


def compute(key, people, viewer="ops", **arguments):
    return registry.get(key).compute(user=getattr(people, viewer), **arguments)


def closed_label(dimension):
    return expect.deal_label(dimension, lambda d: d.closed_at)


def test_won_revenue_is_the_amount_of_the_visible_deals_won_in_the_period(people, ledger):
    for viewer, period in CASES:
        deals = expect.won(ledger, viewer, **period)
        result = compute("won_revenue", people, viewer, **period)
        assert result.unit == "currency"
        assert result.value == expect.amount(deals), (viewer, period)


def test_won_revenue_by_each_dimension_matches_the_ledger_and_adds_up(people, ledger):
    deals = expect.won(ledger, "ops", **SPRING_SUMMER)
    for dimension in CLOSED_DIMENSIONS:
        result = compute("won_revenue", people, group_by=dimension, **SPRING_SUMMER)
        expected = expect.by(deals, closed_label(dimension), expect.amount)
        assert expect.groups_of(result) == expected, dimension
        assert sum(expect.groups_of(result).values()) == result.value


def test_won_revenue_by_product_line_counts_line_values_and_plain_deals_as_null(people, ledger):
    deals = expect.won(ledger, "ops")
    result = compute("won_revenue", people, group_by="product_line")
    expected = expect.by_product_line(deals, lambda d, line: line.net, lambda d: d.amount)
    assert expect.groups_of(result) == expected
    assert sum(expect.groups_of(result).values()) == result.value
    pivot = compute("won_revenue", people, group_by=["product_line", "month"])
    expected = {}
    for deal in deals:
        for line in deal.lines or [None]:
            key = (line.product_line if line else None, expect.month(deal.closed_at))
            expected[key] = expected.get(key, Decimal(0)) + (line.net if line else deal.amount)
    assert expect.groups_of(pivot) == expected
    assert all(isinstance(g.group, list) and len(g.group) == 2 for g in pivot.groups)


def test_won_deal_count_counts_deals_won_and_once_per_product_line(people, ledger):
    for viewer, period in CASES:
        result = compute("won_deal_count", people, viewer, **period)
        assert result.value == len(expect.won(ledger, viewer, **period)), (viewer, period)
        assert isinstance(result.value, int)
    expected = {}
    for deal in expect.won(ledger, "ops"):
        for product_line in {line.product_line for line in deal.lines} or {None}:
            expected[product_line] = expected.get(product_line, 0) + 1
    result = compute("won_deal_count", people, group_by="product_line")
    assert expect.groups_of(result) == expected


def test_average_deal_size_is_won_amount_over_won_deals(people, ledger):
    for viewer, period in CASES:
        deals = expect.won(ledger, viewer, **period)
        result = compute("average_deal_size", people, viewer, **period)
        assert expect.near(result.value, expect.average_size(deals), 2), (viewer, period)
        grouped = compute("average_deal_size", people, viewer, group_by="owner", **period)
        expected = expect.by(deals, lambda d: d.owner, expect.average_size)
        expect.assert_groups_near(grouped, expected, 2)


def test_win_rate_is_won_over_closed_by_count_and_by_value(people, ledger):
    for viewer, period in CASES:
        deals = expect.closed(ledger, viewer, **period)
        by_count = compute("win_rate", people, viewer, **period)
        by_value = compute("win_rate_by_value", people, viewer, **period)
        assert expect.near(by_count.value, expect.win_rate(deals), 4), (viewer, period)
        assert expect.near(by_value.value, expect.win_rate_by_value(deals), 4), (viewer, period)
        assert by_count.value is None or 0 <= by_count.value <= 1
    deals = expect.closed(ledger, "ops")
    for dimension in CLOSED_DIMENSIONS:
        result = compute("win_rate", people, group_by=dimension)
        expected = expect.by(deals, closed_label(dimension), expect.win_rate)
        expect.assert_groups_near(result, expected, 4)


def test_sales_cycle_is_the_average_days_from_creation_to_win(people, ledger):
    for viewer, period in CASES:
        deals = expect.won(ledger, viewer, **period)
        result = compute("sales_cycle_days", people, viewer, **period)
        assert expect.near(result.value, expect.cycle_days(deals), 1), (viewer, period)
        grouped = compute("sales_cycle_days", people, viewer, group_by="month", **period)
        expected = expect.by(deals, lambda d: expect.month(d.closed_at), expect.cycle_days)
        expect.assert_groups_near(grouped, expected, 1)


def test_average_discount_is_discount_over_gross_of_won_line_items(people, ledger):
    for viewer, period in CASES:
        deals = expect.won(ledger, viewer, **period)
        result = compute("average_discount", people, viewer, **period)
        assert expect.near(result.value, expect.discount(deals), 4), (viewer, period)
    lines = [(line.product_line, line) for d in expect.won(ledger, "ops") for line in d.lines]
    expected = {}
    for product_line in {name for name, _ in lines}:
        gross = sum(line.gross for name, line in lines if name == product_line)
        net = sum(line.net for name, line in lines if name == product_line)
        expected[product_line] = expect.ratio(gross - net, gross)
    result = compute("average_discount", people, group_by="product_line")
    expect.assert_groups_near(result, expected, 4)


def test_quota_attainment_divides_won_revenue_by_the_target_given(people, ledger):
    deals = expect.won(ledger, "manager", **SPRING_SUMMER)
    target = Decimal("80000")
    result = compute(
        "quota_attainment", people, "manager", inputs={"target": target}, **SPRING_SUMMER
    )
    assert expect.near(result.value, expect.amount(deals) / target, 4)


def test_quota_attainment_without_target_is_refused_and_with_zero_target_is_null(people):
    kpi = registry.get("quota_attainment")
    with pytest.raises(ValidationError) as error:
        kpi.compute(user=people.ae)
    assert "target" in error.value.message_dict
    assert kpi.compute(user=people.ae, inputs={"target": "0"}).value is None


# --- edge cases on hand-made deals ---------------------------------------------------
def at(day, hour=12):
    return datetime.datetime(2025, 5, day, hour, tzinfo=datetime.UTC)


def deal(people, amount, created, owner=None, account=None):
    return opportunity_create(
        by=owner or people.ae,
        name="Edge deal",
        account=account,
        amount=Decimal(amount),
        close_date=datetime.date(2025, 6, 30),
        created_at=created,
    )


@pytest.fixture
def account(people):
    from pipewise.customers.services import account_create

    return account_create(by=people.ae, name="Edge GmbH", territory=people.bavaria)


def test_with_no_closed_deals_ratios_are_null_and_sums_zero(people, account):
    deal(people, "1000", at(1), account=account)
    for key in ("win_rate", "win_rate_by_value", "average_deal_size", "sales_cycle_days"):
        assert compute(key, people, "ae").value is None, key
    assert compute("won_revenue", people, "ae").value == Decimal("0.00")
    assert compute("won_deal_count", people, "ae").value == 0
    assert compute("average_discount", people, "ae").value is None


def test_a_deal_won_then_reopened_is_no_longer_won(people, account):
    kept = deal(people, "1000", at(1), account=account)
    opportunity_close_won(opportunity=kept, by=people.ae, at=at(10))
    reopened = deal(people, "5000", at(2), account=account)
    reopened = opportunity_close_won(opportunity=reopened, by=people.ae, at=at(11))
    opportunity_move_stage(
        opportunity=reopened,
        by=people.ae,
        to_stage=default_pipeline().stages.get(name="Closing"),
        at=at(12),
    )
    assert compute("won_revenue", people, "ae").value == Decimal("1000.00")
    assert compute("won_deal_count", people, "ae").value == 1
    assert compute("win_rate", people, "ae").value == Decimal("1.0000")
    assert compute("sales_cycle_days", people, "ae").value == Decimal("9.0")
    assert compute("open_deal_count", people, "ae").value == 1


def test_win_rate_by_value_weighs_the_big_lost_deal(people, account):
    small = deal(people, "1000", at(1), account=account)
    big = deal(people, "3000", at(1), account=account)
    opportunity_close_won(opportunity=small, by=people.ae, at=at(3))
    opportunity_close_lost(opportunity=big, by=people.ae, reason="Price too high", at=at(4))
    assert compute("win_rate", people, "ae").value == Decimal("0.5000")
    assert compute("win_rate_by_value", people, "ae").value == Decimal("0.2500")


def test_period_bounds_are_whole_days_in_the_company_time_zone(people, account, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    late = deal(people, "700", at(1), account=account)
    # 31 May 22:30 UTC is 1 June 00:30 in Berlin.
    closing = datetime.datetime(2025, 5, 31, 22, 30, tzinfo=datetime.UTC)
    opportunity_close_won(opportunity=late, by=people.ae, at=closing)
    may = {"start": datetime.date(2025, 5, 1), "end": datetime.date(2025, 5, 31)}
    june = {"start": datetime.date(2025, 6, 1), "end": datetime.date(2025, 6, 30)}
    assert compute("won_revenue", people, "ae", **may).value == Decimal("0.00")
    assert compute("won_revenue", people, "ae", **june).value == Decimal("700.00")
    by_month = compute("won_revenue", people, "ae", group_by="month")
    assert expect.groups_of(by_month) == {"2025-06": Decimal("700.00")}
