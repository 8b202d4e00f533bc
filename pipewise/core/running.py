"""Running counts kept beside big tables: the write rule every such table shares.

A running-count table (``pipeline.StageTotal``, ``activities.ActivityDay``) has
one row per key with a ``count`` (and maybe sums). The service that writes a
record moves the record from the row of its old key to the row of its new key,
in the same transaction; a rebuild recounts the rows of some owners from the
records and is the reference the tests compare with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from pipewise.core.concurrency import lock_current
from pipewise.core.services import record_delete, record_restore

log = logging.getLogger(__name__)


class OwnedKey(Protocol):
    owner_id: int


def running_add(rows: QuerySet, *, sign: int, change: dict[str, Any], create: Callable) -> bool:
    """Count one record in (``sign`` 1) or out (-1) of the row ``rows`` selects.

    ``change`` holds the ``F()`` updates, ``create`` inserts the row for a first
    record. One ``UPDATE`` statement per change, so concurrent writers queue on
    the row's lock instead of losing a count. False when counting out of a row
    that does not exist (or is already at zero): the counts drifted.
    """
    if rows.filter(count__gte=1 if sign < 0 else 0).update(**change):
        return True
    if sign < 0:
        return False
    try:
        with transaction.atomic():
            create()
    except IntegrityError:  # another transaction created the row first
        rows.update(**change)
    return True


def running_shift(
    *,
    before: OwnedKey | None,
    after: OwnedKey | None,
    add: Callable[[Any, int], bool],
    rebuild: Callable[..., int],
) -> None:
    """Move one record from the row of ``before`` to the row of ``after`` (either may be
    None: created, deleted). A missing row on the way down means a write went around the
    services: the rows of the owners involved are rebuilt from the records instead."""
    if before == after:
        return
    if before is not None and not add(before, -1):
        owners: Iterable[int] = {before.owner_id} | ({after.owner_id} if after else set())
        log.warning("running counts drifted for owners %s: rebuilding", sorted(owners))
        rebuild(owner_ids=owners)
        return
    if after is not None:
        add(after, 1)


@transaction.atomic
def counted_delete(*, record, by, expected_version: int | None, key: Callable, shift: Callable):
    """Soft-delete a record that a running table counts, and count it out of its row
    (``key``: the record's row key, ``shift``: the table's move)."""
    before = key(lock_current(record, expected_version=expected_version))
    deleted = record_delete(record=record, by=by, expected_version=expected_version)
    shift(before=before, after=None)
    return deleted


@transaction.atomic
def counted_restore(*, record, by, key: Callable, shift: Callable):
    """Bring a deleted record back, into the running table's row it left."""
    restored = record_restore(record=record, by=by)
    shift(before=None, after=key(restored))
    return restored
