"""Reads about the organisation: reporting lines and the territory tree.

These are the building blocks of every visibility rule: "a manager sees own
records and those of everyone below them", "a rep sees the accounts of their
territories". Both are walked with one recursive query and cached on the user
object for the rest of the request.
"""

from __future__ import annotations

from django.db import connection

from pipewise.org.models import Territory, User


def _walk_down(table: str, parent_column: str, start_ids: list[int]) -> set[int]:
    """Ids of ``start_ids`` and everything below them in a self-referencing tree."""
    if not start_ids:
        return set()
    placeholders = ", ".join(["%s"] * len(start_ids))
    sql = (
        f"WITH RECURSIVE below(id) AS ("
        f" SELECT id FROM {table} WHERE id IN ({placeholders})"
        f" UNION SELECT t.id FROM {table} t JOIN below b ON t.{parent_column} = b.id"
        f") SELECT id FROM below"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, start_ids)
        return {row[0] for row in cursor.fetchall()}


def user_and_reports_ids(user: User) -> frozenset[int]:
    """The user plus everyone below them in the reporting line, transitively."""
    cached = getattr(user, "_pipewise_subtree_ids", None)
    if cached is None:
        cached = frozenset(_walk_down(User._meta.db_table, "manager_id", [user.pk]))
        user._pipewise_subtree_ids = cached
    return cached


def territory_and_descendant_ids(territory_ids: list[int]) -> frozenset[int]:
    return frozenset(_walk_down(Territory._meta.db_table, "parent_id", list(territory_ids)))


def user_territory_ids(user: User) -> frozenset[int]:
    """The user's territories and every territory inside them (a region holds its countries)."""
    cached = getattr(user, "_pipewise_territory_ids", None)
    if cached is None:
        own = list(user.territories.values_list("id", flat=True))
        cached = territory_and_descendant_ids(own)
        user._pipewise_territory_ids = cached
    return cached


def user_list():
    """Everyone in the organisation, with what a people list shows."""
    return (
        User.objects.select_related("manager", "team")
        .prefetch_related("user_roles", "territories")
        .order_by("username")
    )


def territory_path(territory: Territory) -> list[Territory]:
    """From the root region down to ``territory``."""
    path = [territory]
    while path[0].parent_id:
        path.insert(0, path[0].parent)
    return path
