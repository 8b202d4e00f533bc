"""Writes to activities, tasks and their to-do items."""

from __future__ import annotations

import calendar
import datetime
import functools
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pipewise.activities.choices import (
    DIGEST_COUNT_CAP,
    DIGEST_HOUR,
    DIGEST_OVERDUE_LIST,
    DIGEST_STALLED_LIST,
    DUE_SOON_LEAD_TIME,
    EMAIL_BY_DEFAULT,
    FIRST_SCAN_LOOKBACK,
    OPEN_TASK_STATUSES,
    SCAN_SECONDS_PER_RUN,
    EmailState,
    NotificationKind,
    SubjectType,
    TaskRecurrence,
    TaskStatus,
)
from pipewise.activities.daily import activity_days_shift, day_key
from pipewise.activities.models import (
    Activity,
    CalendarFeed,
    Notification,
    NotificationPreference,
    ScanMark,
    Task,
    TodoItem,
)
from pipewise.activities.selectors import team_overdue_tasks, team_stalled_opportunities
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.running import counted_delete, counted_restore
from pipewise.core.services import record_create, record_update
from pipewise.org.models import User
from pipewise.pipeline.choices import OpportunityStatus, StageKind
from pipewise.pipeline.models import Opportunity, Stage
from pipewise.pipeline.selectors import stalled_condition

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
        "recurrence",
    }
)
EDITABLE_TASK_FIELDS = TASK_FIELDS - {"status"}
TODO_FIELDS = ("text", "planned_minutes", "resources", "measured_result", "done")
ALREADY_DONE = "This task is already done."
TASK_CLOSED = "This task is {status}; reopen it before changing its to-dos."


def _with_account(fields: dict, current: Activity | None = None) -> dict:
    """An activity on a deal or a contact is also about their account, so activity KPIs
    can be counted by account, territory and segment. An account given is kept."""
    account = fields.get("account", current.account if current else None)
    if account is not None:
        return fields
    for link in ("opportunity", "contact"):
        record = fields.get(link, getattr(current, link) if current else None)
        if record is not None and record.account_id:
            return {**fields, "account": record.account}
    return fields


@transaction.atomic
def activity_log(*, by: User, **fields) -> Activity:
    """Record something a seller did (a call, an email, a meeting, a demo, a note)."""
    fields.setdefault("owner", by)
    activity = record_create(Activity, by=by, fields=_with_account(fields), allowed=ACTIVITY_FIELDS)
    activity_days_shift(before=None, after=day_key(activity))
    return activity


@transaction.atomic
def activity_update(
    *, activity: Activity, by: User, expected_version: int | None = None, **changes
) -> Activity:
    """Correct a logged activity."""
    before = day_key(lock_current(activity, expected_version=expected_version))
    updated = record_update(
        record=activity,
        by=by,
        expected_version=expected_version,
        changes=_with_account(changes, activity) if changes else changes,
        allowed=ACTIVITY_FIELDS,
    )
    activity_days_shift(before=before, after=day_key(updated))
    return updated


@transaction.atomic
def activity_delete(
    *, activity: Activity, by: User, expected_version: int | None = None
) -> Activity:
    """Soft-delete an activity: it leaves the timeline and every activity figure."""
    return counted_delete(
        record=activity,
        by=by,
        expected_version=expected_version,
        key=day_key,
        shift=activity_days_shift,
    )


@transaction.atomic
def activity_restore(*, activity: Activity, by: User) -> Activity:
    """Bring a deleted activity back, into the figures it left."""
    return counted_restore(record=activity, by=by, key=day_key, shift=activity_days_shift)


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
    notify_on_assign(record=task, by=by, assignee=task.assignee, previous_id=None)
    return task


@transaction.atomic
def task_update(*, task: Task, by: User, expected_version: int | None = None, **changes) -> Task:
    """Re-assign, re-schedule or re-word a task."""
    notify_on_assign(record=task, by=by, assignee=changes.get("assignee"))
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
    """Mark a task done (its open to-do items are left as they are, for the record).

    A repeating task gets its next occurrence, once: it is due one period after
    this one (skipping periods already past), with the same links and to-do texts.
    """
    fresh = lock_current(task, expected_version=expected_version)
    if fresh.status == TaskStatus.DONE:
        raise ValidationError({"status": ALREADY_DONE})
    fresh.status = TaskStatus.DONE
    fresh.completed_at = timezone.now()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    if fresh.recurrence and fresh.due_at:
        _task_next_occurrence(task=fresh, by=by)
    return fresh


TASK_NOT_OPEN = "This task is already {status}."


@transaction.atomic
def task_cancel(
    *, task: Task, by: User | None, note: str, expected_version: int | None = None
) -> Task:
    """Cancel a task nobody needs to do any more, saying why at the end of its description.

    Used when the deal it prepared was won or lost, or reopened; the history row
    keeps who cancelled it and when.
    """
    fresh = lock_current(task, expected_version=expected_version)
    if fresh.status not in OPEN_TASK_STATUSES:
        raise ValidationError(
            {"status": TASK_NOT_OPEN.format(status=fresh.get_status_display().lower())}
        )
    fresh.status = TaskStatus.CANCELLED
    fresh.description = f"{fresh.description}\n\n{note}".strip()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    return fresh


def next_due(due_at: datetime.datetime, recurrence: str, *, after: datetime.datetime):
    """The first date of the series (``due_at`` + k periods, k >= 1) later than ``after``."""
    step = 1
    while True:
        if recurrence == TaskRecurrence.DAILY:
            candidate = due_at + datetime.timedelta(days=step)
        elif recurrence == TaskRecurrence.WEEKLY:
            candidate = due_at + datetime.timedelta(weeks=step)
        else:
            candidate = _add_months(due_at, step)
        if candidate > after:
            return candidate
        step += 1


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """Same day of the month ``months`` later, clamped to the month's last day (31 → 30)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None).replace(year=year, month=month, day=day)
    return timezone.make_aware(naive, local.tzinfo)


def _task_next_occurrence(*, task: Task, by: User | None) -> Task | None:
    if Task.all_objects.filter(recurs_from=task).exists():
        return None
    follow = Task(
        title=task.title,
        description=task.description,
        priority=task.priority,
        assignee_id=task.assignee_id,
        created_by_id=task.created_by_id,
        lead_id=task.lead_id,
        contact_id=task.contact_id,
        account_id=task.account_id,
        opportunity_id=task.opportunity_id,
        recurrence=task.recurrence,
        recurs_from=task,
        due_at=next_due(task.due_at, task.recurrence, after=task.completed_at),
    )
    follow._history_user = by
    follow.full_clean()
    follow.save()
    TodoItem.objects.bulk_create(
        TodoItem(
            task=follow,
            text=todo.text,
            planned_minutes=todo.planned_minutes,
            resources=todo.resources,
            position=todo.position,
        )
        for todo in task.todos.all()
    )
    return follow


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


# --- notifications ---------------------------------------------------------------

logger = logging.getLogger(__name__)

SCAN_OVERLAP = datetime.timedelta(minutes=5)
"""Edits are re-read this far back, so a change committed late is not missed (the
unique constraint makes the overlap free of duplicates)."""

SUBJECT_URLS = {
    SubjectType.TASK: "activities:task_detail",
    SubjectType.OPPORTUNITY: "pipeline:detail",
    SubjectType.LEAD: "leads:detail",
}
ASSIGNABLE = {
    # model label: (subject type, field holding the person responsible)
    "activities.task": (SubjectType.TASK, "assignee"),
    "pipeline.opportunity": (SubjectType.OPPORTUNITY, "owner"),
    "leads.lead": (SubjectType.LEAD, "owner"),
}


def subject_url(subject_type: str, subject_id: int) -> str:
    """The page of a notification's subject (empty for a team digest)."""
    pattern = _subject_url_pattern(subject_type)
    return pattern.format(subject_id) if pattern else ""


@functools.cache
def _subject_url_pattern(subject_type: str) -> str:
    """``/tasks/{}/``: ``reverse`` once per type, not once per row of a 10 000-row scan."""
    name = SUBJECT_URLS.get(subject_type)
    marker = 987654321
    return reverse(name, args=[marker]).replace(str(marker), "{}") if name else ""


def channels_for(kind: str, user_ids: Iterable[int]) -> dict[int, tuple[bool, bool]]:
    """(in-app, email) per user for one kind: their saved choice, else the default."""
    user_ids = list(user_ids)
    default = (True, kind in EMAIL_BY_DEFAULT)
    chosen = {
        user_id: (in_app, email)
        for user_id, in_app, email in NotificationPreference.objects.filter(
            kind=kind, user_id__in=user_ids
        ).values_list("user_id", "in_app", "email")
    }
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


@dataclass
class Pending:
    """A notification about to be written (one per recipient, kind, subject, occasion)."""

    recipient_id: int
    subject_type: str
    subject_id: int
    occasion: str
    title: str
    body: str = ""


def notifications_write(*, kind: str, items: list[Pending], now: datetime.datetime) -> int:
    """Insert the notifications of one kind, ignoring any already written (same occasion).

    Every occasion gets its row even when the recipient turned both channels off:
    the row is what tells the next scan (or a second worker) that it was handled.
    Returns how many rows are new.
    """
    if not items:
        return 0
    channels = channels_for(kind, {item.recipient_id for item in items})
    # One order for every writer, so two workers inserting the same rows wait, not deadlock.
    items = sorted(items, key=lambda i: (i.recipient_id, i.subject_type, i.subject_id, i.occasion))
    at = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for item in items:
        in_app, email = channels[item.recipient_id]
        rows.append(
            (
                item.recipient_id,
                kind,
                item.subject_type,
                item.subject_id,
                item.occasion,
                item.title[:300],
                item.body,
                subject_url(item.subject_type, item.subject_id),
                in_app,
                EmailState.PENDING if email else EmailState.NOT_BY_EMAIL,
                at,
            )
        )
    return _insert_ignoring_duplicates(rows)


INSERT_BATCH = 2000  # rows per executemany
NOTIFICATION_COLUMNS = (
    "recipient_id",
    "kind",
    "subject_type",
    "subject_id",
    "occasion",
    "title",
    "body",
    "url",
    "in_app",
    "email_state",
    "created_at",
)


def _insert_ignoring_duplicates(rows: list[tuple]) -> int:
    """``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite alike), ``executemany``.

    Raw because a first scan may write tens of thousands of rows and ``bulk_create``
    spends most of its time compiling them; the conflict is the ``notification_once``
    unique constraint. Returns how many rows were new.
    """
    table = Notification._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in NOTIFICATION_COLUMNS)
    values = ", ".join(["%s"] * len(NOTIFICATION_COLUMNS))
    sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])
            written += max(cursor.rowcount, 0)
    return written


def notify_on_assign(*, record, by: User | None, assignee: User | None, previous_id=0) -> None:
    """After the caller's transaction commits, tell ``assignee`` a record is now theirs.

    Called by the create/update services of tasks, leads and opportunities with the
    new owner (None when it does not change). ``previous_id`` is the owner before the
    change: by default the one ``record`` holds; None for a record being created.
    Assigning to oneself, or to whoever already has it, says nothing.
    """
    if assignee is None or (by is not None and assignee.pk == by.pk):
        return
    subject_type, field_name = ASSIGNABLE[record._meta.label_lower]
    if previous_id == 0:
        previous_id = getattr(record, f"{field_name}_id")
    if assignee.pk == previous_id:
        return
    model, pk, by_id = type(record), record.pk, by.pk if by else None
    transaction.on_commit(
        lambda: notification_record_assigned(
            model=model, pk=pk, by_id=by_id, subject_type=subject_type, field_name=field_name
        )
    )


def notification_record_assigned(*, model, pk, by_id, subject_type, field_name) -> int:
    """Write "assigned to you" for the record's current owner (one per record version)."""
    record = model.objects.filter(pk=pk).first()  # deleted meanwhile: nothing to say
    if record is None:
        return 0
    owner_id, version = getattr(record, f"{field_name}_id"), record.version
    by = User.objects.filter(pk=by_id).first() if by_id else None
    label = SubjectType(subject_type).label
    return notifications_write(
        kind=NotificationKind.ASSIGNED,
        items=[
            Pending(
                recipient_id=owner_id,
                subject_type=subject_type,
                subject_id=pk,
                occasion=f"v{version}",
                title=f"{label} assigned to you: {record}",
                body=f"{by} assigned this {str(label).lower()} to you." if by else "",
            )
        ],
        now=timezone.now(),
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them (``notification_id`` None)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_save(*, user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Save the user's channels per kind: {kind: (in_app, email)}."""
    unknown = sorted(set(choices) - set(NotificationKind.values))
    if unknown:
        raise ValidationError({"kind": f"Unknown kind of notification: {', '.join(unknown)}."})
    for kind, (in_app, email) in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )


EMAILS_PER_RUN = 500
"""Emails claimed per batch (the mail job loops over batches until none is waiting)."""


def notification_send_emails(*, limit: int = EMAILS_PER_RUN) -> int:
    """Send a batch of the notifications waiting for email, each at most once.

    Rows are claimed (marked sent) in a transaction before the mail goes out, so two
    workers never send the same one; a failed send is marked failed, not retried.
    Returns how many were sent (0: nothing is waiting).
    """
    with transaction.atomic():
        waiting = Notification.objects.filter(email_state=EmailState.PENDING).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True, of=("self",))
        batch = list(waiting.select_related("recipient")[:limit])
        Notification.objects.filter(pk__in=[n.pk for n in batch]).update(
            email_state=EmailState.SENT
        )
    if not batch:
        return 0
    failed = [n.pk for n in batch if not n.recipient.email]  # nowhere to send it
    with get_connection() as mail:
        for notification in batch:
            address = notification.recipient.email
            if not address:
                continue
            try:
                EmailMessage(
                    subject=f"[Pipewise] {notification.title}",
                    body=_email_body(notification),
                    to=[address],
                    connection=mail,
                ).send()
            except Exception:
                logger.exception("Notification %s could not be emailed", notification.pk)
                failed.append(notification.pk)
    if failed:
        Notification.objects.filter(pk__in=failed).update(email_state=EmailState.FAILED)
    return len(batch) - len(failed)


def _email_body(notification: Notification) -> str:
    base = getattr(settings, "PIPEWISE_BASE_URL", "").rstrip("/")
    parts = [notification.title, "", notification.body]
    if notification.url:
        parts += ["", f"{base}{notification.url}"]
    parts += ["", "Choose which notifications you get by email on your preferences page."]
    return "\n".join(parts).strip() + "\n"


# --- the scheduled scan ------------------------------------------------------------


@dataclass
class ScanReport:
    """What one run of the reminder scan wrote, per kind (new rows only)."""

    written: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.written.values())


def reminders_scan(*, now: datetime.datetime | None = None) -> ScanReport:
    """The every-minute job: due-soon and overdue tasks, stalled deals, passed close dates,
    managers' daily digests. Emails are sent apart (``notification_send_emails``), so a
    slow mail server never holds up the scan.

    Each rule reads only what may have changed since its last run (its ``ScanMark``,
    with a few minutes' overlap) and inserts-or-ignores, so it costs the same on a
    big database and never sends the same reminder twice, even with two workers.
    """
    now = now or timezone.now()
    report = ScanReport()
    scan_started = time.monotonic()
    rules = [
        (NotificationKind.TASK_DUE_SOON, _scan_due_soon),
        (NotificationKind.TASK_OVERDUE, _scan_overdue),
        (NotificationKind.OPPORTUNITY_STALLED, _scan_stalled),
        (NotificationKind.CLOSE_DATE_PASSED, _scan_close_date_passed),
    ]
    for kind, rule in rules:
        started = time.monotonic()
        try:
            with transaction.atomic():
                since = _scan_since(kind, now)
                items = rule(since, now)
                report.written[kind] = notifications_write(kind=kind, items=items, now=now)
                ScanMark.objects.update_or_create(rule=kind, defaults={"scanned_until": now})
        except DatabaseError:  # a deadlock with another worker: nothing half-written
            logger.exception("Reminder rule %s failed; it runs again next minute.", kind)
            report.written[kind] = 0
        report.seconds[kind] = time.monotonic() - started
    started = time.monotonic()
    left = SCAN_SECONDS_PER_RUN - (started - scan_started)
    report.written[NotificationKind.TEAM_DIGEST] = digests_send(now=now, seconds=left)
    report.seconds[NotificationKind.TEAM_DIGEST] = time.monotonic() - started
    logger.info(
        "Reminder scan: %s",
        ", ".join(
            f"{kind} {report.written[kind]} new in {report.seconds[kind]:.2f}s"
            for kind in report.written
        ),
    )
    return report


def _scan_since(rule: str, now: datetime.datetime) -> datetime.datetime:
    mark = ScanMark.objects.filter(rule=rule).values_list("scanned_until", flat=True).first()
    return min(mark, now) if mark else now - FIRST_SCAN_LOOKBACK


def _open_tasks():
    return Task.objects.filter(status__in=OPEN_TASK_STATUSES)


def _task_items(tasks, title: str) -> list[Pending]:
    rows = tasks.values_list("pk", "assignee_id", "title", "due_at").order_by()
    return [
        Pending(
            recipient_id=assignee_id,
            subject_type=SubjectType.TASK,
            subject_id=pk,
            occasion=due_at.isoformat(),
            title=title.format(title=name, due=timezone.localtime(due_at)),
        )
        for pk, assignee_id, name, due_at in rows
    ]


def _crossed_or_edited(*, in_window: Q, crossed: Q, since: datetime.datetime):
    """Open tasks in a due window that crossed into it since the last run, or were edited
    since (a new due date, a new assignee): two index range reads, not a table scan."""
    tasks = _open_tasks().filter(in_window)
    edited = tasks.filter(~crossed, updated_at__gt=since - SCAN_OVERLAP)
    return tasks.filter(crossed).union(edited, all=True)


def _scan_due_soon(since, now) -> list[Pending]:
    """Open tasks due within the lead time from now, not yet overdue (one per due time)."""
    tasks = _crossed_or_edited(
        in_window=Q(due_at__gte=now, due_at__lte=now + DUE_SOON_LEAD_TIME),
        crossed=Q(due_at__gt=since + DUE_SOON_LEAD_TIME),
        since=since,
    )
    return _task_items(tasks, "Task due soon: {title} (due {due:%a %d %b %H:%M})")


def _scan_overdue(since, now) -> list[Pending]:
    """Open tasks whose due time has passed (one reminder per due time)."""
    tasks = _crossed_or_edited(
        in_window=Q(due_at__lt=now), crossed=Q(due_at__gte=since), since=since
    )
    return _task_items(tasks, "Task overdue: {title} (was due {due:%a %d %b %H:%M})")


def stage_limits() -> dict[int, int]:
    """Expected days per open stage (the stage's own figure, else the default)."""
    stages = Stage.objects.filter(kind=StageKind.OPEN).only("pk", "expected_days")
    return {stage.pk: stage.expected_duration for stage in stages}


def _open_opportunities():
    return Opportunity.objects.filter(status=OpportunityStatus.OPEN)


def _scan_stalled(since, now) -> list[Pending]:
    """Open deals whose time in stage passed the stage's expected duration since last run."""
    limits = stage_limits()
    rows = (
        _open_opportunities()
        .filter(stalled_condition(now, since=since))
        .values_list("pk", "owner_id", "name", "stage_id", "stage__name", "stage_entered_at")
        .order_by()
    )
    return [
        Pending(
            recipient_id=owner_id,
            subject_type=SubjectType.OPPORTUNITY,
            subject_id=pk,
            occasion=f"{stage_id}@{entered:%Y%m%dT%H%M%S}",
            title=f"Stalled: {name} has been in {stage} for over {limits[stage_id]} days",
        )
        for pk, owner_id, name, stage_id, stage, entered in rows
    ]


def _scan_close_date_passed(since, now) -> list[Pending]:
    """Open deals whose expected close date is now in the past (one per close date)."""
    today = timezone.localdate(now)
    first = timezone.localdate(since)
    passed = _open_opportunities().filter(close_date__lt=today)
    crossed = passed.filter(close_date__gte=first)
    # Edited since: read from the change history (indexed by date), not a table scan.
    history = passed.model.history.model.objects.filter(history_date__gt=since - SCAN_OVERLAP)
    edited = passed.filter(pk__in=history.values("id"), close_date__lt=first)
    rows = crossed.union(edited, all=True).values_list("pk", "owner_id", "name", "close_date")
    return [
        Pending(
            recipient_id=owner_id,
            subject_type=SubjectType.OPPORTUNITY,
            subject_id=pk,
            occasion=close_date.isoformat(),
            title=f"Close date passed: {name} was expected to close on {close_date:%d %b %Y}",
        )
        for pk, owner_id, name, close_date in rows.order_by()
    ]


def digests_send(*, now: datetime.datetime, seconds: float = SCAN_SECONDS_PER_RUN) -> int:
    """Each manager's daily digest of their team's overdue tasks and stalled deals.

    Sent once per local day, from ``DIGEST_HOUR`` on (a worker that was down at
    that hour sends it when it comes back). It lists only what the manager may see.
    Stops after ``seconds`` (but always does one manager); the others get theirs on the
    next run, so one run stays short however many managers there are.
    """
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR:
        return 0
    occasion = local.date().isoformat()
    done = Notification.objects.filter(
        kind=NotificationKind.TEAM_DIGEST, occasion=occasion
    ).values_list("recipient_id", flat=True)
    managers = (
        User.objects.filter(is_active=True, reports__is_active=True)
        .exclude(pk__in=done)
        .distinct()
        .order_by("pk")
    )
    written = 0
    started = time.monotonic()
    for manager in list(managers):
        if written and time.monotonic() - started > seconds:
            break
        title, body = digest_compose(manager=manager, now=now)
        written += notifications_write(
            kind=NotificationKind.TEAM_DIGEST,
            items=[
                Pending(
                    recipient_id=manager.pk,
                    subject_type=SubjectType.TEAM,
                    subject_id=manager.pk,
                    occasion=occasion,
                    title=title,
                    body=body,
                )
            ],
            now=now,
        )
    return written


def digest_compose(*, manager: User, now: datetime.datetime) -> tuple[str, str]:
    """The title and text of a manager's digest (visible records of their team only).

    Each record carries the address of its page, and each section the address of the
    list holding all of it (the team's overdue tasks, the stalled deals); dates carry
    their year (a deal stalled since last year says so).
    """
    overdue, overdue_count = team_overdue_tasks(manager=manager, now=now)
    stalled, stalled_count = team_stalled_opportunities(manager=manager, now=now)
    overdue_shown, stalled_shown = _shown(overdue_count), _shown(stalled_count)
    base = settings.PIPEWISE_BASE_URL.rstrip("/")
    title = (
        f"Team digest {timezone.localdate(now):%d %b %Y}: "
        f"{overdue_shown} overdue task{'s' if overdue_count != 1 else ''}, "
        f"{stalled_shown} stalled deal{'s' if stalled_count != 1 else ''}"
    )
    lines = [f"Overdue tasks ({overdue_shown}):"]
    lines += [
        f"- {task.title} — {task.assignee}, due {timezone.localtime(task.due_at):%d %b %Y %H:%M}: "
        f"{base}{subject_url(SubjectType.TASK, task.pk)}"
        for task in overdue
    ] or ["- none"]
    if overdue:
        lines.append(f"All of them: {base}{reverse('activities:task_list')}?{DIGEST_OVERDUE_LIST}")
    lines += ["", f"Stalled deals ({stalled_shown}):"]
    lines += [
        f"- {opp.name} — {opp.owner}, in {opp.stage.name} since "
        f"{timezone.localtime(opp.stage_entered_at):%d %b %Y}: "
        f"{base}{subject_url(SubjectType.OPPORTUNITY, opp.pk)}"
        for opp in stalled
    ] or ["- none"]
    if stalled:
        lines.append(f"All of them: {base}{reverse('pipeline:list')}?{DIGEST_STALLED_LIST}")
    return title, "\n".join(lines)


def _shown(count: int) -> str:
    return f"{DIGEST_COUNT_CAP}+" if count > DIGEST_COUNT_CAP else str(count)


# --- calendar feed -----------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    """The user's private calendar feed, created with a fresh token on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> CalendarFeed:
    """Give the feed a new token: subscriptions with the old URL stop working."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=user, defaults={"token": _new_token()}
    )
    if not created:
        feed.token = _new_token()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> bool:
    """Switch the feed off: its URL answers 404 until the user asks for a new one."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_touch(*, feed: CalendarFeed, at: datetime.datetime) -> None:
    """Note when a calendar last fetched the feed (shown on the profile page)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=at)
