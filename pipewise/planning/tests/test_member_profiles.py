"""Seasonality profiles for every dimension member: channels and customer accounts too,
derived from their own won revenue where it is enough, else the company's; entered on a
page, picked by type-ahead (never a list of every account); and used to split targets."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pipewise.pipeline.services import opportunity_close_won, opportunity_create
from pipewise.planning import services
from pipewise.planning.allocation import as_percentages
from pipewise.planning.choices import MIN_DEALS_FOR_OWN_PROFILE
from pipewise.planning.models import SeasonalityProfile, Target
from pipewise.planning.tests.conftest import noon

D = datetime.date
TODAY = D(2026, 5, 20)  # history: the whole fiscal year 2025
SPREAD = ["5", "5", "10", "10", "10", "10", "5", "5", "10", "10", "10", "10"]


def win(world, who, amount, day, *, source="", account=None):
    owner = getattr(world.people, who)
    deal = opportunity_create(
        by=owner,
        name=f"Won {day} {amount}",
        account=account or world.accounts[who],
        amount=Decimal(amount),
        close_date=day,
        source=source,
        created_at=noon(day) - datetime.timedelta(days=10),
    )
    return opportunity_close_won(opportunity=deal, by=owner, at=noon(day))


@pytest.fixture
def history(world):
    """2025: referral deals in March and September (enough for their own profile), one
    website deal, and deals on Isar AG in June and December (enough for its own profile);
    the facts as (source, account name, amount, day)."""
    facts = []
    for n in range(MIN_DEALS_FOR_OWN_PROFILE):
        day = D(2025, 3, 10) if n % 2 else D(2025, 9, 10)
        facts.append(("referral", "Alpen GmbH", Decimal(1000 + n), day))
        win(world, "ae", 1000 + n, day, source="referral")
    facts.append(("website", "Alpen GmbH", Decimal(5000), D(2025, 1, 15)))
    win(world, "ae", 5000, D(2025, 1, 15), source="website")
    for n in range(MIN_DEALS_FOR_OWN_PROFILE):
        day = D(2025, 6, 3) if n % 3 else D(2025, 12, 3)
        facts.append(("", "Isar AG", Decimal(300), day))
        win(world, "sdr", 300, day)
    return facts


def shape_of(facts, keep) -> list[Decimal]:
    """The expected weights, computed without the KPI registry: won amounts per month."""
    months = [Decimal(0)] * 12
    for source, account, amount, day in facts:
        if keep(source, account):
            months[day.month - 1] += amount
    return as_percentages(months)


def test_it_derives_a_channels_profile_from_that_channels_won_revenue(world, people, history):
    profile = services.profile_derive(by=people.ops, years=1, today=TODAY, channel="referral")
    assert profile.channel == "referral" and profile.source == "derived"
    assert profile.weights == shape_of(history, lambda source, _: source == "referral")
    assert profile.weights[2] > 0 and profile.weights[8] > 0 and profile.weights[0] == 0
    assert profile.name == "Referral: last 1 year(s) of won revenue"
    assert sum(profile.weights) == 100


def test_a_channel_with_too_little_history_gets_the_company_shape(world, people, history):
    profile = services.profile_derive(by=people.ops, years=1, today=TODAY, channel="website")
    assert profile.weights == shape_of(history, lambda *_: True)
    assert profile.name.endswith("(company history)")


def test_it_derives_an_accounts_profile_from_its_won_revenue(world, people, history):
    isar = world.accounts["sdr"]
    profile = services.profile_derive(by=people.manager, years=1, today=TODAY, account=isar)
    assert profile.account == isar
    assert profile.weights == shape_of(history, lambda _, account: account == "Isar AG")
    assert profile.weights[5] > profile.weights[11] > 0
    # The account's name keeps its capitals in the profile's name.
    assert profile.name.startswith("Isar AG: ")
    again = services.profile_derive(by=people.manager, years=1, today=TODAY, account=isar)
    assert again.pk == profile.pk and SeasonalityProfile.objects.count() == 1


def test_it_refuses_an_unknown_channel_and_writes_nothing(world, people):
    with pytest.raises(ValidationError) as error:
        services.profile_save(by=people.ops, name="Bad", weights=SPREAD, channel="carrier")
    assert "Unknown channel 'carrier'" in str(error.value)
    assert not SeasonalityProfile.objects.exists()


@pytest.mark.parametrize("dimension", ["channel", "account"])
def test_a_channel_or_account_target_is_split_by_its_own_profile(world, people, dimension):
    member = "referral" if dimension == "channel" else world.accounts["ae"]
    services.profile_save(by=people.ops, name="Company", weights=SPREAD)
    own = services.profile_save(
        by=people.ops, name="Own", weights=["100"] + ["0"] * 11, **{dimension: member}
    )
    year = services.target_create(
        by=people.ops,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="1200",
        **{dimension: member},
    )
    assert services.profile_for(year.members) == own
    months = services.target_split_by_profile(by=people.ops, target=year)
    assert [m.amount for m in months] == [Decimal("1200.00")] + [Decimal(0)] * 11


# --- the pages ------------------------------------------------------------------------------
def test_the_profiles_page_offers_channels_and_finds_accounts_by_typing(client, world, people):
    client.force_login(people.manager)
    body = client.get(reverse("planning:profiles")).content.decode()
    assert 'name="channel"' in body and ">Referral<" in body
    assert 'name="account__lookup"' in body and reverse("customers:account_lookup") in body
    # No dropdown of every account: not even the visible ones are listed before typing.
    assert "Alpen GmbH" not in body and "Pacific Inc" not in body


def test_the_page_derives_a_profile_for_a_channel(client, world, people, history):
    client.force_login(people.ops)
    response = client.post(reverse("planning:profile_derive"), {"channel": "referral", "years": 1})
    profile = SeasonalityProfile.objects.get(channel="referral")
    assert response.status_code == 302 and response.url == reverse(
        "planning:profile", args=[profile.pk]
    )
    page = client.get(response.url).content.decode()
    assert "Referral" in page


def test_the_page_refuses_an_account_the_manager_cannot_see(client, world, people):
    client.force_login(people.manager)
    pacific = world.accounts["other_ae"]
    response = client.post(reverse("planning:profile_derive"), {"account": pacific.pk}, follow=True)
    assert "Nothing was derived. Customer account:" in response.content.decode()
    assert not SeasonalityProfile.objects.exists()


def test_a_planner_enters_an_accounts_profile_on_the_new_profile_page(client, world, people):
    services.profile_save(by=people.ops, name="Company", weights=SPREAD)
    client.force_login(people.manager)
    url = reverse("planning:profile_create")
    page = client.get(url).content.decode()
    assert 'name="account__lookup"' in page and 'name="month_03" value="10"' in page
    alpen = world.accounts["ae"]
    form = {"name": "Alpen buys in spring", "account": alpen.pk, "channel": ""}
    weights = {f"month_{n:02d}": w for n, w in enumerate(["8.33"] * 12, start=1)}
    refused = client.post(url, form | weights)
    assert refused.status_code == 200 and "99.96" in refused.content.decode()
    assert SeasonalityProfile.objects.count() == 1
    weights["month_03"] = "8.37"
    saved = client.post(url, form | weights)
    profile = SeasonalityProfile.objects.get(account=alpen)
    assert saved.status_code == 302 and profile.name == "Alpen buys in spring"
    assert profile.source == "entered" and sum(profile.weights) == 100
    second = client.post(url, form | weights)
    assert "already has a seasonality profile" in second.content.decode()


def test_a_rep_cannot_enter_profiles(client, world, people):
    client.force_login(people.ae)
    assert client.get(reverse("planning:profile_create")).status_code == 403
    assert "New profile" not in client.get(reverse("planning:profiles")).content.decode()


def test_the_new_target_page_finds_accounts_by_typing(client, world, people):
    client.force_login(people.manager)
    url = reverse("planning:target_create")
    body = client.get(url).content.decode()
    assert 'name="account__lookup"' in body
    assert "Alpen GmbH" not in body and "Pacific Inc" not in body
    base = {
        "metric": "won_revenue",
        "period_kind": "year",
        "period_start": "2026-01-01",
        "amount": "5000",
    }
    refused = client.post(url, base | {"account": world.accounts["other_ae"].pk})
    assert refused.status_code == 200 and not Target.objects.exists()
    saved = client.post(url, base | {"account": world.accounts["ae"].pk})
    assert saved.status_code == 302
    assert Target.objects.get().account == world.accounts["ae"]
    # What the type-ahead offers is what the manager sees.
    found = client.get(reverse("customers:account_lookup"), {"account__lookup": "a"})
    assert "Alpen GmbH" in found.content.decode() and "Pacific" not in found.content.decode()


# --- the API --------------------------------------------------------------------------------
def test_the_api_derives_and_enters_channel_and_account_profiles(api, world, people, history):
    client = api.as_user(people.manager)
    derived = client.post(
        "/api/v1/seasonality-profiles/derive/", {"channel": "referral", "years": 1}
    )
    assert derived.status_code == 201, derived.data
    assert derived.data["channel"] == "referral" and derived.data["member_label"] == "Referral"
    isar = world.accounts["sdr"]
    entered = client.post(
        "/api/v1/seasonality-profiles/",
        {"name": "Isar", "account": isar.pk, "weights": SPREAD},
        format="json",
    )
    assert entered.status_code == 201, entered.data
    assert entered.data["account"] == isar.pk and entered.data["channel"] is None
    unseen = client.post(
        "/api/v1/seasonality-profiles/derive/", {"account": world.accounts["other_ae"].pk}
    )
    assert unseen.status_code == 400 and "account" in unseen.data
    unknown = client.post("/api/v1/seasonality-profiles/derive/", {"channel": "carrier"})
    assert unknown.status_code == 400 and "channel" in unknown.data


# --- every member of a dimension at once ------------------------------------------------------
def test_it_derives_every_channel_whose_history_allows_and_leaves_the_rest_to_the_company(
    world, people, history
):
    services.profile_save(by=people.ops, name="Company", weights=SPREAD)
    services.profile_save(by=people.ops, name="Events", weights=SPREAD, channel="event")
    result = services.profiles_derive_for_dimension(
        by=people.ops, dimension="channel", years=1, today=TODAY
    )
    assert [p.channel for p in result.derived] == ["referral"]
    assert result.derived[0].weights == shape_of(history, lambda source, _: source == "referral")
    assert [m.key for m in result.entered_kept] == ["event"]
    assert "website" in [m.key for m in result.too_little_history]  # one deal only
    assert not SeasonalityProfile.objects.filter(channel="website").exists()
    # A website target is therefore split by the company profile.
    website = services.target_create(
        by=people.ops,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="100",
        channel="website",
    )
    assert services.profile_for(website.members).name == "Company"
    # Deriving again updates the derived profile; the entered one is still kept.
    again = services.profiles_derive_for_dimension(
        by=people.ops, dimension="channel", years=1, today=TODAY
    )
    assert again.derived[0].pk == result.derived[0].pk
    assert SeasonalityProfile.objects.get(channel="event").name == "Events"


def test_deriving_every_member_is_for_planners_and_named_dimensions(world, people):
    with pytest.raises(PermissionDenied):
        services.profiles_derive_for_dimension(by=people.ae, dimension="team", years=1)
    with pytest.raises(ValidationError) as error:
        services.profiles_derive_for_dimension(by=people.ops, dimension="galaxy", years=1)
    assert "Unknown dimension 'galaxy'" in str(error.value)


def test_the_page_and_the_api_derive_every_account_with_a_target(
    client, api, world, people, history
):
    for account in world.accounts.values():
        services.target_create(
            by=people.ops,
            metric="won_revenue",
            period_kind="year",
            period_start=D(2026, 1, 1),
            amount="1000",
            account=account,
        )
    client.force_login(people.ops)
    done = client.post(
        reverse("planning:profile_derive_all"), {"dimension": "account", "years": 1}, follow=True
    )
    body = done.content.decode()
    assert "2 account profile(s) derived: Alpen GmbH, Isar AG." in body
    assert (
        f"1 with fewer than {MIN_DEALS_FOR_OWN_PROFILE} won deals use the company profile: "
        "Pacific Inc." in body
    )
    assert not SeasonalityProfile.objects.filter(account=world.accounts["other_ae"]).exists()
    answer = api.as_user(people.ops).post(
        "/api/v1/seasonality-profiles/derive-all/", {"dimension": "account", "years": 1}
    )
    assert answer.status_code == 200, answer.data
    assert [p["account"] for p in answer.data["derived"]] == [
        world.accounts["ae"].pk,
        world.accounts["sdr"].pk,
    ]
    assert answer.data["too_little_history"] == ["Pacific Inc"]
