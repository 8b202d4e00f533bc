"""Units, dimensions and filters of the KPI registry."""

from django.db import models

from pipewise.org.choices import Role


class Unit(models.TextChoices):
    """What a KPI's number measures; also decides how it is rounded and rendered."""

    CURRENCY = "currency", "Amount in the company currency"
    CURRENCY_PER_DAY = "currency_per_day", "Amount per day"
    COUNT = "count", "Number of records"
    RATIO = "ratio", "Fraction (0.25 = 25 %)"
    PERCENT = "percent", "Percentage (125 = 125 %)"
    MULTIPLE = "multiple", "Multiple (3 = 3×)"
    DAYS = "days", "Days"
    HOURS = "hours", "Hours"
    PER_WEEK = "per_week", "Per week"


# Decimal places each unit is rounded to (half up). Counts are integers.
UNIT_PLACES = {
    Unit.CURRENCY: 2,
    Unit.CURRENCY_PER_DAY: 2,
    Unit.RATIO: 4,
    Unit.PERCENT: 2,
    Unit.MULTIPLE: 4,
    Unit.DAYS: 1,
    Unit.HOURS: 1,
    Unit.PER_WEEK: 2,
}
# Units that are amounts of money: rendered as decimal strings by the API, like every amount.
MONEY_UNITS = frozenset({Unit.CURRENCY, Unit.CURRENCY_PER_DAY})


class Dimension(models.TextChoices):
    """What a KPI can be broken down by (``group_by``)."""

    OWNER = "owner", "Owner (username)"
    TEAM = "team", "Team of the owner"
    TERRITORY = "territory", "Territory"
    PRODUCT_LINE = "product_line", "Product line (through line items)"
    SOURCE = "source", "Source"
    STAGE = "stage", "Stage, by name (filter by pipeline to keep sales processes apart)"
    MONTH = "month", "Month (YYYY-MM, company time zone)"
    SEGMENT = "segment", "Market segment of the account"
    ACTIVITY_TYPE = "activity_type", "Activity type"


class Filter(models.TextChoices):
    """What a KPI's records can be narrowed to."""

    OWNER = "owner", "Owner: user id or username"
    TEAM = "team", "Team of the owner: team id or name"
    TERRITORY = "territory", "Territory id or code, with the territories inside it"
    PIPELINE = "pipeline", "Sales process: pipeline id or name"
    SOURCE = "source", "Source (e.g. website, referral)"
    SEGMENT = "segment", "Market segment: id or name"
    ACTIVITY_TYPE = "activity_type", "Activity type (call, email, meeting, demo, note)"
    ACCOUNT = "account", "Customer account: id or name"


# Groupings deeper than this are refused (a pivot has rows and columns, no more).
MAX_GROUP_DIMENSIONS = 2


# The roles counted as reps in "per rep" KPIs: the people expected to log selling work.
REP_ROLES = frozenset(
    {Role.SDR, Role.ACCOUNT_EXECUTIVE, Role.CUSTOMER_SUCCESS, Role.PARTNER_MANAGER}
)


class ReportEntity(models.TextChoices):
    """What a saved report counts."""

    LEADS = "leads", "Leads"
    OPPORTUNITIES = "opportunities", "Opportunities"
    ACTIVITIES = "activities", "Activities"
    TASKS = "tasks", "Tasks"
    ACCOUNTS = "accounts", "Accounts"
    LINE_ITEMS = "line_items", "Line items"


class Measure(models.TextChoices):
    """How a saved report aggregates a field of each group."""

    COUNT = "count", "Count"
    SUM = "sum", "Sum"
    AVG = "avg", "Average"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    KPI = "kpi", "KPI of the registry"


class ChartType(models.TextChoices):
    TABLE = "table", "Table only"
    BAR = "bar", "Bars"
    LINE = "line", "Line"
    PIE = "pie", "Pie"


class Schedule(models.TextChoices):
    NONE = "", "Not mailed"
    WEEKLY = "weekly", "Weekly (Mondays, the week before)"
    MONTHLY = "monthly", "Monthly (the 1st, the month before)"


# Calculated fields and measures a report may have, and rows a result may hold.
MAX_MEASURES = 8
MAX_CALCULATED_FIELDS = 5
MAX_RESULT_ROWS = 5000
