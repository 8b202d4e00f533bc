"""KPIs of open business and of the way deals move: pipeline, coverage, velocity, funnel."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.db.models import Count, Q, Sum

from pipewise.pipeline.choices import OpportunityStatus
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.expressions import LINE_NET, LINE_WEIGHTED, WEIGHTED_AMOUNT
from pipewise.reports.kpis.base import (
    AggregateKpi,
    Group,
    Kpi,
    KpiInput,
    ProductLineSplit,
    divide,
    register,
)
from pipewise.reports.kpis.composite import CompositeKpi
from pipewise.reports.kpis.sales import DEAL_FILTERS, OPEN_MONTHS, month_totals
from pipewise.reports.kpis.subjects import OPPORTUNITIES
from pipewise.reports.periods import Period
from pipewise.reports.selectors import funnel_stages

OPEN = OpportunityStatus.OPEN
WON = OpportunityStatus.WON

OPEN_DIMENSIONS = (
    Dimension.OWNER,
    Dimension.TEAM,
    Dimension.TERRITORY,
    Dimension.SOURCE,
    Dimension.STAGE,
    Dimension.SEGMENT,
    Dimension.MONTH,
)
OPEN_PERIOD = (
    "from/to select open deals by their expected close date (close_date); without dates, every "
    "open deal. month groups by expected close month."
)
OPEN_NOW = "Counts deals open now (the pipeline is a snapshot, not history)."


class OpenDealKpi(AggregateKpi):
    """Over deals open now, expected to close in the period."""

    subject = OPPORTUNITIES
    date_field = "close_date"
    on_dates = True
    period_rule = OPEN_PERIOD
    filters = DEAL_FILTERS
    dimensions = OPEN_DIMENSIONS

    def scope(self, rows, query):
        return rows.filter(status=OPEN)


@register
class OpenDealCount(OpenDealKpi):
    """How many deals are being worked: the first factor of pipeline velocity."""

    key = "open_deal_count"
    name = "Open deals"
    unit = Unit.COUNT
    definition = "The number of open deals expected to close in the period."
    formula = "count of deals with status open (close_date in the period, if given)"
    edge_cases = f"None open: 0. {OPEN_NOW}"

    month_rollup = month_totals(OPEN_MONTHS, open_deals=Sum("count"))

    def aggregates(self, query):
        return {"open_deals": Count("pk")}

    def value(self, row, query):
        return row["open_deals"] or 0


@register
class PipelineValue(ProductLineSplit, OpenDealKpi):
    """What is in play: the total amount of the open deals."""

    key = "pipeline_value"
    name = "Pipeline value"
    unit = Unit.CURRENCY
    definition = "The total amount of the open deals expected to close in the period."
    formula = "Σ amount of deals with status open (close_date in the period, if given)"
    dimensions = OPEN_DIMENSIONS + (Dimension.PRODUCT_LINE,)
    edge_cases = (
        f"None open: 0. {OPEN_NOW} By product line, each line item counts with its net value; "
        "deals without line items form the group null."
    )

    month_rollup = month_totals(OPEN_MONTHS, pipeline_amount=Sum("amount"))

    def aggregates(self, query):
        return {"pipeline_amount": Sum("amount")}

    def line_aggregates(self, query):
        return {"pipeline_amount": Sum(LINE_NET)}

    def value(self, row, query):
        return row["pipeline_amount"] or Decimal("0.00")


@register
class WeightedPipeline(ProductLineSplit, OpenDealKpi):
    """What the open deals are likely worth: each counted at its stage's win probability."""

    key = "weighted_pipeline"
    name = "Weighted pipeline"
    unit = Unit.CURRENCY
    definition = (
        "The amount of the open deals expected to close in the period, each weighted by the "
        "win probability of its current stage."
    )
    formula = "Σ amount × stage probability ÷ 100 of open deals"
    dimensions = OPEN_DIMENSIONS + (Dimension.PRODUCT_LINE,)
    edge_cases = f"None open: 0. {OPEN_NOW} The probability is the stage's today, 0–100 %."

    month_rollup = month_totals(OPEN_MONTHS, weighted_amount=Sum(WEIGHTED_AMOUNT))

    def aggregates(self, query):
        return {"weighted_amount": Sum(WEIGHTED_AMOUNT)}

    def line_aggregates(self, query):
        return {"weighted_amount": Sum(LINE_WEIGHTED)}

    def value(self, row, query):
        return row["weighted_amount"] or Decimal("0.00")


@register
class PipelineCoverage(CompositeKpi):
    """Is there enough in the pipeline to make the number? Sales managers want about 3×
    the target still to win."""

    key = "pipeline_coverage"
    name = "Pipeline coverage"
    unit = Unit.MULTIPLE
    definition = (
        "The open pipeline expected to close in the period as a multiple of the target still "
        "to be won in the period."
    )
    formula = "pipeline_value ÷ remaining target"
    period_rule = OPEN_PERIOD
    filters = DEAL_FILTERS
    inputs = (
        KpiInput(
            "remaining_target",
            "the target still to be won in the period (target − won so far); the planning "
            "app will supply it.",
        ),
    )
    edge_cases = "Remaining target 0 or negative (target already met): null."
    undefined_reason = (
        "The target still to be won is 0 or less (the target is met), so coverage does not apply."
    )
    parts = {"pipeline": "pipeline_value"}

    def combine(self, values, query):
        remaining = query.inputs["remaining_target"]
        return divide(values["pipeline"], remaining) if remaining > 0 else None


@register
class PipelineVelocity(CompositeKpi):
    """How much money the pipeline turns into per day: more deals, a better hit rate,
    bigger deals or a shorter cycle all speed it up."""

    key = "pipeline_velocity"
    name = "Pipeline velocity"
    unit = Unit.CURRENCY_PER_DAY
    definition = (
        "Expected revenue per day: the deals open now times the win rate and average deal "
        "size of the period, divided by the period's average sales cycle."
    )
    formula = (
        "open_deal_count (all open deals) × win_rate × average_deal_size ÷ sales_cycle_days "
        "(the last three over deals closed in the period)"
    )
    period_rule = (
        "from/to select the closed deals that give the win rate, deal size and cycle "
        "(closed_at); the open deals are all deals open now."
    )
    filters = DEAL_FILTERS
    dimensions = (
        Dimension.OWNER,
        Dimension.TEAM,
        Dimension.TERRITORY,
        Dimension.SOURCE,
        Dimension.SEGMENT,
    )
    edge_cases = (
        "Null when the period has no closed deal, no won deal, or a cycle of 0 days. A group "
        "with closed deals but none open has velocity 0."
    )
    undefined_reason = (
        "No deal was won in this period (or none took any time to win), so the pipeline has "
        "no velocity yet."
    )
    parts = {
        "open": "open_deal_count",
        "win_rate": "win_rate",
        "deal_size": "average_deal_size",
        "cycle_days": "sales_cycle_days",
    }

    def part_query(self, part, query):
        query = super().part_query(part, query)
        return replace(query, period=Period()) if part == "open" else query

    def combine(self, values, query):
        win_rate, deal_size = values.get("win_rate"), values.get("deal_size")
        cycle_days = values.get("cycle_days")
        if win_rate is None or deal_size is None or not cycle_days or cycle_days <= 0:
            return None
        return divide((values.get("open") or 0) * win_rate * deal_size, cycle_days)


FUNNEL_RULE = (
    "A deal reached a stage when its stage history shows it entered that stage or any later "
    "open stage (a skipped stage counts as reached), or when it is won now. Moving to Lost "
    "reaches nothing; going back does not undo what was reached; a deal won then re-opened "
    "is not won. Stages are those of one sales process: the pipeline filter (default: the "
    "default process); same-named stages are not merged across processes."
)


class FunnelKpi(Kpi):
    """Follows the deals created in the period through the stages of one sales process."""

    period_rule = (
        "from/to select the deals created in the period (created_at): one cohort followed "
        "through the stages to today."
    )
    filters = DEAL_FILTERS
    dimensions = (Dimension.STAGE,)
    max_dimensions = 1

    def reached(self, query) -> tuple[int, int, list[tuple[str, int]]]:
        """The cohort's size, how many of it are won, and per stage in process order how
        many of it reached that stage."""
        stages = funnel_stages(query.filters.get(Filter.PIPELINE))
        deals = OPPORTUNITIES.records(query.user, query.filters).filter(
            query.period.q("created_at")
        )
        if Filter.PIPELINE not in query.filters:
            deals = deals.filter(pipeline__is_default=True)
        won = Q(status=WON)
        counts = {"deals": Count("pk"), "won": Count("pk", filter=won)}
        for stage in stages:
            if stage.kind == OPEN:
                counts[f"stage_{stage.pk}"] = Count(
                    "pk", filter=Q(furthest_stage_order__gte=stage.order) | won
                )
        row = deals.order_by().aggregate(**counts)
        return (
            row["deals"],
            row["won"],
            [
                (stage.name, row["won"] if stage.kind == WON else row[f"stage_{stage.pk}"])
                for stage in stages
            ],
        )


@register
class FunnelConversion(FunnelKpi):
    """Where deals drop out: per step of the sales process, the share of deals that made
    it to the next stage. The weakest step is where coaching pays."""

    key = "funnel_conversion"
    name = "Funnel conversion"
    unit = Unit.RATIO
    definition = (
        "Of the deals created in the period that reached a stage, the share that reached the "
        "next stage or beyond; the value is the share of the cohort that is won."
    )
    formula = (
        "per step k → k+1: deals that reached stage k+1 ÷ deals that reached stage k; value: "
        "won ÷ deals created"
    )
    edge_cases = f"{FUNNEL_RULE} A stage nobody reached gives its step null."
    undefined_reason = "No deal was created in this period, so there is no funnel to follow."

    def evaluate(self, query):
        cohort, won, reached = self.reached(query)
        value = divide(won, cohort)
        if not query.group_by:
            return value, []
        steps = zip(reached, reached[1:], strict=False)
        return value, [
            Group(f"{here} → {there}", divide(moved_on, arrived))
            for (here, arrived), (there, moved_on) in steps
        ]


@register
class FunnelStageReached(FunnelKpi):
    """The funnel's bars: how many of the period's new deals got to each stage."""

    key = "funnel_stage_reached"
    name = "Deals reaching each stage"
    unit = Unit.COUNT
    definition = (
        "Of the deals created in the period, how many reached each stage; the value is the "
        "number of deals created."
    )
    formula = "per stage: count of deals whose furthest stage is this one or later"
    edge_cases = FUNNEL_RULE

    def evaluate(self, query):
        cohort, _, reached = self.reached(query)
        if not query.group_by:
            return cohort, []
        return cohort, [Group(name, count) for name, count in reached]
