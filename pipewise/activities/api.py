"""API for activities and tasks (with to-do items)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pipewise.activities.filters import ActivityFilter, TaskFilter
from pipewise.activities.models import Activity, Task, TodoItem
from pipewise.activities.permissions import (
    access_activity,
    access_task,
    activity_visible_to,
    task_visible_to,
)
from pipewise.activities.services import (
    activity_log,
    activity_update,
    task_complete,
    task_create,
    task_set_todos,
    task_update,
)
from pipewise.core.api import RecordViewSet, VisibleRelatedField
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.permissions import lead_visible_to
from pipewise.pipeline.permissions import opportunity_visible_to


class LinkedRecordsSerializer(serializers.ModelSerializer):
    lead = VisibleRelatedField(visible=lead_visible_to, required=False, allow_null=True)
    contact = VisibleRelatedField(visible=contact_visible_to, required=False, allow_null=True)
    account = VisibleRelatedField(visible=account_visible_to, required=False, allow_null=True)
    opportunity = VisibleRelatedField(
        visible=opportunity_visible_to, required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False)


class ActivitySerializer(LinkedRecordsSerializer):
    class Meta:
        model = Activity
        fields = [
            "id",
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
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"owner": {"required": False}}


class ActivityViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Calls, emails, meetings, demos and notes. Visible to their owner and those above."""

    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    search_fields = ["subject"]
    ordering_fields = ["id", "occurred_at"]
    visible = activity_visible_to
    access = access_activity
    create_service = activity_log
    update_service = activity_update
    record_argument = "activity"


class TodoSerializer(serializers.ModelSerializer):
    class Meta:
        model = TodoItem
        fields = ["id", "text", "planned_minutes", "resources", "measured_result", "done"]


class TaskSerializer(LinkedRecordsSerializer):
    todos = TodoSerializer(many=True, required=False)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "external_id",
            "title",
            "description",
            "due_at",
            "priority",
            "status",
            "assignee",
            "created_by",
            "lead",
            "contact",
            "account",
            "opportunity",
            "completed_at",
            "overdue",
            "todos",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["status", "created_by", "completed_at", "created_at", "updated_at"]
        extra_kwargs = {"assignee": {"required": False}}

    def get_overdue(self, task) -> bool:
        return task.is_overdue()


class TaskCompleteSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 409 Conflict."
    )


class TaskViewSet(RecordViewSet, viewsets.ModelViewSet):
    """Work to do by a date, with to-do items. Visible to the assignee, the creator and above."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    search_fields = ["title"]
    ordering_fields = ["id", "due_at", "priority", "created_at"]
    visible = task_visible_to
    access = access_task
    create_service = task_create
    record_argument = "task"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("todos")

    def perform_update(self, serializer):
        task = access_task(self.request.user, serializer.instance.pk, for_write=True)
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        todos = data.pop("todos", None)
        if data:
            task = task_update(
                task=task, by=self.request.user, expected_version=expected_version, **data
            )
            expected_version = None
        if todos is not None:
            task = task_set_todos(
                task=task, by=self.request.user, todos=todos, expected_version=expected_version
            )
        serializer.instance = self.get_queryset().get(pk=task.pk)

    @extend_schema(request=TaskCompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the task done."""
        task = access_task(request.user, pk, for_write=True)
        data = TaskCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = task_complete(
            task=task, by=request.user, expected_version=data.validated_data.get("version")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)
