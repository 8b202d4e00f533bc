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

The same shift keeps ``DealMonthTotal``: the deals per owner, stage, territory,
segment, source and month, which dashboards read when they group or filter by
the account's territory or segment or by source (``deal_months_rebuild`` is its
reference). The territory and segment are the account's: ``account_update``
moves the account's deals between rows when it changes them
(``deal_months_move_account``).
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
from pipewise.customers.models import Account
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import DealMonthTotal, Opportunity, Stage, StageTotal

ZERO = Decimal("0.00")


class Contribution(NamedTuple):
    """What one live deal adds to the totals: one deal and its amount, in one row's key
    (the account, source and expected close day place it in the month totals)."""

    owner_id: int
    stage_id: int
    closed_on: datetime.date | None
    amount: Decimal
    account_id: int | None = None
    source: str = ""
    close_date: datetime.date | None = None


class MonthKey(NamedTuple):
    """The row of ``DealMonthTotal`` one deal (or a group of ``count`` deals) counts in."""

    owner_id: int
    stage_id: int
    territory_id: int | None
    segment_id: int | None
    source: str
    month: datetime.date
    amount: Decimal
    count: int = 1


def contribution(opportunity: Opportunity) -> Contribution | None:
    """The row a deal counts in (closed deals by their local close day); None once deleted."""
    if opportunity.deleted_at is not None:
        return None
    closed_on = None
    if opportunity.status != OpportunityStatus.OPEN and opportunity.closed_at is not None:
        closed_on = timezone.localdate(opportunity.closed_at)
    return Contribution(
        opportunity.owner_id,
        opportunity.stage_id,
        closed_on,
        opportunity.amount or ZERO,
        opportunity.account_id,
        opportunity.source,
        opportunity.close_date,
    )


def stage_totals_shift(*, before: Contribution | None, after: Contribution | None) -> None:
    """Move one deal's contribution from ``before`` to ``after`` (either may be None).

    Precondition: called inside the transaction that wrote the deal, after the
    write, with the deal's row locked. A missing row on the way down means the
    totals drifted (a write that went around the services): that owner's rows are
    rebuilt from the deals (``core.running``).
    """
    running_shift(before=before, after=after, add=_add, rebuild=stage_totals_rebuild)
    places = _account_places({c.account_id for c in (before, after) if c is not None})
    running_shift(
        before=_month_key(before, places),
        after=_month_key(after, places),
        add=_add_month,
        rebuild=deal_months_rebuild,
    )


def _account_places(account_ids: set[int | None]) -> dict[int, tuple[int | None, int | None]]:
    """The territory and segment of each account (one query)."""
    ids = [pk for pk in account_ids if pk is not None]
    if not ids:
        return {}
    rows = Account.all_objects.filter(pk__in=ids).values_list("pk", "territory_id", "segment_id")
    return {pk: (territory, segment) for pk, territory, segment in rows}


def _month_key(key: Contribution | None, places) -> MonthKey | None:
    if key is None:
        return None
    territory, segment = places.get(key.account_id, (None, None))
    day = key.closed_on or key.close_date
    return MonthKey(
        key.owner_id,
        key.stage_id,
        territory,
        segment,
        key.source,
        day.replace(day=1),
        key.amount,
    )


def _month_rows(key: MonthKey):
    return DealMonthTotal.objects.filter(
        owner_id=key.owner_id,
        stage_id=key.stage_id,
        territory_id=key.territory_id,
        segment_id=key.segment_id,
        source=key.source,
        month=key.month,
    )


def _add_month(key: MonthKey, sign: int) -> bool:
    """Add (sign 1) or take away (-1) ``key.count`` deals; False when taking more than the
    row holds."""
    rows = _month_rows(key)
    if sign < 0:
        rows = rows.filter(count__gte=key.count)
    return running_add(
        rows,
        sign=sign,
        change={
            "count": F("count") + sign * key.count,
            "amount": F("amount") + sign * key.amount,
        },
        create=lambda: DealMonthTotal.objects.create(
            **{field: getattr(key, field) for field in MonthKey._fields}
        ),
    )


def _deal_months(deals) -> dict[tuple, list]:
    """The live deals' month rows as ``{(owner, stage, territory, segment, source, month):
    [count, amount]}``: one ``GROUP BY`` per local day (as ``stage_totals_rebuild``
    reads days), folded into months here."""
    grouped = (
        deals.order_by()
        .annotate(
            day=Case(
                When(status=OpportunityStatus.OPEN, then=F("close_date")),
                When(closed_at__isnull=True, then=F("close_date")),
                default=TruncDate("closed_at"),
                output_field=DateField(),
            )
        )
        .values(
            "owner_id", "stage_id", "account__territory_id", "account__segment_id", "source", "day"
        )
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    months: dict[tuple, list] = {}
    for row in grouped.iterator(chunk_size=2000):
        key = (
            row["owner_id"],
            row["stage_id"],
            row["account__territory_id"],
            row["account__segment_id"],
            row["source"],
            row["day"].replace(day=1),
        )
        found = months.setdefault(key, [0, ZERO])
        found[0] += row["n"]
        found[1] += row["total"] or ZERO
    return months


@transaction.atomic
def deal_months_rebuild(*, owner_ids: Iterable[int] | None = None) -> int:
    """Recompute the month totals from the live deals (of ``owner_ids``, or everyone's);
    rows written."""
    deals = _cleared(DealMonthTotal, owner_ids)
    created = DealMonthTotal.objects.bulk_create(
        (
            DealMonthTotal(
                owner_id=owner,
                stage_id=stage,
                territory_id=territory,
                segment_id=segment,
                source=source,
                month=month,
                count=count,
                amount=amount,
            )
            for (owner, stage, territory, segment, source, month), (count, amount) in _deal_months(
                deals
            ).items()
        ),
        batch_size=1000,
    )
    return len(created)


def deal_months_move_account(
    *,
    account_id: int,
    before: tuple[int | None, int | None],
    after: tuple[int | None, int | None],
) -> None:
    """Move an account's deals from the rows of its old (territory, segment) to those of
    the new one. Precondition: inside the transaction that changed the account, with its
    row locked. A row that holds fewer deals than it should is rebuilt with its owners'."""
    if before == after:
        return
    groups = _deal_months(Opportunity.objects.filter(account_id=account_id))
    drifted = set()
    for (owner, stage, _, _, source, month), (count, amount) in groups.items():
        old = MonthKey(owner, stage, *before, source, month, amount, count)
        if not _add_month(old, -1):
            drifted.add(owner)
            continue
        _add_month(old._replace(territory_id=after[0], segment_id=after[1]), 1)
    if drifted:
        deal_months_rebuild(owner_ids=drifted)


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


def _cleared(model, owner_ids: Iterable[int] | None):
    """Delete the running rows of ``model`` of ``owner_ids`` (None: everyone's) before they
    are recounted; the live deals to recount them from."""
    rows = model.objects.all()
    deals = Opportunity.objects.all()
    if owner_ids is not None:
        owner_ids = list(owner_ids)
        rows = rows.filter(owner_id__in=owner_ids)
        deals = deals.filter(owner_id__in=owner_ids)
    rows.delete()
    return deals


@transaction.atomic
def stage_totals_rebuild(*, owner_ids: Iterable[int] | None = None) -> int:
    """Recompute the totals from the live deals (of ``owner_ids``, or everyone's); rows written."""
    deals = _cleared(StageTotal, owner_ids)
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
