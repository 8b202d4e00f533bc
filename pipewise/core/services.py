"""Writes shared by every recoverable business record: delete and restore."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.models import RecoverableModel

ALREADY_DELETED = "This record is already deleted."
NOT_DELETED = "This record is not deleted."


@transaction.atomic
def record_delete(*, record: RecoverableModel, by, expected_version: int | None = None):
    """Soft-delete a business record; it disappears from every list and can be restored.

    The history row (django-simple-history) keeps who deleted it and when.
    """
    fresh = lock_current(record, expected_version=expected_version)
    if fresh.deleted_at is not None:
        raise ValidationError(ALREADY_DELETED)
    fresh.deleted_at = timezone.now()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save(update_fields=["deleted_at", "version", "updated_at"])
    return fresh


@transaction.atomic
def record_restore(*, record: RecoverableModel, by):
    """Bring a soft-deleted record back, as it was when deleted."""
    fresh = lock_current(record, expected_version=None)
    if fresh.deleted_at is None:
        raise ValidationError(NOT_DELETED)
    fresh.deleted_at = None
    bump_version(fresh)
    fresh._history_user = by
    fresh.save(update_fields=["deleted_at", "version", "updated_at"])
    return fresh


UNKNOWN_FIELDS = "These fields cannot be changed here: {fields}."


def record_create(model, *, by, fields: dict, allowed: frozenset[str]):
    """Validate and insert a business record from ``fields`` (a checked subset of its fields)."""
    _refuse_unknown(fields, allowed)
    record = model(**fields)
    record._history_user = by
    record.full_clean()
    record.save()
    return record


def record_update(
    *, record, by, expected_version: int | None, changes: dict, allowed: frozenset[str]
):
    """Apply ``changes`` to a business record, refusing a stale version.

    Precondition: called inside ``transaction.atomic()`` (the row stays locked
    until the caller's transaction ends, so follow-up writes see this version).
    """
    _refuse_unknown(changes, allowed)
    fresh = lock_current(record, expected_version=expected_version)
    for name, value in changes.items():
        setattr(fresh, name, value)
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean()
    fresh.save()
    return fresh


def _refuse_unknown(fields: dict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError(UNKNOWN_FIELDS.format(fields=", ".join(unknown)))


@transaction.atomic
def configuration_save(*, instance, values: dict):
    """Create or change a plain configuration row (segment, product, ...) after validation."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance
