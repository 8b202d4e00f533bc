"""Metrics, period kinds, allocation methods and plan states of sales planning."""

from __future__ import annotations

from django.db import models

from pipewise.leads.choices import LeadSource


class Metric(models.TextChoices):
    """What a target counts. Each metric's actual is a KPI of the reports registry."""

    WON_REVENUE = "won_revenue", "Booked revenue (won deals)"
    WON_DEALS = "won_deals", "Won deals"
    NEW_CUSTOMERS = "new_customers", "New customers"
    UNITS = "units", "Units sold"
    CALLS = "calls", "Calls"
    MEETINGS = "meetings", "Meetings"
    DEMOS = "demos", "Demos"
    ORDER_REVENUE = "order_revenue", "Order revenue (orders placed, not cancelled)"
    GROSS_MARGIN = "gross_margin", "Gross margin (won line items with a product cost)"


# metric → (KPI key in pipewise.reports.kpis.registry, fixed KPI filters).
METRIC_KPIS: dict[str, tuple[str, dict[str, str]]] = {
    Metric.WON_REVENUE: ("won_revenue", {}),
    Metric.WON_DEALS: ("won_deal_count", {}),
    Metric.NEW_CUSTOMERS: ("new_customers", {}),
    Metric.UNITS: ("won_units", {}),
    Metric.CALLS: ("activity_count", {"activity_type": "call"}),
    Metric.MEETINGS: ("activity_count", {"activity_type": "meeting"}),
    Metric.DEMOS: ("activity_count", {"activity_type": "demo"}),
    Metric.ORDER_REVENUE: ("order_revenue", {}),
    Metric.GROSS_MARGIN: ("gross_margin", {}),
}
MONEY_METRICS = frozenset({Metric.WON_REVENUE, Metric.ORDER_REVENUE, Metric.GROSS_MARGIN})
ACTIVITY_METRICS = frozenset({Metric.CALLS, Metric.MEETINGS, Metric.DEMOS})


class Dimension(models.TextChoices):
    """The members a target can be set for; a target may combine several (territory ×
    product line). No member at all is the company's own target."""

    USER = "user", "Person"
    TEAM = "team", "Team"
    TERRITORY = "territory", "Territory"
    PRODUCT_LINE = "product_line", "Product line"
    SEGMENT = "segment", "Segment"
    ACCOUNT = "account", "Account"
    CHANNEL = "channel", "Channel"


# Until a channels/partners app exists, a deal's channel is its source (website, referral,
# partner …): a channel target counts the deals of that source (the KPIs' source filter).
CHANNEL_CHOICES = LeadSource.choices


class Channel(str):
    """A channel as a target member: the source key itself (so it is stored and filtered
    as the plain value), with ``pk`` and ``name`` like the other members and its label as
    its text."""

    def __new__(cls, key: str):
        key = str.__str__(key)  # the plain key, also from a Channel (whose text is its label)
        channel = super().__new__(cls, key)
        channel.key = key
        return channel

    @property
    def pk(self) -> str:
        return self.key

    @property
    def name(self) -> str:
        return dict(CHANNEL_CHOICES).get(self.key, self.key)

    def __str__(self) -> str:
        return self.name


def member_column(dimension: str) -> str:
    """The column holding a dimension's member: the foreign key's, or the channel's value."""
    return dimension if dimension == Dimension.CHANNEL else f"{dimension}_id"


DIMENSIONS = tuple(Dimension.values)
# The dimensions each metric's KPI can be narrowed by. Activities know their owner (and
# team) and their account (its territory and segment); they sell no product through no
# channel.
ACTIVITY_DIMENSIONS = frozenset(
    {Dimension.USER, Dimension.TEAM, Dimension.TERRITORY, Dimension.SEGMENT, Dimension.ACCOUNT}
)
METRIC_DIMENSIONS: dict[str, frozenset[str]] = {
    metric: frozenset(DIMENSIONS) for metric in Metric.values
} | {metric: ACTIVITY_DIMENSIONS for metric in ACTIVITY_METRICS}
# New customers are counted per deal, not per line item: no product line.
METRIC_DIMENSIONS[Metric.NEW_CUSTOMERS] = frozenset(DIMENSIONS) - {Dimension.PRODUCT_LINE}
# Orders are counted whole (an order's lines are not split by product line).
METRIC_DIMENSIONS[Metric.ORDER_REVENUE] = frozenset(DIMENSIONS) - {Dimension.PRODUCT_LINE}


class PeriodKind(models.TextChoices):
    YEAR = "year", "Fiscal year"
    QUARTER = "quarter", "Quarter"
    MONTH = "month", "Month"


PERIOD_MONTHS = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}


class AllocationMethod(models.TextChoices):
    WEIGHTS = "weights", "By weights"
    EQUAL = "equal", "Equal shares"
    HISTORY = "history", "By historical share"


class ProfileSource(models.TextChoices):
    ENTERED = "entered", "Entered"
    DERIVED = "derived", "Derived from history"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


EDITABLE_PLAN_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED})

# How many years of won revenue a derived seasonality profile looks back by default.
DEFAULT_HISTORY_YEARS = 2
# A member's own history is used for its profile when it has at least this many won deals.
MIN_DEALS_FOR_OWN_PROFILE = 12
