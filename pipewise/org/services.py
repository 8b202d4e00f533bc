"""Writes to the organisation: people and their roles, teams, territories."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from pipewise.org.choices import TERRITORY_PARENT_LEVEL, Role
from pipewise.org.models import Team, Territory, User, UserRole
from pipewise.org.selectors import user_and_reports_ids

UNKNOWN_ROLE = "Unknown role {role!r}; use one of: {known}."
MANAGER_CYCLE = "{manager} reports (directly or not) to {user}; a reporting line cannot loop."
TERRITORY_LEVEL = "A {level} belongs under a {parent_level}, not under a {got}."
TERRITORY_ROOT = "A {level} needs a parent {parent_level}."


def clean_roles(roles: Iterable[str]) -> list[str]:
    """Role keys from free input (import cells, forms): trimmed, known, without repeats."""
    cleaned = []
    for role in roles:
        role = role.strip()
        if not role:
            continue
        if role not in Role.values:
            raise ValidationError(
                {"roles": UNKNOWN_ROLE.format(role=role, known=", ".join(Role.values))}
            )
        if role not in cleaned:
            cleaned.append(role)
    return cleaned


def _check_manager(user: User, manager: User | None) -> None:
    if manager is None or user.pk is None:
        return
    if manager.pk in user_and_reports_ids(user):
        raise ValidationError({"manager": MANAGER_CYCLE.format(manager=manager, user=user)})


@transaction.atomic
def user_save(
    *,
    user: User | None = None,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    manager: User | None = None,
    team: Team | None = None,
    territories: Iterable[Territory] = (),
    title: str = "",
    password: str | None = None,
) -> User:
    """Create or update a person with their roles, manager, team and territories."""
    role_keys = clean_roles(roles)
    if user is None:
        user = User(username=username)
    else:
        user.username = username
        _check_manager(user, manager)
        if hasattr(user, "_pipewise_subtree_ids"):
            del user._pipewise_subtree_ids
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.manager = manager
    user.team = team
    user.title = title
    if password:
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.user_roles.exclude(role__in=role_keys).delete()
    existing = set(user.user_roles.values_list("role", flat=True))
    UserRole.objects.bulk_create(
        [UserRole(user=user, role=r) for r in role_keys if r not in existing]
    )
    user.territories.set(list(territories))
    user.__dict__.pop("role_keys", None)
    return user


@transaction.atomic
def territory_save(
    *,
    territory: Territory | None = None,
    name: str,
    code: str,
    level: str,
    parent: Territory | None = None,
) -> Territory:
    """Create or update a territory, keeping the region → country → area shape."""
    expected_parent = TERRITORY_PARENT_LEVEL.get(level)
    if expected_parent is None and parent is not None:
        raise ValidationError({"parent": "A region is a root territory and has no parent."})
    if expected_parent is not None and parent is None:
        raise ValidationError(
            {"parent": TERRITORY_ROOT.format(level=level, parent_level=expected_parent)}
        )
    if parent is not None and parent.level != expected_parent:
        raise ValidationError(
            {
                "parent": TERRITORY_LEVEL.format(
                    level=level, parent_level=expected_parent, got=parent.level
                )
            }
        )
    territory = territory or Territory()
    territory.name, territory.code, territory.level, territory.parent = name, code, level, parent
    territory.full_clean()
    territory.save()
    return territory


@transaction.atomic
def team_save(
    *,
    team: Team | None = None,
    name: str,
    manager: User | None = None,
    territory: Territory | None = None,
) -> Team:
    """Create or update a sales team."""
    team = team or Team()
    team.name, team.manager, team.territory = name, manager, territory
    team.full_clean()
    team.save()
    return team
