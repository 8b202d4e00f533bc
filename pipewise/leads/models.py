"""Leads: prospects before they are qualified and converted into accounts and deals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pipewise.core.models import BusinessRecord
from pipewise.leads.choices import LeadSource, LeadStatus, Rating


def normalise_email(email: str) -> str:
    """Lower-case, trimmed, with gmail-style "+tag" removed from the local part."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def email_domain(email: str) -> str:
    return normalise_email(email).partition("@")[2]


class Lead(BusinessRecord):
    """A person (and their company) who might buy, rated cold / warm / hot."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    email_normalised = models.CharField(max_length=254, blank=True, editable=False)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=120, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code.")
    territory = models.ForeignKey(
        "org.Territory", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    source = models.CharField(max_length=20, choices=LeadSource.choices, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    rating = models.CharField(max_length=4, choices=Rating.choices, default=Rating.COLD)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    disqualification_reason = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leads"
    )
    score = models.IntegerField(null=True, blank=True, help_text="Lead score, 0–100.")
    account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["owner", "id"], name="lead_owner_idx"),
            models.Index(fields=["status", "id"], name="lead_status_idx"),
            models.Index(fields=["email_normalised"], name="lead_email_idx"),
            models.Index(fields=["company"], name="lead_company_idx"),
            # The Score sort (highest first, unscored last) walks this index backwards.
            models.Index(fields=["score", "id"], name="lead_score_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | (models.Q(score__gte=0) & models.Q(score__lte=100)),
                name="lead_score_0_100",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LeadStatus.DISQUALIFIED)
                | ~models.Q(disqualification_reason=""),
                name="lead_disqualified_has_reason",
            ),
        ]

    def __str__(self):
        return self.full_name or self.company

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self):
        super().clean()
        self.email_normalised = normalise_email(self.email)


class LeadStatusChange(models.Model):
    """One status change of a lead: who, when, from, to. Funnel KPIs read these rows."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=LeadStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=LeadStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["lead", "changed_at"], name="leadstatus_lead_idx"),
            models.Index(fields=["to_status", "changed_at"], name="leadstatus_to_idx"),
        ]

    def __str__(self):
        return f"{self.lead}: {self.from_status or 'created'} → {self.to_status}"
