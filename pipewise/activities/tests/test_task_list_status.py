"""The task list's status box: empty means what it shows (open & in progress), on the page
and in the API, which share one FilterSet; a report keeps counting every status."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from pipewise.activities.services import task_complete, task_create
from pipewise.reports.builder import Definition, report_records


def overdue_book(people):
    """Three overdue tasks of the AE (the manager's team): open, in progress and done."""
    late = timezone.now() - datetime.timedelta(days=3)
    open_task = task_create(by=people.ae, title="Late and open", due_at=late)
    working = task_create(by=people.ae, title="Late and started", due_at=late, status="in_progress")
    done = task_create(by=people.ae, title="Late but done", due_at=late)
    task_complete(task=done, by=people.ae)
    return open_task, working, done


def page(user, **params) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/tasks/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_only_open_and_in_progress_tasks_when_the_status_box_is_applied_empty(people):
    overdue_book(people)
    # What the Apply button sends with the status box on its first option.
    html = page(people.manager, scope="team", due="overdue", status="", priority="")
    assert "Late and open" in html and "Late and started" in html
    assert "Late but done" not in html
    assert '<option value="" selected>Open &amp; in progress</option>' in html


def test_it_lists_every_status_when_any_status_is_chosen(people):
    overdue_book(people)
    html = page(people.manager, scope="team", due="overdue", status="any")
    assert "Late and open" in html and "Late but done" in html
    assert '<option value="any" selected>Any status</option>' in html
    done_only = page(people.manager, scope="team", status="done")
    assert "Late but done" in done_only and "Late and open" not in done_only


def test_it_lists_open_work_in_the_api_unless_asked_for_any_status(api, people):
    open_task, working, done = overdue_book(people)
    client = api.as_user(people.manager)

    def listed(**params):
        response = client.get("/api/v1/tasks/", {"assignee": people.ae.pk, **params})
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert listed() == listed(status="") == {open_task.pk, working.pk}
    assert done.pk in listed(status="any")
    assert listed(status="done") == {done.pk}
    # A single task is found by its id whatever its status (the list default is for lists).
    assert client.get(f"/api/v1/tasks/{done.pk}/").status_code == 200
    assert client.get(f"/api/v1/tasks/{done.pk}/history/").status_code == 200


def test_it_answers_a_status_that_does_not_exist_with_a_message_naming_it(api, people):
    response = api.as_user(people.ae).get("/api/v1/tasks/", {"status": "finished"})
    assert response.status_code == 400
    assert "finished" in str(response.json()["status"])


def test_it_keeps_counting_every_status_in_a_report_filtered_on_something_else(people):
    open_task, working, done = overdue_book(people)
    definition = Definition(entity="tasks", filters={"assignee": str(people.ae.pk)})
    counted = set(report_records(definition, viewer=people.admin).values_list("pk", flat=True))
    assert {open_task.pk, working.pk, done.pk} <= counted
