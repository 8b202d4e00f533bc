"""Who sees and changes opportunities: the owner, everyone above them, admin/ops/executives."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from pipewise.activities.models import Activity
from pipewise.activities.permissions import activity_visible_to, carried_over_to
from pipewise.org.choices import DEAL_ROLES
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS, can_change_owned, owner_ids_visible_to
from pipewise.org.selectors import user_and_reports_ids
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import Opportunity

M = TypeVar("M", bound=models.Model)


def opportunity_owners_visible_to(user: User) -> frozenset[int] | None:
    """Whose deals ``user`` sees (None: everyone's); running totals are summed over them."""
    return owner_ids_visible_to(user)


def opportunity_visible_to(user: User) -> QuerySet[Opportunity]:
    opportunities = Opportunity.objects.all()
    owners = opportunity_owners_visible_to(user)
    if owners is None:
        return opportunities
    return opportunities.filter(owner_id__in=owners)


def access_opportunity(user: User, pk, *, for_write: bool = False) -> Opportunity:
    opportunity = get_object_or_404(opportunity_visible_to(user), pk=pk)
    if for_write and not can_change_owned(user, opportunity.owner_id):
        raise PermissionDenied(NOT_YOURS)
    return opportunity


def deal_activities_visible_to(user: User, opportunity: Opportunity) -> QuerySet[Activity]:
    """A deal's timeline for a reader who sees the deal: the activities they see by owner, plus
    those carried over from the lead the deal was made from (``carried_over_to``)."""
    activities = activity_visible_to(user).filter(opportunity=opportunity)
    if opportunity.lead_id is None:
        return activities
    return activities | carried_over_to("opportunity", opportunity)


def reopen_deadline(opportunity: Opportunity) -> datetime.datetime | None:
    """Until when the owner may reopen a closed deal (``PIPEWISE_REOPEN_GRACE_DAYS`` after
    closing); None for an open deal."""
    if opportunity.closed_at is None:
        return None
    return opportunity.closed_at + datetime.timedelta(days=settings.PIPEWISE_REOPEN_GRACE_DAYS)


def can_reopen(user: User, opportunity: Opportunity, *, now: datetime.datetime) -> bool:
    """Undo a win or a loss: the owner within the grace period; a manager above the owner,
    sales ops and admins at any time."""
    if user.is_read_only:
        return False
    if opportunity.status == OpportunityStatus.OPEN:
        return False
    # a manager above the owner, sales ops, admins
    if user.pk != opportunity.owner_id:
        return can_change_owned(user, opportunity.owner_id)
    # the owner, within the grace period
    return now <= reopen_deadline(opportunity)


def can_decide_discount(user: User, opportunity: Opportunity) -> bool:
    """A discount is decided by a manager above the deal's owner (never by the owner)."""
    if user.is_read_only:
        return False
    if user.pk == opportunity.owner_id:
        return False
    return opportunity.owner_id in user_and_reports_ids(user)


def can_use_orders(user: User) -> bool:
    """Orders follow deals: roles that own deals have them, and so do those who see every
    deal; SDRs and marketing do not (the orders page answers 404 for them)."""
    return user.sees_everything or user.has_role(*DEAL_ROLES)


def can_use_approvals(user: User) -> bool:
    """The approvals inbox belongs to those who decide discounts: someone who may write and
    has people below them (``can_decide_discount``); for everyone else it answers 404."""
    if user.is_read_only:
        return False
    return len(user_and_reports_ids(user)) > 1


def deal_records_visible_to(user: User, model: type[M]) -> QuerySet[M]:
    """Rows that belong to a deal (quotes, orders, discount approvals, reached milestones):
    seen by whoever sees the deal."""
    return model.objects.filter(opportunity__in=opportunity_visible_to(user).values("pk"))
