"""Background jobs of reports (Huey). They only call services.

``send_scheduled_reports`` runs every hour; it sends each scheduled report for the
week or month that ended last to whoever has not had it yet. A delivery row per
(report, recipient, period) makes a second run — a restart, two workers — send
nothing, and a missed run is caught up by the next.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pipewise.reports.services import scheduled_reports_send


@db_periodic_task(crontab(minute="5"))
def send_scheduled_reports() -> int:
    """Mail the scheduled reports due (weekly: last week; monthly: last month)."""
    return scheduled_reports_send(today=timezone.localdate())
