"""Background jobs of activities (Huey). They only call services.

``scan_reminders`` runs every minute in every worker; running it twice (a restart,
two workers) is harmless: the scan inserts-or-ignores on a unique key. It then
queues ``send_notification_emails``, which mails what is waiting, apart from the scan.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pipewise.activities.services import notification_send_emails, reminders_scan

MAX_EMAIL_BATCHES = 20
"""Batches one mail job sends before leaving the rest to the next minute's job."""


@db_periodic_task(crontab(minute="*"))
def scan_reminders() -> None:
    """Due-soon and overdue tasks, stalled deals, passed close dates, daily digests."""
    reminders_scan()
    send_notification_emails()


@db_task()
def send_notification_emails() -> int:
    """Send the notification emails that are waiting (each at most once)."""
    sent = 0
    for _ in range(MAX_EMAIL_BATCHES):
        batch = notification_send_emails()
        sent += batch
        if not batch:
            break
    return sent
