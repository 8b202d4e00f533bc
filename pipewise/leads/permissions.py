"""Who sees and changes leads.

Admin, sales ops, executives and marketing see every lead; a manager sees the
leads of everyone below them; everyone else sees their own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.models import Lead
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS, can_change_owned, owner_ids_visible_to
from pipewise.pipeline.permissions import opportunity_visible_to


def lead_visible_to(user: User) -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if user.sees_all_leads:
        return leads
    return leads.filter(owner_id__in=owner_ids_visible_to(user))


def can_change_lead(user: User, lead: Lead) -> bool:
    if user.is_read_only:
        return False
    return user.sees_all_leads or can_change_owned(user, lead.owner_id)


def access_lead(user: User, pk, *, for_write: bool = False) -> Lead:
    lead = get_object_or_404(lead_visible_to(user), pk=pk)
    if for_write and not can_change_lead(user, lead):
        raise PermissionDenied(NOT_YOURS)
    return lead


def conversion_landing(user: User, *, lead: Lead, opportunity, account, contact) -> tuple[str, int]:
    """Where ``user`` goes after converting ``lead``: the first of the deal, the account, the
    contact and the lead itself that they may see (an SDR converting for an account
    executive may see none of the new records). Returns (kind, pk)."""
    # the deal, when the converter sees it (their own, or a report's)
    if opportunity is not None and opportunity_visible_to(user).filter(pk=opportunity.pk).exists():
        return "opportunity", opportunity.pk
    # the account, by owner or territory
    if account_visible_to(user).filter(pk=account.pk).exists():
        return "account", account.pk
    # the contact, by owner or its account
    if contact_visible_to(user).filter(pk=contact.pk).exists():
        return "contact", contact.pk
    # the lead, which stays its owner's
    return "lead", lead.pk
