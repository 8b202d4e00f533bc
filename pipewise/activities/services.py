"""Writes to activities, tasks and their to-do items."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pipewise.activities.choices import OPEN_TASK_STATUSES, TaskStatus
from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.services import record_create, record_update
from pipewise.org.models import User

ACTIVITY_FIELDS = frozenset(
    {
        "external_id",
        "type",
        "subject",
        "notes",
        "outcome",
        "occurred_at",
        "duration_minutes",
        "owner",
        "lead",
        "contact",
        "account",
        "opportunity",
        "created_at",
    }
)
TASK_FIELDS = frozenset(
    {
        "external_id",
        "title",
        "description",
        "due_at",
        "priority",
        "assignee",
        "lead",
        "contact",
        "account",
        "opportunity",
        "created_at",
        "status",
    }
)
EDITABLE_TASK_FIELDS = TASK_FIELDS - {"status"}
TODO_FIELDS = ("text", "planned_minutes", "resources", "measured_result", "done")
ALREADY_DONE = "This task is already done."
TASK_CLOSED = "This task is {status}; reopen it before changing its to-dos."


@transaction.atomic
def activity_log(*, by: User, **fields) -> Activity:
    """Record something a seller did (a call, an email, a meeting, a demo, a note)."""
    fields.setdefault("owner", by)
    return record_create(Activity, by=by, fields=fields, allowed=ACTIVITY_FIELDS)


@transaction.atomic
def activity_update(
    *, activity: Activity, by: User, expected_version: int | None = None, **changes
) -> Activity:
    """Correct a logged activity."""
    return record_update(
        record=activity,
        by=by,
        expected_version=expected_version,
        changes=changes,
        allowed=ACTIVITY_FIELDS,
    )


def _todo(task: Task, position: int, item: dict) -> TodoItem:
    todo = TodoItem(
        task=task, position=position, **{k: v for k, v in item.items() if k in TODO_FIELDS}
    )
    try:
        todo.full_clean()
    except ValidationError as exc:
        raise ValidationError({f"todos[{position}]": exc.messages}) from exc
    return todo


@transaction.atomic
def task_create(*, by: User | None, todos: Iterable[dict] = (), **fields) -> Task:
    """Give someone work to do by a date, optionally broken into to-do items."""
    fields.setdefault("assignee", by)
    if fields.get("status") == TaskStatus.DONE:
        fields.setdefault("completed_at", timezone.now())
    task = Task(created_by=by)
    for name, value in fields.items():
        if name not in TASK_FIELDS | {"completed_at"}:
            raise ValidationError(f"Unknown task field: {name}.")
        setattr(task, name, value)
    task._history_user = by
    task.full_clean()
    task.save()
    TodoItem.objects.bulk_create([_todo(task, i, item) for i, item in enumerate(todos)])
    return task


@transaction.atomic
def task_update(*, task: Task, by: User, expected_version: int | None = None, **changes) -> Task:
    """Re-assign, re-schedule or re-word a task."""
    return record_update(
        record=task,
        by=by,
        expected_version=expected_version,
        changes=changes,
        allowed=EDITABLE_TASK_FIELDS,
    )


@transaction.atomic
def task_set_todos(
    *, task: Task, by: User, todos: Iterable[dict], expected_version: int | None = None
) -> Task:
    """Replace a task's to-do items (text, planned time, resources, measured result, done)."""
    fresh = lock_current(task, expected_version=expected_version)
    if fresh.status not in OPEN_TASK_STATUSES:
        raise ValidationError(TASK_CLOSED.format(status=fresh.get_status_display().lower()))
    items = [_todo(fresh, i, item) for i, item in enumerate(todos)]
    fresh.todos.all().delete()
    TodoItem.objects.bulk_create(items)
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    return fresh


@transaction.atomic
def task_complete(*, task: Task, by: User, expected_version: int | None = None) -> Task:
    """Mark a task done (its open to-do items are left as they are, for the record)."""
    fresh = lock_current(task, expected_version=expected_version)
    if fresh.status == TaskStatus.DONE:
        raise ValidationError({"status": ALREADY_DONE})
    fresh.status = TaskStatus.DONE
    fresh.completed_at = timezone.now()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    return fresh


@transaction.atomic
def todo_set_done(
    *, todo: TodoItem, by: User, done: bool, measured_result: str | None = None
) -> TodoItem:
    """Tick (or untick) one to-do item, optionally noting the result measured."""
    todo.done = done
    if measured_result is not None:
        todo.measured_result = measured_result
    todo.full_clean()
    todo.save(update_fields=["done", "measured_result"])
    return todo
