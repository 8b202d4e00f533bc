"""KPIs of orders: what the won deals became (pipeline.Order). An order is seen by whoever
sees its deal (``opportunity_visible_to``) and reaches the deal's owner, team, territory,
segment, source and account through it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from pipewise.org.models import User
from pipewise.pipeline.choices import OrderStatus
from pipewise.pipeline.models import Order
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.reports.choices import Unit
from pipewise.reports.kpis.base import AggregateKpi, register
from pipewise.reports.kpis.sales import CLOSED_DIMENSIONS, DEAL_FILTERS
from pipewise.reports.kpis.subjects import OPPORTUNITIES


def visible_orders(user: User) -> QuerySet[Order]:
    """The orders of the deals ``user`` sees, as one ``IN (SELECT …)``."""
    deals = opportunity_visible_to(user).order_by().values("pk")
    return Order.objects.filter(opportunity__in=deals)


ORDERS = OPPORTUNITIES.through("opportunity__", name="orders", visible=visible_orders)


@register
class OrderRevenue(AggregateKpi):
    """What was ordered: the amount of the orders placed in the period, cancellations left
    out. The actual behind order revenue targets."""

    key = "order_revenue"
    name = "Order revenue"
    unit = Unit.CURRENCY
    definition = (
        "The total amount (after discounts) of the orders created in the period that are not "
        "cancelled."
    )
    formula = "Σ amount of orders with created_at in the period and status ≠ cancelled"
    period_rule = (
        "from/to select orders by the day they were created (created_at, in the company time "
        "zone: the day the deal was won); month groups by the same date."
    )
    edge_cases = (
        "No orders: 0. A cancelled order does not count (whatever its amount). A deal won, "
        "re-opened and won again keeps its first order, counted once on the first win's day. "
        "Owner, team, territory, segment, source and account are the order's deal's."
    )
    subject = ORDERS
    date_field = "created_at"
    filters = DEAL_FILTERS
    dimensions = CLOSED_DIMENSIONS  # owner, team, territory, source, segment, month

    def scope(self, rows, query):
        return rows.exclude(status=OrderStatus.CANCELLED)

    def aggregates(self, query):
        return {"ordered": Sum("amount")}

    def value(self, row, query):
        return row["ordered"] or Decimal("0.00")
