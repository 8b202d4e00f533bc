"""Import and export of accounts and contacts (``pipewise import accounts|contacts``).

Accounts are the companies we sell to; contacts are the people at them. Both
are keyed by ``external_id`` (the id in the customer's old CRM or ERP) and
written through ``account_create``/``account_update`` and
``contact_create``/``contact_update``: the same normalisation (domain without
``www.``, upper-case country code, lower-case e-mail) and checks apply as in the
web UI and the API. Import accounts before the contacts, leads and deals that
point at them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from pipewise.core.transfer import (
    Column,
    ImportContext,
    NamedReference,
    RecordReference,
    Row,
    ServiceKind,
    UserReference,
    amount,
    choice,
    integer,
    moment,
    register,
)
from pipewise.customers.choices import AccountType, BuyingRole
from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.customers.services import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    account_create,
    account_update,
    contact_create,
    contact_update,
    normalise_account_fields,
    normalise_contact_fields,
)
from pipewise.org.models import Segment, Territory


def _normalise(row: Row, ctx: ImportContext, normaliser, names: tuple[str, ...]) -> None:
    """Apply a service's normaliser to the given cells, so that pass 1 sees what is stored."""
    given = {name: row.values[name] for name in names if name in row.values}
    if not given:
        return
    try:
        row.values.update(normaliser(given))
    except ValidationError as exc:
        ctx.validation_error(row, exc)


@register
class AccountKind(ServiceKind):
    """Companies: name, web domain, size, revenue, where they are, who owns them."""

    name = "accounts"
    noun = "account"
    model = Account
    order = 20
    updatable_fields = ACCOUNT_FIELDS - {"external_id"}
    columns = (
        Column("external_id"),
        Column("name", required=True),
        Column("domain"),
        Column("industry"),
        Column("employees", parse=integer),
        Column("annual_revenue", parse=amount),
        Column("country"),
        Column("territory", reference=NamedReference(Territory, "code", "territory")),
        Column("segment", reference=NamedReference(Segment, "name", "segment")),
        Column("type", parse=choice(AccountType)),
        Column("owner", reference=UserReference(), required=True, importer_default=True),
        Column("created_at", parse=moment),
        Column("street"),
        Column("city"),
        Column("postcode"),
    )

    def queryset(self, user=None):
        return Account.objects.all() if user is None else account_visible_to(user)

    def normalise_row(self, row, ctx):
        _normalise(row, ctx, normalise_account_fields, ("domain", "country"))

    def create(self, values, row, ctx):
        return account_create(by=ctx.by, **values)

    def update(self, record, changes, row, ctx):
        if not changes:
            return False
        account_update(account=record, by=ctx.by, **changes)
        return True


@register
class ContactKind(ServiceKind):
    """People at accounts: name, how to reach them, the role they play in buying."""

    name = "contacts"
    noun = "contact"
    model = Contact
    order = 30
    updatable_fields = CONTACT_FIELDS - {"external_id"}
    columns = (
        Column("external_id"),
        Column("account", reference=RecordReference(Account, "account"), required=True),
        Column("first_name"),
        Column("last_name", required=True),
        Column("email"),
        Column("phone"),
        Column("title"),
        Column("buying_role", parse=choice(BuyingRole)),
        Column("owner", reference=UserReference(), required=True, importer_default=True),
        Column("created_at", parse=moment),
    )

    def queryset(self, user=None):
        return Contact.objects.all() if user is None else contact_visible_to(user)

    def normalise_row(self, row, ctx):
        _normalise(row, ctx, normalise_contact_fields, ("email",))

    def create(self, values, row, ctx):
        return contact_create(by=ctx.by, **values)

    def update(self, record, changes, row, ctx):
        if not changes:
            return False
        contact_update(contact=record, by=ctx.by, **changes)
        return True
