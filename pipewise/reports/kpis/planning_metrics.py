"""KPIs that sales targets are set on and that the registry did not have yet: new
customers won, units sold and gross margin. Planning reads their actuals here, like every other
metric (docs/decisions/0002-planning-reads-kpi-registry.md)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, ExpressionWrapper, F, OuterRef, Sum

from pipewise.pipeline.models import Opportunity
from pipewise.reports.choices import Dimension, Unit
from pipewise.reports.expressions import LINE_NET, MONEY_SUM
from pipewise.reports.kpis.base import AggregateKpi, register
from pipewise.reports.kpis.sales import (
    CLOSED_DIMENSIONS,
    CLOSED_PERIOD,
    DEAL_FILTERS,
    REOPENED,
    WON,
    WonDealKpi,
)
from pipewise.reports.kpis.subjects import LINE_ITEMS


@register
class NewCustomers(WonDealKpi):
    """Accounts that became customers: the first deal they ever bought closed in the period.
    The actual behind new-customer (new logo) targets."""

    key = "new_customers"
    name = "New customers"
    unit = Unit.COUNT
    definition = (
        "The number of accounts whose first won deal (ever) was won in the period; the "
        "customer counts for the owner of that deal."
    )
    formula = "count of distinct accounts of won deals in the period with no won deal closed before"
    edge_cases = (
        f"No new customer: 0. Earlier won deals count even when you cannot see them (a repeat "
        f"customer is never new). Two deals of a new account won in the same period count it "
        f"once. {REOPENED}"
    )

    def scope(self, rows, query):
        earlier = Opportunity.objects.filter(
            account=OuterRef("account"), status=WON, closed_at__lt=OuterRef("closed_at")
        )
        return rows.filter(status=WON).filter(~Exists(earlier))

    def aggregates(self, query):
        return {"new_accounts": Count("account", distinct=True)}

    def value(self, row, query):
        return row["new_accounts"] or 0


class WonLineItemKpi(AggregateKpi):
    """Over the line items of the deals won in the period (by the deal's closed_at)."""

    period_rule = CLOSED_PERIOD
    subject = LINE_ITEMS
    date_field = "opportunity__closed_at"
    filters = DEAL_FILTERS
    dimensions = CLOSED_DIMENSIONS + (Dimension.PRODUCT_LINE,)

    def scope(self, rows, query):
        return rows.filter(opportunity__status=WON)


@register
class WonUnits(WonLineItemKpi):
    """How many units (licences, machines …) the won deals sold: the actual behind unit
    targets per product line."""

    key = "won_units"
    name = "Units sold"
    unit = Unit.COUNT
    definition = "The total quantity of the line items of the deals won in the period."
    formula = "Σ quantity of line items of deals with status won and closed_at in the period"
    edge_cases = (
        f"Nothing won, or won deals without line items: 0. Fractional quantities are rounded "
        f"half up to whole units after adding up. {REOPENED}"
    )

    def aggregates(self, query):
        return {"units": Sum("quantity")}

    def value(self, row, query):
        units = row["units"]
        return 0 if units is None else units.quantize(1, rounding=ROUND_HALF_UP)


# A line's margin: its net value less what its units cost (the product's unit cost).
LINE_MARGIN = ExpressionWrapper(
    LINE_NET - F("quantity") * F("product__cost"), output_field=MONEY_SUM
)


@register
class GrossMargin(WonLineItemKpi):
    """What the won business earns over its cost: the actual behind gross margin targets.
    Only line items whose product has a unit cost can tell their margin."""

    key = "gross_margin"
    name = "Gross margin"
    unit = Unit.CURRENCY
    definition = (
        "Over the line items of the deals won in the period whose product has a unit cost: "
        "their net value (after discount) less quantity × the product's unit cost. Line items "
        "of products without a cost, and deals without line items, are left out."
    )
    formula = (
        "Σ (line net − quantity × product cost) over line items of won deals (closed_at in "
        "the period) whose product has a cost"
    )
    edge_cases = (
        f"Nothing won, or no won line item with a product cost: 0. A line sold below cost "
        f"counts negative. The product's current cost is used (costs are not kept per "
        f"deal). {REOPENED}"
    )

    def scope(self, rows, query):
        return super().scope(rows, query).filter(product__cost__isnull=False)

    def aggregates(self, query):
        return {"margin": Sum(LINE_MARGIN)}

    def value(self, row, query):
        return row["margin"] or Decimal("0.00")
