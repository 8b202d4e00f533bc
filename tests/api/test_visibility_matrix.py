"""The visibility matrix: every persona × every endpoint × list, detail, update, delete, actions.

The two tables below are the policy (DESIGN.md, "Visibility"), written out for
the records of the ``book`` fixture (tests/api/conftest.py). ``*`` is every
record, ``-`` none.

A record one may not see answers 404 to every verb, exactly like a record that
does not exist; a record one sees but may not change answers 403.
"""

from __future__ import annotations

import pytest

from pipewise.pipeline.models import Stage
from tests.api.support import API, ENTITIES

SEES = """
persona         accounts   contacts   leads       opportunities  activities  tasks
admin           *          *          *           *              *           *
ops             *          *          *           *              *           *
executive       *          *          *           *              *           *
vp              ae         ae         ae,sdr      ae,mgr         ae,sdr      ae,sdr
manager         ae,de      ae,de      ae,sdr      ae,mgr         ae,sdr      ae,sdr
ae              ae         ae         ae          ae             ae          ae,sdr
sdr             ae         ae         sdr         -              sdr         sdr
other_manager   other,de   other,de   other       other          other       other
other_ae        other,de   other,de   other       other          other       other
cs              ae,de      ae,de      -           -              -           -
marketing       -          -          *           -              -           -
partner         -          -          -           -              -           -
"""

CHANGES = """
persona         accounts   contacts   leads       opportunities  activities  tasks
admin           *          *          *           *              *           *
ops             *          *          *           *              *           *
executive       -          -          -           -              -           -
vp              ae         ae         ae,sdr      ae,mgr         ae,sdr      ae,sdr
manager         ae         ae         ae,sdr      ae,mgr         ae,sdr      ae,sdr
ae              ae         ae         ae          ae             ae          ae,sdr
sdr             -          -          sdr         -              sdr         sdr
other_manager   other,de   other,de   other       other          other       other
other_ae        other,de   other,de   other       other          other       other
cs              -          -          -           -              -           -
marketing       -          -          *           -              -           -
partner         -          -          -           -              -           -
"""


def parse(table: str) -> dict[str, dict[str, frozenset[str]]]:
    """``table[persona][entity]``: the keys of the book's records in that cell."""
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    cells = {}
    for persona, *values in rows:
        cells[persona] = {}
        for entity, value in zip(header, values, strict=True):
            keys = ENTITIES[entity].keys
            cells[persona][entity] = frozenset(
                keys if value == "*" else () if value == "-" else value.split(",")
            )
    return cells


VISIBLE = parse(SEES)
WRITABLE = parse(CHANGES)
PERSONAS = list(VISIBLE)


def test_it_names_every_persona_and_entity_and_writes_only_what_one_sees(people):
    assert set(PERSONAS) == set(people.all()) == set(WRITABLE)
    for persona in PERSONAS:
        assert set(VISIBLE[persona]) == set(ENTITIES)
        for entity in ENTITIES:
            assert WRITABLE[persona][entity] <= VISIBLE[persona][entity]


READ_ACTIONS = {
    "accounts": ["history"],
    "contacts": ["history"],
    "leads": ["history", "duplicates"],
    "opportunities": ["history", "stage-history"],
    "activities": ["history"],
    "tasks": ["history"],
}


def write_actions(entity: str, stages) -> list[tuple[str, dict]]:
    """Every writing action of an entity, with a body that succeeds on a visible record."""
    extra = {
        "leads": [("convert", {}), ("status", {"status": "working"})],
        "opportunities": [
            ("move", {"stage": stages["Qualifying"]}),
            ("win", {"confirm": True}),
            ("lose", {"reason": "Price too high"}),
        ],
        "tasks": [("complete", {})],
    }
    return [("restore", {}), *extra.get(entity, [])]


CHANGE = {
    "accounts": {"industry": "Robotics"},
    "contacts": {"title": "Head of purchasing"},
    "leads": {"title": "Plant manager"},
    "opportunities": {"competitor": "Acme"},
    "activities": {"subject": "Follow-up call"},
    "tasks": {"title": "Send the revised proposal"},
}


@pytest.fixture
def stages(db):
    return {s.name: s.pk for s in Stage.objects.filter(pipeline__is_default=True)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_each_persona_exactly_the_records_of_its_row(api, people, book, persona):
    client = api.as_user(getattr(people, persona))
    listed, opened, unexpected = {}, {}, []
    for entity, endpoint in ENTITIES.items():
        keys_by_pk = {record.pk: key for key, record in book[entity].items()}
        response = client.get(endpoint.url(), {"page_size": 50})
        assert response.status_code == 200, (entity, response.content)
        listed[entity] = frozenset(keys_by_pk[row["id"]] for row in response.json()["results"])
        opened[entity] = set()
        for key, record in book[entity].items():
            response = client.get(endpoint.url(record.pk))
            if response.status_code == 200:
                assert response.json()["id"] == record.pk
                opened[entity].add(key)
            else:
                assert response.json() == {"detail": "Not found."}, (entity, key)
            for action in READ_ACTIONS[entity]:
                status = client.get(endpoint.url(record.pk, action)).status_code
                if status != response.status_code:
                    unexpected.append((entity, key, action, status))
    assert listed == VISIBLE[persona]
    assert opened == VISIBLE[persona]
    assert unexpected == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_each_persona_change_exactly_the_records_of_its_row(
    api, people, book, stages, unchanged, persona
):
    """Not seen: 404 to every verb. Seen but not changeable: 403. Changeable: done."""
    client = api.as_user(getattr(people, persona))
    wrong = []
    with unchanged():
        for entity, endpoint in ENTITIES.items():
            for key, record in book[entity].items():
                if key in WRITABLE[persona][entity]:
                    continue
                visible = key in VISIBLE[persona][entity]
                calls = [
                    ("patch", endpoint.url(record.pk), CHANGE[entity]),
                    ("delete", endpoint.url(record.pk), {}),
                ] + [
                    ("post", endpoint.url(record.pk, action), body)
                    for action, body in write_actions(entity, stages)
                ]
                if not visible:  # a partial PUT: 404 when hidden (else 400, the body is bad)
                    calls.append(("put", endpoint.url(record.pk), CHANGE[entity]))
                for method, url, body in calls:
                    if not visible:
                        expected = 404
                    elif url.endswith("/restore/") and persona != "executive":
                        # Restoring is for admins and sales ops; to anyone else who may
                        # write, the restore endpoint does not exist.
                        expected = 404
                    else:
                        expected = 403
                    status = getattr(client, method)(url, body).status_code
                    if status != expected:
                        wrong.append((method, url, status, expected))
    assert wrong == []

    changed = {}
    for entity, endpoint in ENTITIES.items():
        ((field, value),) = CHANGE[entity].items()
        changed[entity] = set()
        for key in sorted(WRITABLE[persona][entity]):
            pk = book[entity][key].pk
            response = client.patch(endpoint.url(pk), CHANGE[entity])
            assert response.status_code == 200, (entity, key, response.content)
            assert getattr(endpoint.model.objects.get(pk=pk), field) == value
            response = client.delete(endpoint.url(pk))
            assert response.status_code == 204, (entity, key, response.content)
            assert client.get(endpoint.url(pk)).status_code == 404
            changed[entity].add(key)
    assert changed == WRITABLE[persona]


# --- configuration: everyone reads, admins and sales ops write (users: admins only) -----

CONFIGURERS = {"admin", "ops"}
USER_ADMINS = {"admin"}


@pytest.fixture
def configuration(people):
    from pipewise.catalog.models import Product
    from pipewise.org.models import ProductLine, Segment, Team
    from pipewise.pipeline.models import Pipeline

    line = ProductLine.objects.create(name="Automation")
    pipeline = Pipeline.objects.create(name="Partner process")
    stage = Stage.objects.create(pipeline=pipeline, name="Registered", order=1, probability=10)
    return {
        "users": (people.sdr, {"username": "newbie", "roles": ["sdr"]}, {"title": "Senior SDR"}),
        "teams": (
            Team.objects.create(name="DACH"),
            {"name": "Nordics"},
            {"name": "DACH & Nordics"},
        ),
        "territories": (
            people.usa,
            {"name": "Austria", "code": "AT", "level": "country", "parent": people.emea.pk},
            {"name": "USA"},
        ),
        "segments": (Segment.objects.create(name="SMB"), {"name": "Enterprise"}, {"name": "Small"}),
        "product-lines": (line, {"name": "Services"}, {"name": "Factory automation"}),
        "products": (
            Product.objects.create(sku="ROB-1", name="Robot arm", list_price="1000.00"),
            {"sku": "ROB-2", "name": "Gripper", "list_price": "250.00", "product_line": line.pk},
            {"list_price": "1100.00"},
        ),
        "pipelines": (pipeline, {"name": "Renewals"}, {"description": "Channel deals"}),
        "stages": (
            stage,
            {"pipeline": pipeline.pk, "name": "Approved", "order": 2, "probability": 40},
            {"probability": 15},
        ),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_everyone_read_configuration_and_only_configurers_change_it(
    api, people, configuration, unchanged, persona
):
    client = api.as_user(getattr(people, persona))
    for endpoint, (existing, new, change) in configuration.items():
        url = f"{API}/{endpoint}/"
        response = client.get(url)
        assert response.status_code == 200, (endpoint, response.content)
        assert existing.pk in {row["id"] for row in response.json()["results"]}, endpoint
        assert client.get(f"{url}{existing.pk}/").status_code == 200, endpoint

        writers = USER_ADMINS if endpoint == "users" else CONFIGURERS
        if persona not in writers:
            with unchanged():
                assert client.post(url, new).status_code == 403, endpoint
                assert client.patch(f"{url}{existing.pk}/", change).status_code == 403, endpoint
                assert client.delete(f"{url}{existing.pk}/").status_code == 403, endpoint
            continue

        response = client.post(url, new)
        assert response.status_code == 201, (endpoint, response.content)
        created = response.json()["id"]
        response = client.patch(f"{url}{existing.pk}/", change)
        assert response.status_code == 200, (endpoint, response.content)
        ((field, value),) = change.items()
        assert response.json()[field] == value, endpoint
        response = client.delete(f"{url}{created}/")
        if endpoint == "users":  # people are deactivated, never deleted
            assert response.status_code == 405
        else:
            assert response.status_code == 204, (endpoint, response.content)
            assert client.get(f"{url}{created}/").status_code == 404, endpoint


# --- links to records one cannot see -------------------------------------------------


def test_it_refuses_a_link_to_an_invisible_record_like_one_to_a_missing_record(
    api, people, book, unchanged
):
    client = api.as_user(people.ae)
    body = {"name": "Pacific — spares", "close_date": "2031-01-31"}
    with unchanged():
        invisible = client.post(
            f"{API}/opportunities/", {**body, "account": book["accounts"]["other"].pk}
        )
        missing = client.post(f"{API}/opportunities/", {**body, "account": 999999})
    assert invisible.status_code == missing.status_code == 400
    invisible_error, missing_error = invisible.json()["account"], missing.json()["account"]
    assert invisible_error == [
        missing_error[0].replace("999999", str(book["accounts"]["other"].pk))
    ]
    assert "Invalid pk" in invisible_error[0]


# (new record, its body, the link field, the entity it links to); ("accounts", "ae")
# stands for the id of that record of the book.
LINKS = [
    ("contacts", {"last_name": "Doe"}, "account", "accounts"),
    ("leads", {"last_name": "Doe"}, "account", "accounts"),
    ("leads", {"last_name": "Doe"}, "contact", "contacts"),
    ("opportunities", {"name": "X", "close_date": "2031-01-31"}, "account", "accounts"),
    (
        "opportunities",
        {"name": "X", "close_date": "2031-01-31", "account": ("accounts", "ae")},
        "contact",
        "contacts",
    ),
    (
        "opportunities",
        {"name": "X", "close_date": "2031-01-31", "account": ("accounts", "ae")},
        "lead",
        "leads",
    ),
    ("activities", {"type": "note", "subject": "Memo"}, "opportunity", "opportunities"),
    ("activities", {"type": "note", "subject": "Memo"}, "lead", "leads"),
    ("tasks", {"title": "Call"}, "account", "accounts"),
    ("tasks", {"title": "Call"}, "contact", "contacts"),
]


def test_it_refuses_to_link_a_new_record_to_one_the_user_cannot_see(api, people, book, unchanged):
    client = api.as_user(people.ae)
    answers, expected = [], []
    with unchanged():
        for entity, body, field, target in LINKS:
            body = {k: book[v[0]][v[1]].pk if isinstance(v, tuple) else v for k, v in body.items()}
            hidden = book[target]["other"].pk
            response = client.post(ENTITIES[entity].url(), {**body, field: hidden})
            answers.append((entity, field, response.status_code, response.json()))
            message = f'Invalid pk "{hidden}" - object does not exist.'
            expected.append((entity, field, 400, {field: [message]}))
    assert answers == expected


def test_it_refuses_to_convert_a_lead_into_an_account_the_user_cannot_see(
    api, people, book, unchanged
):
    with unchanged():
        response = api.as_user(people.ae).post(
            f"{API}/leads/{book['leads']['ae'].pk}/convert/",
            {"account": book["accounts"]["other"].pk},
        )
    assert response.status_code == 400
    assert "Invalid pk" in response.json()["account"][0]


# Search terms that match the book's ``other`` record of each entity (owned by other_ae).
OTHER_SEARCH = {
    "accounts": "Pacific",
    "contacts": "Lee",
    "leads": "Smith",
    "opportunities": "Pacific",
    "activities": "Intro",
    "tasks": "Call back",
}


def test_it_never_widens_the_visible_set_by_searching_or_filtering(api, people, book):
    found = {}
    for entity, endpoint in ENTITIES.items():
        owner = "assignee" if entity == "tasks" else "owner"
        for params in ({"search": OTHER_SEARCH[entity]}, {owner: people.other_ae.pk}):
            response = api.as_user(people.ae).get(endpoint.url(), params)
            assert response.status_code == 200, (entity, params, response.content)
            found[entity, str(params)] = [row["id"] for row in response.json()["results"]]
        # the same search as admin does find it: the term is right
        response = api.as_user(people.admin).get(endpoint.url(), {"search": OTHER_SEARCH[entity]})
        assert book[entity]["other"].pk in {row["id"] for row in response.json()["results"]}
    assert {key: ids for key, ids in found.items() if ids} == {}
