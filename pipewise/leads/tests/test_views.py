"""Lead pages: list (filters, sort, keyset pages, bulk), detail, create/edit, status, convert."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pipewise.customers.services import account_create
from pipewise.leads.models import Lead
from pipewise.leads.services import lead_create, lead_update
from pipewise.pipeline.models import Opportunity


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_my_leads_only(sales, people):
    html = signed_in(people.ae).get("/leads/").content.decode()
    assert "Max Bauer" in html
    assert "Ann Smith" not in html


def test_the_list_filters_and_searches_through_the_url(sales, people):
    lead_create(by=people.ae, last_name="Kalt", company="Frost AG", rating="cold")
    client = signed_in(people.ae)
    warm = client.get("/leads/", {"rating": "warm"}).content.decode()
    assert "Max Bauer" in warm and "Kalt" not in warm
    found = client.get("/leads/", {"q": "frost"}).content.decode()
    assert "Kalt" in found and "Max Bauer" not in found


def test_the_list_sorts_by_a_column(sales, people):
    lead_create(by=people.ae, last_name="Aachen", company="Zeta GmbH")
    html = signed_in(people.ae).get("/leads/", {"sort": "company"}).content.decode()
    assert html.index("Bauer Logistik") < html.index("Zeta GmbH")
    html = signed_in(people.ae).get("/leads/", {"sort": "-company"}).content.decode()
    assert html.index("Zeta GmbH") < html.index("Bauer Logistik")


def test_the_list_pages_by_cursor_without_overlap(people):
    for index in range(55):
        lead_create(by=people.ae, last_name=f"Lead{index:03d}", company="Acme")
    client = signed_in(people.ae)
    first = client.get("/leads/", {"sort": "name"})
    page = first.context["page"]
    assert len(page.rows) == 50 and page.next_cursor and not page.prev_cursor
    second = client.get("/leads/", {"sort": "name", "after": page.next_cursor}).context["page"]
    assert [r.last_name for r in second.rows] == [f"Lead{i:03d}" for i in range(50, 55)]
    back = client.get("/leads/", {"sort": "name", "before": second.prev_cursor}).context["page"]
    assert [r.pk for r in back.rows] == [r.pk for r in page.rows]


def test_the_list_costs_the_same_for_more_rows(people):
    client = signed_in(people.ae)
    for index in range(3):
        lead_create(by=people.ae, last_name=f"A{index}", company="Acme")
    with CaptureQueriesContext(connection) as few:
        client.get("/leads/")
    for index in range(40):
        lead_create(by=people.ae, last_name=f"B{index}", company="Acme")
    with CaptureQueriesContext(connection) as many:
        client.get("/leads/")
    assert len(many) == len(few)
    # The list's count reads its one page, or counts a LIMIT-ed subquery: never the table.
    counts = [q["sql"].upper() for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
    assert all(" LIMIT " in sql for sql in counts)


def test_it_creates_a_lead(people):
    response = signed_in(people.sdr).post(
        "/leads/new/",
        {"first_name": "Jana", "last_name": "Roth", "company": "Roth KG", "rating": "hot",
         "email": "jana@roth.de", "country": "de"},
    )
    lead = Lead.objects.get(last_name="Roth")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.owner == people.sdr and lead.country == "DE"
    assert lead.status_changes.count() == 1


def test_it_explains_what_is_missing(people):
    response = signed_in(people.sdr).post("/leads/new/", {"company": "Nameless", "rating": "hot"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Lead.objects.filter(company="Nameless").exists()


def test_it_edits_a_lead_and_says_when_someone_else_changed_it(sales, people):
    lead = sales.ae_lead
    client = signed_in(people.ae)
    form = client.get(f"/leads/{lead.pk}/edit/").context["form"]
    version = form["version"].value()
    lead_update(lead=lead, by=people.manager, rating="hot")  # someone else saves first
    data = {"last_name": "Bauer", "first_name": "Max", "rating": "cold", "owner": people.ae.pk,
            "version": version}
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    lead.refresh_from_db()
    assert lead.rating == "hot"
    data["version"] = lead.version
    assert client.post(f"/leads/{lead.pk}/edit/", data).status_code == 302
    lead.refresh_from_db()
    assert lead.rating == "cold"


def test_another_reps_lead_is_not_found(sales, people):
    client = signed_in(people.ae)
    other = sales.other_lead
    assert client.get(f"/leads/{other.pk}/").status_code == 404
    assert client.get(f"/leads/{other.pk}/edit/").status_code == 404
    assert client.get(f"/leads/{other.pk}/convert/").status_code == 404


def test_the_detail_shows_the_timeline(sales, people):
    from pipewise.activities.services import activity_log

    activity_log(by=people.ae, type="call", subject="Qualifying call", lead=sales.ae_lead)
    html = signed_in(people.ae).get(f"/leads/{sales.ae_lead.pk}/").content.decode()
    assert "Qualifying call" in html and "Activity timeline" in html


def test_disqualifying_needs_a_reason(sales, people):
    lead = sales.ae_lead
    client = signed_in(people.ae)
    response = client.post(
        f"/leads/{lead.pk}/status/", {"status": "disqualified", "version": lead.version},
        follow=True,
    )
    assert "Say why the lead is disqualified." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"
    client.post(
        f"/leads/{lead.pk}/status/",
        {"status": "disqualified", "reason": "No budget", "version": lead.version},
    )
    lead.refresh_from_db()
    assert lead.status == "disqualified"


def test_convert_shows_likely_duplicates_and_links_to_one(sales, people):
    existing = account_create(by=people.ae, name="Bauer Logistik", domain="bauer-logistik.de")
    client = signed_in(people.ae)
    page = client.get(f"/leads/{sales.ae_lead.pk}/convert/").content.decode()
    assert "likely duplicate" in page and f'id="acc-{existing.pk}"' in page
    response = client.post(
        f"/leads/{sales.ae_lead.pk}/convert/",
        {"account": existing.pk, "contact": "", "create_opportunity": "on", "amount": "5000",
         "opportunity_name": "Bauer — fleet", "version": sales.ae_lead.version},
    )
    opportunity = Opportunity.objects.get(name="Bauer — fleet")
    assert response["Location"] == f"/opportunities/{opportunity.pk}/"
    assert opportunity.account == existing
    sales.ae_lead.refresh_from_db()
    assert sales.ae_lead.status == "converted"


def test_convert_can_create_new_records(sales, people):
    client = signed_in(people.ae)
    response = client.post(
        f"/leads/{sales.ae_lead.pk}/convert/",
        {"account": "", "contact": "", "create_opportunity": "on",
         "version": sales.ae_lead.version},
        follow=True,
    )
    assert "Lead converted" in response.content.decode()
    sales.ae_lead.refresh_from_db()
    assert sales.ae_lead.account.name == "Bauer Logistik GmbH"


def test_convert_does_not_offer_invisible_accounts(sales, people):
    lead = lead_create(by=people.ae, last_name="Lee", company="Pacific Tools Inc",
                       email="lee@pacifictools.com")
    page = signed_in(people.ae).get(f"/leads/{lead.pk}/convert/").content.decode()
    assert f'id="acc-{sales.other_account.pk}"' not in page and "Pacific Tools" in page
    response = signed_in(people.ae).post(
        f"/leads/{lead.pk}/convert/", {"account": sales.other_account.pk, "version": lead.version}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_bulk_assign_and_rerate(sales, people):
    second = lead_create(by=people.ae, last_name="Second", company="Two")
    client = signed_in(people.manager)
    client.post("/leads/bulk/", {"action": "assign", "leads": [sales.ae_lead.pk, second.pk],
                                 "owner": people.sdr.pk})
    assert set(Lead.objects.filter(owner=people.sdr).values_list("pk", flat=True)) == {
        sales.ae_lead.pk, second.pk}
    client.post("/leads/bulk/", {"action": "rate", "leads": [second.pk], "rating": "hot"})
    second.refresh_from_db()
    assert second.rating == "hot"


def test_bulk_needs_a_target(sales, people):
    response = signed_in(people.ae).post(
        "/leads/bulk/", {"action": "assign", "leads": [sales.ae_lead.pk]}, follow=True
    )
    assert "Choose who gets the selected leads." in response.content.decode()


def test_bulk_cannot_touch_invisible_leads(sales, people):
    signed_in(people.ae).post(
        "/leads/bulk/", {"action": "rate", "leads": [sales.other_lead.pk], "rating": "cold"}
    )
    sales.other_lead.refresh_from_db()
    assert sales.other_lead.rating == "hot"


@pytest.mark.parametrize("url", ["/leads/new/", "/leads/bulk/"])
def test_executives_only_read(people, url):
    assert signed_in(people.executive).post(url, {}).status_code == 403


def test_export_the_filtered_view_as_csv(sales, people):
    lead_create(by=people.ae, last_name="Kalt", company="Frost AG", rating="cold")
    response = signed_in(people.ae).get("/leads/", {"rating": "warm", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Bauer" in text
    assert "Kalt" not in text and "Smith" not in text  # filtered out / not visible
