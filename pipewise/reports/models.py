"""What reports need that no other app records yet: the sales cost of a period."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from pipewise.core.money import MoneyField


class SalesCost(models.Model):
    """What selling cost in a period (salaries, commissions, travel, marketing), entered by hand.

    Sales efficiency and the magic number divide revenue by it. It stands in
    until the budgets app records expenses; a cost spanning several months is
    spread evenly over its days when a KPI asks for part of it.
    """

    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the period (inclusive).")
    amount = MoneyField(help_text="Sales and marketing cost of the period.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_start", "id"]
        indexes = [models.Index(fields=["period_start", "period_end"], name="salescost_period_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="salescost_period_ordered"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="salescost_not_negative"),
        ]

    def __str__(self):
        return f"{self.period_start} – {self.period_end}: {self.amount}"
