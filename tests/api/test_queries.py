"""Lists page with cursors, and cost the same number of queries at any size.

A list's SQL must not grow with the rows on the page (no N+1) nor with the rows in
the table; the counts are compared at 5 and 60 records and page sizes of 5 and 100.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.activities.services import activity_log, task_create
from pipewise.customers.services import account_create, contact_create
from pipewise.leads.services import lead_create
from pipewise.org.services import user_save
from pipewise.pipeline.services import opportunity_create
from tests.api.support import API, ENTITIES

CLOSE = datetime.date.today() + datetime.timedelta(days=30)
counter = itertools.count()


def make(entity: str, people, book, n: int) -> None:
    """``n`` more records of ``entity`` owned by ``ae``, each with what its list shows."""
    ae, account = people.ae, book["accounts"]["ae"]
    for _ in range(n):
        i = next(counter)
        if entity == "accounts":
            account_create(by=ae, name=f"Account {i}", territory=people.bavaria)
        elif entity == "contacts":
            contact_create(by=ae, account=account, last_name=f"Contact {i}")
        elif entity == "leads":
            lead_create(by=ae, last_name=f"Lead {i}", company=f"Company {i}")
        elif entity == "opportunities":
            opportunity_create(by=ae, name=f"Deal {i}", account=account, close_date=CLOSE)
        elif entity == "activities":
            activity_log(by=ae, type="call", subject=f"Call {i}", account=account)
        elif entity == "tasks":
            task_create(by=ae, title=f"Task {i}", account=account, todos=[{"text": "a"}] * 2)
        elif entity == "users":
            user_save(
                username=f"user{i}",
                roles=["account_executive", "sdr"],
                manager=people.manager,
                territories=[people.bavaria, people.usa],
            )


def queries(api, user, url: str, **params) -> tuple[int, list[int]]:
    client = api.as_user(user)  # a fresh user: nothing cached from an earlier request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), [row["id"] for row in response.json()["results"]]


LISTS = [*ENTITIES, "users"]


@pytest.mark.parametrize("entity", LISTS)
def test_it_lists_with_the_same_number_of_queries_at_any_size(api, people, book, entity):
    url = f"{API}/{entity}/"
    make(entity, people, book, 5)
    small = {p: queries(api, getattr(people, p), url, page_size=100) for p in ("ae", "vp", "ops")}
    make(entity, people, book, 55)
    for persona, (count, rows) in small.items():
        user = getattr(people, persona)
        large_count, large_rows = queries(api, user, url, page_size=100)
        paged_count, paged_rows = queries(api, user, url, page_size=5)
        assert len(large_rows) >= len(rows) + 55 and len(paged_rows) == 5, persona
        assert (large_count, paged_count) == (count, count), persona
        assert count <= 8, persona


@pytest.mark.parametrize("entity", ENTITIES)
def test_it_pages_through_every_record_with_cursors(api, people, book, entity):
    make(entity, people, book, 6)
    client = api.as_user(people.ae)
    expected = [
        row["id"] for row in client.get(f"{API}/{entity}/", {"page_size": 100}).json()["results"]
    ]
    assert len(expected) >= 7
    assert expected == sorted(expected, reverse=True)  # newest first

    pages, url = [], f"{API}/{entity}/?page_size=3"
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        assert (body["previous"] is None) == (len(pages) == 1)
        url = body["next"]
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == 3 for page in pages[:-1])

    back, url = [], body["previous"]
    while url:
        body = client.get(url).json()
        back.append([row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[-2::-1]


def test_it_keeps_its_place_when_records_are_added_between_pages(api, people, book):
    make("opportunities", people, book, 4)
    client = api.as_user(people.ae)
    first = client.get(f"{API}/opportunities/", {"page_size": 2}).json()
    make("opportunities", people, book, 3)  # newer records go before the cursor
    second = client.get(first["next"]).json()
    seen = [row["id"] for row in first["results"]] + [row["id"] for row in second["results"]]
    assert len(set(seen)) == 4
    assert seen == sorted(seen, reverse=True)
