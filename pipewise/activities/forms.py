"""Web forms for activities, tasks and to-do items (the services do the writing)."""

from __future__ import annotations

import datetime

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from pipewise.activities.choices import ActivityOutcome, ActivityType, TaskPriority, TaskRecurrence
from pipewise.activities.models import Task, TodoItem
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import User
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.web.forms import LookupSelect

LINK_FIELDS = ("opportunity", "account", "contact", "lead")
NEEDS_A_LINK = "Choose the opportunity, account, contact or lead this is about."


def _link_fields(form: forms.Form, user) -> None:
    """The four record links, each limited to what the user may see, with type-ahead lookup."""
    sources = {
        "opportunity": (opportunity_visible_to, "pipeline:lookup"),
        "account": (account_visible_to, "customers:account_lookup"),
        "contact": (contact_visible_to, "customers:contact_lookup"),
        "lead": (lead_visible_to, "leads:lookup"),
    }
    for name, (visible, url_name) in sources.items():
        form.fields[name] = forms.ModelChoiceField(
            queryset=visible(user),
            required=False,
            widget=LookupSelect(lookup_url=reverse_lazy(url_name)),
            label=name.capitalize(),
        )


def _active_people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


class LinkedForm(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _link_fields(self, user)

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in LINK_FIELDS) and not self.errors:
            raise forms.ValidationError(NEEDS_A_LINK)
        return cleaned

    def links(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in LINK_FIELDS}


class ActivityForm(LinkedForm):
    """Log a call, email, meeting, demo or note about a record."""

    type = forms.ChoiceField(choices=ActivityType.choices, initial=ActivityType.CALL)
    subject = forms.CharField(max_length=200)
    outcome = forms.ChoiceField(choices=[("", "—"), *ActivityOutcome.choices], required=False)
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(min_value=0, required=False, label="Minutes")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "type": data["type"],
            "subject": data["subject"],
            "outcome": data.get("outcome") or "",
            "occurred_at": data["occurred_at"],
            "duration_minutes": data.get("duration_minutes"),
            "notes": data.get("notes") or "",
            **self.links(),
        }


class QuickCallForm(LinkedForm):
    """My day's "log a call": who was called (a lead or a contact) about what (a deal or an
    account), and how it went."""

    subject = forms.CharField(max_length=200, initial="Call")
    outcome = forms.ChoiceField(choices=[("", "—"), *ActivityOutcome.choices], required=False)
    duration_minutes = forms.IntegerField(min_value=0, required=False, label="Minutes")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "type": ActivityType.CALL,
            "subject": data["subject"],
            "outcome": data.get("outcome") or "",
            "duration_minutes": data.get("duration_minutes"),
            "notes": data.get("notes") or "",
            **self.links(),
        }


def _end_of_today():
    return timezone.localtime().replace(hour=17, minute=0, second=0, microsecond=0)


class TaskForm(forms.Form):
    """Create or change a task; links are optional for tasks."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    recurrence = forms.ChoiceField(
        choices=TaskRecurrence.choices,
        required=False,
        label="Repeats",
        help_text="Completing it creates the next one, one period later.",
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label="Assigned to")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["assignee"].queryset = _active_people()
        self.fields["assignee"].initial = user.pk
        if not self.is_bound and "due_at" not in self.initial:
            self.fields["due_at"].initial = _end_of_today()
        _link_fields(self, user)

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "due_at": data.get("due_at"),
            "priority": data["priority"],
            "recurrence": data.get("recurrence") or "",
            "assignee": data["assignee"],
            "description": data.get("description") or "",
            **{name: data.get(name) for name in LINK_FIELDS},
        }

    @classmethod
    def for_task(cls, task: Task, *, user, data=None):
        initial = {
            "version": task.version,
            "title": task.title,
            "due_at": timezone.localtime(task.due_at) if task.due_at else None,
            "priority": task.priority,
            "recurrence": task.recurrence,
            "assignee": task.assignee_id,
            "description": task.description,
            **{f"{name}": getattr(task, f"{name}_id") for name in LINK_FIELDS},
        }
        return cls(data, user=user, initial=initial)


class QuickTaskForm(forms.Form):
    """My day's "add a task": a title, a due time, optionally the deal it is for."""

    title = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["due_at"].initial = _end_of_today()
        self.fields["opportunity"] = forms.ModelChoiceField(
            queryset=opportunity_visible_to(user),
            required=False,
            widget=LookupSelect(lookup_url=reverse_lazy("pipeline:lookup")),
            label="Opportunity (optional)",
        )

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "due_at": data["due_at"],
            "priority": data["priority"],
            "opportunity": data.get("opportunity"),
        }


class TodoForm(forms.ModelForm):
    class Meta:
        model = TodoItem
        fields = ["text", "planned_minutes", "resources", "measured_result", "done"]
        labels = {"planned_minutes": "Planned min", "measured_result": "Measured result"}


TodoFormSet = forms.formset_factory(TodoForm, extra=2, can_delete=True)

DUE_CHOICES = [
    ("", "Any time"),
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("today_or_overdue", "Today or overdue"),
    ("week", "Due this week"),
]


def due_window(key: str):
    """The filter on ``due_at`` for a "due" choice of the task list."""
    now = timezone.now()
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    if key == "overdue":
        return {"due_at__lt": now}
    if key == "today":
        return {"due_at__gte": start, "due_at__lt": end}
    if key == "today_or_overdue":
        return {"due_at__lt": end}
    if key == "week":
        week_end = start + datetime.timedelta(days=7 - today.weekday())
        return {"due_at__gte": start, "due_at__lt": week_end}
    return {}
