"""Repeating tasks: completing one creates the next occurrence, once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from pipewise.activities.models import RECURRING_NEEDS_DUE, Task
from pipewise.activities.services import ALREADY_DONE, next_due, task_complete, task_create


def at(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def test_completing_a_weekly_task_creates_the_next_one_once(sales, people):
    due = timezone.now() + datetime.timedelta(hours=2)
    task = task_create(
        by=people.manager,
        title="Pipeline review",
        assignee=people.ae,
        due_at=due,
        recurrence="weekly",
        opportunity=sales.ae_opp,
        todos=[{"text": "Update close dates", "planned_minutes": 15}],
    )
    task_complete(task=task, by=people.ae)
    with pytest.raises(ValidationError) as error:
        task_complete(task=task, by=people.ae)
    assert ALREADY_DONE in str(error.value)
    [follow] = Task.objects.filter(recurs_from=task)
    assert follow.due_at == due + datetime.timedelta(weeks=1)
    assert (follow.title, follow.assignee, follow.opportunity) == (
        "Pipeline review",
        people.ae,
        sales.ae_opp,
    )
    assert (follow.status, follow.recurrence, follow.created_by) == (
        "open",
        "weekly",
        people.manager,
    )
    assert [(t.text, t.planned_minutes, t.done) for t in follow.todos.all()] == [
        ("Update close dates", 15, False)
    ]
    assert Task.objects.filter(title="Pipeline review").count() == 2


def test_a_task_that_does_not_repeat_has_no_next_one(people):
    task = task_create(by=people.ae, title="Once", due_at=timezone.now())
    task_complete(task=task, by=people.ae)
    assert Task.objects.count() == 1


def test_a_repeating_task_needs_a_due_date(people):
    with pytest.raises(ValidationError) as error:
        task_create(by=people.ae, title="Every day", recurrence="daily")
    assert error.value.message_dict == {"due_at": [RECURRING_NEEDS_DUE]}
    assert Task.objects.count() == 0


def test_the_next_date_skips_periods_already_past_and_keeps_the_day_of_month():
    assert next_due(at(2026, 1, 5, 9), "daily", after=at(2026, 1, 5, 10)) == at(2026, 1, 6, 9)
    assert next_due(at(2026, 1, 5, 9), "daily", after=at(2026, 1, 8, 10)) == at(2026, 1, 9, 9)
    assert next_due(at(2026, 1, 5, 9), "weekly", after=at(2026, 1, 5)) == at(2026, 1, 12, 9)
    assert next_due(at(2026, 1, 31, 9), "monthly", after=at(2026, 1, 31)) == at(2026, 2, 28, 9)
    assert next_due(at(2026, 1, 31, 9), "monthly", after=at(2026, 3, 1)) == at(2026, 3, 31, 9)
    assert next_due(at(2026, 11, 30, 9), "monthly", after=at(2026, 12, 1)) == at(2026, 12, 30, 9)


def test_the_form_and_page_offer_and_show_repetition(people):
    client = Client()
    client.force_login(people.ae)
    response = client.post(
        "/tasks/new/",
        {
            "title": "Forecast call",
            "due_at": "2030-01-07T09:00",
            "priority": "normal",
            "recurrence": "monthly",
            "assignee": people.ae.pk,
        },
    )
    task = Task.objects.get(title="Forecast call")
    assert response.status_code == 302 and task.recurrence == "monthly"
    assert "Repeats" in client.get(f"/tasks/{task.pk}/").content.decode()
    response = client.post(
        "/tasks/new/",
        {"title": "No date", "priority": "normal", "recurrence": "daily", "assignee": people.ae.pk},
    )
    assert RECURRING_NEEDS_DUE in response.content.decode()


def test_the_api_sets_repetition(people, api):
    response = api.as_user(people.ae).post(
        "/api/v1/tasks/",
        {"title": "Weekly report", "due_at": "2030-01-07T09:00:00Z", "recurrence": "weekly"},
    )
    assert response.status_code == 201 and response.json()["recurrence"] == "weekly"
    done = api.as_user(people.ae).post(f"/api/v1/tasks/{response.json()['id']}/complete/")
    assert done.status_code == 200
    follow = Task.objects.get(recurs_from_id=response.json()["id"])
    assert follow.due_at == at(2030, 1, 14, 9).replace(tzinfo=datetime.UTC)
