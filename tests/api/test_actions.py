"""Business actions through the API: convert, duplicates, lead status, move, win, lose, complete.

Each action writes its history row (stage change, lead status change, change history).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.leads.services import lead_create
from pipewise.pipeline.models import Opportunity, Pipeline, Stage, StageChange
from tests.api.support import API, ENTITIES


@pytest.fixture
def stages(db):
    return {s.name: s for s in Stage.objects.filter(pipeline__is_default=True)}


# --- leads ---------------------------------------------------------------------------


def test_it_converts_a_lead_into_a_new_account_contact_and_deal(api, people, book):
    lead = book["leads"]["ae"]
    accounts, contacts = Account.objects.count(), Contact.objects.count()
    response = api.as_user(people.ae).post(
        f"{API}/leads/{lead.pk}/convert/",
        {"opportunity_name": "Bauer — fleet", "amount": "5000.00", "version": lead.version},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account_created"], body["contact_created"]) == (True, True)
    assert (Account.objects.count(), Contact.objects.count()) == (accounts + 1, contacts + 1)
    assert body["account"]["name"] == "Bauer Logistik GmbH"
    assert body["contact"]["email"] == "max@bauer-logistik.de"
    assert body["lead"]["status"] == "converted"

    deal = Opportunity.objects.get(pk=body["opportunity"])
    assert (deal.lead_id, deal.account_id, deal.amount) == (
        lead.pk,
        body["account"]["id"],
        Decimal("5000.00"),
    )
    assert [(r.from_stage, r.to_stage.name) for r in deal.stage_changes.all()] == [
        (None, "Prospecting")
    ]
    last = LeadStatusChange.objects.filter(lead=lead).last()
    assert (last.from_status, last.to_status, last.changed_by) == ("new", "converted", people.ae)


def test_it_finds_duplicates_and_converts_into_the_existing_account_and_contact(api, people, book):
    account, contact = book["accounts"]["ae"], book["contacts"]["ae"]
    lead = lead_create(
        by=people.ae,
        last_name="Huber",
        first_name="Eva",
        email="Eva.Huber+fair@alpen.de",
        company="Alpen Maschinenbau",
    )
    client = api.as_user(people.ae)
    found = client.get(f"{API}/leads/{lead.pk}/duplicates/").json()
    assert [a["id"] for a in found["accounts"]] == [account.pk]
    assert [c["id"] for c in found["contacts"]] == [contact.pk]

    accounts, contacts = Account.objects.count(), Contact.objects.count()
    response = client.post(
        f"{API}/leads/{lead.pk}/convert/",
        {"account": account.pk, "contact": contact.pk, "create_opportunity": False},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account_created"], body["contact_created"]) == (False, False)
    assert (body["account"]["id"], body["contact"]["id"], body["opportunity"]) == (
        account.pk,
        contact.pk,
        None,
    )
    assert (Account.objects.count(), Contact.objects.count()) == (accounts, contacts)
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.account_id, lead.contact_id) == ("converted", account.pk, contact.pk)


def test_it_finds_no_duplicates_among_records_the_user_cannot_see(api, people, book):
    lead = lead_create(
        by=people.ae, last_name="Lee", email="sam@pacifictools.com", company="Pacific Tools"
    )
    url = f"{API}/leads/{lead.pk}/duplicates/"
    assert api.as_user(people.ae).get(url).json() == {"accounts": [], "contacts": [], "leads": []}
    found = api.as_user(people.admin).get(url).json()
    assert [a["id"] for a in found["accounts"]] == [book["accounts"]["other"].pk]
    assert [c["id"] for c in found["contacts"]] == [book["contacts"]["other"].pk]


def refusals(client, url: str, cases: list[tuple[dict, str]], ids: dict) -> list:
    """POST each body to ``url``; what came back, next to what should have."""
    answers, expected = [], []
    for body, field in cases:
        response = client.post(url, {k: ids.get(v, v) for k, v in body.items()})
        answers.append((body, response.status_code, list(response.json())))
        expected.append((body, 400, [field]))
    return answers, expected


def test_it_refuses_a_bad_conversion_and_writes_nothing(api, people, book, unchanged):
    cases = [
        ({"amount": "-1.00"}, "amount"),
        ({"account": "AE_ACCOUNT", "contact": "DE_CONTACT"}, "contact"),  # works elsewhere
        ({"pipeline": 999999}, "pipeline"),
        ({"close_date": "next month"}, "close_date"),
        ({"owner": 999999}, "owner"),
    ]
    ids = {"AE_ACCOUNT": book["accounts"]["ae"].pk, "DE_CONTACT": book["contacts"]["de"].pk}
    url = f"{API}/leads/{book['leads']['ae'].pk}/convert/"
    with unchanged():
        answers, expected = refusals(api.as_user(people.manager), url, cases, ids)
    assert answers == expected


def test_it_refuses_to_convert_a_lead_twice(api, people, book, unchanged):
    url = f"{API}/leads/{book['leads']['ae'].pk}/convert/"
    client = api.as_user(people.ae)
    assert client.post(url, {}).status_code == 201
    with unchanged():
        response = client.post(url, {})
    assert response.status_code == 400
    assert response.json() == {"status": ["This lead was already converted."]}


def test_it_records_every_lead_status_change(api, people, book):
    lead = book["leads"]["ae"]
    client = api.as_user(people.ae)
    response = client.post(f"{API}/leads/{lead.pk}/status/", {"status": "working"})
    assert response.status_code == 200, response.content
    response = client.post(
        f"{API}/leads/{lead.pk}/status/", {"status": "disqualified", "reason": "No budget"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["disqualification_reason"] == "No budget"
    rows = LeadStatusChange.objects.filter(lead=lead)
    assert [(r.from_status, r.to_status, r.changed_by) for r in rows] == [
        ("", "new", people.ae),
        ("new", "working", people.ae),
        ("working", "disqualified", people.ae),
    ]


def test_it_refuses_a_bad_lead_status_change_and_writes_nothing(api, people, book, unchanged):
    cases = [
        ({"status": "disqualified"}, "disqualification_reason"),
        ({"status": "disqualified", "reason": "   "}, "disqualification_reason"),
        ({"status": "converted"}, "status"),  # conversion is its own action
        ({"status": "new"}, "status"),  # it is new already
        ({}, "status"),
    ]
    url = f"{API}/leads/{book['leads']['ae'].pk}/status/"
    with unchanged():
        answers, expected = refusals(api.as_user(people.ae), url, cases, {})
    assert answers == expected


# --- opportunities -------------------------------------------------------------------


def test_it_moves_a_deal_and_records_the_step(api, people, book, stages):
    deal = book["opportunities"]["ae"]
    response = api.as_user(people.manager).post(
        f"{API}/opportunities/{deal.pk}/move/",
        {"stage": stages["Presentation"].pk, "version": deal.version},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage_name"], body["probability"], body["status"]) == ("Presentation", 45, "open")
    assert body["version"] == deal.version + 1
    step = StageChange.objects.filter(opportunity=deal).last()
    assert (step.from_stage.name, step.to_stage.name, step.changed_by, step.amount) == (
        "Prospecting",
        "Presentation",
        people.manager,
        Decimal("120000.00"),
    )


def test_it_wins_a_deal(api, people, book):
    deal = book["opportunities"]["ae"]
    url = f"{API}/opportunities/{deal.pk}/win/"
    assert api.as_user(people.ae).post(url, {}).status_code == 400  # skips stages: confirm
    response = api.as_user(people.ae).post(url, {"confirm": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["stage_name"], body["forecast_category"]) == (
        "won",
        "Won",
        "closed",
    )
    assert body["closed_at"] is not None
    step = StageChange.objects.filter(opportunity=deal).last()
    assert (step.from_stage.name, step.to_stage.name) == ("Prospecting", "Won")


def test_it_loses_a_deal_with_its_reason_and_competitor(api, people, book):
    deal = book["opportunities"]["ae"]
    response = api.as_user(people.ae).post(
        f"{API}/opportunities/{deal.pk}/lose/",
        {"reason": "Price too high", "competitor": "Acme"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["lost_reason"], body["competitor"]) == (
        "lost",
        "Price too high",
        "Acme",
    )
    assert StageChange.objects.filter(opportunity=deal).last().to_stage.name == "Lost"


def test_it_refuses_a_bad_stage_change_and_writes_nothing(api, people, book, stages, unchanged):
    foreign = Stage.objects.create(
        pipeline=Pipeline.objects.create(name="Partner process"),
        name="Registered",
        order=1,
        probability=10,
    )
    ids = {name: stage.pk for name, stage in stages.items()} | {"FOREIGN": foreign.pk}
    cases = {
        "lose": [({}, "reason"), ({"reason": "  "}, "reason")],
        "move": [
            ({"stage": "Lost"}, "lost_reason"),
            ({"stage": "FOREIGN"}, "stage"),  # a stage of another pipeline
            ({"stage": "Prospecting"}, "stage"),  # it is there already
            ({"stage": 999999}, "stage"),
            ({}, "stage"),
        ],
    }
    deal = book["opportunities"]["ae"]
    client = api.as_user(people.ae)
    with unchanged():
        for action, bodies in cases.items():
            url = f"{API}/opportunities/{deal.pk}/{action}/"
            answers, expected = refusals(client, url, bodies, ids)
            assert answers == expected, action


def test_it_lists_the_stage_history_of_a_deal_oldest_first(api, people, book, stages):
    deal = book["opportunities"]["ae"]
    client = api.as_user(people.ae)
    client.post(f"{API}/opportunities/{deal.pk}/move/", {"stage": stages["Qualifying"].pk})
    client.post(f"{API}/opportunities/{deal.pk}/lose/", {"reason": "No budget"})
    client.post(f"{API}/opportunities/{deal.pk}/move/", {"stage": stages["Closing"].pk})

    response = client.get(f"{API}/opportunities/{deal.pk}/stage-history/")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["from_stage_name"], r["to_stage_name"]) for r in rows] == [
        (None, "Prospecting"),
        ("Prospecting", "Qualifying"),
        ("Qualifying", "Lost"),
        ("Lost", "Closing"),
    ]
    assert {r["changed_by"] for r in rows} == {people.ae.pk}
    assert rows[-1]["amount"] == "120000.00"
    assert Opportunity.objects.get(pk=deal.pk).status == "open"  # reopened


# --- tasks ---------------------------------------------------------------------------


def test_it_completes_a_task_and_its_history_says_who_did(api, people, book):
    task = book["tasks"]["sdr"]
    client = api.as_user(people.sdr)
    response = client.post(f"{API}/tasks/{task.pk}/complete/", {})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["overdue"]) == ("done", False)
    assert body["completed_at"] is not None

    latest = client.get(f"{API}/tasks/{task.pk}/history/").json()[0]
    assert (latest["type"], latest["by"]) == ("changed", "sdr")
    assert latest["changes"]["status"] == ["open", "done"]


def test_it_refuses_to_complete_a_task_twice(api, people, book, unchanged):
    url = f"{API}/tasks/{book['tasks']['ae'].pk}/complete/"
    client = api.as_user(people.ae)
    assert client.post(url, {}).status_code == 200
    with unchanged():
        response = client.post(url, {})
    assert response.status_code == 400
    assert response.json() == {"status": ["This task is already done."]}


# --- versions sent as form fields ----------------------------------------------------

FORM_ACTIONS = [
    ("opportunities", "ae", "move", {"stage": "Qualifying"}),
    ("opportunities", "other", "win", {"confirm": "true"}),
    ("opportunities", "mgr", "lose", {"reason": "No budget"}),
    ("leads", "ae", "status", {"status": "working"}),
    ("leads", "other", "convert", {}),
    ("tasks", "ae", "complete", {}),
]


def test_it_reads_the_version_of_every_action_from_a_form_too(api, people, book, stages):
    client = api.as_user(people.admin)
    answers = []
    for entity, key, action, body in FORM_ACTIONS:
        record = ENTITIES[entity].model.objects.get(pk=book[entity][key].pk)
        body = {k: stages[v].pk if v in stages else v for k, v in body.items()}
        url = ENTITIES[entity].url(record.pk, action)
        bad = client.post(url, {**body, "version": "latest"}, format="multipart")
        good = client.post(url, {**body, "version": str(record.version)}, format="multipart")
        answers.append((action, bad.status_code, list(bad.json()), good.status_code // 100))
    assert answers == [(action, 400, ["version"], 2) for _, _, action, _ in FORM_ACTIONS]
