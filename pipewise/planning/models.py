"""Sales planning: targets (quotas) by metric, member and period, seasonality profiles,
ramp schedules for new hires, and sales plans with initiatives and their tasks."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pipewise.core.models import BusinessRecord
from pipewise.core.money import MoneyField
from pipewise.planning.choices import (
    CHANNEL_CHOICES,
    Channel,
    Dimension,
    Metric,
    PeriodKind,
    PlanStatus,
    ProfileSource,
    member_column,
)
from pipewise.planning.periods import month_index

MONTH_FIELDS = tuple(f"month_{n:02d}" for n in range(1, 13))
# Weights are stored in hundredths of a percent: 10 000 = 100 %, exact on every database.
WHOLE = 10000


class MemberFields(models.Model):
    """The dimension members a figure is for: any combination, none = the company."""

    user = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        "org.Territory", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_line = models.ForeignKey(
        "org.ProductLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    segment = models.ForeignKey(
        "org.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        max_length=20,
        null=True,
        blank=True,
        choices=CHANNEL_CHOICES,
        help_text="The deals' source, until a channels/partners app exists.",
    )

    class Meta:
        abstract = True

    @property
    def channel_id(self) -> str | None:
        """The channel's key, named like the other members' ids."""
        return self.channel or None

    @property
    def members(self) -> dict[str, object]:
        """The dimensions set on this row and their members, e.g. {"territory": <DE>}."""
        return {d: self.member(d) for d in Dimension.values if getattr(self, f"{d}_id")}

    def member(self, dimension: str):
        value = getattr(self, dimension)
        return Channel(value) if dimension == Dimension.CHANNEL and value else value

    @property
    def member_label(self) -> str:
        members = self.members
        if not members:
            return "Company"
        return " × ".join(str(m) for m in members.values())


def _member_key() -> list:
    """Expressions that make NULL members comparable, for uniqueness across dimensions."""
    return [
        Coalesce(member_column(d), Value("" if d == Dimension.CHANNEL else 0))
        for d in Dimension.values
    ]


class Target(MemberFields, BusinessRecord):
    """A quota: how much of a metric (booked revenue, calls …) a member should reach in a
    fiscal period. A person, a team, a territory, a product line, a segment, a customer
    account, a combination of them (territory × product line), or none (the company)."""

    metric = models.CharField(max_length=20, choices=Metric.choices)
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(help_text="First day of the fiscal period.")
    period_end = models.DateField(editable=False, help_text="Last day of the fiscal period.")
    amount = MoneyField(help_text="Money for revenue, a number for counts.")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["period_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="target_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(team__isnull=True),
                name="target_user_or_team",
            ),
            models.UniqueConstraint(
                *_member_key(),
                "metric",
                "period_kind",
                "period_start",
                condition=Q(deleted_at__isnull=True),
                name="target_one_per_member_metric_period",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "period_start"], name="target_user_period_idx"),
            models.Index(fields=["team", "period_start"], name="target_team_period_idx"),
            models.Index(fields=["period_start", "metric"], name="target_period_metric_idx"),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} · {self.member_label} · {self.period_label}"

    @property
    def period_label(self) -> str:
        """ "Mar 2026" for a month, "Jan 2026 – Dec 2026" for a quarter or year."""
        if self.period_kind == PeriodKind.MONTH:
            return f"{self.period_start:%b %Y}"
        return f"{self.period_start:%b %Y} – {self.period_end:%b %Y}"


class SeasonalityProfile(MemberFields, models.Model):
    """How a year's business spreads over the calendar months: 12 weights (January …
    December) in hundredths of a percent adding up to exactly 100 %. Entered by sales ops
    or derived from won revenue; one per member (none = the company profile, everyone's
    fall-back)."""

    name = models.CharField(max_length=120)
    source = models.CharField(max_length=8, choices=ProfileSource.choices)
    history_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years of history a derived profile was computed from."
    )
    month_01 = models.PositiveIntegerField()
    month_02 = models.PositiveIntegerField()
    month_03 = models.PositiveIntegerField()
    month_04 = models.PositiveIntegerField()
    month_05 = models.PositiveIntegerField()
    month_06 = models.PositiveIntegerField()
    month_07 = models.PositiveIntegerField()
    month_08 = models.PositiveIntegerField()
    month_09 = models.PositiveIntegerField()
    month_10 = models.PositiveIntegerField()
    month_11 = models.PositiveIntegerField()
    month_12 = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(
                    sum((F(name) for name in MONTH_FIELDS[1:]), F(MONTH_FIELDS[0])), WHOLE
                ),
                name="profile_weights_sum_100",
            ),
            models.UniqueConstraint(*_member_key(), name="profile_one_per_member"),
        ]

    def __str__(self):
        return self.name

    @property
    def weights(self) -> list[Decimal]:
        """January … December, in percent (stored in hundredths of a percent)."""
        return [Decimal(getattr(self, name)) / 100 for name in MONTH_FIELDS]


def plain_number(value: Decimal) -> str:
    """A percentage as people write it: 25, 12.5 (no trailing zeros, no exponent)."""
    return format(value.normalize(), "f")


class Ramp(models.Model):
    """A new hire's ramp: their quota grows over their first months, e.g. 25/50/75/100 %
    of a full quota, starting in the month they start selling."""

    user = models.OneToOneField("org.User", on_delete=models.CASCADE, related_name="ramp")
    starts_on = models.DateField(help_text="First day of the first ramp month.")
    percentages = models.CharField(
        max_length=120, help_text="Share of a full quota per month, e.g. 25,50,75,100."
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__day=1), name="ramp_starts_on_first")
        ]

    def __str__(self):
        return f"Ramp of {self.user}: {self.percentages}"

    @property
    def steps(self) -> list[Decimal]:
        return [Decimal(p.strip()) for p in self.percentages.split(",") if p.strip()]

    @property
    def summary(self) -> str:
        """ "25/50/75/100 % from Sep 2026": the ramp as a manager reads it."""
        steps = "/".join(plain_number(s) for s in self.steps)
        return f"{steps} % from {self.starts_on:%b %Y}"

    def share_in(self, month: datetime.date) -> Decimal:
        """The share of a full quota (0 … 1) the person carries in ``month``: 0 before the
        ramp starts, each step in turn, 1 once the ramp is over."""
        step = month_index(month) - month_index(self.starts_on)
        if step < 0:
            return Decimal(0)
        steps = self.steps
        return steps[step] / 100 if step < len(steps) else Decimal(1)


class SalesPlan(BusinessRecord):
    """How a rep (or a team's manager) will reach an assigned target: initiatives broken
    into tasks and to-do items, reviewed and approved by the manager."""

    title = models.CharField(max_length=200)
    owner = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="sales_plans")
    fiscal_year = models.PositiveSmallIntegerField()
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    reviewed_by = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-fiscal_year", "title"]
        indexes = [models.Index(fields=["owner", "id"], name="salesplan_owner_idx")]

    def __str__(self):
        return self.title


class Initiative(models.Model):
    """One thing a plan will do to reach its target (e.g. "win back lapsed customers in
    Bavaria"), with the result it should measurably bring and the tasks that carry it."""

    plan = models.ForeignKey(SalesPlan, on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    expected_result = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    tasks = models.ManyToManyField("activities.Task", blank=True, related_name="initiatives")

    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self):
        return self.title
