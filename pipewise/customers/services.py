"""Writes to accounts and contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from pipewise.core.services import record_create, record_update
from pipewise.customers.models import Account, Contact
from pipewise.org.models import User
from pipewise.pipeline.totals import deal_months_move_account

ACCOUNT_FIELDS = frozenset(
    {
        "external_id",
        "name",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "street",
        "city",
        "postcode",
        "country",
        "territory",
        "segment",
        "type",
        "owner",
        "created_at",
    }
)
CONTACT_FIELDS = frozenset(
    {
        "external_id",
        "account",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "buying_role",
        "owner",
        "created_at",
    }
)
COUNTRY_CODE = "Use a two-letter ISO country code, e.g. DE or US."


def normalise_account_fields(fields: dict) -> dict:
    """Domain without scheme or www, country as an upper-case ISO code; shared with imports."""
    if "domain" in fields:
        domain = (fields["domain"] or "").strip().lower()
        for prefix in ("https://", "http://", "www."):
            domain = domain.removeprefix(prefix)
        fields["domain"] = domain.rstrip("/")
    if fields.get("country"):
        country = fields["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError({"country": COUNTRY_CODE})
        fields["country"] = country
    return fields


@transaction.atomic
def account_create(*, by: User, **fields) -> Account:
    """Add a company we sell to (or might)."""
    fields.setdefault("owner", by)
    return record_create(
        Account, by=by, fields=normalise_account_fields(fields), allowed=ACCOUNT_FIELDS
    )


@transaction.atomic
def account_update(
    *, account: Account, by: User, expected_version: int | None = None, **changes
) -> Account:
    """Change an account's details; refused if someone else changed it meanwhile. A new
    territory or segment moves the account's deals in the month totals with it."""
    place = ("territory_id", "segment_id")
    before = Account.all_objects.select_for_update().values_list(*place).get(pk=account.pk)
    updated = record_update(
        record=account,
        by=by,
        expected_version=expected_version,
        changes=normalise_account_fields(changes),
        allowed=ACCOUNT_FIELDS,
    )
    after = (updated.territory_id, updated.segment_id)
    deal_months_move_account(account_id=updated.pk, before=before, after=after)
    return updated


def normalise_contact_fields(fields: dict) -> dict:
    """E-mail trimmed and lower-cased; shared with imports."""
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    return fields


@transaction.atomic
def contact_create(*, by: User, **fields) -> Contact:
    """Add a person at an account."""
    fields.setdefault("owner", by)
    return record_create(
        Contact, by=by, fields=normalise_contact_fields(fields), allowed=CONTACT_FIELDS
    )


@transaction.atomic
def contact_update(
    *, contact: Contact, by: User, expected_version: int | None = None, **changes
) -> Contact:
    """Change a contact's details; refused if someone else changed it meanwhile."""
    return record_update(
        record=contact,
        by=by,
        expected_version=expected_version,
        changes=normalise_contact_fields(changes),
        allowed=CONTACT_FIELDS,
    )
