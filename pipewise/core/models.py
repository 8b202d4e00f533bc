"""Building blocks shared by every business record.

* ``TimeStampedModel``: created/updated timestamps.
* ``RecoverableModel``: soft delete. ``objects`` hides deleted rows, ``all_objects``
  sees them; ``record_delete``/``record_restore`` in ``core.services`` flip the flag.
* ``VersionedModel``: an integer ``version`` bumped by every service write, so a
  second writer holding a stale copy is told instead of silently overwriting.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """Default manager of recoverable records: deleted rows are not there."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class RecoverableModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class BusinessRecord(TimeStampedModel, RecoverableModel, VersionedModel):
    """A record a sales team owns: timestamps, soft delete, version, external id.

    ``external_id`` is the key a customer's other systems (or their spreadsheets)
    use for this record; imports upsert on it.
    """

    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        abstract = True
