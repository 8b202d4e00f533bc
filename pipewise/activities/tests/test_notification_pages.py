"""Notifications on the web (bell, list, mark read, preferences) and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipewise.activities.choices import NotificationKind, SubjectType
from pipewise.activities.models import Notification, NotificationPreference
from pipewise.activities.services import Pending, notifications_write

API = "/api/v1"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notify(user, n: int, *, kind=NotificationKind.TASK_OVERDUE, subject_id=1) -> None:
    notifications_write(
        kind=kind,
        items=[
            Pending(
                recipient_id=user.pk,
                subject_type=SubjectType.TASK,
                subject_id=subject_id,
                occasion=f"o{i}",
                title=f"Reminder {i} for {user.username}",
            )
            for i in range(n)
        ],
        now=timezone.now(),
    )


def test_the_bell_shows_the_unread_count_in_one_query(people):
    notify(people.ae, 3)
    client = signed_in(people.ae)
    page = client.get("/tasks/").content.decode()
    assert 'data-unread="3"' in page and "Notifications: 3 unread" in page
    with CaptureQueriesContext(connection) as queries:
        client.get("/tasks/")
    bell = [q["sql"] for q in queries.captured_queries if "activities_notification" in q["sql"]]
    assert len(bell) == 1


def test_the_bell_caps_its_count(people):
    notify(people.ae, 101)
    page = signed_in(people.ae).get("/tasks/").content.decode()
    assert 'data-unread="100"' in page and ">99+<" in page


def test_the_list_shows_only_my_notifications_and_marks_them_read(people):
    notify(people.ae, 2)
    notify(people.sdr, 1)
    client = signed_in(people.ae)
    page = client.get("/notifications/").content.decode()
    assert "Reminder 0 for ae" in page and "Reminder 1 for ae" in page and "for sdr" not in page
    mine = Notification.objects.filter(recipient=people.ae).order_by("pk").first()
    theirs = Notification.objects.get(recipient=people.sdr)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    response = client.post(f"/notifications/{mine.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/tasks/1/"
    assert Notification.objects.filter(read_at__isnull=False).count() == 1
    assert "Reminder 0" not in client.get("/notifications/", {"unread": "1"}).content.decode()
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=people.ae, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_list_costs_the_same_for_more_rows(people):
    notify(people.ae, 3)
    client = signed_in(people.ae)
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    notify(people.ae, 60, subject_id=2)
    with CaptureQueriesContext(connection) as many:
        client.get("/notifications/")
    assert len(many) == len(few)


def test_preferences_page_saves_channels_per_kind(people):
    client = signed_in(people.executive)  # read-only people choose their channels too
    page = client.get("/notifications/preferences/").content.decode()
    assert "Task overdue" in page and "Daily digest" in page
    client.post(
        "/notifications/preferences/",
        {"task_overdue-email": "on", "assigned-in_app": "on"},
    )
    saved = {
        p.kind: (p.in_app, p.email)
        for p in NotificationPreference.objects.filter(user=people.executive)
    }
    assert saved[NotificationKind.TASK_OVERDUE] == (False, True)
    assert saved[NotificationKind.ASSIGNED] == (True, False)
    assert saved[NotificationKind.TEAM_DIGEST] == (False, False)


def test_api_lists_and_marks_only_my_notifications(people, api):
    notify(people.ae, 2)
    notify(people.sdr, 1)
    client = api.as_user(people.ae)
    listed = client.get(f"{API}/notifications/").json()["results"]
    assert [n["title"] for n in listed] == ["Reminder 1 for ae", "Reminder 0 for ae"]
    assert client.get(f"{API}/notifications/unread-count/").json() == {"unread": 2}
    theirs = Notification.objects.get(recipient=people.sdr)
    assert client.post(f"{API}/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"{API}/notifications/{theirs.pk}/").status_code == 404
    first = listed[0]["id"]
    assert client.post(f"{API}/notifications/{first}/read/").json()["read"] is True
    assert len(client.get(f"{API}/notifications/", {"unread": "1"}).json()["results"]) == 1
    assert client.post(f"{API}/notifications/read-all/").json() == {"marked": 1}
    assert client.get(f"{API}/notifications/unread-count/").json() == {"unread": 0}


def test_api_preferences(people, api):
    client = api.as_user(people.executive)
    rows = {r["kind"]: r for r in client.get(f"{API}/notification-preferences/").json()}
    assert rows["team_digest"]["email"] is True and rows["task_overdue"]["email"] is False
    response = client.put(
        f"{API}/notification-preferences/task_overdue/", {"in_app": False, "email": True}
    )
    assert response.status_code == 200
    assert response.json() == {
        "kind": "task_overdue",
        "label": "Task overdue",
        "in_app": False,
        "email": True,
    }
    bad = client.put(f"{API}/notification-preferences/task_overdue/", {"in_app": "maybe"})
    assert bad.status_code == 400 and {"in_app", "email"} <= set(bad.json())
    assert (
        client.put(
            f"{API}/notification-preferences/weather/", {"in_app": True, "email": True}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("path", ["/notifications/", "/notifications/preferences/", "/profile/"])
def test_pages_need_a_sign_in(path, db):
    response = Client().get(path)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_api_needs_a_sign_in(db, api):
    assert api.get(f"{API}/notifications/").status_code in (401, 403)
    assert api.get(f"{API}/calendar/feed-url/").status_code in (401, 403)


def test_the_task_page_tells_the_tasks_story(people):
    from pipewise.activities.services import task_complete, task_create, task_update

    due = timezone.now() + datetime.timedelta(days=2)
    task = task_create(by=people.manager, title="Visit Alpen", assignee=people.ae, due_at=due)
    task = task_update(task=task, by=people.manager, assignee=people.sdr)
    task = task_update(task=task, by=people.sdr, due_at=due + datetime.timedelta(days=1))
    task_complete(task=task, by=people.sdr)
    page = signed_in(people.manager).get(f"/tasks/{task.pk}/").content.decode()
    story = page[page.index("Task history") :]
    assert "Created for Ae Tester" in story
    assert "Re-assigned from Ae Tester to Sdr Tester" in story
    assert "Re-scheduled from" in story and "Completed" in story
    assert story.index("Completed") < story.index("Re-scheduled") < story.index("Created")


def test_a_task_without_history_rows_still_says_who_created_it(people):
    from pipewise.activities.models import Task
    from pipewise.activities.selectors import task_timeline

    task = Task.objects.create(title="Bulk", assignee=people.ae, created_by=people.manager)
    task.history.all().delete()
    [event] = task_timeline(task)
    assert (event.what, event.by) == ("Created for Ae Tester", "Manager Tester")


def test_the_openapi_schema_documents_notifications_preferences_and_the_calendar(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert {
        ("/api/v1/notifications/", "get"),
        ("/api/v1/notifications/{id}/", "get"),
        ("/api/v1/notifications/{id}/read/", "post"),
        ("/api/v1/notifications/read-all/", "post"),
        ("/api/v1/notifications/unread-count/", "get"),
        ("/api/v1/notification-preferences/", "get"),
        ("/api/v1/notification-preferences/{kind}/", "put"),
        ("/api/v1/calendar/feed-url/", "get"),
        ("/api/v1/calendar/feed-url/", "delete"),
        ("/api/v1/calendar/feed-url/rotate/", "post"),
    } <= documented
    feed_url = paths["/api/v1/calendar/feed-url/"]["get"]["responses"]["200"]
    schema = feed_url["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema == "CalendarFeedUrl"
