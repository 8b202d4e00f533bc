"""Reads for notifications, preferences, digests and the calendar feed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from pipewise.activities.choices import (
    DIGEST_COUNT_CAP,
    DIGEST_ITEMS,
    EMAIL_BY_DEFAULT,
    OPEN_TASK_STATUSES,
    ActivityType,
    NotificationKind,
    TaskStatus,
)
from pipewise.activities.models import Activity, Notification, NotificationPreference, Task
from pipewise.activities.permissions import task_visible_to
from pipewise.leads.choices import LeadStatus
from pipewise.leads.models import Lead
from pipewise.org.models import User
from pipewise.org.selectors import user_and_reports_ids
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.pipeline.selectors import stalled_condition

UNREAD_SHOWN = 99
"""The bell counts up to this many unread notifications, then shows "99+"."""

CALENDAR_TASKS = 2000
"""Most open tasks a calendar feed lists (the ones due soonest first)."""


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first (only ever their own)."""
    return Notification.objects.filter(recipient=user, in_app=True).order_by("-id")


def unread_count(user: User) -> int:
    """Unread in-app notifications, up to ``UNREAD_SHOWN + 1``: one query reading at most
    100 ids from a partial index (no COUNT over everything the user ever received)."""
    unread = Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True)
    return len(unread.values_list("pk", flat=True)[: UNREAD_SHOWN + 1])


@dataclass
class ChannelChoice:
    """One row of the preferences page: a kind and its channels."""

    kind: str
    label: str
    in_app: bool
    email: bool


def notification_preferences(user: User) -> list[ChannelChoice]:
    """The user's channels for every kind (saved choice, else the default)."""
    saved = {pref.kind: pref for pref in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind in NotificationKind:
        pref = saved.get(kind.value)
        rows.append(
            ChannelChoice(
                kind=kind.value,
                label=kind.label,
                in_app=pref.in_app if pref else True,
                email=pref.email if pref else kind in EMAIL_BY_DEFAULT,
            )
        )
    return rows


def _team_ids(manager: User) -> list[int]:
    return sorted(user_and_reports_ids(manager) - {manager.pk})


def team_overdue_tasks(*, manager: User, now: datetime.datetime) -> tuple[list[Task], int]:
    """The team's open tasks past their due time that the manager may see: the oldest
    ``DIGEST_ITEMS`` and how many there are (counted up to ``DIGEST_COUNT_CAP + 1``)."""
    tasks = task_visible_to(manager).filter(
        assignee_id__in=_team_ids(manager), status__in=OPEN_TASK_STATUSES, due_at__lt=now
    )
    listed = list(tasks.select_related("assignee").order_by("due_at", "pk")[:DIGEST_ITEMS])
    return listed, _capped_count(tasks)


def team_stalled_opportunities(*, manager: User, now: datetime.datetime) -> tuple[list, int]:
    """The team's open deals longer in their stage than expected that the manager may see:
    the longest-stalled ``DIGEST_ITEMS`` and how many there are (up to the cap + 1)."""
    deals = opportunity_visible_to(manager).filter(
        stalled_condition(now),
        owner_id__in=_team_ids(manager),
        status=OpportunityStatus.OPEN,
    )
    listed = list(
        deals.select_related("owner", "stage").order_by("stage_entered_at", "pk")[:DIGEST_ITEMS]
    )
    return listed, _capped_count(deals)


def _capped_count(queryset) -> int:
    """How many rows, up to ``DIGEST_COUNT_CAP + 1`` (reads ids, stops there: no COUNT(*))."""
    return len(queryset.order_by().values_list("pk", flat=True)[: DIGEST_COUNT_CAP + 1])


def calendar_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks with a due date, for their calendar feed."""
    return (
        Task.objects.filter(assignee=user, status__in=OPEN_TASK_STATUSES, due_at__isnull=False)
        .select_related("opportunity", "account")
        .order_by("due_at", "pk")[:CALENDAR_TASKS]
    )


def calendar_meetings(user: User, *, now: datetime.datetime) -> QuerySet[Activity]:
    """The user's planned meetings (meetings dated from now on), for their calendar feed."""
    return (
        Activity.objects.filter(owner=user, type=ActivityType.MEETING, occurred_at__gte=now)
        .select_related("opportunity", "account")
        .order_by("occurred_at", "pk")
    )


@dataclass
class TaskEvent:
    """One line of a task's story: created, re-assigned, re-scheduled, completed, ..."""

    at: datetime.datetime
    by: str
    what: str


def first_contacts_due(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Leads still waiting for their first contact: new, and nothing logged on them yet,
    oldest first (the order they came in). There is no response-time SLA yet, so how long
    a lead has waited is its assignment age."""
    contacted = Activity.objects.filter(lead=OuterRef("pk"))
    return leads.filter(status=LeadStatus.NEW).filter(~Exists(contacted)).order_by("id")


def task_timeline(task: Task, *, limit: int = 50) -> list[TaskEvent]:
    """Who created, re-assigned, re-scheduled, completed (or re-opened) the task, newest
    first, from its change history (one query for the rows, one for the people named)."""
    rows = list(task.history.select_related("history_user").order_by("history_date", "history_id"))
    if not rows:  # written in bulk (demo, raw import): tell what the task itself knows
        by = str(task.created_by) if task.created_by_id else "system"
        events = [TaskEvent(at=task.created_at, by=by, what=f"Created for {task.assignee}")]
        if task.completed_at:
            events.insert(0, TaskEvent(at=task.completed_at, by="—", what="Completed"))
        return events
    people = {
        user.pk: str(user) for user in User.objects.filter(pk__in={row.assignee_id for row in rows})
    }
    events = []
    previous = None
    for row in rows:
        by = str(row.history_user) if row.history_user else "system"
        for what in _task_changes(previous, row, people):
            events.append(TaskEvent(at=row.history_date, by=by, what=what))
        previous = row
    return list(reversed(events))[:limit]


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}" if moment else "no date"


def _task_changes(old, new, people: dict[int, str]) -> list[str]:
    if old is None:
        due = f", due {_when(new.due_at)}" if new.due_at else ""
        origin = " (next occurrence of a repeating task)" if new.recurs_from_id else ""
        return [f"Created for {people.get(new.assignee_id, '?')}{due}{origin}"]
    changes = []
    if old.assignee_id != new.assignee_id:
        changes.append(
            f"Re-assigned from {people.get(old.assignee_id, '?')} "
            f"to {people.get(new.assignee_id, '?')}"
        )
    if old.due_at != new.due_at:
        changes.append(f"Re-scheduled from {_when(old.due_at)} to {_when(new.due_at)}")
    if old.status != new.status:
        if new.status == TaskStatus.DONE:
            changes.append("Completed")
        else:
            changes.append(f"Status {TaskStatus(new.status).label.lower()}")
    if old.deleted_at != new.deleted_at:
        changes.append("Deleted" if new.deleted_at else "Restored")
    if not changes and (old.title, old.priority) != (new.title, new.priority):
        changes.append("Details changed")
    return changes
