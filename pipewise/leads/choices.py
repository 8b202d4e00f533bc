from django.db import models


class Rating(models.TextChoices):
    COLD = "cold", "Cold"
    WARM = "warm", "Warm"
    HOT = "hot", "Hot"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    WORKING = "working", "Working"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"
    CONVERTED = "converted", "Converted"


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED)
"""The open work: leads not yet converted or disqualified (qualified ones wait for conversion)."""

# Statuses a lead may be moved to by hand (conversion has its own service).
MANUAL_TRANSITIONS = {
    LeadStatus.NEW: {LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED},
    LeadStatus.WORKING: {LeadStatus.NEW, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED},
    LeadStatus.QUALIFIED: {LeadStatus.WORKING, LeadStatus.DISQUALIFIED},
    LeadStatus.DISQUALIFIED: {LeadStatus.WORKING},
    LeadStatus.CONVERTED: set(),
}


class LeadSource(models.TextChoices):
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    COLD_CALL = "cold_call", "Cold call"
    EVENT = "event", "Event / trade show"
    ADVERTISING = "advertising", "Advertising"
    PARTNER = "partner", "Partner"
    DIRECTORY = "directory", "Industrial directory"
    SOCIAL = "social", "Social media"
    OTHER = "other", "Other"
