"""Roles, territory levels and organisation structure types."""

from django.db import models


class Role(models.TextChoices):
    SDR = "sdr", "Sales development rep"
    ACCOUNT_EXECUTIVE = "account_executive", "Account executive"
    CUSTOMER_SUCCESS = "customer_success", "Customer success manager"
    SALES_MANAGER = "sales_manager", "Sales manager"
    SALES_OPS = "sales_ops", "Sales operations"
    MARKETING = "marketing", "Marketing"
    PARTNER_MANAGER = "partner_manager", "Partner manager"
    EXECUTIVE = "executive", "Executive (read-only)"
    ADMIN = "admin", "Administrator"


# Roles that see every record of every kind.
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.SALES_OPS, Role.EXECUTIVE})
# Roles that may change configuration (users, teams, territories, pipelines, products).
CONFIGURE_ROLES = frozenset({Role.ADMIN, Role.SALES_OPS})
# Roles that see every lead (and, later, campaign).
SEE_ALL_LEADS_ROLES = SEE_ALL_ROLES | {Role.MARKETING}
# Roles that only read.
READ_ONLY_ROLES = frozenset({Role.EXECUTIVE})
# Roles that own deals (and so their quotes and orders); SDRs and marketing hand leads over.
DEAL_ROLES = frozenset(
    {Role.ACCOUNT_EXECUTIVE, Role.CUSTOMER_SUCCESS, Role.SALES_MANAGER, Role.PARTNER_MANAGER}
)
# Roles that carry a quota (revenue, deals, leads or meetings); marketing carries none here.
QUOTA_ROLES = DEAL_ROLES | {Role.SDR}


class TerritoryLevel(models.TextChoices):
    REGION = "region", "Region"
    COUNTRY = "country", "Country"
    AREA = "area", "Area"


TERRITORY_PARENT_LEVEL = {
    TerritoryLevel.REGION: None,
    TerritoryLevel.COUNTRY: TerritoryLevel.REGION,
    TerritoryLevel.AREA: TerritoryLevel.COUNTRY,
}


class StructureType(models.TextChoices):
    TERRITORY = "territory", "By territory"
    PRODUCT = "product", "By product"
    MARKET = "market", "By market (segment)"
    FUNCTIONAL = "functional", "Functional"
    HYBRID = "hybrid", "Hybrid"
