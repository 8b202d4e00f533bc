"""The daily activity counts: every service keeps them equal to a recount of the activities,
and activity KPIs answer the same from them as from the activities themselves."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipewise.activities.daily import activity_days_rebuild
from pipewise.activities.models import Activity, ActivityDay
from pipewise.activities.services import (
    activity_delete,
    activity_log,
    activity_restore,
    activity_update,
)
from pipewise.reports.kpis import registry

pytestmark = pytest.mark.django_db

TYPES = ["call", "email", "meeting", "demo", "note"]
MONDAY = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def running_rows() -> set[tuple]:
    """The rows as the services kept them (rows counted down to zero count as absent)."""
    return {
        (row.owner_id, row.day, row.type, row.count)
        for row in ActivityDay.objects.filter(count__gt=0)
    }


def recounted_rows() -> set[tuple]:
    activity_days_rebuild()
    return running_rows()


def assert_days_match_activities():
    assert running_rows() == recounted_rows()


def _log(owner, sales, *, kind="call", at=MONDAY, **links):
    links = links or {"account": sales.ae_account}
    return activity_log(by=owner, type=kind, subject=f"{kind} by {owner}", occurred_at=at, **links)


def test_a_logged_activity_counts_on_its_local_day(people, sales):
    late = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)
    activity = _log(people.ae, sales, kind="demo", at=late)
    row = ActivityDay.objects.get(owner=people.ae, type="demo")
    assert (row.day, row.count) == (timezone.localdate(activity.occurred_at), 1)
    assert_days_match_activities()


def test_it_follows_every_service_that_changes_an_activity(people, sales):
    activity = _log(people.ae, sales)
    assert_days_match_activities()
    activity = activity_update(activity=activity, by=people.ae, type="meeting")
    assert_days_match_activities()
    activity = activity_update(
        activity=activity, by=people.ae, occurred_at=MONDAY + datetime.timedelta(days=3)
    )
    assert_days_match_activities()
    activity = activity_update(activity=activity, by=people.manager, owner=people.sdr)
    assert_days_match_activities()
    activity = activity_delete(activity=activity, by=people.manager)
    assert not ActivityDay.objects.filter(owner=people.sdr, count__gt=0).exists()
    activity_restore(activity=activity, by=people.admin)
    assert ActivityDay.objects.get(owner=people.sdr, type="meeting").count == 1
    assert_days_match_activities()


def test_a_refused_change_leaves_the_counts_alone(people, sales):
    activity = _log(people.ae, sales)
    before = running_rows()
    with pytest.raises(ValidationError):
        activity_update(activity=activity, by=people.ae, type="telegram")
    with pytest.raises(ValidationError):
        activity_log(by=people.ae, type="call", subject="About nothing", occurred_at=MONDAY)
    assert running_rows() == before


def test_counts_that_drifted_heal_on_the_next_change(people, sales):
    activity = _log(people.ae, sales)
    _log(people.ae, sales, kind="email")
    ActivityDay.objects.all().delete()  # as if rows were written around the services
    activity_update(activity=activity, by=people.ae, type="demo")
    kept = {row for row in running_rows() if row[0] == people.ae.pk}
    assert kept == {row for row in recounted_rows() if row[0] == people.ae.pk}
    assert (people.ae.pk, MONDAY.date(), "demo", 1) in kept


def test_the_api_delete_and_restore_keep_the_counts(api, people, sales):
    activity = _log(people.ae, sales)
    client = api.as_user(people.ae)
    url = f"/api/v1/activities/{activity.pk}/"
    assert client.delete(url).status_code == 204
    gone = ActivityDay.objects.filter(owner=people.ae, type="call", day=MONDAY.date(), count=0)
    assert gone.exists()
    restored = api.as_user(people.admin).post(f"{url}restore/")
    assert restored.status_code == 200, restored.content
    assert_days_match_activities()
    assert ActivityDay.objects.get(owner=people.ae, type="call", day=MONDAY.date()).count == 1


def test_an_activity_on_a_deal_or_contact_is_about_their_account(people, sales):
    on_deal = _log(people.ae, sales, opportunity=sales.ae_opp)
    on_contact = _log(people.ae, sales, contact=sales.ae_contact)
    on_lead = _log(people.ae, sales, lead=sales.ae_lead)
    assert on_deal.account == sales.ae_opp.account
    assert on_contact.account == sales.ae_contact.account
    assert on_lead.account is None
    moved = activity_update(activity=on_lead, by=people.ae, opportunity=sales.ae_opp)
    assert moved.account == sales.ae_opp.account


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["log", "type", "day", "owner", "delete", "restore"]),
        st.integers(min_value=0, max_value=40),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_any_sequence_of_changes_keeps_counts_equal_to_a_recount(people, sales, actions):
    owners = [people.ae, people.sdr, people.other_ae]
    _log(people.ae, sales)
    for action, n in actions:
        activities = list(Activity.all_objects.order_by("id"))
        activity = activities[n % len(activities)]
        live = activity.deleted_at is None
        if action == "log":
            _log(owners[n % 3], sales, kind=TYPES[n % 5], at=MONDAY + datetime.timedelta(hours=n))
        elif action == "type" and live:
            activity_update(activity=activity, by=people.admin, type=TYPES[n % 5])
        elif action == "day" and live:
            at = MONDAY + datetime.timedelta(days=n % 4, hours=n)
            activity_update(activity=activity, by=people.admin, occurred_at=at)
        elif action == "owner" and live:
            activity_update(activity=activity, by=people.admin, owner=owners[n % 3])
        elif action == "delete" and live:
            activity_delete(activity=activity, by=people.admin)
        elif action == "restore" and not live:
            activity_restore(activity=activity, by=people.admin)
        assert_days_match_activities()


# --- activity KPIs by the activity's account (from the activities: the daily counts keep no
# account; reports/tests/test_rollups.py checks the counts answer like the activities) -------
def test_activities_count_by_territory_segment_and_account(people, sales):
    _log(people.ae, sales, opportunity=sales.ae_opp)  # Bavaria, through the deal's account
    _log(people.ae, sales, contact=sales.ae_contact)
    _log(people.ae, sales, lead=sales.ae_lead)  # no account: no territory
    _log(people.other_ae, sales, account=sales.other_account)  # USA
    kpi = registry.get("activity_count")
    day = {"start": MONDAY.date(), "end": MONDAY.date()}  # not the sales fixture's activities
    by_territory = kpi.compute(user=people.admin, group_by="territory", **day)
    assert {g.group: g.value for g in by_territory.groups} == {
        people.bavaria.name: 2,
        people.usa.name: 1,
        None: 1,
    }
    in_germany = kpi.compute(user=people.admin, filters={"territory": people.germany.pk}, **day)
    assert in_germany.value == 2  # the territories inside it count
    on_account = kpi.compute(user=people.admin, filters={"account": sales.other_account.pk}, **day)
    assert on_account.value == 1
    # the rep sees only their own activities, by territory too
    mine = kpi.compute(user=people.ae, group_by="territory", **day)
    assert {g.group: g.value for g in mine.groups} == {people.bavaria.name: 2, None: 1}
