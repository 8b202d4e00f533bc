"""Who sees and changes activities (by owner) and tasks (by assignee or creator)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pipewise.activities.models import Activity, Task
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS, can_change_owned, owner_ids_visible_to


def activity_visible_to(user: User) -> QuerySet[Activity]:
    activities = Activity.objects.all()
    owners = owner_ids_visible_to(user)
    if owners is None:
        return activities
    return activities.filter(owner_id__in=owners)


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
