from django.db import models


class AccountType(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    PARTNER = "partner", "Partner"
    FORMER = "former", "Former customer"


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    CHAMPION = "champion", "Champion"
    INFLUENCER = "influencer", "Influencer"
    TECHNICAL_BUYER = "technical_buyer", "Technical buyer"
    USER = "user", "User"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    OTHER = "other", "Other"
