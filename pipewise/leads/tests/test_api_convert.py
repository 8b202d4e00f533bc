from pipewise.leads.models import Lead
from pipewise.pipeline.models import Opportunity


def test_it_converts_a_lead_into_account_contact_and_opportunity(api, sales, people):
    response = api.as_user(people.ae).post(
        f"/api/v1/leads/{sales.ae_lead.pk}/convert/",
        {"opportunity_name": "Bauer — fleet", "amount": "5000.00"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account_created"] and body["contact_created"]
    assert body["account"]["name"] == "Bauer Logistik GmbH"
    assert body["account"]["domain"] == "bauer-logistik.de"
    opportunity = Opportunity.objects.get(pk=body["opportunity"])
    assert opportunity.lead_id == sales.ae_lead.pk
    assert Lead.objects.get(pk=sales.ae_lead.pk).status == "converted"


def test_it_hides_another_reps_lead(api, sales, people):
    response = api.as_user(people.ae).post(f"/api/v1/leads/{sales.other_lead.pk}/convert/", {})
    assert response.status_code == 404


def test_it_lists_opportunities_with_cursor(api, sales, people):
    response = api.as_user(people.manager).get("/api/v1/opportunities/")
    assert response.status_code == 200, response.content
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["Alpen — line 4 automation"]
