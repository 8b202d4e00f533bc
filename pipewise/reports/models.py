"""What reports record: the sales cost of a period, saved reports and their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pipewise.core.money import MoneyField
from pipewise.org.choices import Role
from pipewise.reports.choices import ChartType, ReportEntity, Schedule


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


class SavedReport(models.Model):
    """A report built by a user: an entity (deals, leads …), filters, up to two groupings,
    measures, calculated fields and a chart, saved to run again, shared with a team or a
    role, and optionally mailed weekly or monthly.

    The definition is data (JSON lists checked by ``reports.builder``); the rows are
    always computed for the person looking, through the entity's visibility, so sharing
    a report never shares records the recipient could not see anyway.
    """

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports"
    )
    entity = models.CharField(max_length=20, choices=ReportEntity.choices)
    filters = models.JSONField(
        default=dict, blank=True, help_text="URL filters of the entity's list (its FilterSet)."
    )
    period = models.CharField(
        max_length=20, default="all", help_text="A named period (this_quarter …) or all."
    )
    group_by = models.JSONField(default=list, blank=True, help_text="Up to two dimensions.")
    measures = models.JSONField(default=list, help_text='[{"op": "sum", "field": "amount"}, …]')
    calculated_fields = models.JSONField(
        default=list, blank=True, help_text='[{"name": "weighted", "expression": "…"}, …]'
    )
    chart = models.CharField(max_length=10, choices=ChartType.choices, default=ChartType.TABLE)
    shared_with_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_with_role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    schedule = models.CharField(
        max_length=8, choices=Schedule.choices, default=Schedule.NONE, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="savedreport_owner_idx"),
            models.Index(fields=["schedule"], name="savedreport_schedule_idx"),
        ]

    def __str__(self):
        return self.name


class ReportDelivery(models.Model):
    """One scheduled report mailed to one recipient for one period.

    The unique constraint makes sending idempotent: the scheduled task inserts
    this row and sends in the same transaction, so a restarted task or a second
    worker finds the row (or waits for it) and sends nothing twice.
    """

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0, help_text="Result rows the recipient got.")

    class Meta:
        ordering = ["-sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "recipient", "period_start"], name="reportdelivery_once"
            )
        ]

    def __str__(self):
        return f"{self.report} → {self.recipient} ({self.period_start})"
