"""Background jobs of activities (Huey). They only call services.

``scan_reminders`` runs every minute in every worker; running it twice (a restart,
two workers) is harmless: the scan inserts-or-ignores on a unique key.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pipewise.activities.services import notification_send_emails, reminders_scan


@db_periodic_task(crontab(minute="*"))
def scan_reminders() -> dict:
    """Due-soon and overdue tasks, stalled deals, passed close dates, daily digests, emails."""
    report = reminders_scan()
    return {"written": dict(report.written), "emailed": report.emailed}


@db_task()
def send_notification_emails() -> int:
    """Send waiting notification emails now (the scan also sends them every minute)."""
    return notification_send_emails()
