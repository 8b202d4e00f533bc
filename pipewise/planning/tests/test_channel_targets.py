"""Channel targets: a channel is the deals' source until a channels/partners app exists; the
actual is the business of that source, computed here in plain Python."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pipewise.pipeline.services import opportunity_close_won, opportunity_create
from pipewise.planning import services
from pipewise.planning.actuals import standings
from pipewise.planning.choices import Channel
from pipewise.planning.models import Target
from pipewise.planning.permissions import target_visible_to
from pipewise.planning.selectors import target_grid
from pipewise.planning.tests.conftest import noon

D = datetime.date
YEAR = dict(period_kind="year", period_start=D(2026, 1, 1))


@pytest.fixture
def sourced(world, people):
    """Deals won from several sources by several people; the facts as plain tuples."""
    plan = [
        ("ae", "referral", "10000", D(2026, 1, 5)),
        ("sdr", "referral", "2500", D(2026, 4, 1)),
        ("other_ae", "referral", "4000", D(2026, 9, 9)),
        ("ae", "website", "7000", D(2026, 2, 2)),
        ("ae", "", "900", D(2026, 3, 3)),
        ("ae", "referral", "333", D(2025, 12, 31)),
    ]
    facts = []
    for n, (who, source, amount, day) in enumerate(plan):
        owner = getattr(people, who)
        deal = opportunity_create(
            by=owner,
            name=f"Sourced {n}",
            account=world.accounts.get(who, world.accounts["ae"]),
            amount=Decimal(amount),
            close_date=day,
            source=source,
            created_at=noon(day) - datetime.timedelta(days=10),
        )
        opportunity_close_won(opportunity=deal, by=owner, at=noon(day))
        facts.append((who, source, Decimal(amount), day))
    return facts


def total(facts, source, year=2026, owners=None):
    return sum(
        (
            amount
            for who, s, amount, day in facts
            if s == source and day.year == year and (owners is None or who in owners)
        ),
        Decimal(0),
    )


def test_the_actual_of_a_channel_target_is_the_business_of_that_source(world, people, sourced):
    referral = services.target_create(
        by=people.ops, channel="referral", metric="won_revenue", amount="20000", **YEAR
    )
    website = services.target_create(
        by=people.ops, channel="website", metric="won_deals", amount="2", **YEAR
    )
    team_referral = services.target_create(
        by=people.ops, channel="referral", team=world.team, metric="won_revenue", amount="1", **YEAR
    )
    found = {s.target: s.actual for s in standings([referral, website, team_referral])}
    assert found[referral] == total(sourced, "referral") == Decimal("16500")
    assert found[website] == sum(1 for f in sourced if f[1] == "website")
    assert found[team_referral] == total(sourced, "referral", owners={"ae", "sdr"})
    assert referral.member_label == "Referral"
    assert Target.objects.get(pk=referral.pk).channel == "referral"


def test_channel_targets_are_checked_unique_and_organisation_level(world, people):
    services.target_create(
        by=people.ops, channel="partner", metric="won_revenue", amount="1", **YEAR
    )
    with pytest.raises(ValidationError) as duplicate:
        services.target_create(
            by=people.ops, channel="partner", metric="won_revenue", amount="2", **YEAR
        )
    assert "period_start" in duplicate.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        services.target_create(
            by=people.ops, channel="carrier pigeon", metric="won_revenue", amount="2", **YEAR
        )
    assert "channel" in unknown.value.message_dict
    with pytest.raises(ValidationError) as calls:
        services.target_create(by=people.ops, channel="partner", metric="calls", amount="2", **YEAR)
    assert "channel" in calls.value.message_dict
    target = Target.objects.get()
    assert target in target_visible_to(people.manager)  # organisation-level, like a segment
    assert target not in target_visible_to(people.ae)
    assert target in target_visible_to(people.executive)


def test_the_api_and_the_grid_take_channels(api, client, world, people, sourced):
    body = {
        "metric": "won_revenue",
        "period_kind": "year",
        "period_start": "2026-01-01",
        "amount": "5000.00",
        "channel": "website",
    }
    refused = api.as_user(people.manager).post("/api/v1/targets/", body)
    assert refused.status_code == 403  # organisation-level targets are set by sales ops
    created = api.as_user(people.ops).post("/api/v1/targets/", body)
    assert created.status_code == 201, created.data
    assert created.data["channel"] == "website" and created.data["member_label"] == "Website"
    bad = api.as_user(people.ops).post("/api/v1/targets/", {**body, "channel": "nope"})
    assert bad.status_code == 400 and "channel" in bad.data
    grid = target_grid(people.ops, metric="won_revenue", year=2026, dimension="channel")
    rows = {row.member.pk: row for row in grid.rows}
    assert rows["website"].year_target == Decimal("5000.00")
    assert isinstance(grid.rows[0].member, Channel)
    client.force_login(people.ops)
    url = reverse("planning:targets") + "?metric=won_revenue&year=2026&dimension=channel"
    assert "Referral" in client.get(url).content.decode()
    saved = client.post(url, {"cell-referral-month-2026-02": "300"})
    assert saved.status_code == 302
    month = Target.objects.get(channel="referral", period_kind="month")
    assert month.amount == Decimal("300.00")
    attainment = api.as_user(people.ops).get(
        "/api/v1/attainment/?metric=won_revenue&dimension=channel&kind=year&year=2026"
    )
    assert attainment.status_code == 200, attainment.data
    assert str(total(sourced, "website")) in str(attainment.data)
