"""Ramps where a team's target is allocated: a new hire's month target follows their ramp
exactly as a split month does, the manager sees each ramp on the allocate form and in the
result, and the roll-up shows what the ramps take off the team's target."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pipewise.planning import services
from pipewise.planning.models import Ramp
from pipewise.planning.selectors import member_ramps, target_rollup

D = datetime.date
# Jan–Jun 5 %, Jul–Oct 10 %, Nov–Dec 15 %: the three months of Q3 weigh the same.
SEPTEMBER = D(2026, 9, 1)
PROFILE = ["5"] * 6 + ["10"] * 4 + ["15"] * 2


def team_target(by, team, *, kind="month", start=SEPTEMBER, amount="9000"):
    return services.target_create(
        by=by,
        team=team,
        metric="won_revenue",
        period_kind=kind,
        period_start=start,
        amount=amount,
    )


@pytest.fixture
def ramping(world, people):
    """The SDR joined in September 2026: 25/50/75/100 % of a full quota from then."""
    return services.ramp_save(
        by=people.manager, user=people.sdr, starts_on=D(2026, 9, 1), percentages="25,50,75,100"
    )


def test_a_month_allocated_to_a_new_hire_follows_their_ramp(world, people, ramping):
    month = team_target(people.manager, world.team)
    written = services.target_allocate_to_members(by=people.manager, target=month, method="equal")
    amounts = {t.user.username: t.amount for t in written}
    assert amounts == {"ae": Decimal("4500.00"), "sdr": Decimal("1125.00")}  # 25 % of 4500
    sdr = next(t for t in written if t.user == people.sdr)
    assert sdr.note == "allocated: ramp 25 % of a 4500.00 share"
    # The team's target is not changed; the roll-up shows what the ramp took off.
    rollup = target_rollup(people.manager, month, "members")
    assert rollup.target.amount == Decimal("9000.00")
    assert rollup.difference == Decimal("-3375.00")
    # Two months on, the ramp gives 75 %; after it, the full share.
    november = team_target(people.manager, world.team, start=D(2026, 11, 1), amount="1000.01")
    later = services.target_allocate_to_members(by=people.manager, target=november, method="equal")
    assert [t.amount for t in later] == [Decimal("500.01"), Decimal("375.00")]
    january = team_target(people.manager, world.team, start=D(2027, 1, 1))
    full = services.target_allocate_to_members(by=people.manager, target=january, method="equal")
    assert sum(t.amount for t in full) == Decimal("9000.00")


def test_allocation_and_split_scale_a_ramped_month_the_same_way(world, people, ramping):
    services.profile_save(by=people.ops, name="Company", weights=PROFILE)
    # Top-down through the person: their year split into months.
    year = services.target_create(
        by=people.ops,
        user=people.sdr,
        metric="won_revenue",
        period_kind="year",
        period_start=D(2026, 1, 1),
        amount="45000",
    )
    split = {
        m.period_start: m.amount
        for m in services.target_split_by_profile(by=people.ops, target=year)
    }
    # Top-down through the team: the team's September allocated in equal shares.
    september = team_target(people.manager, world.team, amount="9000")
    allocated = services.target_allocate_to_members(
        by=people.manager, target=september, method="equal"
    )
    sdr_month = next(t for t in allocated if t.user == people.sdr)
    assert sdr_month.amount == split[D(2026, 9, 1)] == Decimal("1125.00")


def test_a_quarter_share_is_kept_whole_and_its_months_follow_the_ramp(world, people, ramping):
    services.profile_save(by=people.ops, name="Company", weights=PROFILE)
    quarter = team_target(people.manager, world.team, kind="quarter", start=D(2026, 7, 1))
    written = services.target_allocate_to_members(by=people.manager, target=quarter, method="equal")
    assert [t.amount for t in written] == [Decimal("4500.00"), Decimal("4500.00")]
    assert target_rollup(people.manager, quarter, "members").difference == 0
    sdr_quarter = next(t for t in written if t.user == people.sdr)
    months = services.target_split_by_profile(by=people.manager, target=sdr_quarter)
    # July and August are before the ramp (0 %), September its first month (25 % of 1500).
    assert [m.amount for m in months] == [Decimal(0), Decimal(0), Decimal("375.00")]


def test_member_ramps_name_the_reduced_months_of_the_period(world, people, ramping):
    quarter = team_target(people.manager, world.team, kind="quarter", start=D(2026, 10, 1))
    members = services.team_members(world.team)
    (sdr,) = member_ramps(quarter, members)
    assert sdr.person == people.sdr and sdr.ramp.summary == "25/50/75/100 % from Sep 2026"
    assert sdr.percentages == [("Oct 2026", "50"), ("Nov 2026", "75")]
    # December is a full month: the ramp is over.
    assert [m.start for m, _ in sdr.months] == [D(2026, 10, 1), D(2026, 11, 1)]


def test_member_ramps_cost_the_same_queries_for_more_people(world, people, ramping):
    quarter = team_target(people.manager, world.team, kind="quarter", start=D(2026, 10, 1))
    services.ramp_save(
        by=people.ops, user=people.ae, starts_on=D(2026, 10, 1), percentages="50,100"
    )
    counts = []
    for members in ([people.sdr], [people.sdr, people.ae, people.other_ae]):
        with CaptureQueriesContext(connection) as queries:
            found = member_ramps(quarter, members)
        counts.append(len(queries))
    assert counts[0] == counts[1] and len(found) == 2


def test_the_allocate_form_and_the_result_show_each_members_ramp(client, world, people, ramping):
    month = team_target(people.manager, world.team)
    client.force_login(people.manager)
    url = reverse("planning:target", args=[month.pk])
    page = client.get(url).content.decode()
    assert "New hires on a ramp" in page
    assert "Ramping: 25/50/75/100 % from Sep 2026" in page  # beside the SDR's weight
    assert (
        "Sdr Tester — ramping: 25/50/75/100 % from Sep 2026; in this period Sep 2026 25 %" in page
    )
    assert "month target is their share × their ramp" in page.replace("&#x27;", "'")
    done = client.post(
        reverse("planning:target_allocate", args=[month.pk]), {"method": "equal"}, follow=True
    )
    body = done.content.decode()
    assert (
        "Allocated to 2 member(s). Sdr Tester is ramping (25/50/75/100 % from Sep 2026): " in body
    )
    assert "their month target is 25 % of their share." in body
    assert "ramping: 25/50/75/100 % from Sep 2026</span>" in body  # beside their target
    assert "-3,375.00" in body  # the roll-up's difference


def test_the_allocate_form_says_nothing_about_ramps_when_nobody_ramps(client, world, people):
    month = team_target(people.manager, world.team)
    client.force_login(people.manager)
    page = client.get(reverse("planning:target", args=[month.pk])).content.decode()
    assert "New hires on a ramp" not in page and "ramping:" not in page


def test_ramps_and_person_targets_are_offered_for_the_people_one_plans_for(client, world, people):
    client.force_login(people.ae)
    page = client.get(reverse("planning:profiles")).content.decode()
    assert reverse("planning:ramp_save") not in page  # a rep sets no ramps
    client.force_login(people.manager)
    for url in (reverse("planning:profiles"), reverse("planning:target_create")):
        page = client.get(url).content.decode()
        start = page.rindex('name="user"')  # the ramp form's (or the target form's) person
        person = page[start : page.index("</select>", start)]
        assert f'value="{people.ae.pk}"' in person and f'value="{people.sdr.pk}"' in person
        assert f'value="{people.manager.pk}"' not in person  # nobody plans their own quota
        assert f'value="{people.other_ae.pk}"' not in person
    saved = client.post(
        reverse("planning:ramp_save"),
        {"user": people.sdr.pk, "starts_on": "2026-09-01", "percentages": "50,100"},
        follow=True,
    )
    assert "Ramp saved for Sdr Tester: 50,100 %." in saved.content.decode()
    refused = client.post(
        reverse("planning:ramp_save"),
        {"user": people.manager.pk, "starts_on": "2026-09-01", "percentages": "50,100"},
        follow=True,
    )
    assert "Choose a person" in refused.content.decode()
    assert not Ramp.objects.filter(user=people.manager).exists()
