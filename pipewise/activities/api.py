"""API for activities and tasks (with to-do items)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from pipewise.activities.choices import NotificationKind
from pipewise.activities.filters import ActivityFilter, TaskFilter
from pipewise.activities.models import Activity, Notification, Task, TodoItem
from pipewise.activities.permissions import (
    access_activity,
    access_task,
    activity_visible_to,
    task_visible_to,
)
from pipewise.activities.selectors import (
    notification_preferences,
    notifications_for,
    unread_count,
)
from pipewise.activities.services import (
    activity_delete,
    activity_log,
    activity_restore,
    activity_update,
    calendar_feed_get_or_create,
    calendar_feed_revoke,
    calendar_feed_rotate,
    notification_mark_read,
    notification_preferences_save,
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
    delete_service = activity_delete
    restore_service = activity_restore
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
            "recurrence",
            "recurs_from",
            "overdue",
            "todos",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "status",
            "created_by",
            "completed_at",
            "recurs_from",
            "created_at",
            "updated_at",
        ]
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


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "subject_type",
            "subject_id",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Unread notifications, counted up to 100.")


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your own in-app notifications, newest first (nobody sees anyone else's)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        notifications = notifications_for(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only unread notifications."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = get_object_or_404(notifications_for(request.user), pk=pk)
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all your notifications read."""
        return Response({"marked": notification_mark_read(user=request.user)})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """The number on the bell."""
        return Response({"unread": unread_count(request.user)})


class NotificationPreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    in_app = serializers.BooleanField(help_text="Show it under the bell.")
    email = serializers.BooleanField(help_text="Send it by email.")


class NotificationPreferenceViewSet(viewsets.ViewSet):
    """Your channels (in-app, email) for each kind of notification."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationPreferenceSerializer
    lookup_field = "kind"
    lookup_value_regex = "[a-z_]+"

    def _rows(self, request):
        return NotificationPreferenceSerializer(notification_preferences(request.user), many=True)

    @extend_schema(responses=NotificationPreferenceSerializer(many=True))
    def list(self, request):
        """Every kind with the channels you chose (or the defaults)."""
        return Response(self._rows(request).data)

    @extend_schema(
        request=NotificationPreferenceSerializer, responses=NotificationPreferenceSerializer
    )
    def update(self, request, kind=None):
        """Choose the channels of one kind."""
        if kind not in NotificationKind.values:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        data = NotificationPreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notification_preferences_save(
            user=request.user,
            choices={kind: (data.validated_data["in_app"], data.validated_data["email"])},
        )
        row = next(r for r in notification_preferences(request.user) if r.kind == kind)
        return Response(NotificationPreferenceSerializer(row).data)


class CalendarFeedUrlSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Subscribe to it in Google Calendar, Outlook, ...")


def feed_url(request, token: str) -> str:
    """The absolute address of a calendar feed."""
    from django.urls import reverse

    return request.build_absolute_uri(reverse("activities:calendar_feed", args=[token]))


class CalendarViewSet(viewsets.ViewSet):
    """Your private iCalendar feed (open tasks with a due date, planned meetings)."""

    permission_classes = [IsAuthenticated]
    serializer_class = CalendarFeedUrlSerializer

    @extend_schema(methods=["get"], responses=CalendarFeedUrlSerializer)
    @extend_schema(methods=["delete"], responses={204: None})
    @action(detail=False, methods=["get", "delete"], url_path="feed-url")
    def feed_url(self, request):
        """GET: your feed's URL (created on first use). DELETE: revoke it."""
        if request.method == "DELETE":
            calendar_feed_revoke(user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        feed = calendar_feed_get_or_create(user=request.user)
        return Response({"url": feed_url(request, feed.token)})

    @extend_schema(request=None, responses=CalendarFeedUrlSerializer)
    @action(detail=False, methods=["post"], url_path="feed-url/rotate")
    def rotate(self, request):
        """Replace your feed's token: the old URL stops working."""
        feed = calendar_feed_rotate(user=request.user)
        return Response({"url": feed_url(request, feed.token)})
