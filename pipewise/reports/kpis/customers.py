"""KPIs of the customer base: do the customers who bought before buy again?"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from pipewise.pipeline.choices import OpportunityStatus
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.kpis.base import AggregateKpi, divide, register
from pipewise.reports.kpis.composite import CompositeKpi
from pipewise.reports.kpis.subjects import ACCOUNTS
from pipewise.reports.selectors import visible_opportunities

RETENTION_PERIOD = (
    "Needs from and to. The previous period has the same length just before (the previous "
    "quarter for a quarter, the previous month for a month, else as many days)."
)
RETENTION_RULE = (
    "A customer of a period is an account with a deal won in it (closed_at in the period, "
    "status won now). Accounts and deals are the ones you may see. Groups follow the "
    "account (its owner, the owner's team, its territory and segment)."
)
ACCOUNT_FILTERS = (Filter.OWNER, Filter.TEAM, Filter.TERRITORY, Filter.SEGMENT)
ACCOUNT_DIMENSIONS = (Dimension.OWNER, Dimension.TEAM, Dimension.TERRITORY, Dimension.SEGMENT)


@register
class CustomerRetentionRate(AggregateKpi):
    """Repeat business: of last period's buying customers, how many bought again this
    period. Cheaper revenue than any new logo."""

    key = "customer_retention_rate"
    name = "Customer retention"
    unit = Unit.RATIO
    definition = (
        "Of the accounts with won business in the previous period, the share that has won "
        "business again in this period."
    )
    formula = (
        "accounts with a won deal in both periods ÷ accounts with a won deal in the previous period"
    )
    period_rule = RETENTION_PERIOD
    edge_cases = f"No customer in the previous period: null. {RETENTION_RULE}"
    needs_period = True
    subject = ACCOUNTS
    filters = ACCOUNT_FILTERS
    dimensions = ACCOUNT_DIMENSIONS

    def scope(self, rows, query):
        won = visible_opportunities(query.user).filter(
            status=OpportunityStatus.WON, account=OuterRef("pk")
        )
        before = query.period.previous()
        return rows.filter(Exists(won.filter(before.q("closed_at")))).annotate(
            bought_again=Exists(won.filter(query.period.q("closed_at")))
        )

    def aggregates(self, query):
        return {
            "customers": Count("pk"),
            "retained": Count("pk", filter=Q(bought_again=True)),
        }

    def value(self, row, query):
        return divide(row["retained"], row["customers"])


@register
class CustomerChurnRate(CompositeKpi):
    """Lost repeat business: of last period's buying customers, how many did not buy
    again this period."""

    key = "customer_churn_rate"
    name = "Customer churn"
    unit = Unit.RATIO
    definition = (
        "Of the accounts with won business in the previous period, the share without won "
        "business in this period."
    )
    formula = "1 − customer_retention_rate"
    period_rule = RETENTION_PERIOD
    edge_cases = f"No customer in the previous period: null. {RETENTION_RULE}"
    needs_period = True
    filters = ACCOUNT_FILTERS
    dimensions = ACCOUNT_DIMENSIONS
    parts = {"retention": "customer_retention_rate"}

    def combine(self, values, query):
        retention = values.get("retention")
        return None if retention is None else 1 - retention
