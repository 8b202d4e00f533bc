"""Import and export of leads (``pipewise import leads``): trade-show lists, purchased
lists, web-form dumps, the old CRM's prospects.

Lead files are the big ones (100 000 rows is an ordinary list), so leads are
written in bulk (``BulkWriter``: no model instance, no per-row query) rather than
one service call per row, with the rules the services apply, taken from the
same places:

* field rules (lengths, e-mail format, choices) from the model fields, checked
  for every given cell in pass 1 (``TransferKind.check_fields``);
* ``normalise_email`` (what ``Lead.clean`` stores as ``email_normalised``, which
  duplicate detection relies on);
* "a disqualified lead says why" (``NEEDS_REASON``) and the status changes a
  person may make (``MANUAL_TRANSITIONS``, ``BAD_TRANSITION``) from
  ``leads.services`` / ``leads.choices``; what may change on an existing lead
  is what ``lead_update`` may change plus the status;
* every status a lead enters is a ``LeadStatusChange`` row, as in
  ``lead_create`` (first row: "created" → status at ``created_at``) and
  ``lead_change_status`` (a changed status on re-import: old → new, now);
* a history row (django-simple-history) for every lead created (``+``) or
  changed (``~``), and the version bumped on every change.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.functional import cached_property

from pipewise.core.transfer import (
    BulkWriter,
    Column,
    ImportContext,
    NamedReference,
    RecordReference,
    Row,
    TransferKind,
    UserReference,
    choice,
    find_by_keys,
    moment,
    register,
)
from pipewise.customers.models import Account, Contact
from pipewise.leads.choices import MANUAL_TRANSITIONS, LeadSource, LeadStatus, Rating
from pipewise.leads.models import Lead, LeadStatusChange, normalise_email
from pipewise.leads.permissions import lead_visible_to
from pipewise.leads.services import BAD_TRANSITION, EDITABLE_FIELDS, NEEDS_REASON
from pipewise.org.models import Territory

# What a re-import may change: what ``lead_update`` may, plus the status (as
# ``lead_change_status`` would) and its reason.
UPDATABLE_FIELDS = (EDITABLE_FIELDS | {"status", "disqualification_reason"}) - {"external_id"}


@register
class LeadKind(TransferKind):
    """Prospects: who, at which company, where from, how warm, in which status, whose."""

    name = "leads"
    noun = "lead"
    model = Lead
    order = 40
    existing_fields_checked = ("status",)
    columns = (
        Column("external_id"),
        Column("first_name"),
        Column("last_name", required=True),
        Column("email"),
        Column("phone"),
        Column("company"),
        Column("title"),
        Column("industry"),
        Column("country"),
        Column("territory", reference=NamedReference(Territory, "code", "territory")),
        Column("source", parse=choice(LeadSource)),
        Column("campaign"),
        Column("rating", parse=choice(Rating)),
        Column("status", parse=choice(LeadStatus)),
        Column("owner", reference=UserReference(), required=True, importer_default=True),
        Column("created_at", parse=moment),
        Column("account", reference=RecordReference(Account, "account")),
        Column("contact", reference=RecordReference(Contact, "contact")),
        Column("disqualification_reason"),
    )

    # --- export ------------------------------------------------------------------------
    def queryset(self, user=None):
        return Lead.objects.all() if user is None else lead_visible_to(user)

    # --- import: pass 1 ---------------------------------------------------------------
    def check_row(self, row: Row, existing: Lead | None, ctx: ImportContext) -> None:
        status = row.values.get("status")
        reason = row.values.get("disqualification_reason")
        if existing is None:
            if status == LeadStatus.DISQUALIFIED and not reason:
                ctx.problem(row, "disqualification_reason", NEEDS_REASON)
            return
        if status is None or status == existing.status:
            return
        if status not in MANUAL_TRANSITIONS.get(existing.status, set()):
            message = BAD_TRANSITION.format(from_=existing.status, to=status)
            ctx.problem(row, "status", message)
        elif status == LeadStatus.DISQUALIFIED and not reason:
            ctx.problem(row, "disqualification_reason", NEEDS_REASON)

    # --- import: pass 2 ---------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        self.leads = BulkWriter(Lead)
        self.history = BulkWriter(Lead.history.model)
        self.statuses = BulkWriter(LeadStatusChange)

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> None:
        """Create and update a batch of leads in bulk, with history and status rows."""
        attnames, updatable = self.attnames, self.updatable_columns
        # Only rows whose key pass 1 found can be updates; should a new key have been taken
        # meanwhile, the database's unique external_id refuses the batch (and the import).
        # The rows are locked, as ``lock_current`` does, so that no edit made meanwhile is lost.
        current = find_by_keys(
            Lead._base_manager.select_for_update().values("pk", *self.leads.attnames, "id"),
            (row.values["external_id"] for row in rows if row.existed),
        )
        now = timezone.now()
        created: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        status_rows: list[dict[str, Any]] = []
        for row in rows:
            lead = current.get(row.values["external_id"])
            if lead is None:
                lead = {attnames[name]: value for name, value in row.values.items()}
                lead["updated_at"] = now
                lead = self.leads.complete(lead)
                lead["email_normalised"] = normalise_email(lead["email"])
                if lead["status"] == LeadStatus.CONVERTED:
                    lead["converted_at"] = lead["created_at"]
                created.append(lead)
                continue
            changes = {
                attnames[name]: value
                for name, value in row.values.items()
                if name in updatable and lead[attnames[name]] != value
            }
            if not changes:
                ctx.result.unchanged += 1
                continue
            from_status = lead["status"]
            lead.update(changes)
            lead["email_normalised"] = normalise_email(lead["email"])
            if lead["status"] != from_status:
                if lead["status"] != LeadStatus.DISQUALIFIED:
                    lead["disqualification_reason"] = ""
                if lead["status"] == LeadStatus.CONVERTED:
                    lead["converted_at"] = now
                status_rows.append(self._status_row(lead, from_status, ctx.by, now))
            lead["version"] += 1  # what ``bump_version`` does to a model instance
            lead["updated_at"] = now
            changed.append(lead)
        if created:
            self.leads.insert(created)
            ids = dict(
                Lead._base_manager.filter(
                    external_id__in=[lead["external_id"] for lead in created]
                ).values_list("external_id", "pk")
            )
            for lead in created:
                lead["id"] = ids[lead["external_id"]]
                status_rows.append(self._status_row(lead, "", ctx.by, lead["created_at"]))
            self.history.insert_history(created, change="+", by=ctx.by)
            ctx.result.created += len(created)
        if changed:
            self.leads.update(changed)
            self.history.insert_history(changed, change="~", by=ctx.by)
            ctx.result.updated += len(changed)
        self.statuses.insert(status_rows)

    def _status_row(self, lead: dict[str, Any], from_status: str, by, at) -> dict[str, Any]:
        """A ``LeadStatusChange`` row: the lead entered its status (from ``from_status``)."""
        return self.statuses.complete(
            {
                "lead_id": lead["id"],
                "from_status": from_status,
                "to_status": lead["status"],
                "changed_by_id": by.pk if by is not None else None,
                "changed_at": at,
            }
        )

    @cached_property
    def attnames(self) -> dict[str, str]:
        """Column → the model attribute it sets (``owner`` → ``owner_id``)."""
        meta = self.model._meta
        return {column.name: meta.get_field(column.field_name).attname for column in self.columns}

    @cached_property
    def updatable_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.field_name in UPDATABLE_FIELDS)
