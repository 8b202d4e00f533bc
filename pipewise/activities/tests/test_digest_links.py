"""A manager's digest links each record to its page and each section to the list holding
all of it (the stalled deals, the team's overdue tasks), and its dates carry the year."""

from __future__ import annotations

import datetime

from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from pipewise.activities.choices import NotificationKind
from pipewise.activities.models import Notification
from pipewise.activities.services import digest_compose, reminders_scan, task_create
from pipewise.pipeline.models import Opportunity

BASE = "https://sales.example.com"


def digest_morning() -> datetime.datetime:
    return timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=8)


def late_work(people, sales, now):
    task = task_create(
        by=people.ae, title="Send the contract", due_at=now - datetime.timedelta(days=400)
    )
    entered = now - datetime.timedelta(days=sales.ae_opp.stage.expected_duration + 400)
    Opportunity.objects.filter(pk=sales.ae_opp.pk).update(stage_entered_at=entered)
    return task, entered


@override_settings(PIPEWISE_BASE_URL=BASE + "/")
def test_it_links_each_item_to_its_record_and_each_section_to_its_list(people, sales):
    now = digest_morning()
    task, _ = late_work(people, sales, now)
    title, body = digest_compose(manager=people.manager, now=now)
    deal_url = BASE + reverse("pipeline:detail", args=[sales.ae_opp.pk])
    task_url = BASE + reverse("activities:task_detail", args=[task.pk])
    stalled_list = BASE + reverse("pipeline:list") + "?stalled=true"
    tasks_list = BASE + reverse("activities:task_list") + "?scope=team&due=overdue"
    lines = body.splitlines()
    assert any("Send the contract" in line and line.endswith(task_url) for line in lines)
    assert any("Alpen — line 4 automation" in line and line.endswith(deal_url) for line in lines)
    assert f"All of them: {stalled_list}" in lines and f"All of them: {tasks_list}" in lines


def test_it_prints_dates_with_the_year(people, sales):
    now = digest_morning()
    task, entered = late_work(people, sales, now)
    title, body = digest_compose(manager=people.manager, now=now)
    assert title.startswith(f"Team digest {timezone.localdate(now):%d %b %Y}:")
    assert f"due {timezone.localtime(task.due_at):%d %b %Y %H:%M}" in body
    assert f"since {timezone.localtime(entered):%d %b %Y}" in body


def test_it_shows_the_digests_links_as_links_in_the_app(people, sales):
    now = digest_morning()
    late_work(people, sales, now)
    reminders_scan(now=now)
    digest = Notification.objects.get(recipient=people.manager, kind=NotificationKind.TEAM_DIGEST)
    client = Client()
    client.force_login(people.manager)
    html = client.get(reverse("activities:notification_list")).content.decode()
    stalled_list = reverse("pipeline:list") + "?stalled=true"
    assert f'{stalled_list}" rel="nofollow">' in html
    assert "?stalled=true" in digest.body
