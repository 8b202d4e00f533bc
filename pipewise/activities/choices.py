import datetime

from django.db import models


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    DEMO = "demo", "Demo"
    NOTE = "note", "Note"


class ActivityOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    LEFT_MESSAGE = "left_message", "Left message"
    NO_ANSWER = "no_answer", "No answer"
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    COMPLETED = "completed", "Completed"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskRecurrence(models.TextChoices):
    NONE = "", "Does not repeat"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class NotificationKind(models.TextChoices):
    TASK_DUE_SOON = "task_due_soon", "Task due soon"
    TASK_OVERDUE = "task_overdue", "Task overdue"
    OPPORTUNITY_STALLED = "opportunity_stalled", "Opportunity stalled in its stage"
    CLOSE_DATE_PASSED = "close_date_passed", "Close date passed while open"
    ASSIGNED = "assigned", "Record assigned to you"
    TEAM_DIGEST = "team_digest", "Daily digest of the team's overdue work and stalled deals"
    DISCOUNT_APPROVAL = "discount_approval", "Discount approval asked of you, or decided"


class SubjectType(models.TextChoices):
    TASK = "task", "Task"
    OPPORTUNITY = "opportunity", "Opportunity"
    LEAD = "lead", "Lead"
    TEAM = "team", "Team"


class EmailState(models.TextChoices):
    NOT_BY_EMAIL = "", "Not by email"
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


DUE_SOON_LEAD_TIME = datetime.timedelta(hours=24)
"""A task is "due soon" once its due time is this close (one reminder per due time)."""

FIRST_SCAN_LOOKBACK = datetime.timedelta(days=1)
"""How far back the very first scan looks for work that became due or stalled."""

DIGEST_HOUR = 7
"""Local hour (TIME_ZONE) from which a manager's daily digest is sent (once per day)."""

DIGEST_ITEMS = 10
"""Records listed by name in a digest (the counts cover all of them)."""

DIGEST_COUNT_CAP = 999
"""A digest counts overdue tasks and stalled deals up to this, then says "999+"."""

DIGEST_OVERDUE_LIST = "scope=team&due=overdue"
"""The task list's query a digest links to: the team's open tasks past their due time."""

DIGEST_STALLED_LIST = "stalled=true"
"""The opportunity list's query a digest links to: the stalled deals the manager may see."""

SCAN_SECONDS_PER_RUN = 4.0
"""Time budget of one scan: digests get what the rules left of it (at least one manager
per run, so digests always progress); managers left over get theirs next minute."""

EMAIL_BY_DEFAULT = frozenset(
    {NotificationKind.ASSIGNED, NotificationKind.TEAM_DIGEST, NotificationKind.DISCOUNT_APPROVAL}
)
"""Kinds sent by email unless the user turns it off (every kind is in-app by default)."""
