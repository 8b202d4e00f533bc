"""The workspace's own pages: log-in, My day, global search, error pages, password change."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pipewise.activities.services import task_create
from pipewise.pipeline.services import opportunity_create

PASSWORD = "correct-horse-battery"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_sends_anonymous_visitors_to_the_log_in_page(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_logs_in_and_out_with_a_password(people):
    client = Client()
    page = client.get("/login/")
    assert b"Log in to your sales workspace" in page.content
    response = client.post("/login/", {"username": "ae", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_it_says_so_when_the_password_is_wrong(people):
    response = Client().post("/login/", {"username": "ae", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_it_locks_the_account_after_repeated_failures(people, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "ae", "password": "wrong"})
    response = client.post("/login/", {"username": "ae", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content


def test_it_changes_the_password(people):
    client = signed_in(people.ae)
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-secret-42",
            "new_password2": "a-much-longer-secret-42",
        },
    )
    assert response.status_code == 302
    people.ae.refresh_from_db()
    assert people.ae.check_password("a-much-longer-secret-42")


def test_it_explains_a_rejected_new_password(people):
    response = signed_in(people.ae).post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    )
    assert response.status_code == 200
    assert b"too short" in response.content


def test_my_day_shows_my_tasks_deals_and_activities(sales, people):
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    overdue = task_create(by=people.ae, title="Chase the signature", due_at=three_days_ago)
    response = signed_in(people.ae).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chase the signature" in html and "3 days late" in html
    assert f"task-{overdue.pk}" in html
    assert sales.ae_opp.name in html
    assert "Discovery call" in html
    assert sales.other_opp.name not in html
    assert "Intro" not in html  # the other AE's activity


def test_my_day_lets_a_manager_look_at_the_team(sales, people):
    task_create(by=people.ae, title="Urgent call for the AE", due_at=timezone.now())
    client = signed_in(people.manager)
    assert "Urgent call for the AE" in client.get("/").content.decode()  # team by default
    mine = client.get("/?person=me").content.decode()
    assert "My whole team" in mine
    assert "Urgent call for the AE" not in mine
    team = client.get("/?person=team").content.decode()
    assert "Urgent call for the AE" in team and sales.ae_opp.name in team
    one = client.get(f"/?person={people.ae.pk}").content.decode()
    assert "Urgent call for the AE" in one


def test_my_day_ignores_a_person_outside_the_team(sales, people):
    task_create(by=people.other_ae, title="Call of the other AE", due_at=timezone.now())
    html = signed_in(people.ae).get(f"/?person={people.other_ae.pk}").content.decode()
    assert "Call of the other AE" not in html
    assert "My whole team" not in html


def test_my_day_costs_the_same_with_more_deals(sales, people):
    client = signed_in(people.ae)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for index in range(15):
        opportunity_create(
            by=people.ae,
            name=f"Deal {index}",
            account=sales.ae_account,
            close_date=timezone.localdate(),
        )
        task_create(by=people.ae, title=f"Task {index}", due_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)


def test_search_finds_only_visible_records(sales, people):
    client = signed_in(people.ae)
    html = client.get("/search/", {"q": "Alpen"}).content.decode()
    assert sales.ae_account.name in html and sales.ae_opp.name in html
    other = client.get("/search/", {"q": "Pacific"}).content.decode()
    assert "Nothing found" in other
    assert sales.other_account.name not in other
    assert "Smith Co" not in client.get("/search/", {"q": "Smith"}).content.decode()


def test_search_covers_leads_and_contacts(sales, people):
    client = signed_in(people.ae)
    assert "Max Bauer" in client.get("/search/", {"q": "bauer"}).content.decode()
    assert "Eva Huber" in client.get("/search/", {"q": "huber"}).content.decode()


def test_a_missing_page_is_friendly(people):
    response = signed_in(people.ae).get("/no/such/page/")
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content


def test_the_error_page_needs_nothing(rf):
    from pipewise.web.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_pages_carry_a_title_and_a_skip_link(people):
    html = signed_in(people.ae).get(reverse("leads:list")).content.decode()
    assert "<title>Leads · Pipewise</title>" in html
    assert 'href="#main"' in html and 'aria-current="page"' in html


def test_front_end_comes_from_our_own_static_files(people):
    html = signed_in(people.ae).get("/board/").content.decode()
    for asset in ("htmx.min.js", "Sortable.min.js", "bootstrap.min.css"):
        assert "/static/web/vendor/" in html and asset in html
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.parametrize("name", ["executive", "ae", "sdr", "ops", "marketing", "admin", "manager"])
def test_every_role_gets_a_working_my_day(people, name):
    assert signed_in(getattr(people, name)).get("/").status_code == 200


@pytest.mark.parametrize("sort", ["amount", "-amount", "close_date", "-created", "name"])
def test_keyset_pages_cover_every_row_once_for_each_sort(sales, people, sort):
    import itertools

    for index in range(7):
        opportunity_create(
            by=people.ae,
            name=f"Deal {index % 3}",
            account=sales.ae_account,
            amount=index % 2 * 1000,
            close_date=timezone.localdate() + datetime.timedelta(days=index % 3),
        )
    from django.test import RequestFactory

    from pipewise.pipeline.permissions import opportunity_visible_to
    from pipewise.web.lists import keyset_page

    sorts = {"amount": ("Amount", "amount"), "close_date": ("Close", "close_date"),
             "created": ("Created", "created_at"), "name": ("Name", "name")}
    queryset = opportunity_visible_to(people.ae)
    seen, params = [], {"sort": sort}
    for _ in itertools.count():
        page = keyset_page(RequestFactory().get("/", params), queryset, sort_options=sorts,
                           size=3)
        seen.extend(row.pk for row in page.rows)
        if not page.next_cursor:
            break
        params = {"sort": sort, "after": page.next_cursor}
    assert sorted(seen) == sorted(queryset.values_list("pk", flat=True))
    back = keyset_page(RequestFactory().get("/", {"sort": sort, "before": page.prev_cursor}),
                       queryset, sort_options=sorts, size=3)
    assert [row.pk for row in back.rows] == seen[-len(page.rows) - 3:-len(page.rows)]


@pytest.mark.parametrize("sort", ["due", "-due"])
def test_keyset_pages_handle_empty_sort_values(people, sort):
    from django.test import RequestFactory

    from pipewise.activities.permissions import task_visible_to
    from pipewise.web.lists import keyset_page

    for index in range(8):
        due = None if index % 3 == 0 else timezone.now() + datetime.timedelta(hours=index % 4)
        task_create(by=people.ae, title=f"T{index}", due_at=due)
    queryset = task_visible_to(people.ae)
    sorts = {"due": ("Due", "due_at")}
    seen, params = [], {"sort": sort}
    while True:
        page = keyset_page(RequestFactory().get("/", params), queryset, sort_options=sorts,
                           size=3)
        seen.extend(row.pk for row in page.rows)
        if not page.next_cursor:
            break
        params = {"sort": sort, "after": page.next_cursor}
    assert sorted(seen) == sorted(queryset.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))
