"""API plumbing shared by every app: permission, pagination, errors, history."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pipewise.core.concurrency import ConcurrentUpdate
from pipewise.core.permissions import READ_ONLY_ROLE
from pipewise.core.services import record_delete, record_restore

IN_USE = "Other records still use this one, so it cannot be deleted; change them first."


def exception_handler(exc, context):
    """Turn model/service validation errors into 400s with field-level messages.

    A stale version answers 409 Conflict, and so does deleting a row that other
    records still use; a Django ``PermissionDenied`` 403.
    """
    if isinstance(exc, ConcurrentUpdate):
        return Response(exc.message_dict, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Response({"detail": IN_USE}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                ("non_field_errors" if k == "__all__" else k): v
                for k, v in exc.message_dict.items()
            }
        else:
            data = {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or READ_ONLY_ROLE}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    type = serializers.CharField(help_text="created, changed or deleted")
    by = serializers.CharField(allow_null=True)
    changes = serializers.DictField(help_text="field: [old, new]")


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_UNDIFFED = frozenset({"updated_at", "version"})


def history_changes(record, limit: int = 200) -> list[dict]:
    """The change history of ``record``, newest first, with the values as stored: each
    entry's ``changes`` is a list of (field, old, new), ``by`` the user (or None). The API
    prints it as is (``history_entries``); the web page names what the ids point to."""
    rows = list(
        record.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    entries = []
    for index, row in enumerate(rows[:limit]):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        entries.append(
            {
                "history_id": row.history_id,
                "at": row.history_date,
                "type": HISTORY_TYPES.get(row.history_type, row.history_type),
                "by": row.history_user,
                "changes": [] if previous is None else _changes(previous, row),
            }
        )
    return entries


def history_entries(record, limit: int = 200) -> list[dict]:
    """The change history of ``record``, newest first, each entry with its diff."""
    return [
        {
            **entry,
            "by": entry["by"].get_username() if entry["by"] else None,
            "changes": {
                field.name: [_plain(before), _plain(after)]
                for field, before, after in entry["changes"]
            },
        }
        for entry in history_changes(record, limit)
    ]


def _changes(old, new) -> list[tuple]:
    """(field, old, new) for every tracked field that differs, including those no form
    edits (status, stage dates, deleted_at), which ``diff_against`` leaves out."""
    changes = []
    for field in new.tracked_fields:
        if field.name in HISTORY_UNDIFFED:
            continue
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before != after:
            changes.append((field, before, after))
    return changes


def _plain(value):
    return None if value is None else str(value)


class RecordActionsMixin:
    """History, soft delete and restore for viewsets of recoverable records.

    The viewset's ``get_queryset`` applies visibility, so ``get_object`` answers
    404 for records the user may not see.
    """

    # Ids are numbers: anything else is not a route (actions look records up by
    # ``pk`` themselves, and a non-numeric one would fail inside the query).
    lookup_value_regex = "[0-9]+"

    def perform_destroy(self, instance):
        self.check_write_access(instance)
        self.delete_record(instance)

    def delete_record(self, record):
        record_delete(record=record, by=self.request.user)

    def restore_record(self, record):
        return record_restore(record=record, by=self.request.user)

    def check_write_access(self, instance):
        """Overridden per entity: raise PermissionDenied when the user may read only."""

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The change history of this record (who changed which field, when)."""
        record = self.get_object()
        return Response(HistoryEntrySerializer(history_entries(record), many=True).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Restore a deleted record (admins and sales ops)."""
        if not request.user.sees_everything or request.user.is_read_only:
            raise Http404
        model = self.get_queryset().model
        record = model.all_objects.filter(pk=pk).first()
        if record is None:
            raise Http404
        record = self.restore_record(record)
        return Response(self.get_serializer(record).data)


@extend_schema_field(OpenApiTypes.INT)
class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A link to another record, limited to the records the requesting user may see.

    An id the user may not see gets the same answer as an id that does not exist.
    """

    def __init__(self, *, visible, **kwargs):
        self.visible = visible
        kwargs.setdefault("queryset", None)
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.visible(self.context["request"].user)

    def use_pk_only_optimization(self):
        return True


class RecordViewSet(RecordActionsMixin):
    """A viewset over business records whose writes go through services.

    Subclasses set ``visible`` (user → queryset), ``access`` (user, pk,
    for_write → record), ``create_service`` and ``update_service``.
    """

    visible = None
    access = None
    create_service = None
    update_service = None
    # Where an entity's delete or restore does more than flip the flag (totals, ...).
    delete_service = None
    restore_service = None
    record_argument = "record"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return self.get_serializer_class().Meta.model.objects.none()
        return type(self).visible(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = type(self).create_service(by=self.request.user, **data)

    def perform_update(self, serializer):
        record = type(self).access(self.request.user, serializer.instance.pk, for_write=True)
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        serializer.instance = type(self).update_service(
            by=self.request.user,
            expected_version=expected_version,
            **{self.record_argument: record},
            **data,
        )

    def delete_record(self, record):
        if self.delete_service is None:
            return super().delete_record(record)
        return type(self).delete_service(by=self.request.user, **{self.record_argument: record})

    def restore_record(self, record):
        if self.restore_service is None:
            return super().restore_record(record)
        return type(self).restore_service(by=self.request.user, **{self.record_argument: record})

    def check_write_access(self, instance):
        type(self).access(self.request.user, instance.pk, for_write=True)

    def filter_queryset(self, queryset):
        """The list's filters, with their defaults (a list shows the open work), narrow the
        list; a single record is found by its id alone, whatever its status."""
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)
