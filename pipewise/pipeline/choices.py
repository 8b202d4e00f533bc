from django.db import models


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class AmountSource(models.TextChoices):
    """Where a deal's amount comes from when its line items change and the amount was entered
    by hand (it differs from the line items' total)."""

    ENTERED = "entered", "Keep the entered amount"
    LINES = "lines", "Use the line items' total"


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    CLOSED = "closed", "Closed"
    OMITTED = "omitted", "Omitted"


# The default sales process is created by migration 0002_default_process.

# Days a deal may sit in a stage whose expected duration is not set before it counts as stalled.
DEFAULT_EXPECTED_DAYS = 30

LOST_REASONS = [
    "Price too high",
    "Chose a competitor",
    "No budget",
    "No decision / stalled",
    "Missing features",
    "Bad timing",
]


class CriteriaMode(models.TextChoices):
    """What happens when a deal leaves a stage whose exit criteria are not met."""

    WARN = "warn", "Warn (record the warning, allow the move)"
    BLOCK = "block", "Block the move"


# Fields a stage may require before a deal leaves it (exit criteria), with their labels.
REQUIRABLE_FIELDS = {
    "contact": "Primary contact",
    "amount": "Amount above zero",
    "close_date": "Close date",
    "source": "Source",
    "competitor": "Competitor",
    "line_items": "Line items",
}


class AssigneeRule(models.TextChoices):
    """Who gets a follow-up task created automatically."""

    OWNER = "owner", "Deal owner"
    OWNER_MANAGER = "owner_manager", "Deal owner's manager"
    ACCOUNT_OWNER = "account_owner", "Account owner"
    CUSTOMER_SUCCESS = "customer_success", "Account's customer success manager"


class DiscountApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    DELIVERED = "delivered", "Delivered"
    INVOICED = "invoiced", "Invoiced"
    CANCELLED = "cancelled", "Cancelled"


# After-sales follow-ups created when a deal is won: (title, description, days after the win).
AFTER_SALES_TASKS = [
    ("Delivery check", "Check with the customer that the order was delivered complete.", 7),
    ("Feedback request", "Ask the customer how the purchase and the delivery went.", 30),
]
