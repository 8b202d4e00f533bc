"""Retention, churn, sales efficiency and the magic number."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from pipewise.customers.services import account_create
from pipewise.org.models import User
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
)
from pipewise.reports.dashboards import Page, preset_bounds, read_selection
from pipewise.reports.kpis import registry
from pipewise.reports.periods import Period
from pipewise.reports.services import sales_cost_record
from pipewise.reports.tests import expect

Q1 = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 3, 31)}
Q2 = {"start": datetime.date(2025, 4, 1), "end": datetime.date(2025, 6, 30)}
H1 = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 6, 30)}
H2 = {"start": datetime.date(2025, 7, 1), "end": datetime.date(2025, 12, 31)}
ONE_DAY = datetime.timedelta(days=1)


def compute(key, people, viewer="ops", **arguments):
    return registry.get(key).compute(user=getattr(people, viewer), **arguments)


def day(month, number):
    return datetime.datetime(2025, month, number, 10, tzinfo=datetime.UTC)


def won_deal(people, account, amount, closed, owner=None):
    owner = owner or people.ae
    deal = opportunity_create(
        by=owner,
        name=f"{account.name} order",
        account=account,
        amount=Decimal(amount),
        close_date=closed.date(),
        created_at=closed - datetime.timedelta(days=20),
    )
    return opportunity_close_won(opportunity=deal, by=owner, at=closed)


# --- retention and churn --------------------------------------------------------------
def customers_of(ledger, viewer, period):
    return {
        d.account
        for d in expect.won(ledger, viewer, **period)
        if expect.sees(viewer, d.account_owner)
    }


def test_retention_and_churn_follow_last_periods_customers(people, ledger):
    # The second half-year against the first (the previous period of six whole months).
    for viewer in ["ae", "manager", "ops"]:
        before, now = customers_of(ledger, viewer, H1), customers_of(ledger, viewer, H2)
        retention = compute("customer_retention_rate", people, viewer, **H2).value
        churn = compute("customer_churn_rate", people, viewer, **H2).value
        expected = expect.ratio(len(before & now), len(before))
        assert expect.near(retention, expected, 4), viewer
        assert expect.near(churn, None if expected is None else 1 - expected, 4), viewer
    before, now = customers_of(ledger, "ops", H1), customers_of(ledger, "ops", H2)
    assert before & now and before - now  # the data has both kinds of customers
    for dimension in ["territory", "segment", "owner"]:
        facts = {name: account[dimension] for name, account in ledger.accounts.items()}
        expected = expect.by(
            before,
            lambda name, facts=facts: facts[name],
            lambda names: expect.ratio(len(set(names) & now), len(names)),
        )
        result = compute("customer_retention_rate", people, group_by=dimension, **H2)
        expect.assert_groups_near(result, expected, 4)


def test_a_customer_who_buys_again_is_retained_one_who_does_not_churns(people):
    accounts = {
        name: account_create(by=people.ae, name=name, territory=people.bavaria)
        for name in ["Again", "Gone", "Undone", "New"]
    }
    for name in ["Again", "Gone", "Undone"]:
        won_deal(people, accounts[name], "100", day(2, 10))
    won_deal(people, accounts["Again"], "100", day(5, 10))
    undone = won_deal(people, accounts["Undone"], "100", day(5, 12))
    opportunity_move_stage(
        opportunity=undone,
        by=people.ae,
        to_stage=default_pipeline().stages.get(name="Closing"),
        at=day(5, 20),
    )
    won_deal(people, accounts["New"], "100", day(5, 10))
    theirs = account_create(by=people.other_ae, name="Theirs", territory=people.usa)
    won_deal(people, theirs, "100", day(2, 10), owner=people.other_ae)
    assert compute("customer_retention_rate", people, "ae", **Q2).value == Decimal("0.3333")
    assert compute("customer_churn_rate", people, "ae", **Q2).value == Decimal("0.6667")
    assert compute("customer_retention_rate", people, "ops", **Q2).value == Decimal("0.2500")
    assert compute("customer_retention_rate", people, "ae", **Q1).value is None


def local(day, hour, minute):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_it_computes_retention_and_churn_over_exactly_the_last_12_months(people):
    today = timezone.localdate()
    start, end = preset_bounds("last_12_months", today)
    prior = Period(start, end).previous()
    assert (prior.start, prior.end) == preset_bounds("last_12_months", start - ONE_DAY)
    accounts = {
        name: account_create(by=people.ae, name=name, territory=people.bavaria)
        for name in ["Kept", "Lost", "Lost late", "Too early"]
    }
    # Customers of the prior 12 months: its first moment and its last minute count.
    won_deal(people, accounts["Kept"], "100", local(prior.start, 0, 1))
    won_deal(people, accounts["Lost"], "100", local(prior.start, 0, 1))
    won_deal(people, accounts["Lost late"], "100", local(prior.end, 23, 59))
    # Bought again in the first minute of the last 12 months.
    won_deal(people, accounts["Kept"], "100", local(start, 0, 1))
    # A minute before the prior period: not a customer of it; buying now makes it new.
    won_deal(people, accounts["Too early"], "100", local(prior.start - ONE_DAY, 23, 59))
    won_deal(people, accounts["Too early"], "100", local(start, 0, 1))
    page = Page(people.ops, read_selection({"period": "last_12_months"}))
    assert page.number("customer_retention_rate").value == Decimal("0.3333")
    assert page.number("customer_churn_rate").value == Decimal("0.6667")
    # The board report reads the last 12 months until another period is picked, and shows
    # both figures, each under its own definition.
    client = Client()
    client.force_login(User.objects.get(pk=people.ops.pk))
    html = client.get("/dashboards/board/").content.decode()
    assert 'data-kpi="customer_retention_rate" data-value="0.3333"' in html
    assert 'data-kpi="customer_churn_rate" data-value="0.6667"' in html


def test_it_counts_churn_as_lost_customers_not_as_the_rest_of_retention(people):
    churn = registry.get("customer_churn_rate").describe()
    retention = registry.get("customer_retention_rate").describe()
    assert "retention" not in churn["formula"] and "lost" in churn["formula"]
    assert "retained" in retention["formula"]
    # Nobody bought in the prior period: neither is defined (not 0 % and 100 %).
    assert compute("customer_retention_rate", people, "ops", **Q2).value is None
    assert compute("customer_churn_rate", people, "ops", **Q2).value is None


def test_retention_needs_a_period(people):
    with pytest.raises(ValidationError) as error:
        compute("customer_retention_rate", people, "ae", start=datetime.date(2025, 1, 1))
    assert "from" in error.value.message_dict


# --- sales efficiency and magic number ------------------------------------------------
@pytest.fixture
def costs_and_revenue(people):
    sales_cost_record(
        by=people.ops, period_start=Q1["start"], period_end=Q1["end"], amount=Decimal("9000")
    )
    sales_cost_record(
        by=people.ops, period_start=Q2["start"], period_end=Q2["end"], amount=Decimal("6000")
    )
    # 30 days, 15 of them in March and 15 in April: half counts in each quarter.
    sales_cost_record(
        by=people.ops,
        period_start=datetime.date(2025, 3, 17),
        period_end=datetime.date(2025, 4, 15),
        amount=Decimal("3000"),
        note="Trade fair",
    )
    account = account_create(by=people.ae, name="Efficient AG", territory=people.bavaria)
    won_deal(people, account, "5000", day(2, 1))
    won_deal(people, account, "12000", day(5, 1))


def test_sales_efficiency_is_revenue_over_cost_times_100(people, costs_and_revenue):
    result = compute("sales_efficiency", people, **Q2)
    assert result.unit == "percent"
    assert result.value == Decimal("160.00")  # 12 000 ÷ (6 000 + 1 500) × 100
    everything = compute("sales_efficiency", people)
    assert everything.value == Decimal("94.44")  # 17 000 ÷ 18 000 × 100


def test_magic_number_annualises_the_quarter_over_the_previous_quarters_cost(
    people, costs_and_revenue
):
    result = compute("magic_number", people, **Q2)
    assert result.value == Decimal("4.5714")  # 12 000 × 4 ÷ (9 000 + 1 500)
    may = {"start": datetime.date(2025, 5, 1), "end": datetime.date(2025, 5, 31)}
    april_cost = Decimal("6000") * 30 / 91 + Decimal("3000") * 15 / 30
    monthly = compute("magic_number", people, **may)
    assert expect.near(monthly.value, Decimal("12000") * 12 / april_cost, 4)


def test_with_zero_cost_efficiency_and_magic_number_are_null(people):
    account = account_create(by=people.ae, name="Free GmbH", territory=people.bavaria)
    won_deal(people, account, "5000", day(5, 1))
    assert compute("sales_efficiency", people, **Q2).value is None
    assert compute("magic_number", people, **Q2).value is None


def test_efficiency_is_a_company_figure_refused_to_reps_and_managers(people):
    for viewer in ["ae", "manager", "marketing"]:
        with pytest.raises(PermissionDenied):
            compute("sales_efficiency", people, viewer, **Q2)
    assert compute("sales_efficiency", people, "executive", **Q2).value is None


def test_only_admins_and_sales_ops_enter_sales_costs(people):
    with pytest.raises(PermissionDenied):
        sales_cost_record(
            by=people.manager, period_start=Q1["start"], period_end=Q1["end"], amount=Decimal(1)
        )
    with pytest.raises(ValidationError):
        sales_cost_record(
            by=people.ops, period_start=Q1["end"], period_end=Q1["start"], amount=Decimal(1)
        )
