"""Writes to opportunities: create, update, move stage, win, lose, line items, milestones,
discount approvals, quotes and orders.

Every stage change is one row in ``StageChange`` (who, when, from, to, amount
then), written here and nowhere else; the funnel, velocity, cycle and hit rate
are computed from those rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from pipewise.activities.choices import OPEN_TASK_STATUSES, NotificationKind, SubjectType
from pipewise.activities.models import Task
from pipewise.activities.services import (
    Pending,
    notifications_write,
    notify_on_assign,
    task_cancel,
    task_create,
)
from pipewise.core.concurrency import bump_version, lock_current
from pipewise.core.money import CENTS
from pipewise.core.running import counted_delete, counted_restore
from pipewise.core.services import record_create, record_update
from pipewise.customers.models import Account, Contact
from pipewise.org.models import User
from pipewise.org.permissions import NOT_YOURS
from pipewise.pipeline.choices import (
    AFTER_SALES_TASKS,
    AssigneeRule,
    CriteriaMode,
    DiscountApprovalStatus,
    ForecastCategory,
    OpportunityStatus,
    OrderStatus,
    StageKind,
)
from pipewise.pipeline.documents import render_quote_pdf
from pipewise.pipeline.models import (
    DiscountApproval,
    LineItem,
    Milestone,
    Opportunity,
    OpportunityMilestone,
    Order,
    OrderLine,
    Pipeline,
    Quote,
    Stage,
    StageChange,
    StageFollowUpRun,
)
from pipewise.pipeline.permissions import can_decide_discount, can_reopen, reopen_deadline
from pipewise.pipeline.selectors import (
    closing_concerns,
    currency_of,
    customer_success_for,
    default_pipeline,
    discount_status,
    first_open_stage,
    outcome_stage,
    price_list_of,
    price_of,
    stage_before_closing,
    unmet_exit_criteria,
)
from pipewise.pipeline.totals import contribution, stage_totals_shift

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
EXIT_CRITERIA_BLOCK = "This sales process requires the exit criteria to be met before moving on."


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
    opportunity.furthest_stage_order = stage.order if stage.kind == StageKind.OPEN else None
    opportunity.save(update_fields=["stage_entered_at", "furthest_stage_order"])
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=None,
        to_stage=stage,
        changed_by=by,
        changed_at=created_at,
        amount=opportunity.amount,
    )
    stage_totals_shift(before=None, after=contribution(opportunity))
    notify_on_assign(record=opportunity, by=by, assignee=opportunity.owner, previous_id=None)
    stage_follow_ups_run(opportunity=opportunity, stage=stage, by=by, at=created_at)
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: User, expected_version: int | None = None, **changes
) -> Opportunity:
    """Change a deal's details (not its stage: use ``opportunity_move_stage``)."""
    if "amount" in changes and opportunity.line_items.exists():
        raise ValidationError({"amount": AMOUNT_FROM_LINES})
    before = contribution(lock_current(opportunity, expected_version=expected_version))
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
    stage_totals_shift(before=before, after=contribution(updated))
    return updated


def furthest_stages_fill() -> int:
    """Set every deal's furthest open stage from its stage history: for bulk writers (demo
    data) that insert deals and history rows around the services. Deals updated."""
    furthest = (
        StageChange.objects.filter(opportunity=OuterRef("pk"), to_stage__kind=StageKind.OPEN)
        .order_by()
        .values("opportunity")
        .annotate(furthest=Max("to_stage__order"))
        .values("furthest")
    )
    return Opportunity.all_objects.update(furthest_stage_order=Subquery(furthest))


@transaction.atomic
def opportunity_delete(
    *, opportunity: Opportunity, by: User, expected_version: int | None = None
) -> Opportunity:
    """Soft-delete a deal: it leaves every list, board and total, and can be restored."""
    return counted_delete(
        record=opportunity,
        by=by,
        expected_version=expected_version,
        key=contribution,
        shift=stage_totals_shift,
    )


@transaction.atomic
def opportunity_restore(*, opportunity: Opportunity, by: User) -> Opportunity:
    """Bring a deleted deal back, into the lists and totals it left."""
    return counted_restore(record=opportunity, by=by, key=contribution, shift=stage_totals_shift)


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

    The process matrix applies here, so the board, the API and imports share it:
    a step forward checks the exit criteria of the stages left (the process
    blocks the move, or records the warning on the stage-history row); entering
    a stage creates its follow-up tasks (once per deal and stage); winning needs
    any large discount approved, and creates the order and after-sales tasks.
    The history row is ``opportunity.stage_change`` on the returned deal.
    """
    fresh = lock_current(opportunity, expected_version=expected_version)
    before = contribution(fresh)
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
    warnings = unmet_exit_criteria(fresh, to_stage)
    if warnings and fresh.pipeline.criteria_mode == CriteriaMode.BLOCK:
        raise ValidationError({"stage": [EXIT_CRITERIA_BLOCK, *warnings]})
    if to_stage.kind == StageKind.WON:
        _require_discount_approved(fresh)
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
    if to_stage.kind == StageKind.OPEN:
        fresh.furthest_stage_order = max(fresh.furthest_stage_order or 0, to_stage.order)
    bump_version(fresh)
    fresh._history_user = by
    fresh.full_clean()
    fresh.save()
    stage_totals_shift(before=before, after=contribution(fresh))
    change = StageChange.objects.create(
        opportunity=fresh,
        from_stage_id=from_stage_id,
        to_stage=to_stage,
        changed_by=by,
        changed_at=at,
        amount=fresh.amount,
        warnings="\n".join(warnings),
    )
    stage_follow_ups_run(opportunity=fresh, stage=to_stage, by=by, at=at)
    if to_stage.kind == StageKind.WON:
        order_create_from_won(opportunity=fresh, by=by, at=at)
    fresh.stage_change = change
    return fresh


def _outcome(pipeline: Pipeline, kind: str) -> Stage:
    stage = outcome_stage(pipeline, kind)
    if stage is None:
        raise ValidationError({"stage": NO_OUTCOME_STAGE.format(pipeline=pipeline.name, kind=kind)})
    return stage


WIN_NEEDS_CONFIRMATION = (
    "Winning now skips stages or leaves exit criteria unmet; confirm to close the deal as won."
)
WIN_SKIPS_STAGES = "It skips {count} stage{plural}: {names}."
TASKS_CLOSED_NOTE = "Cancelled: the deal was {outcome} on {day}."
REOPEN_NOT_CLOSED = "The deal is open; only a won or lost deal can be reopened."
REOPEN_GRACE_OVER = (
    "You could reopen this deal until {deadline}; a manager above you can still reopen it."
)
REOPEN_INTO_OPEN_STAGE = "Reopen the deal into an open stage of its own sales process."
REOPEN_ORDER_PROGRESSED = (
    "Order {number} is already {status}, so the deal cannot be reopened; "
    "cancel or correct the order instead."
)
REOPEN_TASKS_NOTE = "Cancelled: the deal was reopened on {day}."


def _close(
    *,
    opportunity: Opportunity,
    by: User | None,
    to_stage: Stage,
    confirmed: bool,
    close_open_tasks: bool,
    expected_version: int | None,
    at: datetime.datetime | None,
    lost_reason: str = "",
    competitor: str | None = None,
) -> Opportunity:
    """Win or lose a deal after asking what it passes over (see ``closing_concerns``)."""
    fresh = lock_current(opportunity, expected_version=expected_version)
    concerns = closing_concerns(fresh, to_stage)
    if concerns.needs_confirmation and not confirmed:
        details = list(concerns.unmet)
        if concerns.skipped:
            names = ", ".join(stage.name for stage in concerns.skipped)
            count = len(concerns.skipped)
            plural = "" if count == 1 else "s"
            details.insert(0, WIN_SKIPS_STAGES.format(count=count, plural=plural, names=names))
        raise ValidationError({"confirm": [WIN_NEEDS_CONFIRMATION, *details]})
    closed = opportunity_move_stage(
        opportunity=fresh,
        by=by,
        to_stage=to_stage,
        expected_version=expected_version,
        lost_reason=lost_reason,
        competitor=competitor,
        at=at,
    )
    closed.tasks_closed = 0
    if close_open_tasks:
        note = TASKS_CLOSED_NOTE.format(
            outcome=closed.get_status_display().lower(), day=_day(closed.closed_at)
        )
        for task in Task.objects.filter(pk__in=concerns.open_task_ids):
            task_cancel(task=task, by=by, note=note)
        closed.tasks_closed = len(concerns.open_task_ids)
    return closed


def _day(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y}"


@transaction.atomic
def opportunity_close_won(
    *,
    opportunity: Opportunity,
    by: User | None,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
    confirmed: bool = True,
    close_open_tasks: bool = False,
) -> Opportunity:
    """Close a deal as won (moves it to its process's Won stage, creates the order).

    People decide on the deal page or through the API, which pass what they
    confirmed: with ``confirmed=False`` a win that skips stages or leaves exit
    criteria unmet is refused, naming them. Imports and scripts that record a
    known outcome leave it True. ``close_open_tasks`` cancels the deal's open
    (pre-sale) tasks, with a note; the after-sales tasks the win creates stay.
    The number cancelled is ``tasks_closed`` on the returned deal.
    """
    return _close(
        opportunity=opportunity,
        by=by,
        to_stage=_outcome(opportunity.pipeline, StageKind.WON),
        confirmed=confirmed,
        close_open_tasks=close_open_tasks,
        expected_version=expected_version,
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
    close_open_tasks: bool = False,
) -> Opportunity:
    """Close a deal as lost, with the reason (and the competitor who won, if known).

    ``close_open_tasks`` cancels the deal's open tasks, with a note
    (``tasks_closed`` on the returned deal says how many).
    """
    return _close(
        opportunity=opportunity,
        by=by,
        to_stage=_outcome(opportunity.pipeline, StageKind.LOST),
        confirmed=True,
        close_open_tasks=close_open_tasks,
        expected_version=expected_version,
        at=at,
        lost_reason=reason,
        competitor=competitor,
    )


@transaction.atomic
def opportunity_reopen(
    *,
    opportunity: Opportunity,
    by: User,
    to_stage: Stage | None = None,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Opportunity:
    """Undo a win or a loss: the deal goes back to an open stage (by default the one it was
    in when it closed), recorded in the stage history like any move.

    The owner may reopen within ``PIPEWISE_REOPEN_GRACE_DAYS`` of closing; a
    manager above the owner, sales ops and admins at any time (``can_reopen``).
    The order the win created is cancelled while it is only confirmed; once it is
    delivered or invoiced the deal cannot be reopened. Open tasks created since
    the deal closed (the delivery check, the feedback request, the Won stage's
    follow-ups) are cancelled with a note; ``tasks_closed`` on the returned deal
    says how many, ``order_cancelled`` which order (or None).
    """
    fresh = lock_current(opportunity, expected_version=expected_version)
    at = at or timezone.now()
    if fresh.status == OpportunityStatus.OPEN:
        raise ValidationError({"status": REOPEN_NOT_CLOSED})
    if not can_reopen(by, fresh, now=at):
        if by.pk == fresh.owner_id and not by.is_read_only:
            deadline = reopen_deadline(fresh)
            raise PermissionDenied(REOPEN_GRACE_OVER.format(deadline=_day(deadline)))
        raise PermissionDenied(NOT_YOURS)
    to_stage = to_stage or stage_before_closing(fresh)
    if to_stage.kind != StageKind.OPEN or to_stage.pipeline_id != fresh.pipeline_id:
        raise ValidationError({"stage": REOPEN_INTO_OPEN_STAGE})
    order = Order.objects.select_for_update().filter(opportunity=fresh).first()
    if order is not None and order.status in (OrderStatus.DELIVERED, OrderStatus.INVOICED):
        raise ValidationError(
            {
                "order": REOPEN_ORDER_PROGRESSED.format(
                    number=order.number, status=order.get_status_display().lower()
                )
            }
        )
    since_closing = list(
        Task.objects.filter(
            opportunity=fresh, status__in=OPEN_TASK_STATUSES, created_at__gte=fresh.closed_at
        ).order_by("id")
    )
    reopened = opportunity_move_stage(
        opportunity=fresh, by=by, to_stage=to_stage, expected_version=expected_version, at=at
    )
    reopened.order_cancelled = None
    if order is not None and order.status == OrderStatus.CONFIRMED:
        reopened.order_cancelled = order_set_status(
            order=order, by=by, status=OrderStatus.CANCELLED
        )
    note = REOPEN_TASKS_NOTE.format(day=_day(at))
    for task in since_closing:
        task_cancel(task=task, by=by, note=note)
    reopened.tasks_closed = len(since_closing)
    return reopened


WIN_ON_THE_DEAL_PAGE = "Open the deal and use Won there to confirm."


@transaction.atomic
def opportunity_move_interactive(
    *,
    opportunity: Opportunity,
    by: User,
    to_stage: Stage,
    expected_version: int | None = None,
    lost_reason: str = "",
    competitor: str | None = None,
    confirmed: bool = False,
) -> Opportunity:
    """A stage move a person asked for (the board, the API's move): the same rules as Won
    and Reopen on the deal's page, so no route passes them by.

    Into the Won stage it is ``opportunity_close_won`` (a win that skips stages
    or leaves exit criteria unmet needs ``confirmed``); a closed deal moved into
    an open stage is ``opportunity_reopen`` (grace period, order); any other
    move is ``opportunity_move_stage``.
    """
    if to_stage.pipeline_id == opportunity.pipeline_id and to_stage.pk != opportunity.stage_id:
        if to_stage.kind == StageKind.WON:
            try:
                return opportunity_close_won(
                    opportunity=opportunity,
                    by=by,
                    expected_version=expected_version,
                    confirmed=confirmed,
                )
            except ValidationError as exc:
                if "confirm" in getattr(exc, "error_dict", {}):
                    messages = exc.message_dict["confirm"]
                    raise ValidationError({"confirm": [*messages, WIN_ON_THE_DEAL_PAGE]}) from exc
                raise
        if to_stage.kind == StageKind.OPEN and opportunity.status != OpportunityStatus.OPEN:
            return opportunity_reopen(
                opportunity=opportunity,
                by=by,
                to_stage=to_stage,
                expected_version=expected_version,
            )
    return opportunity_move_stage(
        opportunity=opportunity,
        by=by,
        to_stage=to_stage,
        expected_version=expected_version,
        lost_reason=lost_reason,
        competitor=competitor,
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

    Each item: ``product``, ``quantity``, ``unit_price`` (defaults to the price in
    the deal's price list, else the list price), ``discount_percent``. A pending
    discount approval that no longer covers the largest discount is cancelled.
    """
    fresh = lock_current(opportunity, expected_version=expected_version)
    before = contribution(fresh)
    price_list = price_list_of(fresh)
    new_items = []
    for index, item in enumerate(items):
        unit_price = item.get("unit_price")
        line = LineItem(
            opportunity=fresh,
            product=item["product"],
            quantity=item.get("quantity", Decimal("1")),
            unit_price=price_of(price_list, item["product"]) if unit_price is None else unit_price,
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
    stage_totals_shift(before=before, after=contribution(fresh))
    top = max((line.discount_percent for line in new_items), default=Decimal("0"))
    fresh.discount_approvals.filter(
        status=DiscountApprovalStatus.PENDING, discount_percent__lt=top
    ).update(status=DiscountApprovalStatus.CANCELLED, decided_at=timezone.now())
    return fresh


# --- the process matrix: follow-ups and milestones ---------------------------------------------
def _follow_up_assignee(opportunity: Opportunity, rule: str) -> User:
    """Who gets a follow-up task under ``rule`` (the deal owner when the rule finds nobody)."""
    if rule == AssigneeRule.OWNER_MANAGER and opportunity.owner.manager_id:
        return opportunity.owner.manager
    if rule == AssigneeRule.ACCOUNT_OWNER:
        return opportunity.account.owner
    if rule == AssigneeRule.CUSTOMER_SUCCESS:
        return customer_success_for(opportunity.account) or opportunity.account.owner
    return opportunity.owner


@transaction.atomic
def stage_follow_ups_run(
    *, opportunity: Opportunity, stage: Stage, by: User | None, at: datetime.datetime
) -> int:
    """Create the stage's follow-up tasks for the deal, once per deal and stage; returns how many.

    Called by ``opportunity_create`` and ``opportunity_move_stage`` when a deal
    enters a stage. Moving out and back in again creates nothing: the
    ``StageFollowUpRun`` row marks the stage as done for this deal.
    """
    templates = list(stage.follow_ups.all())
    if not templates:
        return 0
    _run, created = StageFollowUpRun.objects.get_or_create(
        opportunity=opportunity, stage=stage, defaults={"run_at": at}
    )
    if not created:
        return 0
    for template in templates:
        task_create(
            by=by,
            title=template.title,
            description=template.description,
            due_at=at + datetime.timedelta(days=template.due_in_days),
            assignee=_follow_up_assignee(opportunity, template.assignee_rule),
            opportunity=opportunity,
            account=opportunity.account,
        )
    StageFollowUpRun.objects.filter(pk=_run.pk).update(tasks_created=len(templates))
    return len(templates)


MILESTONE_NOT_IN_PROCESS = "This milestone belongs to another sales process than the deal's."


@transaction.atomic
def opportunity_milestone_set(
    *, opportunity: Opportunity, milestone: Milestone, by: User, reached: bool
) -> OpportunityMilestone | None:
    """Tick (or untick) a milestone on a deal, recording who and when.

    Ticking an already reached milestone keeps the first tick; unticking deletes
    the row (its history keeps who unticked it and when).
    """
    if milestone.stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationError({"milestone": MILESTONE_NOT_IN_PROCESS})
    existing = OpportunityMilestone.objects.filter(
        opportunity=opportunity, milestone=milestone
    ).first()
    if reached:
        if existing is not None:
            return existing
        row = OpportunityMilestone(
            opportunity=opportunity, milestone=milestone, reached_by=by, reached_at=timezone.now()
        )
        row._history_user = by
        row.save()
        return row
    if existing is not None:
        existing._history_user = by
        existing.delete()
    return None


# --- discounts, quotes and orders ---------------------------------------------------------------
DISCOUNT_NEEDS_APPROVAL = (
    "A discount of {discount} % is above the price list's {threshold} % threshold: "
    "ask a manager to approve it first."
)
DISCOUNT_NO_APPROVAL_NEEDED = (
    "The discounts are within the price list's threshold; no approval needed."
)
DISCOUNT_ALREADY_PENDING = "An approval request for this deal is already waiting for a decision."
DISCOUNT_NOT_PENDING = "This request was already decided ({status})."
DISCOUNT_NOT_YOUR_CALL = "Only a manager above the deal's owner can decide on its discount."
DISCOUNT_REJECT_NEEDS_COMMENT = "Say why the discount is rejected."
QUOTE_NEEDS_LINES = "Add line items before issuing a quote."
ORDER_STATUS_SAME = "The order is already {status}."


def _require_discount_approved(opportunity: Opportunity) -> None:
    status = discount_status(opportunity)
    if status["state"] in ("not_needed", "approved"):
        return
    raise ValidationError(
        {
            "discount": DISCOUNT_NEEDS_APPROVAL.format(
                discount=status["max_discount"], threshold=status["threshold"]
            )
        }
    )


def _approvers_of(opportunity: Opportunity) -> list[User]:
    """Who may decide on a deal's discount: the owner's managers, nearest first."""
    approvers = []
    person = opportunity.owner.manager
    while person is not None and person not in approvers:
        if person.is_active:
            approvers.append(person)
        person = person.manager
    return approvers


def notify_discount_approval_requested(approval: DiscountApproval) -> None:
    """Tell the owner's managers that a discount waits for their decision.

    In-app, and by email unless they turned it off; the approvals page lists it too.
    """
    opportunity = approval.opportunity
    notifications_write(
        kind=NotificationKind.DISCOUNT_APPROVAL,
        items=[
            Pending(
                recipient_id=manager.pk,
                subject_type=SubjectType.OPPORTUNITY,
                subject_id=opportunity.pk,
                occasion=f"approval-{approval.pk}-requested",
                title=f"Discount approval requested: {opportunity}",
                body=(
                    f"{approval.requested_by} asks to give {approval.discount_percent} % "
                    f"discount (threshold {approval.threshold_percent} %). "
                    f"{approval.request_comment}"
                ).strip(),
            )
            for manager in _approvers_of(opportunity)
        ],
        now=timezone.now(),
    )


def notify_discount_approval_decided(approval: DiscountApproval) -> None:
    """Tell the requester how their discount request was decided (in-app and email)."""
    if approval.requested_by_id is None:
        return
    decision = approval.get_status_display().lower()
    notifications_write(
        kind=NotificationKind.DISCOUNT_APPROVAL,
        items=[
            Pending(
                recipient_id=approval.requested_by_id,
                subject_type=SubjectType.OPPORTUNITY,
                subject_id=approval.opportunity_id,
                occasion=f"approval-{approval.pk}-{approval.status}",
                title=f"Discount {decision}: {approval.opportunity}",
                body=(
                    f"{approval.decided_by} {decision} the {approval.discount_percent} % "
                    f"discount. {approval.decision_comment}"
                ).strip(),
            )
        ],
        now=timezone.now(),
    )


@transaction.atomic
def discount_approval_request(
    *, opportunity: Opportunity, by: User, comment: str = ""
) -> DiscountApproval:
    """Ask the owner's manager to approve the deal's largest discount (above the threshold)."""
    fresh = lock_current(opportunity, expected_version=None)
    status = discount_status(fresh)
    if status["state"] in ("not_needed", "approved"):
        raise ValidationError({"discount": DISCOUNT_NO_APPROVAL_NEEDED})
    if status["state"] == "pending":
        raise ValidationError({"discount": DISCOUNT_ALREADY_PENDING})
    approval = DiscountApproval.objects.create(
        opportunity=fresh,
        discount_percent=status["max_discount"],
        threshold_percent=status["threshold"],
        requested_by=by,
        request_comment=comment.strip(),
    )
    transaction.on_commit(lambda: notify_discount_approval_requested(approval))
    return approval


@transaction.atomic
def discount_approval_decide(
    *, approval: DiscountApproval, by: User, approve: bool, comment: str = ""
) -> DiscountApproval:
    """Approve or reject a discount request; only a manager above the deal's owner decides."""
    fresh = DiscountApproval.objects.select_for_update().get(pk=approval.pk)
    if not can_decide_discount(by, fresh.opportunity):
        raise PermissionDenied(DISCOUNT_NOT_YOUR_CALL)
    if fresh.status != DiscountApprovalStatus.PENDING:
        raise ValidationError(
            {"status": DISCOUNT_NOT_PENDING.format(status=fresh.get_status_display().lower())}
        )
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": DISCOUNT_REJECT_NEEDS_COMMENT})
    fresh.status = DiscountApprovalStatus.APPROVED if approve else DiscountApprovalStatus.REJECTED
    fresh.decided_by = by
    fresh.decided_at = timezone.now()
    fresh.decision_comment = comment
    fresh.save()
    transaction.on_commit(lambda: notify_discount_approval_decided(fresh))
    return fresh


@transaction.atomic
def quote_create(*, opportunity: Opportunity, by: User, valid_days: int = 30) -> Quote:
    """Issue the next version of the deal's quote: a PDF of its line items, kept for the record.

    Needs line items, and any discount above the threshold approved.
    """
    fresh = lock_current(opportunity, expected_version=None)
    lines = list(fresh.line_items.select_related("product"))
    if not lines:
        raise ValidationError({"line_items": QUOTE_NEEDS_LINES})
    _require_discount_approved(fresh)
    now = timezone.now()
    last = fresh.quotes.aggregate(top=Max("version"))["top"] or 0
    quote = Quote(
        opportunity=fresh,
        version=last + 1,
        created_by=by,
        created_at=now,
        valid_until=timezone.localdate(now) + datetime.timedelta(days=valid_days),
        amount=sum((line.total for line in lines), Decimal("0.00")),
        currency=currency_of(fresh),
        lines=[
            {
                "product": line.product.name,
                "sku": line.product.sku,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "total": str(line.total),
            }
            for line in lines
        ],
    )
    quote.full_clean(exclude=["pdf"])  # refuse before a file is written
    pdf = render_quote_pdf(quote)
    quote.pdf.save(f"{quote.number}.pdf", ContentFile(pdf), save=False)
    quote.save()
    return quote


@transaction.atomic
def order_create_from_won(
    *, opportunity: Opportunity, by: User | None, at: datetime.datetime
) -> Order | None:
    """Turn a won deal into an order (lines and amounts from its line items) plus after-sales tasks.

    One order per deal: winning again after a move back keeps the first order and
    creates no new tasks (returns None); after ``opportunity_reopen`` cancelled it,
    winning again confirms that order anew with the deal's current lines. The
    delivery check and feedback request go to the account's customer success
    manager, else the account owner.
    """
    order = Order.objects.filter(opportunity=opportunity).first()
    if order is not None and order.status != OrderStatus.CANCELLED:
        return None
    lines = list(opportunity.line_items.select_related("product"))
    if lines:
        amount = sum((line.total for line in lines), Decimal("0.00"))
        gross = sum(
            ((line.quantity * line.unit_price).quantize(CENTS) for line in lines), Decimal("0.00")
        )
    else:
        amount = gross = opportunity.amount
    if order is None:
        order = Order(opportunity=opportunity, created_at=at, created_by=by)
    else:
        order.lines.all().delete()
    order.status = OrderStatus.CONFIRMED
    order.amount, order.gross_amount = amount, gross
    order.currency = currency_of(opportunity)
    order.status_changed_at = at
    order._history_user = by
    order.save()
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            total=line.total,
        )
        for line in lines
    )
    assignee = customer_success_for(opportunity.account) or opportunity.account.owner
    for title, description, days in AFTER_SALES_TASKS:
        task_create(
            by=by,
            title=f"{title}: {opportunity.name}",
            description=description,
            due_at=at + datetime.timedelta(days=days),
            assignee=assignee,
            opportunity=opportunity,
            account=opportunity.account,
        )
    return order


@transaction.atomic
def order_set_status(*, order: Order, by: User, status: str) -> Order:
    """Move an order along: confirmed → delivered → invoiced, or cancelled."""
    fresh = Order.objects.select_for_update().get(pk=order.pk)
    if fresh.status == status:
        raise ValidationError({"status": ORDER_STATUS_SAME.format(status=status)})
    fresh.status = status
    fresh.status_changed_at = timezone.now()
    fresh.full_clean()
    fresh._history_user = by
    fresh.save()
    return fresh
