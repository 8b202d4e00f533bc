"""Accounts (the companies we sell to) and contacts (the people at them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from pipewise.core.models import BusinessRecord
from pipewise.core.money import MoneyField
from pipewise.customers.choices import AccountType, BuyingRole


class Account(BusinessRecord):
    """A company: prospect, customer, partner or former customer."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, help_text="Web domain, e.g. acme.com")
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True, help_text="Company size.")
    annual_revenue = MoneyField(null=True, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code.")
    territory = models.ForeignKey(
        "org.Territory", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    segment = models.ForeignKey(
        "org.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    type = models.CharField(
        max_length=10, choices=AccountType.choices, default=AccountType.PROSPECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accounts"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["owner", "id"], name="account_owner_idx"),
            models.Index(fields=["territory", "id"], name="account_territory_idx"),
            models.Index(fields=["name"], name="account_name_idx"),
            models.Index(fields=["domain"], name="account_domain_idx"),
        ]

    def __str__(self):
        return self.name


class Contact(BusinessRecord):
    """A person at an account, with the role they play in buying."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120, blank=True)
    buying_role = models.CharField(max_length=20, choices=BuyingRole.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contacts"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        indexes = [
            models.Index(fields=["owner", "id"], name="contact_owner_idx"),
            models.Index(fields=["account", "id"], name="contact_account_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
