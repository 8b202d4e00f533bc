"""An SDR converts a lead for an account executive: where they land, who is told, what moves."""

from __future__ import annotations

from django.test import Client

from pipewise.activities.models import Activity, Notification
from pipewise.activities.services import activity_log
from pipewise.leads.services import lead_convert, lead_create
from pipewise.pipeline.models import Opportunity


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sdr_lead(people, **fields):
    """A lead the SDR worked: a call and a note logged on it."""
    lead = lead_create(
        by=people.sdr,
        first_name="Jonas",
        last_name="Keller",
        email="jonas@keller-bau.de",
        company="Keller Bau GmbH",
        **fields,
    )
    activity_log(by=people.sdr, type="call", subject="First call", lead=lead)
    activity_log(by=people.sdr, type="note", subject="Budget confirmed", lead=lead)
    return lead


def convert_for_ae(client, lead, people):
    return client.post(
        f"/leads/{lead.pk}/convert/",
        {
            "version": lead.version,
            "account": "",
            "contact": "",
            "create_opportunity": "on",
            "opportunity_name": "Keller — site cranes",
            "amount": "25000",
            "owner": people.ae.pk,
        },
    )


def test_it_lands_the_sdr_on_the_lead_naming_the_new_owner(sales, people):
    lead = sdr_lead(people)  # no territory: the SDR sees neither deal, account nor contact
    client = signed_in(people.sdr)
    response = convert_for_ae(client, lead, people)
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{people.ae} owns them now and was notified." in html
    assert f"Handed over to {people.ae}" in html
    deal = Opportunity.objects.get(lead=lead)
    assert f"/opportunities/{deal.pk}/" not in html  # no link into a 404


def test_it_lands_the_sdr_on_the_account_of_their_territory(sales, people):
    lead = sdr_lead(people, territory=people.bavaria)
    response = convert_for_ae(signed_in(people.sdr), lead, people)
    deal = Opportunity.objects.get(lead=lead)
    assert response["Location"] == f"/accounts/{deal.account_id}/"
    assert signed_in(people.sdr).get(response["Location"]).status_code == 200


def test_it_lands_the_owner_on_the_deal(sales, people):
    lead = sdr_lead(people)
    response = signed_in(people.manager).post(
        f"/leads/{lead.pk}/convert/",
        {"version": lead.version, "account": "", "contact": "", "create_opportunity": "on"},
    )
    deal = Opportunity.objects.get(lead=lead)
    assert response["Location"] == f"/opportunities/{deal.pk}/"


def test_it_notifies_the_new_owner_once_naming_the_lead(
    sales, people, django_capture_on_commit_callbacks
):
    lead = sdr_lead(people)
    with django_capture_on_commit_callbacks(execute=True):
        deal = lead_convert(lead=lead, by=people.sdr, owner=people.ae).opportunity
    notices = Notification.objects.filter(recipient=people.ae, subject_id=deal.pk)
    assert notices.count() == 1  # not a second "assigned to you" beside it
    notice = notices.get()
    assert notice.title == f"Lead handed over to you: {deal}"
    assert "Jonas Keller" in notice.body and str(people.sdr) in notice.body
    assert "2 activities" in notice.body
    assert notice.url == f"/opportunities/{deal.pk}/"


def test_it_tells_nobody_when_converting_for_oneself(sales, people):
    lead = sdr_lead(people)
    lead_convert(lead=lead, by=people.sdr)
    assert not Notification.objects.filter(recipient=people.sdr).exists()


def test_it_carries_the_leads_activities_to_contact_account_and_deal(sales, people):
    lead = sdr_lead(people)
    conversion = lead_convert(lead=lead, by=people.sdr, owner=people.ae)
    assert conversion.activities_carried == 2
    for activity in Activity.objects.filter(lead=lead):
        assert activity.contact_id == conversion.contact.pk
        assert activity.account_id == conversion.account.pk
        assert activity.opportunity_id == conversion.opportunity.pk
        assert activity.owner_id == people.sdr.pk  # still the SDR's work


def test_it_keeps_links_an_activity_already_has(sales, people):
    lead = sdr_lead(people)
    elsewhere = activity_log(
        by=people.ae, type="email", subject="Cc", lead=lead, opportunity=sales.ae_opp
    )
    lead_convert(lead=lead, by=people.ae)
    elsewhere.refresh_from_db()
    assert elsewhere.opportunity_id == sales.ae_opp.pk


def test_it_shows_carried_activities_on_the_deal_page_of_its_owner(sales, people):
    lead = sdr_lead(people)
    conversion = lead_convert(lead=lead, by=people.sdr, owner=people.ae)
    html = signed_in(people.ae).get(f"/opportunities/{conversion.opportunity.pk}/").content
    assert "Budget confirmed" in html.decode()
    assert f'href="/leads/{lead.pk}/"' not in html.decode()  # the SDR's lead: no link into a 404


def test_the_api_answers_with_what_the_sdr_may_see(api, sales, people):
    lead = sdr_lead(people)
    response = api.as_user(people.sdr).post(
        f"/api/v1/leads/{lead.pk}/convert/", {"owner": people.ae.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["landing"] == {"type": "lead", "id": lead.pk}
    assert body["account"] is None and body["contact"] is None  # not theirs to read
    assert body["owner"] == people.ae.pk and body["owner_name"] == str(people.ae)
    assert body["activities_carried"] == 2
    assert api.as_user(people.sdr).get(f"/api/v1/leads/{lead.pk}/").status_code == 200


def test_the_api_gives_the_owner_the_deal_as_landing(api, sales, people):
    lead = sdr_lead(people)
    response = api.as_user(people.manager).post(f"/api/v1/leads/{lead.pk}/convert/", {})
    body = response.json()
    assert body["landing"] == {"type": "opportunity", "id": body["opportunity"]}
    assert body["account"]["name"] == "Keller Bau GmbH"


def test_it_shows_carried_activities_on_the_account_and_contact_pages_of_the_owner(sales, people):
    lead = sdr_lead(people)
    conversion = lead_convert(lead=lead, by=people.sdr, owner=people.ae)
    client = signed_in(people.ae)
    for url in (
        f"/accounts/{conversion.account.pk}/",
        f"/contacts/{conversion.contact.pk}/",
    ):
        html = client.get(url).content.decode()
        assert "First call" in html and "Budget confirmed" in html, url


def test_it_shows_another_accounts_rep_nothing_carried_elsewhere(sales, people):
    lead = sdr_lead(people)
    lead_convert(lead=lead, by=people.sdr, owner=people.ae)
    html = signed_in(people.ae).get(f"/accounts/{sales.ae_account.pk}/").content.decode()
    assert "Budget confirmed" not in html
