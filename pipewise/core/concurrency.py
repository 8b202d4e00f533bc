"""Optimistic locking: detect a second writer holding a stale copy of a record.

Services that change a versioned record call ``lock_current(...)`` inside their
transaction: it locks the row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
runs write transactions one at a time with ``BEGIN IMMEDIATE``) and checks the
version the writer read. ``bump_version`` is then called before ``save()``.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models

STALE_VERSION = (
    "This record was changed by someone else since you opened it "
    "(your version {given}, current {current}). Reload it and apply your change again."
)

M = TypeVar("M", bound=models.Model)


class ConcurrentUpdate(ValidationError):
    """The version a writer read is no longer the current one."""

    def __init__(self, *, given: int, current: int):
        super().__init__(
            {"version": [STALE_VERSION.format(given=given, current=current)]}, code="stale"
        )
        self.given = given
        self.current = current


def lock_current(instance: M, *, expected_version: int | None) -> M:
    """Return a fresh, row-locked copy of ``instance``; refuse a stale version.

    Precondition: called inside ``transaction.atomic()``.
    ``expected_version=None`` means the caller did not read the record first
    (a background job, an import); no check is made.
    """
    model = type(instance)
    fresh = model._base_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise ConcurrentUpdate(given=expected_version, current=fresh.version)
    return fresh


def bump_version(instance: models.Model) -> None:
    instance.version += 1
