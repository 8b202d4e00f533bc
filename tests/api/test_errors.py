"""How the API says no: stale versions (409), records in use (409), read-only roles (403),
unknown records (404) and requests that are not signed in."""

from __future__ import annotations

import pytest

from pipewise.core.concurrency import STALE_VERSION
from pipewise.core.permissions import READ_ONLY_ROLE
from pipewise.pipeline.models import Stage
from tests.api.support import API, ENTITIES

CHANGE = {
    "accounts": ({"industry": "Machinery"}, {"industry": "Robotics"}),
    "contacts": ({"title": "CEO"}, {"title": "CTO"}),
    "leads": ({"rating": "hot"}, {"rating": "cold"}),
    "opportunities": ({"amount": "1.00"}, {"amount": "2.00"}),
    "activities": ({"subject": "Call one"}, {"subject": "Call two"}),
    "tasks": ({"title": "Do one"}, {"title": "Do two"}),
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_it_refuses_a_change_based_on_a_stale_version_and_keeps_the_first(
    api, people, book, unchanged, entity
):
    endpoint = ENTITIES[entity]
    record = book[entity]["ae"]
    first, second = CHANGE[entity]
    read = api.as_user(people.ae).get(endpoint.url(record.pk)).json()["version"]

    response = api.as_user(people.manager).patch(
        endpoint.url(record.pk), {**first, "version": read}
    )
    assert response.status_code == 200, response.content
    with unchanged():
        response = api.as_user(people.ae).patch(
            endpoint.url(record.pk), {**second, "version": read}
        )
    assert response.status_code == 409, response.content
    assert response.json() == {"version": [STALE_VERSION.format(given=read, current=read + 1)]}
    shown = api.as_user(people.ae).get(endpoint.url(record.pk)).json()
    assert shown.items() >= {**first, "version": read + 1}.items()


@pytest.fixture
def qualifying(db):
    return Stage.objects.get(pipeline__is_default=True, name="Qualifying").pk


@pytest.mark.parametrize(
    ("entity", "action", "body"),
    [
        ("opportunities", "move", {"stage": "QUALIFYING"}),
        ("opportunities", "win", {}),
        ("opportunities", "lose", {"reason": "No budget"}),
        ("leads", "status", {"status": "working"}),
        ("leads", "convert", {}),
        ("tasks", "complete", {}),
    ],
)
def test_it_refuses_an_action_based_on_a_stale_version(
    api, people, book, qualifying, unchanged, entity, action, body
):
    endpoint = ENTITIES[entity]
    record = book[entity]["ae"]
    change, _ = CHANGE[entity]
    assert api.as_user(people.manager).patch(endpoint.url(record.pk), change).status_code == 200
    body = {k: qualifying if v == "QUALIFYING" else v for k, v in body.items()}
    with unchanged():
        response = api.as_user(people.ae).post(
            endpoint.url(record.pk, action), {**body, "version": record.version}
        )
    assert response.status_code == 409, response.content
    assert list(response.json()) == ["version"]


def test_it_refuses_to_delete_configuration_still_in_use(api, people, book, unchanged):
    client = api.as_user(people.admin)
    with unchanged():
        territory = client.delete(f"{API}/territories/{people.bavaria.pk}/")
        stage = client.delete(f"{API}/stages/{book['opportunities']['ae'].stage_id}/")
    for response in (territory, stage):
        assert response.status_code == 409
        assert "still use" in response.json()["detail"]


def test_it_tells_an_executive_that_the_role_is_read_only(api, people, book, unchanged):
    client = api.as_user(people.executive)
    with unchanged():
        responses = [
            client.post(f"{API}/accounts/", {"name": "Exec GmbH"}),
            client.patch(ENTITIES["accounts"].url(book["accounts"]["ae"].pk), {"name": "X"}),
            client.delete(ENTITIES["leads"].url(book["leads"]["ae"].pk)),
            client.post(ENTITIES["opportunities"].url(book["opportunities"]["ae"].pk, "win")),
        ]
    for response in responses:
        assert response.status_code == 403
        assert response.json() == {"detail": READ_ONLY_ROLE}


def test_it_answers_an_unknown_id_exactly_like_an_invisible_one(api, people, book):
    client = api.as_user(people.ae)
    for entity, endpoint in ENTITIES.items():
        unknown = client.get(endpoint.url(999999))
        invisible = client.get(endpoint.url(book[entity]["other"].pk))
        assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not found."})
        assert (invisible.status_code, invisible.json()) == (404, {"detail": "Not found."})


def test_it_refuses_requests_that_are_not_signed_in(api, book, unchanged):
    with unchanged():
        for entity, endpoint in ENTITIES.items():
            pk = book[entity]["ae"].pk
            for method, url in (
                ("get", endpoint.url()),
                ("get", endpoint.url(pk)),
                ("post", endpoint.url()),
                ("patch", endpoint.url(pk)),
                ("delete", endpoint.url(pk)),
            ):
                response = getattr(api, method)(url, {})
                assert response.status_code in (401, 403), (method, url)
                assert response.json() == {
                    "detail": "Authentication credentials were not provided."
                }


def test_it_refuses_a_deactivated_user(api, people, book):
    people.ae.is_active = False
    people.ae.save(update_fields=["is_active"])
    response = api.as_user(people.ae).get(f"{API}/accounts/")
    assert response.status_code in (401, 403)


def test_it_answers_malformed_json_with_400(api, people, unchanged):
    with unchanged():
        response = api.as_user(people.ae).post(
            f"{API}/accounts/", data="{not json", content_type="application/json"
        )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_it_answers_404_to_an_id_that_cannot_be_a_record(api, people):
    client = api.as_user(people.admin)
    actions = {
        "leads": [("get", "duplicates"), ("post", "convert"), ("post", "status")],
        "opportunities": [("post", "move"), ("post", "win"), ("post", "lose")],
        "tasks": [("post", "complete")],
    }
    answers = {}
    for pk in ("abc", "1e3", "-1", "99999999999999999999999"):
        for entity, endpoint in ENTITIES.items():
            calls = [("get", None), ("patch", None), ("delete", None)]
            calls += [("get", "history"), ("post", "restore"), *actions.get(entity, [])]
            for method, action in calls:
                url = endpoint.url(pk, action)
                answers[method, url] = getattr(client, method)(url, {}).status_code
    assert set(answers.values()) == {404}, {k: v for k, v in answers.items() if v != 404}
