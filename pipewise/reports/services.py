"""Writes of the reports app: entering the sales cost of a period."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from pipewise.org.models import User
from pipewise.org.permissions import require_configure
from pipewise.reports.models import SalesCost

PERIOD_REVERSED = "The period ends before it starts."


@transaction.atomic
def sales_cost_record(
    *,
    by: User,
    period_start: datetime.date,
    period_end: datetime.date,
    amount: Decimal,
    note: str = "",
) -> SalesCost:
    """Enter what selling cost in a period (admins and sales ops), for the efficiency KPIs."""
    require_configure(by)
    if period_end < period_start:
        raise ValidationError({"period_end": PERIOD_REVERSED})
    cost = SalesCost(period_start=period_start, period_end=period_end, amount=amount, note=note)
    cost.full_clean()
    cost.save()
    return cost
