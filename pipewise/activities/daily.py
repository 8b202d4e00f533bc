"""Daily activity counts per person and type, so activity KPIs never count millions of rows.

"Activities this year", the activity heat map and activities per rep per week
read ``ActivityDay``: one row per (owner, local day, type) holding how many live
activities it stands for. A manager's team dashboard over a year adds up a few
thousand rows, whether the team logged ten thousand activities or a million.

Every service that changes what an activity counts for (log, edit, delete,
restore) calls ``activity_days_shift`` in its own transaction with the
activity's key before and after. Bulk writers (demo data, benchmark data, the
activity import) call ``activity_days_rebuild``, which recounts the rows from the
activities and is the reference the tests compare the running counts with.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from pipewise.activities.models import Activity, ActivityDay
from pipewise.core.running import running_add, running_shift


class DayKey(NamedTuple):
    """The row one live activity counts in."""

    owner_id: int
    day: datetime.date
    type: str


def day_key(activity: Activity) -> DayKey | None:
    """Where an activity counts (its local day); None once deleted."""
    if activity.deleted_at is not None:
        return None
    return DayKey(activity.owner_id, timezone.localdate(activity.occurred_at), activity.type)


def activity_days_shift(*, before: DayKey | None, after: DayKey | None) -> None:
    """Move one activity from row ``before`` to row ``after`` (either may be None).

    Precondition: inside the transaction that wrote the activity, after the write.
    A drifted count (a write that went around the services) recounts that person's
    rows from the activities (``core.running``).
    """
    running_shift(before=before, after=after, add=_add, rebuild=activity_days_rebuild)


def _add(key: DayKey, sign: int) -> bool:
    rows = ActivityDay.objects.filter(owner_id=key.owner_id, day=key.day, type=key.type)
    return running_add(
        rows,
        sign=sign,
        change={"count": F("count") + sign},
        create=lambda: ActivityDay.objects.create(
            owner_id=key.owner_id, day=key.day, type=key.type, count=1
        ),
    )


@transaction.atomic
def activity_days_rebuild(*, owner_ids: Iterable[int] | None = None) -> int:
    """Recount the rows from the live activities (of ``owner_ids``, or everyone's); rows
    written."""
    rows = ActivityDay.objects.all()
    activities = Activity.objects.all()
    if owner_ids is not None:
        owner_ids = list(owner_ids)
        rows = rows.filter(owner_id__in=owner_ids)
        activities = activities.filter(owner_id__in=owner_ids)
    rows.delete()
    counted = (
        activities.order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("owner_id", "day", "type")
        .annotate(n=Count("id"))
    )
    created = ActivityDay.objects.bulk_create(
        (
            ActivityDay(owner_id=row["owner_id"], day=row["day"], type=row["type"], count=row["n"])
            for row in counted.iterator(chunk_size=2000)
        ),
        batch_size=1000,
    )
    return len(created)
