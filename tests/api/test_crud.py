"""Create, read, update and (soft) delete each business record through the API.

Bad input answers 400 with a message on the field at fault, and writes nothing.
"""

from __future__ import annotations

import datetime

import pytest

from pipewise.leads.models import LeadStatusChange
from pipewise.pipeline.models import Pipeline, Stage, StageChange
from tests.api.support import ENTITIES

CLOSE = (datetime.date.today() + datetime.timedelta(days=45)).isoformat()
DEAL = {"name": "Deal", "account": ("accounts", "ae"), "close_date": CLOSE}


@pytest.fixture
def refs(people, book):
    """Resolves the placeholders of the tables below into ids."""
    other_pipeline = Pipeline.objects.create(name="Partner process")
    other_stage = Stage.objects.create(
        pipeline=other_pipeline, name="Registered", order=1, probability=10
    )
    stages = {s.name: s.pk for s in Stage.objects.filter(pipeline__is_default=True)}

    def resolve(value):
        if not isinstance(value, tuple):
            return value
        kind, *rest = value
        if kind == "stage":
            return stages[rest[0]]
        if kind == "other_stage":
            return other_stage.pk
        if kind == "territory":
            return getattr(people, rest[0]).pk
        return book[kind][rest[0]].pk

    return lambda body: {k: resolve(v) for k, v in body.items()}


# entity: (body of a new record, what the stored record then shows)
NEW = {
    "accounts": (
        {
            "name": "Berg Robotik GmbH",
            "domain": "https://www.berg-robotik.de/",
            "country": "de",
            "territory": ("territory", "bavaria"),
        },
        {"domain": "berg-robotik.de", "country": "DE"},
    ),
    "contacts": (
        {"account": ("accounts", "ae"), "last_name": "Maier", "email": " Anna.Maier@Alpen.DE"},
        {"email": "anna.maier@alpen.de"},
    ),
    "leads": (
        {"last_name": "Neumann", "company": "Neumann Feinmechanik", "rating": "hot"},
        {"status": "new", "rating": "hot"},
    ),
    "opportunities": (
        {"name": "Alpen — line 5", "account": ("accounts", "ae"), "close_date": CLOSE},
        {"stage_name": "Prospecting", "status": "open", "amount": "0.00"},
    ),
    "activities": (
        {"type": "meeting", "subject": "On-site visit", "account": ("accounts", "ae")},
        {"type": "meeting"},
    ),
    "tasks": (
        {
            "title": "Prepare demo",
            "opportunity": ("opportunities", "ae"),
            "todos": [{"text": "Book the demo room", "planned_minutes": 15}],
        },
        {"status": "open"},
    ),
}

CHANGE = {
    "accounts": {"name": "Berg Robotik AG"},
    "contacts": {"title": "Head of engineering"},
    "leads": {"rating": "warm"},
    "opportunities": {"amount": "15000.00"},
    "activities": {"outcome": "positive"},
    "tasks": {"priority": "high"},
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_it_creates_reads_updates_and_lists_each_record(api, people, refs, entity):
    endpoint = ENTITIES[entity]
    client = api.as_user(people.ae)
    body, shown = NEW[entity]

    response = client.post(endpoint.url(), refs(body))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["version"] == 1
    assert created.items() >= shown.items()
    owner_field = "assignee" if entity == "tasks" else "owner"
    assert created[owner_field] == people.ae.pk

    response = client.get(endpoint.url(created["id"]))
    assert response.status_code == 200
    assert response.json() == created

    response = client.patch(endpoint.url(created["id"]), {**CHANGE[entity], "version": 1})
    assert response.status_code == 200, response.content
    assert response.json().items() >= {**CHANGE[entity], "version": 2}.items()

    listed = client.get(endpoint.url(), {"page_size": 50}).json()["results"]
    assert created["id"] in {row["id"] for row in listed}


def test_it_records_the_first_stage_and_status_of_new_deals_and_leads(api, people, refs):
    client = api.as_user(people.ae)
    opportunity = client.post(ENTITIES["opportunities"].url(), refs(NEW["opportunities"][0]))
    lead = client.post(ENTITIES["leads"].url(), refs(NEW["leads"][0]))
    rows = StageChange.objects.filter(opportunity_id=opportunity.json()["id"])
    assert [(r.from_stage, r.to_stage.name, r.changed_by) for r in rows] == [
        (None, "Prospecting", people.ae)
    ]
    rows = LeadStatusChange.objects.filter(lead_id=lead.json()["id"])
    assert [(r.from_status, r.to_status, r.changed_by) for r in rows] == [("", "new", people.ae)]


def test_it_creates_a_task_with_its_todos_and_its_creator(api, people, refs):
    body, _ = NEW["tasks"]
    response = api.as_user(people.ae).post(
        ENTITIES["tasks"].url(), refs({**body, "assignee": people.sdr.pk})
    )
    assert response.status_code == 201, response.content
    task = response.json()
    assert (task["assignee"], task["created_by"]) == (people.sdr.pk, people.ae.pk)
    assert [t["text"] for t in task["todos"]] == ["Book the demo room"]


# entity: [(body of a new record, the field named in the error)] — posted by ``manager``,
# who sees the ae and de accounts and contacts.
BAD_NEW = {
    "accounts": [
        ({"name": ""}, "name"),
        ({"name": "Berg", "employees": -5}, "employees"),
        ({"name": "Berg", "country": "1X"}, "country"),
        ({"name": "Berg", "country": "Germany"}, "country"),
        ({"name": "Berg", "territory": 999999}, "territory"),
        ({"name": "Berg", "type": "friend"}, "type"),
    ],
    "contacts": [
        ({"last_name": "Doe"}, "account"),
        ({"account": ("accounts", "ae"), "first_name": "Jane"}, "last_name"),
        ({"account": ("accounts", "ae"), "last_name": "Doe", "email": "x"}, "email"),
    ],
    "leads": [
        ({"company": "Nameless GmbH"}, "last_name"),
        ({"last_name": "Doe", "rating": "boiling"}, "rating"),
        ({"last_name": "Doe", "score": 101}, "score"),
        ({"last_name": "Doe", "score": -1}, "score"),
        ({"last_name": "Doe", "email": "not-an-address"}, "email"),
    ],
    "opportunities": [
        ({"name": "Deal", "close_date": CLOSE}, "account"),
        ({"name": "Deal", "account": ("accounts", "ae")}, "close_date"),
        ({**DEAL, "amount": "-1"}, "amount"),
        ({**DEAL, "amount": "lots"}, "amount"),
        ({**DEAL, "stage": ("other_stage",)}, "stage"),  # a stage of another pipeline
        ({**DEAL, "stage": ("stage", "Won")}, "stage"),  # born closed
        ({**DEAL, "contact": ("contacts", "de")}, "contact"),  # works elsewhere
    ],
    "activities": [
        ({"type": "call", "subject": "About nothing"}, "non_field_errors"),  # linked to nothing
        ({"type": "fax", "subject": "Fax", "account": ("accounts", "ae")}, "type"),
        ({"type": "call", "account": ("accounts", "ae")}, "subject"),
    ],
    "tasks": [
        ({"account": ("accounts", "ae")}, "title"),
        ({"title": "Call", "account": ("accounts", "ae"), "priority": "asap"}, "priority"),
        ({"title": "Call", "account": ("accounts", "ae"), "todos": [{"text": ""}]}, "todos"),
    ],
}

# entity: [(changes to the book's ``ae`` record, the field named in the error)] — by ``ae``.
BAD_CHANGE = {
    "accounts": [({"name": ""}, "name"), ({"country": "D1"}, "country")],
    "contacts": [
        ({"account": None}, "account"),
        ({"account": ("accounts", "other")}, "account"),  # not visible to ae
    ],
    "leads": [({"score": 250}, "score"), ({"email": "@"}, "email")],
    "opportunities": [
        ({"amount": "-100.00"}, "amount"),
        ({"close_date": "soon"}, "close_date"),
        ({"stage": ("stage", "Won")}, "stage"),  # stages change through actions
        ({"contact": ("contacts", "other")}, "contact"),
    ],
    # would be linked to nothing (an activity logged on a deal also carries the deal's account)
    "activities": [({"opportunity": None, "account": None}, "non_field_errors")],
    "tasks": [({"title": ""}, "title"), ({"due_at": "tomorrow"}, "due_at")],
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_it_refuses_bad_input_with_a_field_error_and_writes_nothing(
    api, people, book, refs, unchanged, entity
):
    endpoint = ENTITIES[entity]
    record = book[entity]["ae"]
    answers, expected = [], []
    with unchanged():
        for body, field in BAD_NEW[entity]:
            response = api.as_user(people.manager).post(endpoint.url(), refs(body))
            answers.append(("new", body, response.status_code, list(response.json())))
            expected.append(("new", body, 400, [field]))
        for changes, field in BAD_CHANGE[entity]:
            response = api.as_user(people.ae).patch(endpoint.url(record.pk), refs(changes))
            answers.append(("change", changes, response.status_code, list(response.json())))
            expected.append(("change", changes, 400, [field]))
    assert answers == expected


@pytest.mark.parametrize(
    ("entity", "status"), [("leads", "converted"), ("opportunities", "won"), ("tasks", "done")]
)
def test_it_changes_a_status_only_through_its_action(api, people, book, entity, status):
    record = book[entity]["ae"]
    response = api.as_user(people.ae).patch(ENTITIES[entity].url(record.pk), {"status": status})
    assert response.status_code == 200, response.content
    assert response.json()["status"] != status
    assert ENTITIES[entity].model.objects.get(pk=record.pk).status != status


# --- soft delete and restore ---------------------------------------------------------


@pytest.mark.parametrize("entity", ENTITIES)
def test_it_hides_a_deleted_record_until_an_admin_or_sales_ops_restores_it(
    api, people, book, entity
):
    endpoint = ENTITIES[entity]
    record = book[entity]["ae"]
    for deleter, restorer in (("ae", "admin"), ("manager", "ops")):
        response = api.as_user(getattr(people, deleter)).delete(endpoint.url(record.pk))
        assert response.status_code == 204, response.content
        assert endpoint.model.all_objects.get(pk=record.pk).deleted_at is not None

        for persona in ("ae", "manager", "admin"):
            client = api.as_user(getattr(people, persona))
            listed = {row["id"] for row in client.get(endpoint.url()).json()["results"]}
            assert record.pk not in listed, persona
            assert client.get(endpoint.url(record.pk)).status_code == 404, persona
            assert client.delete(endpoint.url(record.pk)).status_code == 404, persona

        for persona, refused in (("ae", 404), ("manager", 404), ("executive", 403)):
            response = api.as_user(getattr(people, persona)).post(
                endpoint.url(record.pk, "restore")
            )
            assert response.status_code == refused, persona
        assert endpoint.model.all_objects.get(pk=record.pk).deleted_at is not None

        response = api.as_user(getattr(people, restorer)).post(endpoint.url(record.pk, "restore"))
        assert response.status_code == 200, response.content
        assert response.json()["id"] == record.pk
        client = api.as_user(people.ae)
        assert record.pk in {row["id"] for row in client.get(endpoint.url()).json()["results"]}
        assert client.get(endpoint.url(record.pk)).status_code == 200


def test_it_refuses_to_restore_a_record_that_is_not_deleted(api, people, book, unchanged):
    with unchanged():
        response = api.as_user(people.admin).post(
            ENTITIES["accounts"].url(book["accounts"]["ae"].pk, "restore")
        )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This record is not deleted."]}


def test_it_answers_404_to_restoring_a_record_that_never_existed(api, people):
    response = api.as_user(people.admin).post(ENTITIES["accounts"].url(999999, "restore"))
    assert response.status_code == 404
