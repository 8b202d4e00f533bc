"""Import and export of activities (``pipewise import activities``): the calls, e-mails,
meetings, demos and notes logged in another system, so that activity KPIs and
the timeline of each account and deal start complete.

Rows are written through ``activity_log``/``activity_update``; an activity is
about at least one lead, contact, account or opportunity, named by their
external_id. Import those records first.
"""

from __future__ import annotations

from pipewise.activities.choices import ActivityOutcome, ActivityType
from pipewise.activities.models import Activity
from pipewise.activities.permissions import activity_visible_to
from pipewise.activities.services import ACTIVITY_FIELDS, activity_log, activity_update
from pipewise.core.transfer import (
    Column,
    RecordReference,
    ServiceKind,
    UserReference,
    choice,
    integer,
    moment,
    register,
)
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead
from pipewise.pipeline.models import Opportunity


@register
class ActivityKind(ServiceKind):
    """What sellers did: type, subject, when, who, about which records, how it went."""

    name = "activities"
    noun = "activity"
    model = Activity
    order = 60
    non_field_column = "lead/contact/account/opportunity"
    updatable_fields = ACTIVITY_FIELDS - {"external_id"}
    columns = (
        Column("external_id"),
        Column("type", parse=choice(ActivityType), required=True),
        Column("subject", required=True),
        Column("occurred_at", parse=moment),
        Column("owner", reference=UserReference(), required=True, importer_default=True),
        Column("lead", reference=RecordReference(Lead, "lead")),
        Column("contact", reference=RecordReference(Contact, "contact")),
        Column("account", reference=RecordReference(Account, "account")),
        Column("opportunity", reference=RecordReference(Opportunity, "opportunity")),
        Column("outcome", parse=choice(ActivityOutcome)),
        Column("duration_minutes", parse=integer),
        Column("notes"),
    )

    def queryset(self, user=None):
        return Activity.objects.all() if user is None else activity_visible_to(user)

    def create(self, values, row, ctx):
        return activity_log(by=ctx.by, **values)

    def update(self, record, changes, row, ctx):
        if not changes:
            return False
        activity_update(activity=record, by=ctx.by, **changes)
        return True
