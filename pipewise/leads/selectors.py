"""Reads about leads, including likely duplicates among accounts, contacts and leads."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, email_domain, normalise_email

# Addresses at these domains say nothing about the company.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
    }
)
COMPANY_SUFFIXES = (
    " inc",
    " inc.",
    " ltd",
    " ltd.",
    " llc",
    " gmbh",
    " ag",
    " sa",
    " bv",
    " plc",
    " co",
    " corp",
    " corporation",
    " limited",
    " s.a.",
    " srl",
)


def normalise_company(name: str) -> str:
    name = " ".join((name or "").lower().replace(",", " ").split())
    for suffix in COMPANY_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)].strip()
    return name


@dataclass
class LeadDuplicates:
    """Records that probably describe the same company or person as a lead."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)

    def __bool__(self):
        return bool(self.accounts or self.contacts or self.leads)


def lead_duplicates(
    lead: Lead, *, accounts=None, contacts=None, leads=None, limit: int = 10
) -> LeadDuplicates:
    """Likely duplicates of ``lead``: same normalised email, same email domain, same company.

    ``accounts``/``contacts``/``leads`` are the querysets to search (pass the
    user's visible ones so that nothing invisible leaks); default: all.
    """
    accounts = Account.objects.all() if accounts is None else accounts
    contacts = Contact.objects.all() if contacts is None else contacts
    leads = Lead.objects.all() if leads is None else leads
    email = normalise_email(lead.email)
    domain = email_domain(lead.email)
    company = normalise_company(lead.company)

    account_match = Q(pk__in=[])
    if domain and domain not in PUBLIC_EMAIL_DOMAINS:
        account_match |= Q(domain__iexact=domain)
    if company:
        account_match |= Q(name__iexact=lead.company.strip()) | Q(name__iexact=company)
    found = LeadDuplicates()
    found.accounts = list(accounts.filter(account_match).order_by("name")[:limit])
    if email:
        found.contacts = list(
            contacts.filter(email__iexact=email).select_related("account")[:limit]
        )
        found.leads = list(
            leads.filter(email_normalised=email).exclude(pk=lead.pk).order_by("-id")[:limit]
        )
    return found


def lead_assigned_at(leads: list[Lead]) -> dict[int, datetime.datetime]:
    """When each lead was given to its current owner, read from its change history in
    one query: the oldest change in the unbroken run of rows that name today's owner.
    A lead never reassigned was assigned when it was created."""
    owners = {lead.pk: lead.owner_id for lead in leads}
    rows = (
        Lead.history.filter(id__in=owners)
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", "owner_id", "history_date")
    )
    assigned: dict[int, datetime.datetime] = {}
    broken: set[int] = set()
    for lead_id, owner_id, at in rows:
        if lead_id in broken:
            continue
        if owner_id != owners[lead_id]:
            broken.add(lead_id)
            continue
        assigned[lead_id] = at
    for lead in leads:
        assigned.setdefault(lead.pk, lead.created_at)
    return assigned
