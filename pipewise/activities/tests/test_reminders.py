"""Reminder rules with an injected clock: due soon, overdue, stalled, close date passed,
assignments, digests; each sent once however often the scan runs."""

from __future__ import annotations

import datetime
import itertools
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from pipewise.activities.choices import (
    DUE_SOON_LEAD_TIME,
    EmailState,
    NotificationKind,
)
from pipewise.activities.models import Notification, ScanMark
from pipewise.activities.services import (
    notification_mark_read,
    notification_preferences_save,
    notification_send_emails,
    reminders_scan,
    task_create,
    task_update,
)
from pipewise.leads.services import lead_update
from pipewise.pipeline.choices import DEFAULT_EXPECTED_DAYS
from pipewise.pipeline.services import opportunity_update

MINUTE = datetime.timedelta(minutes=1)


def kinds(kind, **filters):
    return list(Notification.objects.filter(kind=kind, **filters))


def early(moment: datetime.datetime) -> datetime.datetime:
    """The same instant moved before the digest hour, so digests stay out of rule tests."""
    local = timezone.localtime(moment)
    return local.replace(hour=3)


@pytest.fixture
def clock():
    return early(timezone.now() + datetime.timedelta(days=1))


def test_it_reminds_a_task_due_soon_once_it_enters_the_lead_time(people, clock):
    due = clock + DUE_SOON_LEAD_TIME + MINUTE
    task = task_create(by=people.ae, title="Prepare demo", due_at=due)
    reminders_scan(now=clock)
    assert kinds(NotificationKind.TASK_DUE_SOON) == []
    reminders_scan(now=clock + 2 * MINUTE)
    [reminder] = kinds(NotificationKind.TASK_DUE_SOON)
    assert (reminder.recipient, reminder.subject_id) == (people.ae, task.pk)
    assert "Prepare demo" in reminder.title and reminder.url == f"/tasks/{task.pk}/"


def test_it_reminds_an_overdue_task_once_its_due_time_has_passed(people, clock):
    task = task_create(by=people.ae, title="Send contract", due_at=clock)
    reminders_scan(now=clock)
    assert kinds(NotificationKind.TASK_OVERDUE) == []
    reminders_scan(now=clock + MINUTE)
    reminders_scan(now=clock + 2 * MINUTE)
    [overdue] = kinds(NotificationKind.TASK_OVERDUE)
    assert overdue.subject_id == task.pk and overdue.occasion == task.due_at.isoformat()


def test_it_sends_nothing_twice_even_when_the_scan_forgets_where_it_was(people, clock):
    task_create(by=people.ae, title="Send contract", due_at=clock - MINUTE)
    first = reminders_scan(now=clock)
    ScanMark.objects.all().delete()  # a second worker that never ran, a wiped schedule
    second = reminders_scan(now=clock)
    assert first.written[NotificationKind.TASK_OVERDUE] == 1
    assert second.written[NotificationKind.TASK_OVERDUE] == 0
    assert len(kinds(NotificationKind.TASK_OVERDUE)) == 1


def test_it_reminds_again_when_an_overdue_task_is_rescheduled_and_missed_again(people, clock):
    task = task_create(by=people.ae, title="Call back", due_at=clock - MINUTE)
    reminders_scan(now=clock)
    task = task_update(task=task, by=people.ae, due_at=clock + MINUTE)
    reminders_scan(now=clock + 5 * MINUTE)
    assert len(kinds(NotificationKind.TASK_OVERDUE)) == 2
    task_update(task=task, by=people.ae, title="Call back (renamed)")
    reminders_scan(now=clock + 10 * MINUTE)
    assert len(kinds(NotificationKind.TASK_OVERDUE)) == 2


def test_it_skips_done_tasks(people, clock):
    from pipewise.activities.services import task_complete

    task = task_create(by=people.ae, title="Done already", due_at=clock - MINUTE)
    task_complete(task=task, by=people.ae)
    reminders_scan(now=clock)
    assert kinds(NotificationKind.TASK_OVERDUE) == []


def test_it_calls_a_deal_stalled_only_after_the_stages_expected_days(sales, people):
    stage = sales.ae_opp.stage
    stage.expected_days = 5
    stage.save(update_fields=["expected_days"])
    boundary = sales.ae_opp.stage_entered_at + datetime.timedelta(days=5)
    reminders_scan(now=boundary)
    assert kinds(NotificationKind.OPPORTUNITY_STALLED) == []
    reminders_scan(now=boundary + datetime.timedelta(microseconds=1))
    reminders_scan(now=boundary + MINUTE)
    [stalled] = kinds(NotificationKind.OPPORTUNITY_STALLED, recipient=people.ae)
    assert stalled.subject_id == sales.ae_opp.pk
    assert "over 5 days" in stalled.title


def test_it_uses_the_default_duration_for_a_stage_without_one(sales):
    stage = sales.ae_opp.stage
    stage.expected_days = None
    stage.save(update_fields=["expected_days"])
    limit = sales.ae_opp.stage_entered_at + datetime.timedelta(days=DEFAULT_EXPECTED_DAYS)
    reminders_scan(now=limit)
    assert kinds(NotificationKind.OPPORTUNITY_STALLED) == []
    reminders_scan(now=limit + MINUTE)
    assert len(kinds(NotificationKind.OPPORTUNITY_STALLED)) == 2  # the AE's deal and the other


def test_it_reminds_the_owner_when_an_open_deals_close_date_has_passed(sales, people):
    close = sales.ae_opp.close_date
    day_after = timezone.make_aware(
        datetime.datetime.combine(close + datetime.timedelta(days=1), datetime.time(3))
    )
    reminders_scan(now=day_after - datetime.timedelta(hours=4))
    assert kinds(NotificationKind.CLOSE_DATE_PASSED) == []
    reminders_scan(now=day_after)
    reminders_scan(now=day_after + MINUTE)
    passed = kinds(NotificationKind.CLOSE_DATE_PASSED, recipient=people.ae)
    assert [n.subject_id for n in passed] == [sales.ae_opp.pk]
    assert passed[0].occasion == close.isoformat()


def test_it_tells_someone_a_task_was_assigned_to_them(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(by=people.manager, title="Visit Alpen", assignee=people.ae)
        task_create(by=people.ae, title="My own")
    [assigned] = kinds(NotificationKind.ASSIGNED)
    assert (assigned.recipient, assigned.subject_id) == (people.ae, task.pk)
    assert "Manager Tester assigned" in assigned.body
    assert assigned.email_state == EmailState.PENDING  # by email unless turned off


def test_it_tells_the_new_owner_of_a_lead_or_a_deal(
    sales, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(lead=sales.ae_lead, by=people.manager, owner=people.sdr)
        opportunity_update(opportunity=sales.ae_opp, by=people.manager, owner=people.sdr)
        lead_update(lead=sales.ae_lead, by=people.manager, rating="hot")  # not a re-assignment
    assigned = kinds(NotificationKind.ASSIGNED, recipient=people.sdr)
    assert sorted(n.subject_type for n in assigned) == ["lead", "opportunity"]


def test_it_tells_the_owner_of_a_lead_or_deal_someone_else_created_for_them(
    sales, people, django_capture_on_commit_callbacks
):
    from pipewise.leads.services import lead_create
    from pipewise.pipeline.services import opportunity_create

    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_create(by=people.manager, owner=people.sdr, last_name="Kern", company="Kern")
        deal = opportunity_create(
            by=people.manager,
            owner=people.sdr,
            name="Kern — pilot",
            account=sales.ae_account,
            close_date=sales.close,
        )
        lead_create(by=people.sdr, last_name="Own", company="Own")  # one's own: no notice
    assigned = kinds(NotificationKind.ASSIGNED, recipient=people.sdr)
    assert sorted((n.subject_type, n.subject_id) for n in assigned) == [
        ("lead", lead.pk),
        ("opportunity", deal.pk),
    ]


def test_a_failed_update_tells_nobody(sales, people, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        lead_update(lead=sales.ae_lead, by=people.manager, owner=people.sdr, email="not an email")
    assert kinds(NotificationKind.ASSIGNED) == []


def test_it_emails_only_the_kinds_a_user_chose_and_only_once(people, clock):
    notification_preferences_save(
        user=people.ae, choices={NotificationKind.TASK_OVERDUE: (False, True)}
    )
    task_create(by=people.ae, title="Send contract", due_at=clock - MINUTE)
    task_create(by=people.sdr, title="Research", due_at=clock - MINUTE)
    reminders_scan(now=clock)
    assert notification_send_emails() == 1
    reminders_scan(now=clock + MINUTE)
    assert notification_send_emails() == 0
    assert [m.to for m in mail.outbox] == [["ae@example.com"]]
    assert "Task overdue: Send contract" in mail.outbox[0].subject
    mine = Notification.objects.get(recipient=people.ae)
    assert (mine.in_app, mine.email_state) == (False, EmailState.SENT)
    assert Notification.objects.get(recipient=people.sdr).in_app is True


def test_it_refuses_an_unknown_kind(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        notification_preferences_save(user=people.ae, choices={"weather": (True, True)})
    assert "weather" in str(error.value)


def test_mark_read_only_touches_the_users_own(people, clock):
    task_create(by=people.ae, title="A", due_at=clock - MINUTE)
    task_create(by=people.ae, title="B", due_at=clock - 2 * MINUTE)
    task_create(by=people.sdr, title="C", due_at=clock - MINUTE)
    reminders_scan(now=clock)
    first, second = Notification.objects.filter(recipient=people.ae).order_by("pk")
    assert notification_mark_read(user=people.sdr, notification_id=first.pk) == 0
    assert notification_mark_read(user=people.ae, notification_id=first.pk) == 1
    assert notification_mark_read(user=people.ae) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 1  # the SDR's


def test_a_managers_digest_lists_only_their_teams_visible_work(sales, people):
    now = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=8)
    stage = sales.ae_opp.stage
    stage.expected_days = 0
    stage.save(update_fields=["expected_days"])
    task_create(by=people.ae, title="AE late task", due_at=now - datetime.timedelta(days=1))
    task_create(by=people.other_ae, title="US late task", due_at=now - datetime.timedelta(days=1))
    task_create(by=people.manager, title="Manager's own late task", due_at=now - MINUTE)
    reminders_scan(now=now)
    reminders_scan(now=now + MINUTE)
    digests = {n.recipient.username: n for n in kinds(NotificationKind.TEAM_DIGEST)}
    assert set(digests) == {"vp", "manager", "other_manager"}
    manager = digests["manager"].body
    assert "AE late task" in manager and "Alpen — line 4 automation" in manager
    assert "US late task" not in manager and "Pacific" not in manager
    assert "Manager's own late task" not in manager
    assert digests["manager"].title.endswith("1 overdue task, 1 stalled deal")
    other = digests["other_manager"].body
    assert "US late task" in other and "Pacific — tooling refresh" in other
    assert "AE late task" not in other
    assert "Manager's own late task" in digests["vp"].body  # the manager is in the VP's team


def test_no_digest_before_the_digest_hour(sales, people):
    reminders_scan(now=early(timezone.now()))
    assert kinds(NotificationKind.TEAM_DIGEST) == []


def test_a_recipient_without_an_address_is_marked_failed_not_retried(people, clock):
    people.ae.email = ""
    people.ae.save(update_fields=["email"])
    notification_preferences_save(
        user=people.ae, choices={NotificationKind.TASK_OVERDUE: (True, True)}
    )
    task_create(by=people.ae, title="Send contract", due_at=clock - MINUTE)
    reminders_scan(now=clock)
    assert notification_send_emails() == 0
    assert Notification.objects.get(recipient=people.ae).email_state == EmailState.FAILED
    assert mail.outbox == []


def test_digests_left_over_when_a_run_runs_out_of_time_go_out_next_minute(
    sales, people, monkeypatch
):
    from pipewise.activities import services

    now = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=8)
    ticks = itertools.chain([0.0, 5.0], itertools.repeat(10.0))
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    assert services.digests_send(now=now, seconds=1.0) == 1  # out of time after the first
    assert services.digests_send(now=now, seconds=100.0) == 2
    assert services.digests_send(now=now + MINUTE, seconds=0.0) == 0
    assert len(kinds(NotificationKind.TEAM_DIGEST)) == 3


def test_a_run_with_no_time_left_still_sends_one_digest(sales, people):
    from pipewise.activities.services import digests_send

    now = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=8)
    assert digests_send(now=now, seconds=-1.0) == 1
    assert digests_send(now=now, seconds=-1.0) == 1
    assert digests_send(now=now, seconds=-1.0) == 1
    assert digests_send(now=now, seconds=-1.0) == 0


def test_a_digest_caps_its_counts(sales, people, monkeypatch):
    from pipewise.activities import selectors, services

    monkeypatch.setattr(selectors, "DIGEST_COUNT_CAP", 1)
    monkeypatch.setattr(services, "DIGEST_COUNT_CAP", 1)
    now = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).replace(hour=8)
    for title in ("One", "Two", "Three"):
        task_create(by=people.ae, title=title, due_at=now - datetime.timedelta(days=1))
    title, body = services.digest_compose(manager=people.manager, now=now)
    assert "1+ overdue tasks" in title and "Overdue tasks (1+):" in body
    assert all(name in body for name in ("One", "Two", "Three"))
