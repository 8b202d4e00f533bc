"""Writes to leads: create, update, rate, change status, convert.

Every status change is a ``LeadStatusChange`` row written here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pipewise.activities.choices import NotificationKind, SubjectType
from pipewise.activities.models import Activity
from pipewise.activities.services import (
    Pending,
    activity_update,
    notifications_write,
    notify_on_assign,
)
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.services import record_create, record_update
from pipewise.customers.choices import AccountType
from pipewise.customers.models import Account, Contact
from pipewise.customers.services import account_create, contact_create
from pipewise.leads.choices import MANUAL_TRANSITIONS, LeadStatus
from pipewise.leads.models import Lead, LeadStatusChange, email_domain
from pipewise.leads.selectors import PUBLIC_EMAIL_DOMAINS
from pipewise.org.models import User
from pipewise.pipeline.models import Opportunity, Pipeline
from pipewise.pipeline.services import opportunity_create

LEAD_FIELDS = frozenset(
    {
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "industry",
        "country",
        "territory",
        "source",
        "campaign",
        "rating",
        "owner",
        "score",
        "account",
        "contact",
        "created_at",
        "status",
        "disqualification_reason",
    }
)
EDITABLE_FIELDS = LEAD_FIELDS - {"status", "disqualification_reason"}
BAD_TRANSITION = "A {from_} lead cannot be set to {to} by hand."
NEEDS_REASON = "Say why the lead is disqualified."
ALREADY_CONVERTED = "This lead was already converted."
DISQUALIFIED_CANNOT_CONVERT = "A disqualified lead cannot be converted; reopen it first."
CONTACT_ELSEWHERE = "The chosen contact works at another account than the chosen one."
NEEDS_COMPANY = "The lead has no company name; choose an existing account to convert it into."


def _record_status(
    lead: Lead, *, from_status: str, by: User | None, at: datetime.datetime | None = None
) -> None:
    LeadStatusChange.objects.create(
        lead=lead,
        from_status=from_status,
        to_status=lead.status,
        changed_by=by,
        changed_at=at or timezone.now(),
    )


@transaction.atomic
def lead_create(*, by: User | None, **fields) -> Lead:
    """Record a new prospect; its first status row says when it entered the funnel."""
    fields.setdefault("owner", by)
    status = fields.get("status", LeadStatus.NEW)
    if status == LeadStatus.DISQUALIFIED and not fields.get("disqualification_reason"):
        raise ValidationError({"disqualification_reason": NEEDS_REASON})
    lead = record_create(Lead, by=by, fields=fields, allowed=LEAD_FIELDS)
    _record_status(lead, from_status="", by=by, at=lead.created_at)
    notify_on_assign(record=lead, by=by, assignee=lead.owner, previous_id=None)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by: User, expected_version: int | None = None, **changes) -> Lead:
    """Change a lead's details or rating (status has its own service)."""
    notify_on_assign(record=lead, by=by, assignee=changes.get("owner"))
    return record_update(
        record=lead,
        by=by,
        expected_version=expected_version,
        changes=changes,
        allowed=EDITABLE_FIELDS,
    )


@transaction.atomic
def lead_change_status(
    *,
    lead: Lead,
    by: User | None,
    to_status: str,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Lead:
    """Work, qualify, disqualify (with a reason) or reopen a lead."""
    fresh = lock_current(lead, expected_version=expected_version)
    if to_status not in MANUAL_TRANSITIONS.get(fresh.status, set()):
        raise ValidationError({"status": BAD_TRANSITION.format(from_=fresh.status, to=to_status)})
    reason = (reason or "").strip()
    if to_status == LeadStatus.DISQUALIFIED and not reason:
        raise ValidationError({"disqualification_reason": NEEDS_REASON})
    from_status = fresh.status
    fresh.status = to_status
    fresh.disqualification_reason = reason if to_status == LeadStatus.DISQUALIFIED else ""
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean()
    fresh.save()
    _record_status(fresh, from_status=from_status, by=by, at=at)
    return fresh


@dataclass
class Conversion:
    """What a lead became: an account, a contact and, if asked for, an opportunity."""

    lead: Lead
    account: Account
    contact: Contact
    opportunity: Opportunity | None
    account_created: bool
    contact_created: bool
    owner: User
    activities_carried: int


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    account: Account | None = None,
    contact: Contact | None = None,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    amount: Decimal | None = None,
    close_date: datetime.date | None = None,
    pipeline: Pipeline | None = None,
    owner: User | None = None,
    expected_version: int | None = None,
) -> Conversion:
    """Turn a qualified prospect into an account, a contact and (optionally) a deal, at once.

    Pass ``account``/``contact`` to link to existing records (the duplicates that
    ``lead_duplicates`` found) instead of creating new ones. Either everything is
    written, or nothing is. The lead's activities and notes carry over: each is
    linked to the contact, the account and the deal, so their timelines show
    what happened before the hand-off. When the new records belong to someone
    else (an SDR converting for an account executive), that owner is notified.
    """
    fresh = lock_current(lead, expected_version=expected_version)
    if fresh.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": ALREADY_CONVERTED})
    if fresh.status == LeadStatus.DISQUALIFIED:
        raise ValidationError({"status": DISQUALIFIED_CANNOT_CONVERT})
    if contact is not None and account is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": CONTACT_ELSEWHERE})
    owner = owner or fresh.owner
    account_created = contact_created = False
    if account is None and contact is not None:
        account = contact.account
    if account is None:
        if not fresh.company.strip():
            raise ValidationError({"account": NEEDS_COMPANY})
        domain = email_domain(fresh.email)
        account = account_create(
            by=by,
            owner=owner,
            name=fresh.company.strip(),
            industry=fresh.industry,
            country=fresh.country,
            territory=fresh.territory,
            type=AccountType.PROSPECT,
            domain="" if domain in PUBLIC_EMAIL_DOMAINS else domain,
        )
        account_created = True
    if contact is None:
        contact = contact_create(
            by=by,
            owner=owner,
            account=account,
            first_name=fresh.first_name,
            last_name=fresh.last_name,
            email=fresh.email,
            phone=fresh.phone,
            title=fresh.title,
        )
        contact_created = True
    opportunity = None
    if create_opportunity:
        opportunity = opportunity_create(
            by=by,
            owner=owner,
            account=account,
            contact=contact,
            lead=fresh,
            name=opportunity_name.strip() or f"{account.name} — new business",
            amount=amount if amount is not None else Decimal("0.00"),
            close_date=close_date or (timezone.localdate() + datetime.timedelta(days=90)),
            pipeline=pipeline,
            source=fresh.source,
        )
    from_status = fresh.status
    fresh.status = LeadStatus.CONVERTED
    fresh.account, fresh.contact = account, contact
    fresh.converted_at = timezone.now()
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    _record_status(fresh, from_status=from_status, by=by, at=fresh.converted_at)
    conversion = Conversion(
        lead=fresh,
        account=account,
        contact=contact,
        opportunity=opportunity,
        account_created=account_created,
        contact_created=contact_created,
        owner=owner,
        activities_carried=_carry_over_activities(
            fresh, by=by, account=account, contact=contact, opportunity=opportunity
        ),
    )
    if opportunity is not None and owner.pk != by.pk:
        _notify_hand_off(conversion, by=by)
    return conversion


def _carry_over_activities(
    lead: Lead, *, by: User, account: Account, contact: Contact, opportunity: Opportunity | None
) -> int:
    """Link the lead's activities to what it became (links they already have are kept)."""
    links = {"account": account, "contact": contact, "opportunity": opportunity}
    carried = 0
    for activity in Activity.objects.filter(lead=lead).order_by("id"):
        changes = {
            name: record
            for name, record in links.items()
            if record is not None and getattr(activity, f"{name}_id") is None
        }
        if changes:
            activity_update(activity=activity, by=by, **changes)
            carried += 1
    return carried


def _notify_hand_off(conversion: Conversion, *, by: User) -> None:
    """Tell the deal's new owner it was handed to them from a lead, and what came with it.

    Written in the transaction with the occasion of ``opportunity_create``'s
    "assigned to you" notice (``v`` + the deal's version), which therefore adds
    no second one: the owner gets one notice, this one.
    """
    opportunity, lead = conversion.opportunity, conversion.lead
    carried = conversion.activities_carried
    history = (
        f" Its {carried} activit{'y' if carried == 1 else 'ies'} are on the deal's timeline."
        if carried
        else ""
    )
    notifications_write(
        kind=NotificationKind.ASSIGNED,
        items=[
            Pending(
                recipient_id=conversion.owner.pk,
                subject_type=SubjectType.OPPORTUNITY,
                subject_id=opportunity.pk,
                occasion=f"v{opportunity.version}",
                title=f"Lead handed over to you: {opportunity}",
                body=(
                    f"{by} converted the lead {lead.full_name} of {conversion.account} "
                    f"and handed the deal to you.{history}"
                ),
            )
        ],
        now=timezone.now(),
    )
