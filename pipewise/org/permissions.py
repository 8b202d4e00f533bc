"""Who may see and change people and organisation configuration.

Everyone signed in may see the people, teams and territories of the
organisation (to assign work and read reports). Only administrators and sales
operations change them; only administrators change users.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pipewise.org.choices import Role
from pipewise.org.models import User
from pipewise.org.selectors import user_and_reports_ids

ONLY_CONFIGURERS = "Only administrators and sales operations can change the organisation set-up."
ONLY_ADMINS = "Only administrators can change users and roles."
NOT_YOURS = "You can see this record but only its owner, their managers or sales ops change it."


def require_configure(user: User) -> None:
    if not user.can_configure:
        raise PermissionDenied(ONLY_CONFIGURERS)


def require_user_admin(user: User) -> None:
    if not (user.is_superuser or user.has_role(Role.ADMIN)):
        raise PermissionDenied(ONLY_ADMINS)


def owner_ids_visible_to(user: User) -> frozenset[int] | None:
    """Owners whose records ``user`` sees by the reporting-line rule; None = everyone."""
    if user.sees_everything:
        return None
    return user_and_reports_ids(user)


def can_change_owned(user: User, owner_id: int) -> bool:
    """The writing rule for owned records: owner, their managers, admin and sales ops."""
    if user.is_read_only:
        return False
    owners = owner_ids_visible_to(user)
    return owners is None or owner_id in owners
