"""Lead and activity KPIs against independent computations from the ledger."""

import datetime
from decimal import Decimal

from pipewise.activities.services import activity_log
from pipewise.customers.services import account_create
from pipewise.leads.services import lead_create
from pipewise.reports.kpis import registry
from pipewise.reports.tests import expect

SPRING = {"start": datetime.date(2025, 3, 1), "end": datetime.date(2025, 6, 30)}
CASES = [
    (viewer, period)
    for viewer in ["ae", "manager", "ops", "marketing", "other_ae"]
    for period in [{}, SPRING]
]
LEAD_DIMENSIONS = ["owner", "team", "territory", "source", "month"]


def compute(key, people, viewer="ops", **arguments):
    return registry.get(key).compute(user=getattr(people, viewer), **arguments)


def lead_label(dimension):
    if dimension == "month":
        return lambda lead: expect.month(lead.created_at)
    return lambda lead: getattr(lead, dimension)


def conversion(leads):
    return expect.ratio(sum(1 for lead in leads if lead.converted), len(leads))


def test_lead_volume_and_conversion_are_over_the_leads_created_in_the_period(people, ledger):
    for viewer, period in CASES:
        leads = expect.leads(ledger, viewer, **period)
        assert compute("lead_volume", people, viewer, **period).value == len(leads)
        rate = compute("lead_conversion_rate", people, viewer, **period).value
        assert expect.near(rate, conversion(leads), 4), (viewer, period)
    leads = expect.leads(ledger, "marketing")
    for dimension in LEAD_DIMENSIONS:
        volume = compute("lead_volume", people, "marketing", group_by=dimension)
        assert expect.groups_of(volume) == expect.by(leads, lead_label(dimension), len)
        rate = compute("lead_conversion_rate", people, "marketing", group_by=dimension)
        expect.assert_groups_near(rate, expect.by(leads, lead_label(dimension), conversion), 4)


def test_lead_response_time_is_hours_to_the_first_activity_after_creation(people, ledger):
    for viewer, period in CASES:
        leads = expect.leads(ledger, viewer, **period)
        result = compute("lead_response_time", people, viewer, **period)
        assert result.unit == "hours"
        assert expect.near(result.value, expect.response_hours(leads), 1), (viewer, period)
    leads = expect.leads(ledger, "ops")
    result = compute("lead_response_time", people, group_by="source")
    expected = expect.by(leads, lambda lead: lead.source, expect.response_hours)
    expect.assert_groups_near(result, expected, 1)


def test_a_lead_without_activity_is_left_out_of_the_response_time(people):
    created = datetime.datetime(2025, 2, 3, 8, tzinfo=datetime.UTC)
    answered = lead_create(by=people.ae, last_name="Quick", created_at=created)
    lead_create(by=people.ae, last_name="Waiting", created_at=created)
    early = created - datetime.timedelta(days=2)
    activity_log(by=people.ae, type="email", subject="Before", lead=answered, occurred_at=early)
    later = created + datetime.timedelta(hours=30)
    activity_log(by=people.ae, type="call", subject="Second", lead=answered, occurred_at=later)
    first = created + datetime.timedelta(hours=6)
    activity_log(by=people.ae, type="call", subject="First", lead=answered, occurred_at=first)
    assert compute("lead_response_time", people, "ae").value == Decimal("6.0")


def test_no_leads_gives_volume_zero_and_conversion_null(people):
    assert compute("lead_volume", people, "ae").value == 0
    assert compute("lead_conversion_rate", people, "ae").value is None
    assert compute("lead_response_time", people, "ae").value is None


def test_activity_count_by_type_owner_team_and_month(people, ledger):
    for viewer, period in CASES:
        activities = expect.activities(ledger, viewer, **period)
        assert compute("activity_count", people, viewer, **period).value == len(activities)
    activities = expect.activities(ledger, "ops", **SPRING)
    labels = {
        "activity_type": lambda a: a.type,
        "owner": lambda a: a.owner,
        "team": lambda a: a.team,
        "month": lambda a: expect.month(a.occurred_at),
    }
    for dimension, label in labels.items():
        result = compute("activity_count", people, group_by=dimension, **SPRING)
        assert expect.groups_of(result) == expect.by(activities, label, len), dimension
    calls = compute("activity_count", people, filters={"activity_type": "call"}, **SPRING)
    assert calls.value == sum(1 for a in activities if a.type == "call")


def test_activities_per_rep_per_week_divides_by_reps_and_weeks(people, ledger):
    for viewer, period in [("manager", SPRING), ("ops", SPRING), ("ae", SPRING)]:
        reps = expect.reps_seen_by(viewer)
        done = [a for a in expect.activities(ledger, viewer, **period) if a.owner in reps]
        weeks = Decimal((period["end"] - period["start"]).days + 1) / 7
        result = compute("activities_per_rep_per_week", people, viewer, **period)
        assert expect.near(result.value, Decimal(len(done)) / len(reps) / weeks, 2), viewer
    reps = expect.reps_seen_by("ops")
    done = [a for a in expect.activities(ledger, "ops", **SPRING) if a.owner in reps]
    weeks = Decimal((SPRING["end"] - SPRING["start"]).days + 1) / 7
    result = compute("activities_per_rep_per_week", people, group_by="owner", **SPRING)
    expected = {rep: Decimal(sum(1 for a in done if a.owner == rep)) / weeks for rep in reps}
    expect.assert_groups_near(result, expected, 2)
    assert expect.groups_of(result)["partner"] == 0  # a rep who logged nothing counts


def test_activities_per_rep_per_week_counts_a_team_and_a_type(people):
    account = account_create(by=people.ae, name="Rate GmbH", territory=people.bavaria)
    monday = datetime.datetime(2025, 3, 3, 9, tzinfo=datetime.UTC)
    for day in range(10):
        when = monday + datetime.timedelta(days=day)
        activity_log(by=people.ae, type="call", subject="Call", account=account, occurred_at=when)
    activity_log(by=people.sdr, type="email", subject="Mail", account=account, occurred_at=monday)
    activity_log(
        by=people.manager, type="call", subject="Mine", account=account, occurred_at=monday
    )
    two_weeks = {"start": datetime.date(2025, 3, 3), "end": datetime.date(2025, 3, 16)}
    result = compute("activities_per_rep_per_week", people, "manager", **two_weeks)
    # ae and sdr are the reps (the manager is not); 11 activities ÷ 2 reps ÷ 2 weeks
    assert result.value == Decimal("2.75")
    calls = compute(
        "activities_per_rep_per_week",
        people,
        "manager",
        filters={"activity_type": "call"},
        **two_weeks,
    )
    assert calls.value == Decimal("2.50")
