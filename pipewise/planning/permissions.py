"""Who sees and changes targets, seasonality profiles and sales plans.

Admin, sales ops and executives see every target. Everyone else sees the targets
of the people they see by the reporting line (a rep their own, a manager their
whole line), the targets of their own team and of the teams managed by someone in
their line, and the targets of the customer accounts owned by the people they see.
Targets without a person, team or account (a territory, product line, segment,
channel or the company) are organisation-level: sales managers see them too.

Targets are set by sales ops and admins, and by managers for the people, teams and
accounts (by the account's owner) below them — never by a rep for themselves, nor by a
manager for their own quota.
Sales plans follow their owner: the owner and everyone above them see it; the owner
writes it, their managers review it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pipewise.org.choices import QUOTA_ROLES, Role
from pipewise.org.models import User
from pipewise.org.permissions import owner_ids_visible_to
from pipewise.planning.models import Ramp, SalesPlan, SeasonalityProfile, Target

NOT_YOUR_TARGET = (
    "Targets are set by sales operations, and by managers for the people and teams below them."
)
ONLY_PLANNERS = "Only administrators, sales operations and sales managers change this."
NOT_YOUR_PLAN = "Only the plan's owner changes it."
NOT_THEIR_MANAGER = "Only a manager above the plan's owner (or sales ops) reviews it."


def _sees_org_targets(user: User) -> bool:
    return user.sees_everything or user.has_role(Role.SALES_MANAGER)


def can_use_targets(user: User) -> bool:
    """The targets pages are for roles that carry a quota and for those who see every
    target; marketing has none (the pages answer 404 for it)."""
    return user.sees_everything or user.has_role(*QUOTA_ROLES)


def target_visible_to(user: User) -> QuerySet[Target]:
    targets = Target.objects.all()
    if not can_use_targets(user):
        return targets.none()
    owners = owner_ids_visible_to(user)
    if owners is None:
        return targets
    visible = Q(user_id__in=owners)
    visible |= Q(team__manager_id__in=owners)
    # An account's target is seen by whoever sees the targets of the account's owner.
    visible |= Q(user__isnull=True, team__isnull=True, account__owner_id__in=owners)
    if user.team_id:
        visible |= Q(team_id=user.team_id)
    if _sees_org_targets(user):
        visible |= Q(user__isnull=True, team__isnull=True, account__isnull=True)
    return targets.filter(visible)


def can_set_target(user: User, *, person: User | None, team=None, account=None) -> bool:
    """May ``user`` set a target for ``person`` / ``team`` / ``account`` (None, None, None =
    organisation level)? An account's target is set by whoever sets its owner's targets."""
    if user.is_read_only:
        return False
    if user.can_configure:
        return True
    below = owner_ids_visible_to(user) - {user.pk}
    if person is not None:
        return person.pk in below
    if team is not None:
        return team.manager_id is not None and team.manager_id in below | {user.pk}
    if account is not None:
        return account.owner_id in below
    return False


def people_planned_by(user: User) -> QuerySet[User]:
    """The active people whose targets (and ramps) ``user`` sets: everyone for admins and
    sales ops, the people below them for a manager, nobody for anyone else."""
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name")
    if user.is_read_only:
        return people.none()
    owners = owner_ids_visible_to(user)
    if user.can_configure or owners is None:
        return people
    return people.filter(pk__in=owners - {user.pk})


def access_target(user: User, pk, *, for_write: bool = False) -> Target:
    target = get_object_or_404(target_visible_to(user).select_related("team", "account"), pk=pk)
    if for_write and not can_set_target(
        user, person=target.user, team=target.team, account=target.account
    ):
        raise PermissionDenied(NOT_YOUR_TARGET)
    return target


def profile_visible_to(user: User) -> QuerySet[SeasonalityProfile]:
    """Seasonality is an organisation-wide planning input: everyone signed in reads it."""
    return SeasonalityProfile.objects.all()


def require_planner(user: User) -> None:
    """Profiles and ramps are changed by admins, sales ops and sales managers."""
    if user.is_read_only or not (user.can_configure or user.has_role(Role.SALES_MANAGER)):
        raise PermissionDenied(ONLY_PLANNERS)


def access_profile(user: User, pk, *, for_write: bool = False) -> SeasonalityProfile:
    profile = get_object_or_404(profile_visible_to(user), pk=pk)
    if for_write:
        require_planner(user)
    return profile


def plan_visible_to(user: User) -> QuerySet[SalesPlan]:
    plans = SalesPlan.objects.all()
    owners = owner_ids_visible_to(user)
    if owners is None:
        return plans
    return plans.filter(owner_id__in=owners)


def can_review_plan(user: User, plan: SalesPlan) -> bool:
    if user.is_read_only or plan.owner_id == user.pk:
        return False
    owners = owner_ids_visible_to(user)
    return owners is None or plan.owner_id in owners


def access_plan(user: User, pk, *, for_write: bool = False) -> SalesPlan:
    plan = get_object_or_404(plan_visible_to(user).select_related("owner"), pk=pk)
    if for_write and (user.is_read_only or plan.owner_id != user.pk):
        raise PermissionDenied(NOT_YOUR_PLAN)
    return plan


def ramps_visible_to(user: User) -> QuerySet[Ramp]:
    """New hires' ramps of the people ``user`` sees by the reporting line."""
    ramps = Ramp.objects.select_related("user").order_by("user__username")
    owners = owner_ids_visible_to(user)
    return ramps if owners is None else ramps.filter(user_id__in=owners)
