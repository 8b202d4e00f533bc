"""Reads about how deals move through a sales process: the process map and the milestone report.

Both are computed from history rows — ``StageChange`` for the map,
``OpportunityMilestone`` for the report — and only over the deals the reader
may see (``opportunity_visible_to``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from pipewise.org.models import Team, User
from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import (
    Milestone,
    OpportunityMilestone,
    Pipeline,
    Stage,
    StageChange,
)
from pipewise.pipeline.permissions import opportunity_visible_to

SECONDS_PER_DAY = Decimal(86400)


@dataclass
class StageFigures:
    """What the process map shows for one stage."""

    stage: Stage
    milestones: list[Milestone]
    entered: int = 0
    converted: int = 0
    stays: int = 0
    stay_seconds: float = 0.0
    count: int = 0
    amount: Decimal = Decimal("0.00")

    @property
    def conversion(self) -> Decimal | None:
        """Share (0–100 %) of the deals that entered the stage and later reached a further one."""
        if not self.entered:
            return None
        return (Decimal(self.converted) * 100 / self.entered).quantize(Decimal("0.1"))

    @property
    def average_days(self) -> Decimal | None:
        """Average length of the finished stays in the stage, in days."""
        if not self.stays:
            return None
        return (Decimal(self.stay_seconds) / self.stays / SECONDS_PER_DAY).quantize(Decimal("0.1"))


@dataclass
class ProcessMap:
    pipeline: Pipeline
    stages: list[StageFigures] = field(default_factory=list)


def process_map(*, pipeline: Pipeline, user: User) -> ProcessMap:
    """The process map figures of one pipeline, from the stage history of the visible deals.

    Per stage: **entered** = deals with a stage-history row into it; **converted**
    = of those, the deals that afterwards entered a later stage that is not
    Lost (skipping counts); **average days** = mean length of the finished stays
    (from the row into the stage to the deal's next row; a deal still there is
    not counted); **count/amount** = deals in the stage now.
    """
    stages = list(pipeline.stages.prefetch_related("milestones").order_by("order"))
    figures = {s.pk: StageFigures(stage=s, milestones=list(s.milestones.all())) for s in stages}
    order = {s.pk: s.order for s in stages}
    lost = {s.pk for s in stages if s.kind == StageKind.LOST}
    visible = opportunity_visible_to(user).filter(pipeline=pipeline)
    rows = (
        StageChange.objects.filter(opportunity__in=visible.values("pk"), to_stage__in=order)
        .order_by("opportunity_id", "changed_at", "id")
        .values_list("opportunity_id", "to_stage_id", "changed_at")
    )
    deal, path = None, []
    for opportunity_id, stage_id, changed_at in rows.iterator(chunk_size=5000):
        if opportunity_id != deal:
            _walk(path, figures, order, lost)
            deal, path = opportunity_id, []
        path.append((stage_id, changed_at))
    _walk(path, figures, order, lost)
    current = (
        visible.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .values_list("stage_id", "n", "total")
    )
    for stage_id, count, total in current:
        if stage_id in figures:
            figures[stage_id].count = count
            figures[stage_id].amount = total or Decimal("0.00")
    return ProcessMap(pipeline=pipeline, stages=[figures[s.pk] for s in stages])


def _walk(path, figures, order, lost) -> None:
    """Add one deal's stage path (its history rows in order) to the figures."""
    if not path:
        return
    entered_at: dict[int, int] = {}
    for index, (stage_id, changed_at) in enumerate(path):
        entered_at.setdefault(stage_id, index)
        if index + 1 < len(path):
            figures[stage_id].stays += 1
            figures[stage_id].stay_seconds += (path[index + 1][1] - changed_at).total_seconds()
    for stage_id, first in entered_at.items():
        figures[stage_id].entered += 1
        later = path[first + 1 :]
        if any(order[s] > order[stage_id] and s not in lost for s, _ in later):
            figures[stage_id].converted += 1


# --- milestone report ---------------------------------------------------------------------------
GROUPINGS = {"rep": "Rep", "team": "Team"}


def _bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    high = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return low, high


def previous_period(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period of the same length just before ``start``–``end`` (both inclusive)."""
    length = (end - start).days + 1
    return start - datetime.timedelta(days=length), start - datetime.timedelta(days=1)


def _counts(visible, start, end, key: str | None) -> dict[tuple, int]:
    low, high = _bounds(start, end)
    rows = OpportunityMilestone.objects.filter(
        opportunity__in=visible.values("pk"), reached_at__gte=low, reached_at__lt=high
    ).order_by()
    names = ["milestone_id"] + ([key] if key else [])
    return {
        tuple(row[n] for n in names): row["n"]
        for row in rows.values(*names).annotate(n=Count("id"))
    }


def milestone_report(
    *,
    user: User,
    start: datetime.date,
    end: datetime.date,
    pipeline: Pipeline | None = None,
    group_by: str | None = None,
) -> dict:
    """How many deals reached each milestone in ``start``–``end`` against the period before.

    One row per milestone (of ``pipeline``, or of every active process), with
    ``current`` and ``previous`` counts; with ``group_by`` ("rep" or "team", by the
    deal owner's team) one row per milestone and group. Only visible deals count.
    """
    visible = opportunity_visible_to(user)
    milestones = Milestone.objects.select_related("stage__pipeline").order_by(
        "stage__pipeline__name", "stage__order", "order", "id"
    )
    if pipeline is not None:
        milestones = milestones.filter(stage__pipeline=pipeline)
        visible = visible.filter(pipeline=pipeline)
    else:
        milestones = milestones.filter(stage__pipeline__active=True)
    key = {"rep": "opportunity__owner_id", "team": "opportunity__owner__team_id"}.get(group_by)
    before = previous_period(start, end)
    now_counts = _counts(visible, start, end, key)
    then_counts = _counts(visible, *before, key)
    groups = sorted({k[1] for k in (*now_counts, *then_counts)} if key else {None}, key=str)
    labels = _group_labels(group_by, groups)
    rows = []
    for milestone in milestones:
        for group in groups:
            ident = (milestone.pk, group) if key else (milestone.pk,)
            current, previous = now_counts.get(ident, 0), then_counts.get(ident, 0)
            if key and not (current or previous):
                continue
            rows.append(
                {
                    "milestone": milestone,
                    "group": labels.get(group, "") if key else "",
                    "group_id": group,
                    "current": current,
                    "previous": previous,
                    "change": current - previous,
                }
            )
    return {
        "start": start,
        "end": end,
        "previous_start": before[0],
        "previous_end": before[1],
        "group_by": group_by,
        "rows": rows,
    }


def _group_labels(group_by: str | None, ids) -> dict:
    ids = [i for i in ids if i is not None]
    if group_by == "rep":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} | {None: "Nobody"}
    if group_by == "team":
        return {t.pk: t.name for t in Team.objects.filter(pk__in=ids)} | {None: "No team"}
    return {}
