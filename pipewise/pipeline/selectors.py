"""Reads about sales processes, opportunities, their milestones, discounts and quotes."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, QuerySet, Sum

from pipewise.activities.choices import OPEN_TASK_STATUSES
from pipewise.activities.models import Task
from pipewise.catalog.models import PriceList, Product
from pipewise.core.money import PER_CENT
from pipewise.org.choices import Role
from pipewise.org.models import OrganisationSettings, User
from pipewise.org.selectors import territory_path
from pipewise.pipeline.choices import (
    REQUIRABLE_FIELDS,
    DiscountApprovalStatus,
    OpportunityStatus,
    StageKind,
)
from pipewise.pipeline.models import Milestone, Opportunity, Order, Pipeline, Quote, Stage


def default_pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def outcome_stage(pipeline: Pipeline, kind: str) -> Stage:
    """The pipeline's Won (or Lost) stage."""
    return pipeline.stages.filter(kind=kind).order_by("order").first()


def first_open_stage(pipeline: Pipeline) -> Stage:
    return pipeline.stages.filter(kind=StageKind.OPEN).order_by("order").first()


def opportunity_list(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """What every opportunity list needs, with a fixed number of queries.

    Account, stage and owner come by prefetch (one ``IN`` query each), not by
    join: with joins, SQLite's planner drives the query from the joined table
    (the visible owners, or all accounts) and sorts every matching deal, a
    cost that grows with the table. Unjoined, the page query walks the
    primary key (or the filter's index) and stops at the page size.
    """
    return queryset.prefetch_related("account", "stage", "owner")


def opportunity_totals(queryset: QuerySet[Opportunity]) -> dict:
    """Count, amount and probability-weighted amount of a (filtered) set of opportunities."""
    weighted = ExpressionWrapper(
        F("amount") * F("stage__probability") * PER_CENT,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    # The aliases must differ from the field names: an aggregate named "amount" would
    # shadow the field that the weighted sum reads (FieldError "'amount' is an aggregate").
    totals = queryset.order_by().aggregate(
        total_count=Count("id"), total_amount=Sum("amount"), total_weighted=Sum(weighted)
    )
    return {
        "count": totals["total_count"],
        "amount": totals["total_amount"],
        "weighted": totals["total_weighted"],
    }


# --- the process matrix -----------------------------------------------------------------------
def customer_success_for(account) -> User | None:
    """The customer success manager of an account: active, covering its territory (closest first).

    A manager for "Bavaria" wins over one for "Germany"; among equals, the longest-standing user.
    """
    if account is None or account.territory_id is None:
        return None
    for territory in reversed(territory_path(account.territory)):
        person = (
            User.objects.filter(
                is_active=True, user_roles__role=Role.CUSTOMER_SUCCESS, territories=territory
            )
            .order_by("id")
            .first()
        )
        if person is not None:
            return person
    return None


def stages_to_leave(opportunity: Opportunity, to_stage: Stage) -> list[Stage]:
    """The stages whose exit criteria a move must meet: the current one and any it skips.

    Only a step forward counts (to a later open stage or to Won); moving back or
    losing the deal never has to meet criteria. A closed deal that reopens leaves
    no open stage.
    """
    current = opportunity.stage
    if current.kind != StageKind.OPEN or to_stage.kind == StageKind.LOST:
        return []
    if to_stage.order <= current.order:
        return []
    return list(
        opportunity.pipeline.stages.filter(
            kind=StageKind.OPEN, order__gte=current.order, order__lt=to_stage.order
        )
        .prefetch_related("milestones")
        .order_by("order")
    )


def missing_fields(opportunity: Opportunity, stage: Stage) -> list[str]:
    """Labels of the stage's required fields that the deal has not filled."""
    missing = []
    for name in stage.required_fields:
        if name == "line_items":
            filled = opportunity.line_items.exists()
        elif name == "amount":
            filled = opportunity.amount > 0
        else:
            filled = bool(getattr(opportunity, name))
        if not filled:
            missing.append(REQUIRABLE_FIELDS[name])
    return missing


def unmet_exit_criteria(opportunity: Opportunity, to_stage: Stage) -> list[str]:
    """One sentence per stage left with unmet criteria (missing fields, milestones not reached)."""
    stages = stages_to_leave(opportunity, to_stage)
    if not stages:
        return []
    reached = set(opportunity.milestones_reached.values_list("milestone_id", flat=True))
    problems = []
    for stage in stages:
        parts = [f"{label} missing" for label in missing_fields(opportunity, stage)]
        parts += [f"“{m.name}” not reached" for m in stage.milestones.all() if m.pk not in reached]
        if parts:
            problems.append(f"Exit criteria of “{stage.name}”: {'; '.join(parts)}.")
    return problems


@dataclass
class ClosingConcerns:
    """What closing a deal now would pass over: asked about before it is won or lost."""

    skipped: list[Stage]
    """Open stages after the furthest one the deal reached (winning jumps over them)."""
    unmet: list[str]
    """One sentence per stage left with unmet exit criteria."""
    open_task_ids: list[int]
    """The deal's open tasks: pre-sale work that closing leaves without a purpose."""

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.skipped or self.unmet)


def closing_concerns(opportunity: Opportunity, to_stage: Stage) -> ClosingConcerns:
    """What moving ``opportunity`` to the Won or Lost stage ``to_stage`` would skip or leave open.

    Only winning skips stages: a deal may be lost in any stage.
    """
    skipped = []
    if to_stage.kind == StageKind.WON and opportunity.status == StageKind.OPEN:
        reached = max(opportunity.furthest_stage_order or 0, opportunity.stage.order)
        skipped = list(
            opportunity.pipeline.stages.filter(
                kind=StageKind.OPEN, order__gt=reached, order__lt=to_stage.order
            ).order_by("order")
        )
    return ClosingConcerns(
        skipped=skipped,
        unmet=unmet_exit_criteria(opportunity, to_stage),
        open_task_ids=list(
            Task.objects.filter(opportunity=opportunity, status__in=OPEN_TASK_STATUSES)
            .order_by("id")
            .values_list("pk", flat=True)
        ),
    )


def stage_before_closing(opportunity: Opportunity) -> Stage:
    """The open stage a closed deal was in when it was won or lost (its first stage if unknown)."""
    closing = (
        opportunity.stage_changes.filter(to_stage_id=opportunity.stage_id)
        .select_related("from_stage")
        .order_by("-changed_at", "-id")
        .first()
    )
    if closing is not None and closing.from_stage and closing.from_stage.kind == StageKind.OPEN:
        return closing.from_stage
    return first_open_stage(opportunity.pipeline)


def milestone_checklist(opportunity: Opportunity) -> list[dict]:
    """Every milestone of the deal's process, stage by stage, with who reached it and when."""
    reached = {
        row.milestone_id: row for row in opportunity.milestones_reached.select_related("reached_by")
    }
    milestones = Milestone.objects.filter(stage__pipeline_id=opportunity.pipeline_id)
    milestones = milestones.select_related("stage")
    return [{"milestone": m, "reached": reached.get(m.pk)} for m in milestones]


# --- quotes and orders ------------------------------------------------------------------------
def price_list_of(opportunity: Opportunity) -> PriceList | None:
    """The deal's price list, or the default one (None when there is none)."""
    if opportunity.price_list_id:
        return opportunity.price_list
    return PriceList.objects.filter(is_default=True, active=True).first()


def price_of(price_list: PriceList | None, product: Product) -> Decimal:
    """The product's price in the price list, or its list price when the list does not name it."""
    if price_list is not None:
        item = price_list.items.filter(product=product).first()
        if item is not None:
            return item.unit_price
    return product.list_price


def max_discount(opportunity: Opportunity) -> Decimal:
    """The largest discount on the deal's line items (0 without line items)."""
    value = opportunity.line_items.aggregate(top=Max("discount_percent"))["top"]
    return value if value is not None else Decimal("0")


def discount_status(opportunity: Opportunity) -> dict:
    """Whether the deal's discounts need approval, and where that approval stands.

    ``state`` is ``not_needed`` (within the threshold), ``approved`` (an approval covers
    the largest discount), ``pending``, ``rejected`` (the latest request was refused) or
    ``required`` (nobody was asked yet, or the discount grew beyond the last approval).
    """
    price_list = price_list_of(opportunity)
    threshold = price_list.approval_threshold_percent if price_list else None
    top = max_discount(opportunity)
    latest = opportunity.discount_approvals.order_by("-requested_at", "-id").first()
    result = {"threshold": threshold, "max_discount": top, "latest": latest}
    if threshold is None or top <= threshold:
        return {**result, "state": "not_needed"}
    covering = opportunity.discount_approvals.filter(
        status=DiscountApprovalStatus.APPROVED, discount_percent__gte=top
    ).exists()
    if covering:
        return {**result, "state": "approved"}
    if latest is not None and latest.status == DiscountApprovalStatus.PENDING:
        return {**result, "state": "pending"}
    if latest is not None and latest.status == DiscountApprovalStatus.REJECTED:
        return {**result, "state": "rejected"}
    return {**result, "state": "required"}


def currency_of(opportunity: Opportunity) -> str:
    price_list = price_list_of(opportunity)
    return price_list.currency if price_list else OrganisationSettings.current().currency


# The printed numbers (``Quote.number`` "Q-000123-2", ``Order.number`` "SO-000042") carry
# the keys they are made of, so a typed number is found by primary key (an index lookup).
QUOTE_NUMBER = re.compile(r"^\s*Q-?0*(\d+)(?:-(\d+))?\s*$", re.IGNORECASE)
ORDER_NUMBER = re.compile(r"^\s*SO-?0*(\d+)\s*$", re.IGNORECASE)


def quotes_numbered(quotes: QuerySet[Quote], text: str) -> QuerySet[Quote]:
    """The quotes whose number is ``text`` ("Q-000123-2"; without the version: every
    version of that deal's quote); none when ``text`` is not a quote number."""
    match = QUOTE_NUMBER.match(text)
    if match is None:
        return quotes.none()
    quotes = quotes.filter(opportunity_id=int(match[1]))
    return quotes.filter(version=int(match[2])) if match[2] else quotes


def orders_numbered(orders: QuerySet[Order], text: str) -> QuerySet[Order]:
    """The order whose number is ``text`` ("SO-000042"); none when it is not one."""
    match = ORDER_NUMBER.match(text)
    return orders.filter(pk=int(match[1])) if match else orders.none()


# --- stalled deals ----------------------------------------------------------------------------
def stalled_condition(now: datetime.datetime, *, since: datetime.datetime | None = None) -> Q:
    """Open deals longer in their stage than its expected duration, as of ``now``.

    The one stalled rule (``Stage.stalled_before``), as a filter: the opportunity list's
    *Stalled* filter, the board's, the owners' reminders and the managers' digest read it.
    Exactly the expected time is not yet stalled. With ``since``: only the deals that became
    stalled after ``since``. One range per open stage, each on the (stage, ...) index.
    """
    condition = Q(pk__in=[])
    for stage in Stage.objects.filter(kind=StageKind.OPEN).only("pk", "expected_days"):
        limit = Q(stage_id=stage.pk, stage_entered_at__lt=stage.stalled_before(now))
        if since is not None:
            limit &= Q(stage_entered_at__gte=stage.stalled_before(since))
        condition |= limit
    return Q(status=OpportunityStatus.OPEN) & condition
