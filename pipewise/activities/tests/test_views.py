"""Task and activity pages: lists, complete in place, to-dos, quick forms on My day."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipewise.activities.models import Activity, Task
from pipewise.activities.services import task_create


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_tasks_and_my_teams_tasks(sales, people):
    mine = signed_in(people.ae).get("/tasks/").content.decode()
    assert "Send proposal" in mine and "Call back" not in mine
    team = signed_in(people.manager).get("/tasks/", {"scope": "team"}).content.decode()
    assert "Send proposal" in team and "Call back" not in team


def test_due_filters(sales, people):
    now = timezone.now()
    task_create(by=people.ae, title="Late one", due_at=now - datetime.timedelta(days=2))
    task_create(by=people.ae, title="Next month", due_at=now + datetime.timedelta(days=40))
    client = signed_in(people.ae)
    overdue = client.get("/tasks/", {"due": "overdue"}).content.decode()
    assert "Late one" in overdue and "Next month" not in overdue and "2 days late" in overdue
    linked = client.get("/tasks/", {"opportunity": sales.ae_opp.pk}).content.decode()
    assert "Send proposal" in linked and "Late one" not in linked


def test_the_task_list_costs_the_same_for_more_rows(sales, people):
    client = signed_in(people.ae)
    client.get("/tasks/")
    with CaptureQueriesContext(connection) as few:
        client.get("/tasks/")
    for index in range(30):
        task_create(
            by=people.ae, title=f"T{index}", opportunity=sales.ae_opp, due_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/tasks/")
    assert len(many) == len(few)


def test_completing_in_place_with_htmx(sales, people):
    task = sales.ae_task
    response = signed_in(people.ae).post(
        f"/tasks/{task.pk}/complete/", {"version": task.version}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "is-done" in response.content.decode()
    assert "Done:" in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.status == "done"


def test_completing_twice_says_so(sales, people):
    client = signed_in(people.ae)
    client.post(f"/tasks/{sales.ae_task.pk}/complete/", {"version": sales.ae_task.version})
    again = client.post(f"/tasks/{sales.ae_task.pk}/complete/", {}, HTTP_HX_REQUEST="true")
    assert "already done" in again.content.decode()


def test_another_reps_task_is_not_found(sales, people):
    client = signed_in(people.ae)
    assert client.get(f"/tasks/{sales.other_task.pk}/").status_code == 404
    assert client.post(f"/tasks/{sales.other_task.pk}/complete/").status_code == 404


def test_todo_items_with_planned_time_and_results(sales, people):
    task = sales.ae_task
    client = signed_in(people.ae)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Draft pricing" in page and "60 min planned" in page
    response = client.post(
        f"/tasks/{task.pk}/todos/",
        {
            "version": task.version,
            "todos-TOTAL_FORMS": "2",
            "todos-INITIAL_FORMS": "1",
            "todos-0-text": "Draft pricing",
            "todos-0-planned_minutes": "45",
            "todos-0-resources": "Price list 2026",
            "todos-0-measured_result": "3 options",
            "todos-0-done": "on",
            "todos-1-text": "Review with manager",
            "todos-1-planned_minutes": "15",
        },
    )
    assert response.status_code == 302
    todos = list(task.todos.order_by("position"))
    assert [(t.text, t.planned_minutes, t.done) for t in todos] == [
        ("Draft pricing", 45, True),
        ("Review with manager", 15, False),
    ]
    assert todos[0].resources == "Price list 2026" and todos[0].measured_result == "3 options"
    toggled = client.post(f"/todos/{todos[1].pk}/toggle/", {"done": "on"})
    assert toggled.status_code == 200 and "checked" in toggled.content.decode()


def test_quick_call_logs_an_activity(sales, people):
    client = signed_in(people.ae)
    response = client.post(
        "/activities/quick-call/",
        {
            "call-subject": "Pricing call",
            "call-outcome": "connected",
            "call-opportunity": sales.ae_opp.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Call logged" in response.content.decode()
    assert Activity.objects.filter(
        subject="Pricing call", type="call", opportunity=sales.ae_opp
    ).exists()


def test_quick_call_needs_a_record(sales, people):
    response = signed_in(people.ae).post(
        "/activities/quick-call/", {"call-subject": "Lonely call"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Choose the opportunity, account, contact or lead" in response.content.decode()
    assert not Activity.objects.filter(subject="Lonely call").exists()


def test_quick_call_cannot_link_an_invisible_record(sales, people):
    response = signed_in(people.ae).post(
        "/activities/quick-call/",
        {"call-subject": "Sneaky", "call-opportunity": sales.other_opp.pk},
    )
    assert response.status_code == 422
    assert not Activity.objects.filter(subject="Sneaky").exists()


def test_quick_task(sales, people):
    response = signed_in(people.ae).post(
        "/activities/quick-task/",
        {
            "task-title": "Send the contract",
            "task-due_at": "2030-01-02T10:00",
            "task-priority": "high",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    task = Task.objects.get(title="Send the contract")
    assert task.assignee == people.ae and task.priority == "high"


def test_task_form_explains_errors(people):
    response = signed_in(people.ae).post(
        "/tasks/new/", {"title": "", "priority": "normal", "assignee": people.ae.pk}
    )
    assert "This field is required." in response.content.decode()


def test_activity_form_logs_and_returns(sales, people):
    client = signed_in(people.ae)
    response = client.post(
        f"/activities/new/?next=/opportunities/{sales.ae_opp.pk}/",
        {
            "type": "meeting",
            "subject": "On-site visit",
            "occurred_at": "2026-01-05T10:00",
            "opportunity": sales.ae_opp.pk,
            "next": f"/opportunities/{sales.ae_opp.pk}/",
        },
    )
    assert response["Location"] == f"/opportunities/{sales.ae_opp.pk}/"
    assert Activity.objects.filter(subject="On-site visit", owner=people.ae).exists()


def test_executives_do_not_log_calls(sales, people):
    response = signed_in(people.executive).post("/activities/quick-call/", {})
    assert response.status_code == 403


def test_completing_a_row_of_the_task_list(sales, people):
    client = signed_in(people.manager)
    page = client.get("/tasks/", {"scope": "team"}).content.decode()
    assert 'name="layout" value="table"' in page and "Assignee" in page
    response = client.post(
        f"/tasks/{sales.ae_task.pk}/complete/",
        {"version": sales.ae_task.version, "layout": "table", "show_assignee": "1"},
        HTTP_HX_REQUEST="true",
    )
    row = response.content.decode()
    assert row.lstrip().startswith("<tr") and "bi-check-circle-fill" in row
    assert str(people.ae) in row
