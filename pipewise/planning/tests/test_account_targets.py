"""Account (customer) targets: the actual is the account's own business, whoever won it,
computed here in plain Python; visibility and who may set them follow the account's owner."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pipewise.planning import services
from pipewise.planning.actuals import standings
from pipewise.planning.models import Target
from pipewise.planning.permissions import target_visible_to
from pipewise.planning.selectors import target_grid

D = datetime.date
PERSONAS = ("sdr", "ae", "manager", "other_manager", "other_ae", "ops", "vp", "executive")
YEAR = dict(period_kind="year", period_start=D(2026, 1, 1))


@pytest.fixture
def account_deals(world, people):
    """Deals on Isar AG (owned by sdr) won by sdr and by ae, and deals on other accounts;
    returned as plain facts."""
    isar = world.accounts["sdr"]
    plan = [
        ("sdr", isar, "12000", D(2026, 2, 3), [(world.drill, 3, "4000")]),
        ("ae", isar, "7000", D(2026, 5, 9), None),
        ("ae", isar, "900", D(2025, 12, 30), None),  # the year before: not counted
        ("ae", world.accounts["ae"], "50000", D(2026, 3, 1), [(world.drill, 5, "10000")]),
        ("other_ae", world.accounts["other_ae"], "8000", D(2026, 7, 7), None),
    ]
    facts = []
    for who, account, amount, day, lines in plan:
        world.won(who, amount, day, lines=lines, account=account)
        units = sum(q for _, q, _ in lines) if lines else 0
        facts.append({"account": account.pk, "amount": Decimal(amount), "day": day, "units": units})
    return facts


def in_2026(facts, account):
    return [f for f in facts if f["account"] == account.pk and f["day"].year == 2026]


def test_the_actual_of_an_account_target_is_the_accounts_business(world, people, account_deals):
    isar = world.accounts["sdr"]
    revenue = services.target_create(
        by=people.ops, account=isar, metric="won_revenue", amount="30000", **YEAR
    )
    deals = services.target_create(
        by=people.ops, account=isar, metric="won_deals", amount="3", **YEAR
    )
    units = services.target_create(by=people.ops, account=isar, metric="units", amount="9", **YEAR)
    by_sdr = services.target_create(
        by=people.ops, account=isar, user=people.sdr, metric="won_revenue", amount="1", **YEAR
    )
    found = {s.target: s.actual for s in standings([revenue, deals, units, by_sdr])}
    mine = in_2026(account_deals, isar)
    assert found[revenue] == sum(f["amount"] for f in mine) == Decimal("19000")
    assert found[deals] == len(mine) == 2
    assert found[units] == sum(f["units"] for f in mine) == 3
    # account × person: only what sdr won on Isar
    assert found[by_sdr] == Decimal("12000")
    assert revenue.member_label == "Isar AG"


def test_account_targets_are_unique_and_activity_targets_have_no_channel(world, people):
    isar = world.accounts["sdr"]
    services.target_create(by=people.ops, account=isar, metric="won_revenue", amount="1", **YEAR)
    with pytest.raises(ValidationError) as duplicate:
        services.target_create(
            by=people.ops, account=isar, metric="won_revenue", amount="2", **YEAR
        )
    assert "period_start" in duplicate.value.message_dict
    # a company target of the same metric and period is a different member
    services.target_create(by=people.ops, metric="won_revenue", amount="5", **YEAR)
    # activities count for their account (calls made to Isar), but sell through no channel
    services.target_create(by=people.ops, account=isar, metric="calls", amount="2", **YEAR)
    with pytest.raises(ValidationError) as calls:
        services.target_create(by=people.ops, channel="partner", metric="calls", amount="2", **YEAR)
    assert "channel" in calls.value.message_dict
    assert Target.objects.count() == 3


def test_account_targets_follow_the_accounts_owner(world, people):
    isar = services.target_create(
        by=people.ops, account=world.accounts["sdr"], metric="won_revenue", amount="1", **YEAR
    )
    pacific = services.target_create(
        by=people.ops, account=world.accounts["other_ae"], metric="won_revenue", amount="1", **YEAR
    )
    company = services.target_create(by=people.ops, metric="won_revenue", amount="1", **YEAR)
    seen = {who: set(target_visible_to(getattr(people, who))) for who in PERSONAS}
    assert seen["sdr"] >= {isar} and pacific not in seen["sdr"]
    assert isar not in seen["ae"] and pacific not in seen["ae"]
    assert seen["manager"] >= {isar, company} and pacific not in seen["manager"]
    assert seen["other_manager"] >= {pacific} and isar not in seen["other_manager"]
    assert seen["other_ae"] >= {pacific} and isar not in seen["other_ae"]
    assert seen["ops"] >= {isar, pacific, company}
    assert seen["vp"] >= {isar} and pacific not in seen["vp"]  # other_manager is not below vp
    assert seen["executive"] >= {isar, pacific}


def test_managers_set_targets_only_for_the_accounts_of_their_people(world, people):
    isar = world.accounts["sdr"]
    made = services.target_create(
        by=people.manager, account=isar, metric="won_revenue", amount="10", **YEAR
    )
    assert made.account == isar
    for who in ("sdr", "ae", "other_manager"):
        with pytest.raises(PermissionDenied):
            services.target_create(
                by=getattr(people, who), account=isar, metric="won_deals", amount="1", **YEAR
            )


def test_the_api_creates_and_lists_account_targets(api, world, people, account_deals):
    isar = world.accounts["sdr"]
    body = {
        "metric": "won_revenue",
        "period_kind": "year",
        "period_start": "2026-01-01",
        "amount": "30000.00",
        "account": isar.pk,
    }
    created = api.as_user(people.manager).post("/api/v1/targets/", body)
    assert created.status_code == 201, created.data
    assert created.data["account"] == isar.pk and created.data["member_label"] == "Isar AG"
    other = api.as_user(people.other_manager)
    refused = other.post("/api/v1/targets/", {**body, "metric": "won_deals", "amount": "2"})
    assert refused.status_code == 403
    assert other.get(f"/api/v1/targets/{created.data['id']}/").status_code == 404
    attainment = api.as_user(people.ops).get(
        "/api/v1/attainment/?metric=won_revenue&dimension=account&kind=year&year=2026"
    )
    assert attainment.status_code == 200, attainment.data
    assert str(sum(f["amount"] for f in in_2026(account_deals, isar))) in str(attainment.data)


def test_the_grid_lists_accounts_with_targets_and_saves_their_cells(client, world, people):
    isar = world.accounts["sdr"]
    services.target_create(by=people.ops, account=isar, metric="won_revenue", amount="1", **YEAR)
    grid = target_grid(people.manager, metric="won_revenue", year=2026, dimension="account")
    assert [row.member for row in grid.rows] == [isar]
    assert (
        target_grid(people.other_manager, metric="won_revenue", year=2026, dimension="account").rows
        == []
    )
    client.force_login(people.manager)
    url = reverse("planning:targets") + "?metric=won_revenue&year=2026&dimension=account"
    page = client.get(url)
    assert page.status_code == 200 and "Isar AG" in page.content.decode()
    saved = client.post(url, {f"cell-{isar.pk}-month-2026-03": "700"})
    assert saved.status_code == 302
    assert Target.objects.get(account=isar, period_kind="month").amount == Decimal("700.00")
