"""Running totals of deals per owner and stage, so no page sums a million deals per request.

A board column's count and sum, My day's open pipeline and the opportunity
list's totals read ``StageTotal``: one row per (owner, stage) for open deals and
one per (owner, stage, day closed) for closed ones. A manager's board adds up a
few dozen rows whether the team holds ten deals or a million.

Every service that changes what a deal contributes (create, edit, stage move,
line items, delete, restore) calls ``stage_totals_shift`` in its own
transaction with the deal's contribution before and after. Bulk writers (demo
data, benchmark data) call ``stage_totals_rebuild``, which recomputes the rows
from the deals and is the reference the tests compare the running totals with.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Case, Count, DateField, F, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from pipewise.core.money import CENTS
from pipewise.core.running import running_add, running_shift
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import Opportunity, Stage, StageTotal

ZERO = Decimal("0.00")


class Contribution(NamedTuple):
    """What one live deal adds to the totals: one deal and its amount, in one row's key."""

    owner_id: int
    stage_id: int
    closed_on: datetime.date | None
    amount: Decimal


def contribution(opportunity: Opportunity) -> Contribution | None:
    """The row a deal counts in (closed deals by their local close day); None once deleted."""
    if opportunity.deleted_at is not None:
        return None
    closed_on = None
    if opportunity.status != OpportunityStatus.OPEN and opportunity.closed_at is not None:
        closed_on = timezone.localdate(opportunity.closed_at)
    return Contribution(
        opportunity.owner_id, opportunity.stage_id, closed_on, opportunity.amount or ZERO
    )


def stage_totals_shift(*, before: Contribution | None, after: Contribution | None) -> None:
    """Move one deal's contribution from ``before`` to ``after`` (either may be None).

    Precondition: called inside the transaction that wrote the deal, after the
    write, with the deal's row locked. A missing row on the way down means the
    totals drifted (a write that went around the services): that owner's rows are
    rebuilt from the deals (``core.running``).
    """
    running_shift(before=before, after=after, add=_add, rebuild=stage_totals_rebuild)


def _add(key: Contribution, sign: int) -> bool:
    """Add (sign 1) or take away (sign -1) one deal; False when taking from a missing row."""
    rows = StageTotal.objects.filter(
        owner_id=key.owner_id, stage_id=key.stage_id, closed_on=key.closed_on
    )
    return running_add(
        rows,
        sign=sign,
        change={"count": F("count") + sign, "amount": F("amount") + sign * key.amount},
        create=lambda: StageTotal.objects.create(
            owner_id=key.owner_id,
            stage_id=key.stage_id,
            closed_on=key.closed_on,
            count=1,
            amount=key.amount,
        ),
    )


@transaction.atomic
def stage_totals_rebuild(*, owner_ids: Iterable[int] | None = None) -> int:
    """Recompute the totals from the live deals (of ``owner_ids``, or everyone's); rows written."""
    rows = StageTotal.objects.all()
    deals = Opportunity.objects.all()
    if owner_ids is not None:
        owner_ids = list(owner_ids)
        rows = rows.filter(owner_id__in=owner_ids)
        deals = deals.filter(owner_id__in=owner_ids)
    rows.delete()
    grouped = (
        deals.order_by()
        .annotate(
            day=Case(
                When(status=OpportunityStatus.OPEN, then=None),
                default=TruncDate("closed_at"),
                output_field=DateField(),
            )
        )
        .values("owner_id", "stage_id", "day")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    created = StageTotal.objects.bulk_create(
        (
            StageTotal(
                owner_id=row["owner_id"],
                stage_id=row["stage_id"],
                closed_on=row["day"],
                count=row["n"],
                amount=row["total"] or ZERO,
            )
            for row in grouped.iterator(chunk_size=2000)
        ),
        batch_size=1000,
    )
    return len(created)


@dataclass(frozen=True)
class StageFigure:
    """A stage's deal count and amount (and, with its probability, the weighted amount)."""

    count: int = 0
    amount: Decimal = ZERO


def stage_totals(
    *,
    owner_ids: Collection[int] | None,
    pipeline_id: int | None = None,
    stage_ids: Collection[int] | None = None,
    statuses: Collection[str] | None = None,
    closed_since: datetime.date | None = None,
) -> dict[int, StageFigure]:
    """Count and amount per stage of the live deals of ``owner_ids`` (None = everyone's).

    ``statuses`` keeps deals whose stage is of those kinds (a deal's status
    follows its stage); ``closed_since`` keeps only the closed deals closed on or
    after that local day (open deals always count). One query over the totals rows, or
    two with ``closed_since``: the open rows, then the recent closed ones. Each then seeks
    its own range of the (stage, closed_on) index; one query with ``closed_on IS NULL OR
    closed_on >= …`` reads every closed day the stages ever had.
    """
    rows = StageTotal.objects.all()
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=list(owner_ids))
    if pipeline_id is not None:
        rows = rows.filter(stage__pipeline_id=pipeline_id)
    if stage_ids is not None:
        rows = rows.filter(stage_id__in=list(stage_ids))
    if statuses is not None:
        rows = rows.filter(stage__kind__in=list(statuses))
    parts = [rows]
    if closed_since is not None:
        parts = [rows.filter(closed_on__isnull=True), rows.filter(closed_on__gte=closed_since)]
    figures: dict[int, StageFigure] = {}
    for part in parts:
        grouped = part.order_by().values("stage_id").annotate(n=Sum("count"), total=Sum("amount"))
        for row in grouped:
            if row["n"]:
                before = figures.get(row["stage_id"], StageFigure())
                figures[row["stage_id"]] = StageFigure(
                    before.count + row["n"], before.amount + (row["total"] or ZERO)
                )
    return figures


def figures_total(figures: dict[int, StageFigure], stages: Iterable[Stage]) -> dict:
    """Count, amount and probability-weighted amount over the stages' figures."""
    count, amount, weighted = 0, ZERO, ZERO
    for stage in stages:
        figure = figures.get(stage.pk)
        if figure is None:
            continue
        count += figure.count
        amount += figure.amount
        weighted += figure.amount * stage.probability / 100
    return {"count": count, "amount": amount, "weighted": weighted.quantize(CENTS)}


# The list filters the running totals are kept by; any other filter needs the deals themselves.
TOTALS_FILTERS = frozenset({"status", "pipeline", "stage", "owner"})


def filtered_totals(
    *,
    owner_ids: Collection[int] | None,
    cleaned: dict,
    statuses: Collection[str] | None,
    stages,
) -> dict | None:
    """The totals of an opportunity list filtered by ``cleaned`` (a valid filter form's data).

    From the running totals when only owner, status, pipeline and stage are
    filtered on; None when another filter is set (the caller then sums the deals).
    ``statuses`` are those the list keeps (its status box's value read by the FilterSet,
    the open deals by default; None for every status). ``stages`` must hold every stage
    the result can include (for the weights).
    """
    active = {name for name, value in cleaned.items() if value not in (None, "", [])}
    if active - TOTALS_FILTERS:
        return None
    owner = cleaned.get("owner")
    if owner is not None:
        owner_ids = [owner.pk] if owner_ids is None or owner.pk in owner_ids else []
    pipeline = cleaned.get("pipeline")
    stage = cleaned.get("stage")
    figures = stage_totals(
        owner_ids=owner_ids,
        pipeline_id=pipeline.pk if pipeline else None,
        stage_ids=[stage.pk] if stage else None,
        statuses=statuses,
    )
    return figures_total(figures, stages)
