"""One filter set per list (activities, tasks), shared by the web pages and the API."""

import django_filters
from django.utils import timezone

from pipewise.activities.choices import OPEN_TASK_STATUSES, TaskStatus
from pipewise.activities.models import Activity, Task
from pipewise.core.filters import FilterSet, StatusFilter


class ActivityFilter(FilterSet):
    occurred_after = django_filters.DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.DateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = [
            "type",
            "owner",
            "outcome",
            "lead",
            "contact",
            "account",
            "opportunity",
            "external_id",
        ]


class TaskFilter(FilterSet):
    status = StatusFilter(
        choices=TaskStatus.choices,
        open_statuses=OPEN_TASK_STATUSES,
        open_label="Open & in progress",
    )
    due_after = django_filters.DateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.DateTimeFilter(field_name="due_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Open and past its due time"
    )

    class Meta:
        model = Task
        fields = ["priority", "assignee", "lead", "contact", "account", "opportunity"]

    def filter_overdue(self, queryset, name, value):
        overdue = {"status__in": OPEN_TASK_STATUSES, "due_at__lt": timezone.now()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
