"""The sales organisation: people, their roles, reporting lines, teams and territories."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models

from pipewise.org.choices import (
    CONFIGURE_ROLES,
    READ_ONLY_ROLES,
    SEE_ALL_LEADS_ROLES,
    SEE_ALL_ROLES,
    Role,
    StructureType,
    TerritoryLevel,
)


class Territory(models.Model):
    """A sales territory in a tree: region → country → area."""

    name = models.CharField(max_length=120)
    code = models.CharField(max_length=40, unique=True, help_text="Short key used by imports.")
    level = models.CharField(max_length=10, choices=TerritoryLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="territory_unique_name_in_parent"
            )
        ]

    def __str__(self):
        return self.name


class Segment(models.Model):
    """A market segment (e.g. SMB, mid-market, enterprise, public sector)."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProductLine(models.Model):
    """A family of products, used for product-based structure and targets."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """A sales team with its manager (e.g. "Enterprise AEs — North")."""

    name = models.CharField(max_length=120, unique=True)
    manager = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PipewiseUserManager(UserManager):
    pass


class User(AbstractUser):
    """A person in the sales organisation, with roles and a place in the reporting line."""

    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    territories = models.ManyToManyField(Territory, blank=True, related_name="users")
    title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    objects = PipewiseUserManager()

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["manager"], name="user_manager_idx")]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        if self.manager_id and self.pk and self.manager_id == self.pk:
            raise ValidationError({"manager": "A person cannot be their own manager."})

    # --- roles -----------------------------------------------------------
    @cached_property
    def role_keys(self) -> frozenset[str]:
        return frozenset(self.user_roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_keys & set(roles))

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or bool(self.role_keys & SEE_ALL_ROLES)

    @property
    def sees_all_leads(self) -> bool:
        return self.is_superuser or bool(self.role_keys & SEE_ALL_LEADS_ROLES)

    @property
    def can_configure(self) -> bool:
        return self.is_superuser or bool(self.role_keys & CONFIGURE_ROLES)

    @property
    def is_read_only(self) -> bool:
        """Executives read; they change nothing (unless they hold a second, writing role)."""
        if self.is_superuser:
            return False
        return bool(self.role_keys) and self.role_keys <= READ_ONLY_ROLES


class UserRole(models.Model):
    """One role held by a user; a user may hold several (e.g. sales manager + AE)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


class OrganisationSettings(models.Model):
    """Company-wide settings (one row): name, structure type, currency, fiscal year."""

    company_name = models.CharField(max_length=200, default="Pipewise demo company")
    structure_type = models.CharField(
        max_length=12, choices=StructureType.choices, default=StructureType.TERRITORY
    )
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 code.")
    fiscal_year_start_month = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name_plural = "organisation settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1)
                & models.Q(fiscal_year_start_month__lte=12),
                name="org_fiscal_month_1_12",
            )
        ]

    def __str__(self):
        return self.company_name

    @classmethod
    def current(cls) -> OrganisationSettings:
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings
