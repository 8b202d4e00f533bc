"""Who sees and changes activities (by owner) and tasks (by assignee or creator)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pipewise.activities.models import Activity, ActivityDay, Task
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS, can_change_owned, owner_ids_visible_to


def _of_visible_owners(rows: QuerySet, user: User) -> QuerySet:
    owners = owner_ids_visible_to(user)
    return rows if owners is None else rows.filter(owner_id__in=owners)


def activity_visible_to(user: User) -> QuerySet[Activity]:
    return _of_visible_owners(Activity.objects.all(), user)


CARRIED_BY = {
    "account": "lead__account",
    "contact": "lead__contact",
    "opportunity": "lead__opportunities",
}


def carried_over_to(link: str, record) -> QuerySet[Activity]:
    """The activities a lead brought along when it was converted into ``record`` (its
    ``account``, ``contact`` or ``opportunity``): the record's timeline shows them to whoever
    sees the record, whoever logged them (the SDR's work before the hand-off)."""
    return Activity.objects.filter(**{link: record, CARRIED_BY[link]: record})


def activity_days_visible_to(user: User) -> QuerySet[ActivityDay]:
    """The daily counts of the activities ``user`` sees: activities are seen by owner, so
    an owner's counts are all seen or none. Rows counted down to zero stand for nothing."""
    return _of_visible_owners(ActivityDay.objects.filter(count__gt=0), user)


def task_visible_to(user: User) -> QuerySet[Task]:
    tasks = Task.objects.all()
    people = owner_ids_visible_to(user)
    if people is None:
        return tasks
    return tasks.filter(Q(assignee_id__in=people) | Q(created_by_id__in=people))


def access_activity(user: User, pk, *, for_write: bool = False) -> Activity:
    activity = get_object_or_404(activity_visible_to(user), pk=pk)
    if for_write and not can_change_owned(user, activity.owner_id):
        raise PermissionDenied(NOT_YOURS)
    return activity


def access_task(user: User, pk, *, for_write: bool = False) -> Task:
    task = get_object_or_404(task_visible_to(user), pk=pk)
    if for_write and not (
        can_change_owned(user, task.assignee_id)
        or (task.created_by_id and can_change_owned(user, task.created_by_id))
    ):
        raise PermissionDenied(NOT_YOURS)
    return task
