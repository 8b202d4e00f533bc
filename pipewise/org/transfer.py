"""Import and export of the people of the sales organisation (``pipewise import users``).

A users file sets up or syncs the team: who they are, their roles, whom they
report to, their team and territories. Rows are keyed by ``username``; they are
written through ``user_save``, so the same rules hold as in the admin screens
(known roles, no reporting loops). A manager may be a person defined further
down the same file: everyone is saved first, then the reporting lines are set.
Imported people get no password (they set one through "forgot password" or an
administrator sets it).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from pipewise.core.transfer import (
    Column,
    ImportContext,
    NamedReference,
    Row,
    ServiceKind,
    UserReference,
    register,
    stable,
    text_list,
)
from pipewise.org.choices import Role
from pipewise.org.models import Team, Territory, User
from pipewise.org.services import clean_roles, user_save

UNKNOWN_MANAGER = "no user has the username or e-mail {key!r} (nor does a row of this file)"
ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}


@register
class UserKind(ServiceKind):
    """People: username, contact details, roles, manager, team and territories."""

    name = "users"
    noun = "user"
    model = User
    key_column = "username"
    non_field_column = "username"
    order = 10
    exports_instances = True  # roles and territories: several values per person
    columns = (
        Column("username"),
        Column("email"),
        Column("first_name"),
        Column("last_name"),
        Column("roles", parse=text_list, field=""),
        Column("manager", field=""),
        Column("team", reference=NamedReference(Team, "name", "team")),
        Column(
            "territories",
            parse=text_list,
            reference=NamedReference(Territory, "code", "territory"),
            many=True,
            field="",
        ),
        Column("title"),
    )

    # --- export ------------------------------------------------------------------------
    def queryset(self, user=None):
        """Everyone signed in may see the organisation's people (see ``org.permissions``)."""
        return User.objects.all()

    def for_export(self, queryset):
        related = queryset.select_related("manager", "team")
        return stable(related.prefetch_related("user_roles", "territories"))

    def to_row(self, user: User) -> list:
        roles = sorted((r.role for r in user.user_roles.all()), key=ROLE_ORDER.get)
        return [
            user.username,
            user.email,
            user.first_name,
            user.last_name,
            roles,
            user.manager.username if user.manager_id else "",
            user.team.name if user.team_id else "",
            sorted(territory.code for territory in user.territories.all()),
            user.title,
        ]

    # --- import ------------------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        ctx.scratch["usernames"] = set()
        ctx.scratch["managers"] = []
        ctx.scratch["pending"] = []

    def find_existing(self, keys, fields=()):
        users = User.objects.filter(username__in=set(keys)).select_related("manager", "team")
        return {user.username: user for user in users.prefetch_related("user_roles", "territories")}

    def check_row(self, row: Row, existing, ctx: ImportContext) -> None:
        ctx.scratch["usernames"].add(row.values["username"])
        if "roles" in row.values:
            try:
                row.values["roles"] = clean_roles(row.values["roles"])
            except ValidationError as exc:
                ctx.validation_error(row, exc)
        if "manager" in row.values:
            ctx.scratch["managers"].append((row.number, row.values["manager"]))

    def finish_check(self, ctx: ImportContext) -> None:
        """A manager is a known person or someone this file defines (maybe further down)."""
        in_file = ctx.scratch["usernames"]
        unknown = {key for _, key in ctx.scratch["managers"] if key not in in_file}
        if not unknown:
            return
        people = UserReference()
        _, problems = people.resolve(unknown)
        for number, key in ctx.scratch["managers"]:
            if key in problems:
                message = problems[key]
                if message.startswith("no user"):
                    message = UNKNOWN_MANAGER.format(key=key)
                ctx.problem(number, "manager", message)

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> None:
        existing = self.find_existing(row.values["username"] for row in rows)
        teams = self.column("team").reference
        territories = self.column("territories").reference
        for row in rows:
            current = existing.get(row.values["username"])
            values = row.values
            arguments = {
                "username": values["username"],
                "email": values.get("email", current.email if current else ""),
                "first_name": values.get("first_name", current.first_name if current else ""),
                "last_name": values.get("last_name", current.last_name if current else ""),
                "title": values.get("title", current.title if current else ""),
                "roles": values.get("roles", _roles(current)),
                "team": (
                    teams.instances([values["team"]])[values["team"]]
                    if "team" in values
                    else (current.team if current else None)
                ),
                "territories": (
                    list(territories.instances(values["territories"]).values())
                    if "territories" in values
                    else (list(current.territories.all()) if current else [])
                ),
            }
            manager_key = values.get("manager")
            keeps_manager = manager_key is None or _is_person(
                current and current.manager, manager_key
            )
            if current is not None and keeps_manager and _unchanged(current, arguments):
                ctx.result.unchanged += 1
                continue
            try:
                with transaction.atomic():
                    user = user_save(
                        user=current,
                        manager=(current.manager if current else None) if keeps_manager else None,
                        **arguments,
                    )
            except ValidationError as exc:
                ctx.validation_error(row, exc)
                continue
            if current is None:
                ctx.result.created += 1
            else:
                ctx.result.updated += 1
            if not keeps_manager:
                ctx.scratch["pending"].append((row, user.pk, arguments, manager_key))

    def finish_write(self, ctx: ImportContext) -> None:
        """Set the reporting lines once everyone in the file exists."""
        people = UserReference()
        pending = ctx.scratch["pending"]
        ids, _ = people.resolve({key for *_, key in pending})
        for row, pk, arguments, key in pending:
            if key not in ids:
                continue  # reported in pass 1
            user = User.objects.get(pk=pk)
            try:
                with transaction.atomic():
                    user_save(user=user, manager=User.objects.get(pk=ids[key]), **arguments)
            except ValidationError as exc:
                ctx.validation_error(row, exc)


def _roles(user: User | None) -> list[str]:
    if user is None:
        return []
    return sorted((r.role for r in user.user_roles.all()), key=ROLE_ORDER.get)


def _is_person(user: User | None, key: str) -> bool:
    if user is None:
        return False
    lowered = key.lower()
    return user.username.lower() == lowered or (user.email or "").lower() == lowered


def _unchanged(user: User, arguments: dict) -> bool:
    return (
        user.email == arguments["email"]
        and user.first_name == arguments["first_name"]
        and user.last_name == arguments["last_name"]
        and user.title == arguments["title"]
        and set(_roles(user)) == set(arguments["roles"])
        and user.team_id == (arguments["team"].pk if arguments["team"] else None)
        and {t.pk for t in user.territories.all()} == {t.pk for t in arguments["territories"]}
    )
