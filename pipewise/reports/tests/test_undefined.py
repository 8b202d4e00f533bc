"""A KPI that cannot be computed says why in a sentence, with a link to where the missing
input is entered: on the dashboards, in the API; and sales ops enter sales costs on a page."""

import datetime
import re
from decimal import Decimal

from django.test import Client

from pipewise.customers.services import account_create
from pipewise.org.models import User
from pipewise.reports.kpis import registry
from pipewise.reports.kpis.base import NOT_COMPUTABLE
from pipewise.reports.kpis.efficiency import NO_COST, THIS_PERIOD
from pipewise.reports.models import SalesCost
from pipewise.reports.tests.test_kpis_customers_efficiency import won_deal

Q2 = {"start": datetime.date(2025, 4, 1), "end": datetime.date(2025, 6, 30)}
Q2_QUERY = {"from": "2025-04-01", "to": "2025-06-30"}
NO_COST_NOW = NO_COST.format(period=THIS_PERIOD)
INTERNALS = ("Not defined for this data", "SalesCost", "null", "(cost 0)")


def browser(user) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_it_explains_a_missing_sales_cost_and_links_to_where_it_is_entered(people):
    account = account_create(by=people.ae, name="Costless GmbH", territory=people.bavaria)
    won_deal(people, account, "5000", datetime.datetime(2025, 5, 1, 12, tzinfo=datetime.UTC))
    result = registry.get("sales_efficiency").compute(user=people.ops, **Q2)
    assert result.value is None
    assert result.undefined.reason == NO_COST_NOW
    assert result.undefined.link == "/sales-costs/?period_start=2025-04-01&period_end=2025-06-30"
    magic = registry.get("magic_number").compute(user=people.ops, **Q2)
    assert magic.undefined.reason == NO_COST.format(
        period="the previous period (1 Jan 2025 – 31 Mar 2025)"
    )


def test_it_gives_the_reason_in_the_api(people, api):
    response = api.as_user(people.ops).get("/api/v1/kpis/sales_efficiency/", Q2_QUERY)
    assert response.status_code == 200
    assert response.json()["value"] is None
    assert response.json()["undefined"] == {
        "reason": NO_COST_NOW,
        "fix_url": "/sales-costs/?period_start=2025-04-01&period_end=2025-06-30",
        "fix_label": "Enter the sales cost",
    }
    win_rate = api.as_user(people.ae).get("/api/v1/kpis/win_rate/", Q2_QUERY).json()
    assert win_rate["undefined"]["reason"] == registry.get("win_rate").undefined_reason
    assert win_rate["undefined"]["fix_url"] is None


def test_it_shows_the_sentence_and_link_on_the_dashboard_not_the_internals(people):
    html = browser(people.ops).get("/dashboards/board/", Q2_QUERY).content.decode()
    figure = re.search(r'data-kpi="sales_efficiency".*?</div>\s*</div>', html, re.S).group(0)
    assert NO_COST_NOW in figure
    link = 'href="/sales-costs/?period_start=2025-04-01&amp;period_end=2025-06-30"'
    assert link in figure
    # The link opens the form on the period that lacks a cost.
    form = browser(people.ops).get("/sales-costs/?period_start=2025-04-01&period_end=2025-06-30")
    assert 'value="2025-04-01"' in form.content.decode()
    for internal in INTERNALS:
        assert internal not in html


def test_it_names_a_plain_reason_for_every_ratio_kpi_with_nothing_to_divide(people):
    # Nothing at all recorded: every KPI that is null says why in its own sentence.
    for kpi in registry:
        if kpi.needs_period or kpi.inputs or kpi.company_level:
            continue
        result = kpi.compute(user=people.ops, **Q2)
        if result.value is None:
            assert result.undefined.reason != NOT_COMPUTABLE.format(kpi=kpi.name), kpi.key
            assert result.undefined.reason.endswith("."), kpi.key


def test_it_says_why_retention_and_churn_have_no_value_without_prior_customers(people):
    for key in ("customer_retention_rate", "customer_churn_rate"):
        result = registry.get(key).compute(user=people.ops, **Q2)
        assert result.value is None
        assert result.undefined.reason == (
            "No account had won business in the prior period, so there was no customer to "
            "keep or to lose."
        )


def test_it_lets_sales_ops_list_and_enter_sales_costs(people):
    client = browser(people.ops)
    page = client.get("/sales-costs/")
    assert page.status_code == 200
    assert 'href="/sales-costs/"' in page.content.decode()  # in the navigation
    response = client.post(
        "/sales-costs/",
        {"period_start": "2025-04-01", "period_end": "2025-06-30", "amount": "7500", "note": "Q2"},
    )
    assert response.status_code == 302
    cost = SalesCost.objects.get()
    assert (cost.period_start, cost.amount, cost.note) == (Q2["start"], Decimal("7500"), "Q2")
    listed = client.get("/sales-costs/").content.decode()
    assert "Sales cost for 1 Apr 2025 – 30 Jun 2025 saved." in listed
    assert "€7,500.00" in listed
    assert registry.get("sales_efficiency").compute(user=people.ops, **Q2).undefined is None


def test_it_names_the_wrong_field_when_a_cost_period_is_reversed(people):
    response = browser(people.ops).post(
        "/sales-costs/", {"period_start": "2025-06-30", "period_end": "2025-04-01", "amount": "1"}
    )
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()
    assert not SalesCost.objects.exists()


def test_it_hides_sales_costs_from_everyone_but_admins_and_sales_ops(people):
    for persona in ("ae", "manager", "executive", "marketing"):
        client = browser(getattr(people, persona))
        assert client.get("/sales-costs/").status_code == 403, persona
        assert 'href="/sales-costs/"' not in client.get("/").content.decode(), persona
    assert browser(people.admin).get("/sales-costs/").status_code == 200
