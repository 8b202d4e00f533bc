"""What sellers do: activities (calls, emails, meetings, demos, notes) and tasks with to-dos."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pipewise.activities.choices import ActivityOutcome, ActivityType, TaskPriority, TaskStatus
from pipewise.core.models import BusinessRecord

NEEDS_A_LINK = "Link it to at least one lead, contact, account or opportunity."


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

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_idx"),
            models.Index(fields=["opportunity"], name="task_opp_idx"),
            models.Index(fields=["status", "due_at"], name="task_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.DONE) | Q(completed_at__isnull=False),
                name="task_done_has_completed_at",
            )
        ]

    def __str__(self):
        return self.title

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
