"""What sellers do: activities (calls, emails, meetings, demos, notes) and tasks with to-dos."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pipewise.activities.choices import (
    ActivityOutcome,
    ActivityType,
    EmailState,
    NotificationKind,
    SubjectType,
    TaskPriority,
    TaskRecurrence,
    TaskStatus,
)
from pipewise.core.models import BusinessRecord

NEEDS_A_LINK = "Link it to at least one lead, contact, account or opportunity."
RECURRING_NEEDS_DUE = "A repeating task needs a due date: the next one is due one period later."


class LinkedRecordMixin(models.Model):
    """Links to the sales records an activity or task is about."""

    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="%(class)ss"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )

    class Meta:
        abstract = True

    @property
    def linked_records(self) -> list:
        return [r for r in (self.opportunity, self.account, self.contact, self.lead) if r]


class Activity(BusinessRecord, LinkedRecordMixin):
    """Something a seller did: a call, email, meeting, demo or note, and how it went."""

    type = models.CharField(max_length=8, choices=ActivityType.choices)
    subject = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=14, choices=ActivityOutcome.choices, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["owner", "occurred_at"], name="activity_owner_idx"),
            models.Index(fields=["opportunity", "occurred_at"], name="activity_opp_idx"),
            models.Index(fields=["account", "occurred_at"], name="activity_account_idx"),
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_idx"),
            models.Index(fields=["contact", "occurred_at"], name="activity_contact_idx"),
        ]

    def __str__(self):
        return f"{self.get_type_display()}: {self.subject}"

    def clean(self):
        super().clean()
        if not any((self.lead_id, self.contact_id, self.account_id, self.opportunity_id)):
            raise ValidationError(NEEDS_A_LINK)


class ActivityDay(models.Model):
    """How many live activities of one type one person logged on one day (company time zone).

    A running count kept by the activity services (``activities.daily``), so activity KPIs
    and dashboards read a few hundred rows per person and year instead of every activity.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    type = models.CharField(max_length=8, choices=ActivityType.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "day", "type"], name="activity_day_unique")
        ]

    def __str__(self):
        return f"{self.owner_id} {self.day} {self.type}: {self.count}"


class Task(BusinessRecord, LinkedRecordMixin):
    """Work to be done by a date, by someone, possibly broken into to-do items."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(
        max_length=6, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(max_length=11, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    recurrence = models.CharField(
        max_length=7,
        choices=TaskRecurrence.choices,
        default=TaskRecurrence.NONE,
        blank=True,
        help_text="Completing a repeating task creates its next occurrence.",
    )
    recurs_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_occurrence",
        editable=False,
        help_text="The occurrence whose completion created this one (at most one next).",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_idx"),
            models.Index(fields=["opportunity"], name="task_opp_idx"),
            models.Index(fields=["status", "due_at"], name="task_status_due_idx"),
            models.Index(fields=["status", "updated_at"], name="task_status_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.DONE) | Q(completed_at__isnull=False),
                name="task_done_has_completed_at",
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.recurrence and not self.due_at:
            raise ValidationError({"due_at": RECURRING_NEEDS_DUE})

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS) and bool(
            self.due_at and self.due_at < now
        )


class TodoItem(models.Model):
    """A step of a task: what to do, the time and resources planned, the result measured."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="todos")
    text = models.CharField(max_length=300)
    planned_minutes = models.PositiveIntegerField(null=True, blank=True)
    resources = models.CharField(max_length=300, blank=True)
    measured_result = models.CharField(max_length=300, blank=True)
    done = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["task", "position", "id"]

    def __str__(self):
        return self.text


class Notification(models.Model):
    """Something a user should know: a task due or overdue, a stalled deal, an assignment.

    One row per (recipient, kind, subject, occasion): the occasion is what makes a
    reminder new (a task's due time, the day a deal entered its stage, a digest's
    date). The unique constraint is what guarantees that a restarted or second
    worker never sends the same reminder twice: writers insert and ignore conflicts.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    occasion = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    in_app = models.BooleanField(default=True, help_text="Shown under the bell.")
    email_state = models.CharField(
        max_length=7, choices=EmailState.choices, default=EmailState.NOT_BY_EMAIL, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "occasion"],
                name="notification_once",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True, in_app=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["id"],
                condition=Q(email_state=EmailState.PENDING),
                name="notification_email_idx",
            ),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's choice of channels (in-app, email) for one kind of notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]

    def __str__(self):
        return f"{self.user}: {self.kind}"


class ScanMark(models.Model):
    """How far a scheduled reminder scan has looked, so the next run reads only what is new.

    Only a speed-up: correctness against double sending comes from
    ``Notification``'s unique constraint, so two workers racing here is harmless.
    """

    rule = models.CharField(max_length=24, unique=True)
    scanned_until = models.DateTimeField()

    def __str__(self):
        return f"{self.rule} until {self.scanned_until:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A user's private iCalendar subscription: the token in the URL is the only key.

    Rotating replaces the token (old subscriptions stop working); revoking deletes it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"
