"""KPIs of what selling costs: revenue per unit of sales cost, and the magic number."""

from __future__ import annotations

from django.utils.formats import date_format

from pipewise.reports.choices import Unit
from pipewise.reports.kpis.base import Undefined, divide, register
from pipewise.reports.kpis.composite import CompositeKpi
from pipewise.reports.kpis.sales import CLOSED_PERIOD
from pipewise.reports.periods import Period
from pipewise.reports.selectors import sales_cost_in

COST_RULE = (
    "Sales cost is the cost entered per period (SalesCost, until the budgets app records "
    "expenses); a cost whose period straddles the asked period counts for the share of its "
    "days inside it. Company figures: only administrators, sales ops and executives may ask."
)
NO_COST = "No sales cost is entered for {period} — enter it under Sales costs."
THIS_PERIOD = "this period"
PREVIOUS_PERIOD = "the previous period ({start} – {end})"


def no_cost(period_text: str, period: Period) -> Undefined:
    """The reason an efficiency KPI is null: no cost entered for ``period``, and the
    Sales costs page opened on that period."""
    days = (("period_start", period.start), ("period_end", period.end))
    return Undefined(
        NO_COST.format(period=period_text),
        fix="reports:sales_costs",
        fix_label="Enter the sales cost",
        fix_query=tuple((name, day.isoformat()) for name, day in days if day is not None),
    )


@register
class SalesEfficiency(CompositeKpi):
    """What each unit of money spent on selling brings back: revenue ÷ sales cost × 100.
    Above 100, selling pays for itself."""

    key = "sales_efficiency"
    name = "Sales efficiency"
    unit = Unit.PERCENT
    definition = "Won revenue in the period per sales cost of the period, as a percentage."
    formula = "won_revenue ÷ sales cost × 100"
    period_rule = f"{CLOSED_PERIOD} The cost is the sales cost of the same period."
    edge_cases = f"No cost entered for the period (cost 0): null. {COST_RULE}"
    undefined_reason = NO_COST.format(period=THIS_PERIOD)
    company_level = True
    parts = {"revenue": "won_revenue"}

    def combine(self, values, query):
        ratio = divide(values["revenue"], sales_cost_in(query.period))
        return no_cost(THIS_PERIOD, query.period) if ratio is None else ratio * 100


@register
class MagicNumber(CompositeKpi):
    """Whether growth is bought efficiently: a year's worth of this quarter's new revenue
    per unit of last quarter's sales and marketing spend. Above about 0.75, invest more."""

    key = "magic_number"
    name = "Magic number"
    unit = Unit.MULTIPLE
    definition = (
        "The period's won revenue annualised, divided by the sales and marketing cost of the "
        "previous period."
    )
    formula = (
        "won_revenue of the period × periods per year ÷ sales cost of the previous period "
        "(for a quarter: × 4)"
    )
    period_rule = (
        "Needs from and to, usually a quarter. Periods per year: 12 ÷ months for whole "
        "calendar months, else 365 ÷ days. The previous period has the same length just before."
    )
    edge_cases = (
        f"No cost in the previous period: null. New revenue is all won revenue (Pipewise does "
        f"not yet tell new business from renewals). {COST_RULE}"
    )
    undefined_reason = NO_COST.format(period="the previous period")
    needs_period = True
    company_level = True
    parts = {"revenue": "won_revenue"}

    def combine(self, values, query):
        annualised = values["revenue"] * query.period.per_year()
        previous = query.period.previous()
        ratio = divide(annualised, sales_cost_in(previous))
        if ratio is None:
            days = {"start": date_format(previous.start), "end": date_format(previous.end)}
            return no_cost(PREVIOUS_PERIOD.format(**days), previous)
        return ratio
