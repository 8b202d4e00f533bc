"""KPIs of the top of the funnel: how many leads come in, from where, how fast they are
worked and how many become customers."""

from __future__ import annotations

from django.db.models import Avg, Count, Q

from pipewise.leads.choices import LeadStatus
from pipewise.reports.choices import Dimension, Filter, Unit
from pipewise.reports.expressions import SECONDS_PER_HOUR
from pipewise.reports.kpis.base import AggregateKpi, as_decimal, divide, register
from pipewise.reports.kpis.subjects import LEADS
from pipewise.reports.selectors import first_response_seconds


class LeadKpi(AggregateKpi):
    """Over the leads created in the period."""

    subject = LEADS
    date_field = "created_at"
    period_rule = (
        "from/to select leads by the day they were created (created_at); month groups by the "
        "same date."
    )
    filters = (Filter.OWNER, Filter.TEAM, Filter.TERRITORY, Filter.SOURCE)
    dimensions = (
        Dimension.OWNER,
        Dimension.TEAM,
        Dimension.TERRITORY,
        Dimension.SOURCE,
        Dimension.MONTH,
    )


@register
class LeadVolume(LeadKpi):
    """How many new prospects came in, and from which sources: marketing's first number."""

    key = "lead_volume"
    name = "Lead volume"
    unit = Unit.COUNT
    definition = "The number of leads created in the period."
    formula = "count of leads with created_at in the period"
    edge_cases = "No leads: 0. Deleted leads are not counted. Leads without a source group as null."

    def aggregates(self, query):
        return {"leads": Count("pk")}

    def value(self, row, query):
        return row["leads"] or 0


@register
class LeadConversionRate(LeadKpi):
    """Which lead sources bring business: the share of the period's leads that became
    customers (accounts, contacts and deals)."""

    key = "lead_conversion_rate"
    name = "Lead conversion rate"
    unit = Unit.RATIO
    definition = (
        "Of the leads created in the period, the share converted (at any time up to now) into "
        "an account, contact and deal."
    )
    formula = "converted leads ÷ leads, both among the leads created in the period"
    edge_cases = (
        "No leads: null. A cohort rate: recent periods rise as their leads are still being "
        "worked. Conversion time does not matter, only whether the lead was converted."
    )
    undefined_reason = "No leads were created in this period, so there is no conversion rate."

    def aggregates(self, query):
        return {
            "converted": Count("pk", filter=Q(status=LeadStatus.CONVERTED)),
            "leads": Count("pk"),
        }

    def value(self, row, query):
        return divide(row["converted"], row["leads"])


@register
class LeadResponseTime(LeadKpi):
    """How quickly new leads are touched: the first call, e-mail or meeting logged on the
    lead after it came in. Leads cool down by the hour."""

    key = "lead_response_time"
    name = "Lead response time"
    unit = Unit.HOURS
    definition = (
        "The average time from a lead's creation to the first activity logged on it, over "
        "the leads created in the period that have such an activity."
    )
    formula = "Σ (first activity occurred_at − lead created_at) ÷ leads with an activity, in hours"
    edge_cases = (
        "Leads with no activity yet are left out (not counted as 0 or as infinite); no lead "
        "answered: null. Only activities at or after the lead's creation count; status "
        "changes are not responses."
    )
    undefined_reason = (
        "No lead created in this period has a call, e-mail or meeting logged on it yet."
    )

    def scope(self, rows, query):
        return rows.annotate(waited=first_response_seconds())

    def aggregates(self, query):
        # AVG skips the leads nobody has touched (their wait is null).
        return {"average_wait": Avg("waited")}

    def value(self, row, query):
        seconds = row["average_wait"]
        return None if seconds is None else as_decimal(seconds) / SECONDS_PER_HOUR
