"""Import and export of opportunities (``pipewise import opportunities``).

Deals come with their history: the funnel, velocity, cycle length and hit rate
are computed from stage-change rows, so an imported deal must have them. Each
row is written through the pipeline services, exactly as if the deal had been
worked in Pipewise:

* an open deal: ``opportunity_create`` in its stage at ``created_at``
  (one ``StageChange``: created → stage);
* a won or lost deal: ``opportunity_create`` in the process's first open stage
  at ``created_at``, then ``opportunity_move_stage`` into the Won or Lost stage
  at ``closed_at`` (which also sets the status, the forecast category and the
  actual close date, and for a lost deal requires the reason);
* an existing deal whose stage changed: ``opportunity_move_stage`` (at
  ``closed_at`` when it closes, else now); other changes: ``opportunity_update``.

``status`` (open / won / lost) must agree with the stage; either may be given
alone (status won without a stage means the process's Won stage).
"""

from __future__ import annotations

from django.utils import timezone

from pipewise.core.transfer import (
    REQUIRED,
    Column,
    ImportContext,
    NamedReference,
    RecordReference,
    Row,
    ServiceKind,
    UserReference,
    amount,
    choice,
    date,
    moment,
    register,
)
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead
from pipewise.pipeline.choices import ForecastCategory, OpportunityStatus, StageKind
from pipewise.pipeline.models import Opportunity, Pipeline, Stage
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.pipeline.selectors import default_pipeline, first_open_stage, outcome_stage
from pipewise.pipeline.services import (
    EDITABLE_FIELDS,
    LOST_NEEDS_REASON,
    NO_OUTCOME_STAGE,
    OPPORTUNITY_FIELDS,
    opportunity_create,
    opportunity_move_stage,
    opportunity_update,
)

UNKNOWN_STAGE = "the sales process {pipeline!r} has no stage {stage!r}; its stages are: {known}"
STATUS_VS_STAGE = "a {status} deal belongs in a {status} stage, but {stage!r} is {kind}"
REOPEN_NEEDS_STAGE = "name the open stage the deal goes back to"
CLOSED_NEEDS = "required for a won or lost deal: its stage history is built from it"
ONLY_WHEN_CLOSED = "only a won or lost deal has a closed_at"
CLOSED_BEFORE_CREATED = "the deal cannot close before it was created ({created})"
OTHER_PROCESS = "an existing deal stays in its sales process ({pipeline!r})"
OTHER_LEAD = "the lead an existing deal came from cannot be changed"
CLOSED_KEEPS = "a closed deal keeps its {column}; reopen it in Pipewise to change it"
CLOSE_DATE_IS_CLOSING_DAY = (
    "a won or lost deal's close_date is the day it closed ({day}); "
    "leave it empty or make them agree"
)

UPDATABLE_FIELDS = EDITABLE_FIELDS - {"external_id"}


@register
class OpportunityKind(ServiceKind):
    """Deals: account, amount, close date, stage in a sales process, outcome and history."""

    name = "opportunities"
    noun = "opportunity"
    model = Opportunity
    order = 50
    updatable_fields = UPDATABLE_FIELDS
    columns = (
        Column("external_id"),
        Column("name", required=True),
        Column("account", reference=RecordReference(Account, "account"), required=True),
        Column("contact", reference=RecordReference(Contact, "contact")),
        Column("lead", reference=RecordReference(Lead, "lead")),
        Column("owner", reference=UserReference(), required=True, importer_default=True),
        Column("pipeline", reference=NamedReference(Pipeline, "name", "sales process")),
        Column("stage", field="", export="stage__name"),
        Column("amount", parse=amount),
        Column("close_date", parse=date),
        Column("status", parse=choice(OpportunityStatus), field=""),
        Column("lost_reason"),
        Column("source"),
        Column("created_at", parse=moment),
        Column("closed_at", parse=moment, field=""),
        Column("competitor"),
        Column("forecast_category", parse=choice(ForecastCategory)),
    )

    # --- export ------------------------------------------------------------------------
    def queryset(self, user=None):
        return Opportunity.objects.all() if user is None else opportunity_visible_to(user)

    # --- import: pass 1 ---------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        self.default_pipeline = default_pipeline()
        self.stages = {stage.pk: stage for stage in Stage.objects.all()}
        self.stage_names: dict[tuple[int, str], Stage] = {}
        for stage in self.stages.values():
            self.stage_names[(stage.pipeline_id, stage.name.lower())] = stage
        self.pipelines = {pipeline.pk: pipeline for pipeline in Pipeline.objects.all()}
        self.first_open = {pk: first_open_stage(p) for pk, p in self.pipelines.items()}
        self.outcomes = {
            (pk, kind): outcome_stage(p, kind)
            for pk, p in self.pipelines.items()
            for kind in (StageKind.WON, StageKind.LOST)
        }

    def check_row(self, row: Row, existing: Opportunity | None, ctx: ImportContext) -> None:
        values = row.values
        if "pipeline" in row.bad:
            return  # an unknown sales process: its stages cannot be checked
        if existing is not None:
            if values.get("pipeline", existing.pipeline_id) != existing.pipeline_id:
                pipeline = self.pipelines[existing.pipeline_id].name
                ctx.problem(row, "pipeline", OTHER_PROCESS.format(pipeline=pipeline))
                return
            if values.get("lead", existing.lead_id) != existing.lead_id:
                ctx.problem(row, "lead", OTHER_LEAD)
                return
            values["pipeline"] = existing.pipeline_id
        elif "pipeline" not in values:
            values["pipeline"] = self.default_pipeline.pk
        stage = self._target_stage(row, existing, ctx)
        if stage is None:
            return
        values["stage"] = stage.pk
        self._check_closing(row, existing, stage, ctx)

    def _target_stage(self, row: Row, existing, ctx) -> Stage | None:
        """The stage the row puts the deal in: named, implied by the status, or unchanged."""
        values = row.values
        pipeline = self.pipelines[values["pipeline"]]
        status = values.get("status")
        if "stage" in values:
            stage = self.stage_names.get((pipeline.pk, values["stage"].lower()))
            if stage is None:
                known = ", ".join(
                    s.name for s in self.stages.values() if s.pipeline_id == pipeline.pk
                )
                message = UNKNOWN_STAGE.format(
                    pipeline=pipeline.name, stage=values["stage"], known=known
                )
                ctx.problem(row, "stage", message)
                return None
            if status is not None and status != stage.kind:
                message = STATUS_VS_STAGE.format(status=status, stage=stage.name, kind=stage.kind)
                ctx.problem(row, "status", message)
                return None
            return stage
        if existing is not None and (status is None or status == existing.status):
            return self.stages[existing.stage_id]
        if status in (None, OpportunityStatus.OPEN):
            if existing is not None:
                ctx.problem(row, "stage", REOPEN_NEEDS_STAGE)
                return None
            return self.first_open[pipeline.pk]
        stage = self.outcomes[(pipeline.pk, status)]
        if stage is None:
            ctx.problem(row, "status", NO_OUTCOME_STAGE.format(pipeline=pipeline.name, kind=status))
        return stage

    def _check_closing(self, row: Row, existing, stage: Stage, ctx) -> None:
        """Won and lost deals: when they closed, and why a lost one was lost; open ones: when
        they are expected to close."""
        values = row.values
        closed_at = values.get("closed_at")
        if stage.kind == StageKind.OPEN:
            if closed_at is not None:
                ctx.problem(row, "closed_at", ONLY_WHEN_CLOSED)
            if existing is None and "close_date" not in values and "close_date" not in row.bad:
                ctx.problem(row, "close_date", REQUIRED.format(noun=self.noun))
            return
        stays_closed = existing is not None and existing.stage_id == stage.pk
        if stays_closed:
            for column, current in (
                ("closed_at", existing.closed_at),
                ("lost_reason", existing.lost_reason),
            ):
                if column in values and values[column] != current:
                    ctx.problem(row, column, CLOSED_KEEPS.format(column=column))
        else:
            if stage.kind == StageKind.LOST and not values.get("lost_reason"):
                ctx.problem(row, "lost_reason", LOST_NEEDS_REASON)
            if existing is None:
                for column in ("created_at", "closed_at"):
                    if column not in values:
                        ctx.problem(row, column, CLOSED_NEEDS)
            created = values.get("created_at", existing.created_at if existing else None)
            if closed_at is not None and created is not None and closed_at < created:
                message = CLOSED_BEFORE_CREATED.format(created=created.isoformat())
                ctx.problem(row, "closed_at", message)
        # ``opportunity_move_stage`` makes a closed deal's close date the day it closed.
        closing = existing.closed_at if stays_closed else closed_at
        if existing is not None and closing is None:
            closing = timezone.now()  # closed by this import, now
        if closing is not None and "close_date" in values:
            day = timezone.localdate(closing)
            if values["close_date"] != day:
                ctx.problem(row, "close_date", CLOSE_DATE_IS_CLOSING_DAY.format(day=day))

    # --- import: pass 2 ---------------------------------------------------------------
    def create(self, values, row, ctx):
        stage = self.stages[row.values["stage"]]
        fields = {name: value for name, value in values.items() if name in OPPORTUNITY_FIELDS}
        fields["pipeline"] = self.pipelines[row.values["pipeline"]]
        if stage.kind == StageKind.OPEN:
            return opportunity_create(by=ctx.by, **{**fields, "stage": stage})
        fields.setdefault("close_date", timezone.localdate(row.values["closed_at"]))
        deal = opportunity_create(
            by=ctx.by, **{**fields, "stage": self.first_open[stage.pipeline_id]}
        )
        return opportunity_move_stage(
            opportunity=deal,
            by=ctx.by,
            to_stage=stage,
            lost_reason=row.values.get("lost_reason", ""),
            at=row.values["closed_at"],
        )

    def update(self, record: Opportunity, changes, row, ctx) -> bool:
        wrote = False
        if changes:
            record = opportunity_update(opportunity=record, by=ctx.by, **changes)
            wrote = True
        stage = self.stages[row.values["stage"]]
        if stage.pk != record.stage_id:
            opportunity_move_stage(
                opportunity=record,
                by=ctx.by,
                to_stage=stage,
                lost_reason=row.values.get("lost_reason", ""),
                at=row.values.get("closed_at") if stage.kind != StageKind.OPEN else None,
            )
            wrote = True
        return wrote
