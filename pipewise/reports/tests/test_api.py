"""The KPI endpoints: the registry, one KPI computed, errors, the OpenAPI description."""

import datetime
from decimal import Decimal

from pipewise.customers.services import account_create
from pipewise.pipeline.services import opportunity_close_lost, opportunity_close_won
from pipewise.pipeline.services import opportunity_create as create
from pipewise.reports.kpis import registry

URL = "/api/v1/kpis/"


def won_and_lost(people):
    account = account_create(by=people.ae, name="Api GmbH", territory=people.bavaria)
    opened = datetime.datetime(2025, 1, 6, 9, tzinfo=datetime.UTC)
    deals = [
        create(
            by=people.ae,
            name=name,
            account=account,
            amount=Decimal(amount),
            close_date=datetime.date(2025, 3, 1),
            created_at=opened,
        )
        for name, amount in [("won", "1200.50"), ("lost", "800")]
    ]
    opportunity_close_won(opportunity=deals[0], by=people.ae, at=opened.replace(month=2))
    opportunity_close_lost(
        opportunity=deals[1], by=people.ae, reason="No budget", at=opened.replace(month=3)
    )


def test_it_lists_the_registry_with_definitions(api, people):
    response = api.as_user(people.ae).get(URL)
    assert response.status_code == 200
    keys = [entry["key"] for entry in response.json()]
    assert keys == [kpi.key for kpi in registry]
    won = next(entry for entry in response.json() if entry["key"] == "won_revenue")
    assert won["unit"] == "currency"
    assert won["definition"].startswith("The total amount")
    assert "owner" in won["dimensions"] and "territory" in won["filters"]


def test_it_computes_a_kpi_for_the_signed_in_user_with_money_as_strings(api, people):
    won_and_lost(people)
    response = api.as_user(people.manager).get(
        URL + "won_revenue/", {"from": "2025-01-01", "to": "2025-12-31", "group_by": "month"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "key": "won_revenue",
        "unit": "currency",
        "value": "1200.50",
        "groups": [{"group": "2025-02", "value": "1200.50"}],
        "undefined": None,
    }
    other = api.as_user(people.other_ae).get(URL + "won_revenue/")
    assert other.json()["value"] == "0.00"


def test_ratios_are_numbers_counts_integers_and_undefined_is_null(api, people):
    won_and_lost(people)
    client = api.as_user(people.ae)
    assert client.get(URL + "win_rate/").json()["value"] == 0.5
    assert client.get(URL + "won_deal_count/", {"group_by": "owner"}).json()["groups"] == [
        {"group": "ae", "value": 1}
    ]
    assert client.get(URL + "win_rate/", {"to": "2024-12-31"}).json()["value"] is None


def test_filters_and_inputs_come_as_query_parameters(api, people):
    won_and_lost(people)
    client = api.as_user(people.ops)
    assert client.get(URL + "won_revenue/", {"owner": "ae"}).json()["value"] == "1200.50"
    assert client.get(URL + "won_revenue/", {"owner": "sdr"}).json()["value"] == "0.00"
    attainment = client.get(URL + "quota_attainment/", {"target": "2401"})
    assert attainment.json()["value"] == 0.5


def test_two_dimensions_give_list_labels(api, people):
    won_and_lost(people)
    response = api.as_user(people.ae).get(URL + "won_revenue/", {"group_by": "owner,month"})
    assert response.json()["groups"] == [{"group": ["ae", "2025-02"], "value": "1200.50"}]


def test_bad_questions_answer_400_naming_the_parameter(api, people):
    client = api.as_user(people.ae)
    cases = [
        ({"from": "2025-13-01"}, "from", "Not a date"),
        ({"to": "yesterday"}, "to", "Not a date"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "from", "after"),
        ({"group_by": "product_line"}, "group_by", "cannot be grouped by"),
        ({"group_by": "weather"}, "group_by", "cannot be grouped by"),
        ({"activity_type": "call"}, "activity_type", "cannot be filtered by"),
        ({"groupby": "owner"}, "groupby", "Unknown parameter"),
        ({"target": "10"}, "target", "takes no input"),
    ]
    for params, field, message in cases:
        response = client.get(URL + "win_rate/", params)
        assert response.status_code == 400, params
        assert message in response.json()[field][0], response.json()
    missing = client.get(URL + "quota_attainment/")
    assert missing.status_code == 400 and "target" in missing.json()


def test_an_unknown_kpi_answers_404_with_the_known_keys(api, people):
    response = api.as_user(people.ae).get(URL + "revenue_won/")
    assert response.status_code == 404
    assert "won_revenue" in response.json()["detail"]


def test_company_figures_answer_403_to_reps_and_anonymous_users_nothing(api, people):
    assert api.get(URL).status_code in (401, 403)
    response = api.as_user(people.ae).get(URL + "sales_efficiency/")
    assert response.status_code == 403
    assert "company" in response.json()["detail"]
    assert api.as_user(people.executive).get(URL + "sales_efficiency/").status_code == 200


def test_the_openapi_schema_describes_the_kpi_endpoints(api, people):
    response = api.as_user(people.ae).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/kpis/{key}/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"key", "from", "to", "group_by", "owner", "team", "territory", "pipeline"} <= names
    assert {"source", "target", "remaining_target"} <= names
    assert "/api/v1/kpis/" in schema["paths"]
