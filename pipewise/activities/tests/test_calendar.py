"""The private calendar feed: URL on the profile and in the API, rotate, revoke, parsed."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from pipewise.activities.models import CalendarFeed
from pipewise.activities.services import activity_log, task_complete, task_create

API = "/api/v1"


def feed_path(url: str) -> str:
    return url.removeprefix("http://testserver")


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_the_feed_holds_my_open_dated_tasks_and_planned_meetings(sales, people, api):
    now = timezone.now()
    due = (now + datetime.timedelta(days=1)).replace(microsecond=0)
    dated = task_create(
        by=people.ae, title="Send proposal v2", due_at=due, opportunity=sales.ae_opp
    )
    task_create(by=people.ae, title="Someday", due_at=None)
    done = task_create(by=people.ae, title="Finished", due_at=due)
    task_complete(task=done, by=people.ae)
    task_create(by=people.sdr, title="Not mine", due_at=due)
    start = (now + datetime.timedelta(days=2)).replace(microsecond=0)
    meeting = activity_log(
        by=people.ae,
        type="meeting",
        subject="On-site visit",
        occurred_at=start,
        duration_minutes=90,
        opportunity=sales.ae_opp,
    )
    activity_log(
        by=people.ae,
        type="meeting",
        subject="Last week's meeting",
        occurred_at=now - datetime.timedelta(days=7),
        opportunity=sales.ae_opp,
    )
    activity_log(
        by=people.ae, type="call", subject="A call", occurred_at=start, opportunity=sales.ae_opp
    )

    url = api.as_user(people.ae).get(f"{API}/calendar/feed-url/").json()["url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    calendar = parse(Client().get(feed_path(url)))  # no session: the token is the key

    todos = calendar.walk("VTODO")
    assert [str(t["SUMMARY"]) for t in todos] == ["Send proposal v2"]
    assert todos[0].decoded("DUE") == due
    assert str(todos[0]["UID"]) == f"task-{dated.pk}@testserver"
    assert str(todos[0]["URL"]) == f"http://testserver/tasks/{dated.pk}/"
    assert "Alpen — line 4 automation" in str(todos[0]["DESCRIPTION"])
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["On-site visit"]
    assert events[0].decoded("DTSTART") == start
    assert events[0].decoded("DTEND") == start + datetime.timedelta(minutes=90)
    assert str(events[0]["UID"]) == f"meeting-{meeting.pk}@testserver"
    assert CalendarFeed.objects.get(user=people.ae).last_fetched_at is not None


def test_the_same_url_comes_back_until_rotated_or_revoked(people, api):
    client = api.as_user(people.ae)
    first = client.get(f"{API}/calendar/feed-url/").json()["url"]
    assert client.get(f"{API}/calendar/feed-url/").json()["url"] == first
    rotated = client.post(f"{API}/calendar/feed-url/rotate/").json()["url"]
    assert rotated != first
    assert Client().get(feed_path(first)).status_code == 404
    assert Client().get(feed_path(rotated)).status_code == 200
    assert client.delete(f"{API}/calendar/feed-url/").status_code == 204
    assert Client().get(feed_path(rotated)).status_code == 404
    fresh = client.get(f"{API}/calendar/feed-url/").json()["url"]
    assert fresh not in (first, rotated)


def test_each_user_gets_their_own_feed(people, api):
    ae_url = api.as_user(people.ae).get(f"{API}/calendar/feed-url/").json()["url"]
    sdr_url = api.as_user(people.sdr).get(f"{API}/calendar/feed-url/").json()["url"]
    assert ae_url != sdr_url
    task_create(by=people.sdr, title="SDR only", due_at=timezone.now())
    ae_feed = parse(Client().get(feed_path(ae_url)))
    assert "SDR only" not in [str(t["SUMMARY"]) for t in ae_feed.walk("VTODO")]


def test_a_guessed_token_or_a_deactivated_user_gets_404(people, api):
    url = api.as_user(people.ae).get(f"{API}/calendar/feed-url/").json()["url"]
    assert Client().get("/calendar/not-a-real-token.ics").status_code == 404
    people.ae.is_active = False
    people.ae.save(update_fields=["is_active"])
    assert Client().get(feed_path(url)).status_code == 404


def test_the_profile_page_shows_creates_rotates_and_revokes_the_url(people):
    client = Client()
    client.force_login(people.executive)  # read-only people may subscribe too
    assert "Create my calendar address" in client.get("/profile/").content.decode()
    client.post("/profile/calendar/", {"action": "create"})
    token = CalendarFeed.objects.get(user=people.executive).token
    page = client.get("/profile/").content.decode()
    assert f"http://testserver/calendar/{token}.ics" in page
    client.post("/profile/calendar/", {"action": "rotate"})
    assert CalendarFeed.objects.get(user=people.executive).token != token
    client.post("/profile/calendar/", {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=people.executive).exists()
