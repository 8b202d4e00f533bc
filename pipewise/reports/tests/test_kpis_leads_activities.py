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


def daily_calls(people, account_name, first, days):
    """The AE calls once a day for ``days`` days from ``first``; returns the account."""
    account = account_create(by=people.ae, name=account_name, territory=people.bavaria)
    for day in range(days):
        when = first + datetime.timedelta(days=day)
        activity_log(by=people.ae, type="call", subject="Call", account=account, occurred_at=when)
    return account


def test_activities_per_rep_per_week_counts_a_team_and_a_type(people):
    monday = datetime.datetime(2025, 3, 3, 9, tzinfo=datetime.UTC)
    account = daily_calls(people, "Rate GmbH", monday, 10)
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


Q1_2025 = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 3, 31)}


def test_it_divides_activities_per_rep_by_the_weeks_elapsed_not_the_whole_quarter(people):
    january = datetime.datetime(2025, 1, 6, 9, tzinfo=datetime.UTC)
    account = daily_calls(people, "Elapsed AG", january, 12)
    # Planned for later in the quarter: not done yet on the day asked, so not counted.
    later = datetime.datetime(2025, 3, 20, 9, tzinfo=datetime.UTC)
    activity_log(by=people.sdr, type="meeting", subject="Later", account=account, occurred_at=later)
    # 11 February: 42 days (6 weeks) of the quarter have elapsed.
    today = datetime.date(2025, 2, 11)
    result = compute("activities_per_rep_per_week", people, "manager", today=today, **Q1_2025)
    assert result.value == Decimal("1.00")  # 12 activities ÷ 2 reps ÷ 6 weeks
    assert result.undefined is None
    owners = compute(
        "activities_per_rep_per_week",
        people,
        "manager",
        group_by="owner",
        today=today,
        **Q1_2025,
    )
    assert expect.groups_of(owners) == {"ae": Decimal("2.00"), "sdr": Decimal("0.00")}
    # Once the quarter is over it is divided by all its 90 days.
    after = compute(
        "activities_per_rep_per_week",
        people,
        "manager",
        today=datetime.date(2025, 6, 1),
        **Q1_2025,
    )
    assert after.value == (Decimal(13) / 2 / (Decimal(90) / 7)).quantize(Decimal("0.01"))


def test_it_says_a_future_period_has_not_started_instead_of_a_rate(people):
    result = compute(
        "activities_per_rep_per_week",
        people,
        "manager",
        today=datetime.date(2024, 12, 15),
        **Q1_2025,
    )
    assert result.value is None
    assert result.undefined.reason == "This period has not started yet: it starts on 1 Jan 2025."
