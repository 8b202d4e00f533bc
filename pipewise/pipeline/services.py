"""Writes to opportunities: create, update, move stage, win, lose, line items.

Every stage change is one row in ``StageChange`` (who, when, from, to, amount
then), written here and nowhere else; the funnel, velocity, cycle and hit rate
are computed from those rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pipewise.activities.services import notify_on_assign
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.services import record_create, record_update
from pipewise.customers.models import Account, Contact
from pipewise.org.models import User
from pipewise.pipeline.choices import ForecastCategory, StageKind
from pipewise.pipeline.models import LineItem, Opportunity, Pipeline, Stage, StageChange
from pipewise.pipeline.selectors import default_pipeline, first_open_stage, outcome_stage

OPPORTUNITY_FIELDS = frozenset(
    {
        "external_id",
        "name",
        "account",
        "contact",
        "lead",
        "owner",
        "pipeline",
        "stage",
        "amount",
        "close_date",
        "forecast_category",
        "source",
        "competitor",
        "created_at",
    }
)
EDITABLE_FIELDS = OPPORTUNITY_FIELDS - {"pipeline", "stage", "lead"}
STAGE_NOT_IN_PIPELINE = "Stage {stage!r} belongs to another sales process than {pipeline!r}."
CONTACT_NOT_AT_ACCOUNT = "The primary contact must work at the opportunity's account."
LOST_NEEDS_REASON = "Say why the deal was lost."
ALREADY_THERE = "The opportunity is already in stage {stage!r}."
CREATE_CLOSED = "Create the opportunity in an open stage, then win or lose it."
NO_OUTCOME_STAGE = "The sales process {pipeline!r} has no {kind} stage."
AMOUNT_FROM_LINES = "The amount is the sum of the line items; change the line items instead."


def _check_links(
    *, pipeline: Pipeline, stage: Stage, account: Account | None, contact: Contact | None
) -> None:
    """A deal's stage is one of its process's stages; its contact works at its account."""
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError(
            {"stage": STAGE_NOT_IN_PIPELINE.format(stage=stage.name, pipeline=pipeline.name)}
        )
    if contact is not None and account is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": CONTACT_NOT_AT_ACCOUNT})


@transaction.atomic
def opportunity_create(*, by: User | None, **fields) -> Opportunity:
    """Open a new deal in a sales process (the default one unless told) and record its start."""
    pipeline: Pipeline = fields.get("pipeline") or default_pipeline()
    fields["pipeline"] = pipeline
    stage: Stage = fields.get("stage") or first_open_stage(pipeline)
    fields["stage"] = stage
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": CREATE_CLOSED})
    fields.setdefault("owner", by)
    created_at = fields.setdefault("created_at", timezone.now())
    _check_links(
        pipeline=pipeline, stage=stage, account=fields.get("account"), contact=fields.get("contact")
    )
    opportunity = record_create(Opportunity, by=by, fields=fields, allowed=OPPORTUNITY_FIELDS)
    opportunity.stage_entered_at = created_at
    opportunity.save(update_fields=["stage_entered_at"])
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=None,
        to_stage=stage,
        changed_by=by,
        changed_at=created_at,
        amount=opportunity.amount,
    )
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: User, expected_version: int | None = None, **changes
) -> Opportunity:
    """Change a deal's details (not its stage: use ``opportunity_move_stage``)."""
    if "amount" in changes and opportunity.line_items.exists():
        raise ValidationError({"amount": AMOUNT_FROM_LINES})
    notify_on_assign(record=opportunity, by=by, assignee=changes.get("owner"))
    updated = record_update(
        record=opportunity,
        by=by,
        expected_version=expected_version,
        changes=changes,
        allowed=EDITABLE_FIELDS,
    )
    _check_links(
        pipeline=updated.pipeline,
        stage=updated.stage,
        account=updated.account,
        contact=updated.contact,
    )
    return updated


@transaction.atomic
def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    by: User | None,
    to_stage: Stage,
    expected_version: int | None = None,
    lost_reason: str = "",
    competitor: str | None = None,
    at: datetime.datetime | None = None,
) -> Opportunity:
    """Move a deal to another stage of its process, recording the step in the stage history.

    Moving to the Won stage closes it won, to the Lost stage closes it lost (a
    reason is required); moving a closed deal back to an open stage reopens it.
    """
    fresh = lock_current(opportunity, expected_version=expected_version)
    if to_stage.pipeline_id != fresh.pipeline_id:
        raise ValidationError(
            {
                "stage": STAGE_NOT_IN_PIPELINE.format(
                    stage=to_stage.name, pipeline=fresh.pipeline.name
                )
            }
        )
    if to_stage.pk == fresh.stage_id:
        raise ValidationError({"stage": ALREADY_THERE.format(stage=to_stage.name)})
    lost_reason = (lost_reason or "").strip()
    if to_stage.kind == StageKind.LOST and not lost_reason:
        raise ValidationError({"lost_reason": LOST_NEEDS_REASON})
    at = at or timezone.now()
    from_stage_id = fresh.stage_id
    fresh.stage = to_stage
    fresh.stage_entered_at = at
    fresh.status = to_stage.kind  # StageKind and OpportunityStatus share their values
    if to_stage.kind == StageKind.OPEN:
        fresh.closed_at = None
        fresh.lost_reason = ""
        if fresh.forecast_category in (ForecastCategory.CLOSED, ForecastCategory.OMITTED):
            fresh.forecast_category = ForecastCategory.PIPELINE
    else:
        fresh.closed_at = at
        fresh.close_date = timezone.localdate(at)
        if to_stage.kind == StageKind.WON:
            fresh.lost_reason = ""
            fresh.forecast_category = ForecastCategory.CLOSED
        else:
            fresh.lost_reason = lost_reason
            fresh.forecast_category = ForecastCategory.OMITTED
    if competitor is not None:
        fresh.competitor = competitor
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean()
    fresh.save()
    StageChange.objects.create(
        opportunity=fresh,
        from_stage_id=from_stage_id,
        to_stage=to_stage,
        changed_by=by,
        changed_at=at,
        amount=fresh.amount,
    )
    return fresh


def _outcome(pipeline: Pipeline, kind: str) -> Stage:
    stage = outcome_stage(pipeline, kind)
    if stage is None:
        raise ValidationError({"stage": NO_OUTCOME_STAGE.format(pipeline=pipeline.name, kind=kind)})
    return stage


@transaction.atomic
def opportunity_close_won(
    *,
    opportunity: Opportunity,
    by: User | None,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Opportunity:
    """Close a deal as won (moves it to its process's Won stage)."""
    return opportunity_move_stage(
        opportunity=opportunity,
        by=by,
        expected_version=expected_version,
        to_stage=_outcome(opportunity.pipeline, StageKind.WON),
        at=at,
    )


@transaction.atomic
def opportunity_close_lost(
    *,
    opportunity: Opportunity,
    by: User | None,
    reason: str,
    competitor: str | None = None,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Opportunity:
    """Close a deal as lost, with the reason (and the competitor who won, if known)."""
    return opportunity_move_stage(
        opportunity=opportunity,
        by=by,
        expected_version=expected_version,
        to_stage=_outcome(opportunity.pipeline, StageKind.LOST),
        lost_reason=reason,
        competitor=competitor,
        at=at,
    )


@transaction.atomic
def opportunity_set_line_items(
    *,
    opportunity: Opportunity,
    by: User,
    items: Iterable[dict],
    expected_version: int | None = None,
) -> Opportunity:
    """Replace the deal's line items; the amount becomes their total.

    Each item: ``product``, ``quantity``, ``unit_price`` (defaults to the list
    price), ``discount_percent``.
    """
    fresh = lock_current(opportunity, expected_version=expected_version)
    new_items = []
    for index, item in enumerate(items):
        line = LineItem(
            opportunity=fresh,
            product=item["product"],
            quantity=item.get("quantity", Decimal("1")),
            unit_price=item.get("unit_price", item["product"].list_price),
            discount_percent=item.get("discount_percent", Decimal("0")),
        )
        try:
            line.full_clean()
        except ValidationError as exc:
            raise ValidationError({f"line_items[{index}]": exc.messages}) from exc
        new_items.append(line)
    fresh.line_items.all().delete()
    LineItem.objects.bulk_create(new_items)
    if new_items:
        fresh.amount = sum((line.total for line in new_items), Decimal("0.00"))
    bump_version(fresh)
    fresh._history_user = by
    fresh.save()
    return fresh
