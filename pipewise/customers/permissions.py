"""Who sees and changes accounts and contacts.

Visibility (DESIGN.md): admin, sales ops and executives see all; everyone else
sees the accounts they or their reports own, plus the accounts of their
territories (a region includes its countries and areas). A contact is visible
when its owner is, or when its account is.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pipewise.customers.models import Account, Contact
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS, can_change_owned, owner_ids_visible_to
from pipewise.org.selectors import user_territory_ids


def _account_condition(user: User, prefix: str = "") -> Q | None:
    owners = owner_ids_visible_to(user)
    if owners is None:
        return None
    condition = Q(**{f"{prefix}owner_id__in": owners})
    territories = user_territory_ids(user)
    if territories:
        condition |= Q(**{f"{prefix}territory_id__in": territories})
    return condition


def account_visible_to(user: User) -> QuerySet[Account]:
    accounts = Account.objects.all()
    condition = _account_condition(user)
    if condition is None:
        return accounts
    return accounts.filter(condition)


def contact_visible_to(user: User) -> QuerySet[Contact]:
    contacts = Contact.objects.all()
    owners = owner_ids_visible_to(user)
    if owners is None:
        return contacts
    return contacts.filter(Q(owner_id__in=owners) | _account_condition(user, "account__"))


def access_account(user: User, pk, *, for_write: bool = False) -> Account:
    account = get_object_or_404(account_visible_to(user), pk=pk)
    if for_write and not can_change_owned(user, account.owner_id):
        raise PermissionDenied(NOT_YOURS)
    return account


def access_contact(user: User, pk, *, for_write: bool = False) -> Contact:
    contact = get_object_or_404(contact_visible_to(user), pk=pk)
    if for_write and not can_change_owned(user, contact.owner_id):
        raise PermissionDenied(NOT_YOURS)
    return contact
