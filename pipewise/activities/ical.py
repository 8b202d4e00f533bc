"""The iCalendar document of a user's calendar feed: open tasks (VTODO), meetings (VEVENT)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Todo

from pipewise.activities.choices import TaskPriority, TaskStatus
from pipewise.activities.selectors import calendar_meetings, calendar_tasks
from pipewise.org.models import User

DEFAULT_MEETING_MINUTES = 60
ICAL_PRIORITY = {  # RFC 5545: 1 highest, 9 lowest
    TaskPriority.URGENT: 1,
    TaskPriority.HIGH: 3,
    TaskPriority.NORMAL: 5,
    TaskPriority.LOW: 9,
}


def calendar_document(*, user: User, base_url: str, now: datetime.datetime | None = None) -> bytes:
    """Build the feed: each open task with a due date, each meeting from now on."""
    now = now or timezone.now()
    base_url = base_url.rstrip("/")
    host = base_url.split("//", 1)[-1] or "pipewise"
    cal = Calendar()
    cal.add("prodid", "-//Pipewise//Sales tasks and meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Pipewise — {user}")
    cal.add("x-published-ttl", "PT15M")
    for task in calendar_tasks(user):
        todo = Todo()
        todo.add("uid", f"task-{task.pk}@{host}")
        todo.add("dtstamp", task.updated_at)
        todo.add("summary", task.title)
        todo.add("due", task.due_at)
        todo.add("priority", ICAL_PRIORITY.get(task.priority, 5))
        started = task.status == TaskStatus.IN_PROGRESS
        todo.add("status", "IN-PROCESS" if started else "NEEDS-ACTION")
        todo.add("url", base_url + reverse("activities:task_detail", args=[task.pk]))
        description = _describe(task.opportunity or task.account, task.description)
        if description:
            todo.add("description", description)
        cal.add_component(todo)
    for meeting in calendar_meetings(user, now=now):
        event = Event()
        minutes = meeting.duration_minutes or DEFAULT_MEETING_MINUTES
        event.add("uid", f"meeting-{meeting.pk}@{host}")
        event.add("dtstamp", meeting.updated_at)
        event.add("summary", meeting.subject)
        event.add("dtstart", meeting.occurred_at)
        event.add("dtend", meeting.occurred_at + datetime.timedelta(minutes=minutes))
        description = _describe(meeting.opportunity or meeting.account, meeting.notes)
        if description:
            event.add("description", description)
        cal.add_component(event)
    return cal.to_ical()


def _describe(about, text: str) -> str:
    return "\n".join(part for part in (f"About: {about}" if about else "", text) if part)
