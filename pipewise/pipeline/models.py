"""Sales processes (pipelines and their stages), opportunities, line items, stage history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pipewise.core.models import BusinessRecord
from pipewise.core.money import CENTS, MoneyField
from pipewise.pipeline.choices import ForecastCategory, OpportunityStatus, StageKind


class Pipeline(models.Model):
    """A sales process: the ordered stages a deal goes through for one selling model."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            )
        ]

    def __str__(self):
        return self.name


class Stage(models.Model):
    """One step of a sales process, with the probability that a deal here is won."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField()
    probability = models.PositiveSmallIntegerField(help_text="Chance of winning, 0–100 %.")
    kind = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    expected_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="expected duration in days"
    )

    class Meta:
        ordering = ["pipeline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="stage_probability_0_100"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Opportunity(BusinessRecord):
    """A deal being worked: an account, an amount, a close date, a stage in a process."""

    name = models.CharField(max_length=200)
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="opportunities"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        help_text="Primary contact.",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        help_text="The lead this deal was converted from.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    status = models.CharField(
        max_length=4,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
        editable=False,
        help_text="Follows the stage: open, won or lost.",
    )
    amount = MoneyField(default=Decimal("0.00"))
    close_date = models.DateField(help_text="Expected (or actual, once closed) close date.")
    forecast_category = models.CharField(
        max_length=10, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    source = models.CharField(max_length=20, blank=True)
    lost_reason = models.CharField(max_length=200, blank=True)
    competitor = models.CharField(max_length=120, blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["owner", "id"], name="opp_owner_idx"),
            models.Index(fields=["stage", "id"], name="opp_stage_idx"),
            models.Index(fields=["status", "close_date"], name="opp_status_close_idx"),
            models.Index(fields=["owner", "status", "close_date"], name="opp_owner_status_idx"),
            models.Index(fields=["account", "id"], name="opp_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=OpportunityStatus.LOST) | ~Q(lost_reason=""),
                name="opp_lost_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=OpportunityStatus.OPEN) | Q(closed_at__isnull=False),
                name="opp_closed_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / 100).quantize(CENTS)


class LineItem(models.Model):
    """A product on an opportunity: quantity × unit price, less a discount."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="line_items"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="line_items"
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("1"))
    unit_price = MoneyField()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lineitem_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="lineitem_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="lineitem_discount_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return (gross * (100 - self.discount_percent) / 100).quantize(CENTS)


class StageChange(models.Model):
    """One stage change of an opportunity: who, when, from, to, and the amount then.

    The funnel, velocity, cycle length and hit rate are computed from these rows.
    The first row of an opportunity has no ``from_stage`` (the deal was created).
    """

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    amount = MoneyField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="stagechange_opp_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_idx"),
        ]

    def __str__(self):
        start = self.from_stage.name if self.from_stage_id else "created"
        return f"{self.opportunity}: {start} → {self.to_stage.name}"
