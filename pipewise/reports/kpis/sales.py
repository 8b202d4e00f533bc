"""KPIs of closed business: what was won, how often, how big, how fast, at what discount."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from pipewise.pipeline.choices import OpportunityStatus, StageKind
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.expressions import LINE_GROSS, LINE_NET, SECONDS_PER_DAY, seconds_between
from pipewise.reports.kpis.base import (
    AggregateKpi,
    KpiInput,
    ProductLineSplit,
    Rollup,
    Undefined,
    divide,
    register,
)
from pipewise.reports.kpis.composite import CompositeKpi
from pipewise.reports.kpis.subjects import DEAL_MONTHS, DEAL_TOTALS, LINE_ITEMS, OPPORTUNITIES

WON = OpportunityStatus.WON
LOST = OpportunityStatus.LOST

DEAL_FILTERS = (
    Filter.OWNER,
    Filter.TEAM,
    Filter.TERRITORY,
    Filter.PIPELINE,
    Filter.SOURCE,
    Filter.SEGMENT,
    Filter.ACCOUNT,
)
CLOSED_DIMENSIONS = (
    Dimension.OWNER,
    Dimension.TEAM,
    Dimension.TERRITORY,
    Dimension.SOURCE,
    Dimension.SEGMENT,
    Dimension.MONTH,
)
CLOSED_PERIOD = (
    "from/to select deals by the day they were closed (closed_at, in the company time zone); "
    "month groups by the same date."
)
REOPENED = (
    "A deal closed and then moved back to an open stage is open again and is not counted "
    "(its closed_at is cleared)."
)
BY_PRODUCT_LINE = (
    "By product line, each line item counts with its net value (after discount); deals without "
    "line items form the group null."
)


# The running totals' rows of closed deals and of won deals (their stage's kind).
CLOSED_TOTALS = Q(closed_on__isnull=False)
WON_TOTALS = CLOSED_TOTALS & Q(stage__kind=StageKind.WON)
NO_TARGET = "The target for this period is 0 or less — set it under Targets."


def closed_totals(condition: Q, **aggregates) -> Rollup:
    """The running totals answering a closed-deal KPI (by owner, team, process, month)."""
    return Rollup(DEAL_TOTALS, "closed_on", aggregates, condition)


# The month totals' rows of closed deals, of won deals, of open deals (their stage's kind).
CLOSED_MONTHS = Q(stage__kind__in=[StageKind.WON, StageKind.LOST])
WON_MONTHS = Q(stage__kind=StageKind.WON)
OPEN_MONTHS = Q(stage__kind=StageKind.OPEN)


def month_totals(condition: Q, **aggregates) -> Rollup:
    """The month totals answering a deal KPI over whole months (by territory, segment and
    source too)."""
    return Rollup(DEAL_MONTHS, "month", aggregates, condition, whole_months=True)


class ClosedDealKpi(AggregateKpi):
    """Over deals closed (won or lost) in the period."""

    subject = OPPORTUNITIES
    date_field = "closed_at"
    period_rule = CLOSED_PERIOD
    filters = DEAL_FILTERS
    dimensions = CLOSED_DIMENSIONS

    def scope(self, rows, query):
        return rows.filter(status__in=[WON, LOST])


class WonDealKpi(ClosedDealKpi):
    """Over deals won in the period (status won now)."""

    def scope(self, rows, query):
        return rows.filter(status=WON)


@register
class WonRevenue(ProductLineSplit, WonDealKpi):
    """Booked revenue: what the team actually won. The headline of every sales review
    and the actual behind revenue targets, quota attainment and efficiency."""

    key = "won_revenue"
    name = "Won revenue"
    unit = Unit.CURRENCY
    definition = "The total amount of the deals won in the period (booked revenue)."
    formula = "Σ amount of deals with status won and closed_at in the period"
    dimensions = CLOSED_DIMENSIONS + (Dimension.PRODUCT_LINE,)
    edge_cases = f"Nothing won: 0. {REOPENED} {BY_PRODUCT_LINE}"

    rollup = closed_totals(WON_TOTALS, won_amount=Sum("amount"))
    month_rollup = month_totals(WON_MONTHS, won_amount=Sum("amount"))

    def aggregates(self, query):
        return {"won_amount": Sum("amount")}

    def line_aggregates(self, query):
        return {"won_amount": Sum(LINE_NET)}

    def value(self, row, query):
        return row["won_amount"] or Decimal("0.00")


@register
class WonDealCount(ProductLineSplit, WonDealKpi):
    """How many deals were won: with won revenue, tells many small wins from a few big ones."""

    key = "won_deal_count"
    name = "Won deals"
    unit = Unit.COUNT
    definition = "The number of deals won in the period."
    formula = "count of deals with status won and closed_at in the period"
    dimensions = CLOSED_DIMENSIONS + (Dimension.PRODUCT_LINE,)
    edge_cases = (
        f"Nothing won: 0. {REOPENED} By product line, a deal counts once in each product line "
        "it has line items in (so groups may add up to more than the total); deals without "
        "line items form the group null."
    )

    rollup = closed_totals(WON_TOTALS, won_deals=Sum("count"))
    month_rollup = month_totals(WON_MONTHS, won_deals=Sum("count"))

    def aggregates(self, query):
        return {"won_deals": Count("pk")}

    def line_aggregates(self, query):
        return {"won_deals": Count("opportunity", distinct=True)}

    def value(self, row, query):
        return row["won_deals"] or 0


@register
class AverageDealSize(WonDealKpi):
    """The typical size of a won deal: a lever of pipeline velocity and a sign of
    whether reps sell up or give away."""

    key = "average_deal_size"
    name = "Average deal size"
    unit = Unit.CURRENCY
    definition = "The average amount of the deals won in the period."
    formula = "Σ amount of won deals ÷ number of won deals (closed_at in the period)"
    edge_cases = f"Nothing won: null. {REOPENED}"
    undefined_reason = "No deal was won in this period, so there is no average deal size."

    rollup = closed_totals(WON_TOTALS, won_amount=Sum("amount"), won_deals=Sum("count"))
    month_rollup = month_totals(WON_MONTHS, won_amount=Sum("amount"), won_deals=Sum("count"))

    def aggregates(self, query):
        return {"won_amount": Sum("amount"), "won_deals": Count("pk")}

    def value(self, row, query):
        return divide(row["won_amount"], row["won_deals"])


@register
class WinRate(ClosedDealKpi):
    """Hit rate by count: of the deals we finished, how many we won. Tells a manager
    whether reps pick and close the right deals."""

    key = "win_rate"
    name = "Win rate (by count)"
    unit = Unit.RATIO
    definition = "Of the deals closed in the period, the share that was won."
    formula = "won deals ÷ (won + lost deals), closed_at in the period"
    edge_cases = f"No deal closed: null (not 0). {REOPENED}"
    undefined_reason = (
        "No deal was closed (won or lost) in this period, so there is no win rate yet."
    )

    rollup = closed_totals(
        CLOSED_TOTALS,
        won_deals=Sum("count", filter=Q(stage__kind=StageKind.WON)),
        closed_deals=Sum("count"),
    )
    month_rollup = month_totals(
        CLOSED_MONTHS,
        won_deals=Sum("count", filter=Q(stage__kind=StageKind.WON)),
        closed_deals=Sum("count"),
    )

    def aggregates(self, query):
        return {"won_deals": Count("pk", filter=Q(status=WON)), "closed_deals": Count("pk")}

    def value(self, row, query):
        return divide(row["won_deals"] or 0, row["closed_deals"])


@register
class WinRateByValue(ClosedDealKpi):
    """Hit rate by value: of the money we finished deciding on, how much we won.
    Lower than the count rate when the big deals are the ones lost."""

    key = "win_rate_by_value"
    name = "Win rate (by value)"
    unit = Unit.RATIO
    definition = "Of the amount of the deals closed in the period, the share that was won."
    formula = "Σ amount of won deals ÷ Σ amount of won and lost deals, closed_at in the period"
    edge_cases = f"No deal closed, or all closed deals have amount 0: null. {REOPENED}"
    undefined_reason = (
        "No deal with an amount was closed (won or lost) in this period, so there is no win "
        "rate by value yet."
    )

    rollup = closed_totals(
        CLOSED_TOTALS,
        won_amount=Sum("amount", filter=Q(stage__kind=StageKind.WON)),
        closed_amount=Sum("amount"),
    )
    month_rollup = month_totals(
        CLOSED_MONTHS,
        won_amount=Sum("amount", filter=Q(stage__kind=StageKind.WON)),
        closed_amount=Sum("amount"),
    )

    def aggregates(self, query):
        return {
            "won_amount": Sum("amount", filter=Q(status=WON)),
            "closed_amount": Sum("amount"),
        }

    def value(self, row, query):
        return divide(row["won_amount"] or 0, row["closed_amount"])


@register
class SalesCycleLength(WonDealKpi):
    """How long winning takes: from the day a deal was opened to the day it was won.
    Sets expectations for forecasts and the divisor of pipeline velocity."""

    key = "sales_cycle_days"
    name = "Sales cycle length"
    unit = Unit.DAYS
    definition = (
        "The average number of days from creation to winning, of the deals won in the period."
    )
    formula = "Σ (closed_at − created_at) of won deals ÷ number of won deals, in days"
    edge_cases = f"Nothing won: null. {REOPENED} Fractions of a day count (36 hours = 1.5 days)."
    undefined_reason = "No deal was won in this period, so there is no sales cycle to measure."

    def aggregates(self, query):
        return {
            "cycle_seconds": Sum(seconds_between("created_at", "closed_at")),
            "won_deals": Count("pk"),
        }

    def value(self, row, query):
        seconds = divide(row["cycle_seconds"], row["won_deals"])
        return None if seconds is None else seconds / SECONDS_PER_DAY


@register
class AverageDiscount(AggregateKpi):
    """How much of the price reps give away on the deals they win: Σ discount ÷ Σ gross
    value of the line items, so a big discounted line weighs more than a small one."""

    key = "average_discount"
    name = "Average discount"
    unit = Unit.RATIO
    definition = (
        "Of the gross value (quantity × unit price) of the line items of the deals won in the "
        "period, the share given away as discount."
    )
    formula = "Σ (gross − net) ÷ Σ gross over line items of won deals, closed_at in the period"
    edge_cases = (
        f"No line items on won deals (or all priced 0): null. {REOPENED} Deals without line "
        "items carry no discount information and are left out."
    )
    undefined_reason = (
        "No deal won in this period has priced line items, so there is no discount to measure."
    )
    subject = LINE_ITEMS
    date_field = "opportunity__closed_at"
    period_rule = CLOSED_PERIOD
    filters = DEAL_FILTERS
    dimensions = CLOSED_DIMENSIONS + (Dimension.PRODUCT_LINE,)

    def scope(self, rows, query):
        return rows.filter(opportunity__status=WON)

    def aggregates(self, query):
        return {"gross": Sum(LINE_GROSS), "net": Sum(LINE_NET)}

    def value(self, row, query):
        if row["gross"] is None:
            return None
        return divide(row["gross"] - row["net"], row["gross"])


@register
class QuotaAttainment(CompositeKpi):
    """How much of the target has been won: the number reps are paid and ranked on."""

    key = "quota_attainment"
    name = "Quota attainment"
    unit = Unit.RATIO
    definition = "Won revenue in the period as a share of the target for the period."
    formula = "won_revenue ÷ target (1.0 = target met, 1.25 = 125 %)"
    period_rule = CLOSED_PERIOD
    filters = DEAL_FILTERS
    inputs = (
        KpiInput(
            "target",
            "the revenue target for the period and the records filtered (until the planning "
            "app supplies targets).",
        ),
    )
    edge_cases = (
        "Target 0 or negative: null. Above 1 when the target is beaten. Won revenue as in "
        "won_revenue (re-opened deals do not count)."
    )
    undefined_reason = NO_TARGET
    parts = {"won": "won_revenue"}

    def combine(self, values, query):
        target = query.inputs["target"]
        if target <= 0:
            return Undefined(NO_TARGET, fix="planning:targets", fix_label="Set targets")
        return divide(values["won"], target)
