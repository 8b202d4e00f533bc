"""Account and contact pages: lists, details with related records, create/edit, lookups."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pipewise.customers.models import Account, Contact
from pipewise.customers.services import account_create, account_update


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_account_list_shows_visible_accounts(sales, people):
    html = signed_in(people.ae).get("/accounts/").content.decode()
    assert sales.ae_account.name in html and sales.other_account.name not in html
    # territory rule: the German CS manager sees the Bavarian account
    assert sales.ae_account.name in signed_in(people.cs).get("/accounts/").content.decode()


def test_account_list_costs_the_same_for_more_rows(sales, people):
    client = signed_in(people.ae)
    client.get("/accounts/")
    with CaptureQueriesContext(connection) as few:
        client.get("/accounts/")
    for index in range(30):
        account_create(by=people.ae, name=f"Company {index}")
    with CaptureQueriesContext(connection) as many:
        client.get("/accounts/", {"sort": "-name"})
    assert len(many) == len(few)


def test_account_detail_has_contacts_deals_activities_history(sales, people):
    html = signed_in(people.ae).get(f"/accounts/{sales.ae_account.pk}/").content.decode()
    for text in ("Eva Huber", sales.ae_opp.name, "Discovery call", "Change history", "Created"):
        assert text in html


def test_another_reps_account_is_not_found(sales, people):
    client = signed_in(people.ae)
    assert client.get(f"/accounts/{sales.other_account.pk}/").status_code == 404
    assert client.get(f"/contacts/{sales.other_contact.pk}/").status_code == 404
    assert client.get(f"/accounts/{sales.other_account.pk}/edit/").status_code == 404


def test_it_creates_an_account_with_clear_errors(people):
    client = signed_in(people.ae)
    bad = client.post(
        "/accounts/new/", {"name": "Bad Country", "type": "prospect", "country": "Germany"}
    )
    assert "Ensure this value has at most 2 characters" in bad.content.decode()
    good = client.post(
        "/accounts/new/",
        {"name": "Gut GmbH", "type": "prospect", "domain": "https://www.gut.de/", "country": "de"},
    )
    account = Account.objects.get(name="Gut GmbH")
    assert good["Location"] == f"/accounts/{account.pk}/"
    assert account.domain == "gut.de" and account.country == "DE" and account.owner == people.ae


def test_a_stale_account_edit_is_refused(sales, people):
    client = signed_in(people.ae)
    version = sales.ae_account.version
    account_update(account=sales.ae_account, by=people.manager, industry="Machinery")
    response = client.post(
        f"/accounts/{sales.ae_account.pk}/edit/",
        {"name": "Renamed", "type": "prospect", "owner": people.ae.pk, "version": version},
    )
    assert "Someone else changed this record" in response.content.decode()


def test_contacts_list_detail_and_create(sales, people):
    client = signed_in(people.ae)
    assert "Eva Huber" in client.get("/contacts/").content.decode()
    assert "Sam Lee" not in client.get("/contacts/").content.decode()
    assert "Eva Huber" in client.get(f"/contacts/{sales.ae_contact.pk}/").content.decode()
    response = client.post(
        "/contacts/new/",
        {"account": sales.ae_account.pk, "last_name": "Gruber", "email": "A@Alpen.de"},
    )
    contact = Contact.objects.get(last_name="Gruber")
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert contact.email == "a@alpen.de"


def test_a_contact_cannot_be_put_on_an_invisible_account(sales, people):
    response = signed_in(people.ae).post(
        "/contacts/new/", {"account": sales.other_account.pk, "last_name": "Spy"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.filter(last_name="Spy").exists()


def test_lookups_offer_only_visible_records(sales, people):
    client = signed_in(people.ae)
    html = client.get("/accounts/lookup/", {"account__lookup": "p"}).content.decode()
    assert "Alpen" in html and "Pacific" not in html
    assert "Pacific" not in client.get("/accounts/lookup/", {"q": "Pacific"}).content.decode()
    assert "Eva Huber" in client.get("/contacts/lookup/", {"q": "huber"}).content.decode()
