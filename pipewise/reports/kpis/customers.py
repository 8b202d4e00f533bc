"""KPIs of the customer base: of the customers of the prior period, who stayed, who was lost?

Both KPIs start from the same customers — the accounts with won business in the
prior period — and sort each into one of two kinds: retained (won business again
in this period) or lost (no won business in this period). Retention is the share
retained, churn the share lost; each is counted on its own, so a board reads
"retention 62 %, churn 38 %" over the same customers, never one figure restated as
the other's complement.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from pipewise.pipeline.choices import OpportunityStatus
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.kpis.base import AggregateKpi, divide, register
from pipewise.reports.kpis.subjects import ACCOUNTS
from pipewise.reports.selectors import visible_opportunities

RETENTION_PERIOD = (
    "Needs from and to. The prior period has the same length just before (the previous "
    "12 months for the last 12 months, the previous quarter for a quarter, else as many "
    "days). A board reads both over the last 12 months against the 12 before."
)
CUSTOMER_RULE = (
    "The customers of the prior period are the accounts with a deal won in it (closed_at in "
    "the prior period, status won now); each is either retained (a deal won in this period "
    "too) or lost (none), so retention and churn of the same question add up to 100 %. "
    "Accounts and deals are the ones you may see. Groups follow the account (its owner, the "
    "owner's team, its territory and segment)."
)
ACCOUNT_FILTERS = (Filter.OWNER, Filter.TEAM, Filter.TERRITORY, Filter.SEGMENT)
ACCOUNT_DIMENSIONS = (Dimension.OWNER, Dimension.TEAM, Dimension.TERRITORY, Dimension.SEGMENT)


class PriorCustomersKpi(AggregateKpi):
    """Over the accounts that were customers in the prior period, each marked with whether
    it bought again in this period (``bought_again``); the KPI is the share of them that
    are ``counted`` (retained or lost).

    Two index seeks per account (``opp_live_account_won_idx``: account, status, close
    time, owner), whatever the number of deals."""

    unit = Unit.RATIO
    period_rule = RETENTION_PERIOD
    needs_period = True
    subject = ACCOUNTS
    filters = ACCOUNT_FILTERS
    dimensions = ACCOUNT_DIMENSIONS
    undefined_reason = (
        "No account had won business in the prior period, so there was no customer to keep "
        "or to lose."
    )
    counted: str

    def scope(self, rows, query):
        won = visible_opportunities(query.user).filter(
            account=OuterRef("pk"), status=OpportunityStatus.WON
        )
        before = query.period.previous()
        return rows.filter(Exists(won.filter(before.q("closed_at")))).annotate(
            bought_again=Exists(won.filter(query.period.q("closed_at")))
        )

    def aggregates(self, query):
        return {
            "customers": Count("pk"),
            "retained": Count("pk", filter=Q(bought_again=True)),
            "lost": Count("pk", filter=Q(bought_again=False)),
        }

    def value(self, row, query):
        return divide(row[self.counted], row["customers"])


@register
class CustomerRetentionRate(PriorCustomersKpi):
    """Customers kept: of the prior period's customers, the share who bought again.
    Repeat business is cheaper revenue than any new logo."""

    key = "customer_retention_rate"
    name = "Customer retention"
    definition = (
        "Of the customers of the prior period (accounts with won business in it), the share "
        "that was retained: won business again in this period."
    )
    formula = "retained customers ÷ customers of the prior period"
    edge_cases = f"No customer in the prior period: null. {CUSTOMER_RULE}"
    counted = "retained"


@register
class CustomerChurnRate(PriorCustomersKpi):
    """Customers lost: of the prior period's customers, the share without won business in
    this period."""

    key = "customer_churn_rate"
    name = "Customer churn"
    definition = (
        "Of the customers of the prior period (accounts with won business in it), the share "
        "that was lost: no won business in this period."
    )
    formula = "lost customers ÷ customers of the prior period"
    edge_cases = f"No customer in the prior period: null. {CUSTOMER_RULE}"
    counted = "lost"
