"""Targets: create, change, delete, validation, splits, allocation, ramps, roll-ups."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pipewise.planning import services
from pipewise.planning.models import Target
from pipewise.planning.selectors import growth_flags, target_grid, target_rollup

D = datetime.date


def make(by, **fields):
    fields.setdefault("metric", "won_revenue")
    fields.setdefault("period_kind", "year")
    fields.setdefault("period_start", D(2026, 1, 1))
    fields.setdefault("amount", "120000")
    return services.target_create(by=by, **fields)


def test_it_sets_a_target_and_keeps_its_history(world, people):
    target = make(people.manager, user=people.ae)
    assert target.period_end == D(2026, 12, 31)
    assert target.amount == Decimal("120000.00")
    services.target_update(target=target, by=people.ops, amount="150000", expected_version=1)
    history = list(target.history.order_by("history_date"))
    assert [h.amount for h in history] == [Decimal("120000.00"), Decimal("150000.00")]
    assert history[-1].history_user == people.ops


def test_it_combines_dimensions_territory_by_product_line(world, people):
    target = make(people.ops, territory=people.germany, product_line=world.machines)
    assert target.member_label == "Germany × Machines"


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"amount": "-1"}, services.NEGATIVE_AMOUNT),
        ({"amount": "lots"}, "Not a number"),
        ({"metric": "won_deals", "amount": "2.5"}, "whole number"),
        ({"period_start": D(2026, 2, 1)}, "does not start"),
        ({"metric": "calls", "channel": "partner"}, "cannot be set by channel"),
        ({"metric": "nonsense"}, "Unknown metric"),
    ],
)
def test_it_refuses_bad_targets_and_writes_nothing(world, people, fields, message):
    if fields.get("territory") == "germany":
        fields["territory"] = people.germany
    with pytest.raises(ValidationError) as error:
        make(people.ops, **fields)
    assert message in str(error.value)
    assert Target.all_objects.count() == 0


def test_it_refuses_a_person_and_a_team_together(world, people):
    with pytest.raises(ValidationError) as error:
        make(people.ops, user=people.ae, team=world.team)
    assert services.PERSON_AND_TEAM in str(error.value)


def test_it_refuses_a_second_target_for_the_same_member_metric_and_period(world, people):
    make(people.ops, user=people.ae)
    with pytest.raises(ValidationError) as error:
        make(people.ops, user=people.ae, amount="1")
    assert "already" in str(error.value)
    make(people.ops, user=people.ae, metric="won_deals", amount="10")  # another metric is fine
    assert Target.objects.count() == 2


def test_only_planners_above_a_person_set_their_target(world, people):
    with pytest.raises(PermissionDenied):
        make(people.ae, user=people.ae)  # a rep does not set their own quota
    with pytest.raises(PermissionDenied):
        make(people.manager, user=people.manager)  # nor a manager their own
    with pytest.raises(PermissionDenied):
        make(people.manager, user=people.other_ae)  # nor someone else's rep
    with pytest.raises(PermissionDenied):
        make(people.executive, user=people.ae)
    with pytest.raises(PermissionDenied):
        make(people.manager, territory=people.germany)  # organisation level: sales ops
    assert make(people.vp, user=people.ae).pk
    assert make(people.manager, team=world.team).pk


def test_deleting_a_target_is_recoverable(world, people):
    target = make(people.ops, user=people.ae)
    services.target_delete(target=target, by=people.ops)
    assert not Target.objects.exists()
    assert Target.all_objects.get().deleted_at is not None
    make(people.ops, user=people.ae)  # the slot is free again


def test_a_stale_version_is_refused(world, people):
    target = make(people.ops, user=people.ae)
    services.target_update(target=target, by=people.ops, amount="1", expected_version=1)
    with pytest.raises(ValidationError) as error:
        services.target_update(target=target, by=people.ops, amount="2", expected_version=1)
    assert "changed by someone else" in str(error.value)


def profile(by, weights=None, **members):
    weights = weights or ["5", "5", "10", "10", "10", "10", "5", "5", "10", "10", "10", "10"]
    return services.profile_save(by=by, name="Company", weights=weights, **members)


def test_a_profile_must_add_up_to_exactly_100(world, people):
    with pytest.raises(ValidationError) as error:
        profile(people.ops, weights=["8.33"] * 12)
    assert "99.96" in str(error.value)
    with pytest.raises(ValidationError):
        profile(people.ops, weights=["10"] * 11)
    with pytest.raises(ValidationError):
        profile(people.ops, weights=["8.333"] * 12)
    with pytest.raises(PermissionDenied):
        profile(people.ae)
    saved = profile(people.ops, weights=["8.34"] * 4 + ["8.33"] * 8)
    assert sum(saved.weights) == 100


def test_it_splits_a_year_into_months_by_the_profile_exactly(world, people):
    profile(people.ops)
    year = make(people.ops, user=people.ae, amount="100000.01")
    months = services.target_split_by_profile(by=people.manager, target=year)
    assert len(months) == 12
    assert sum(m.amount for m in months) == Decimal("100000.01")
    # The cent left over goes to the month that lost most in rounding (the first 10 % one).
    assert months[0].amount == Decimal("5000.00") and months[2].amount == Decimal("10000.01")
    rollup = target_rollup(people.manager, year)
    assert rollup.kind == "months" and rollup.difference == 0
    # Changing a month (bottom-up) never changes the year (top-down): the roll-up shows it.
    services.target_update(target=months[0], by=people.manager, amount="4000")
    year.refresh_from_db()
    assert year.amount == Decimal("100000.01")
    assert target_rollup(people.manager, year).difference == Decimal("-1000.00")


def test_a_member_profile_wins_over_the_company_profile(world, people):
    profile(people.ops)
    services.profile_save(by=people.ops, name="AE", weights=["100"] + ["0"] * 11, user=people.ae)
    year = make(people.ops, user=people.ae, amount="1200")
    months = services.target_split_by_profile(by=people.ops, target=year)
    assert months[0].amount == Decimal("1200.00") and months[1].amount == 0


def test_a_ramp_scales_a_new_hires_months(world, people):
    profile(people.ops, weights=["8.34"] * 4 + ["8.33"] * 8)
    services.ramp_save(
        by=people.manager, user=people.sdr, starts_on=D(2026, 2, 1), percentages="25,50,75,100"
    )
    year = make(people.ops, user=people.sdr, amount="12000")
    months = services.target_split_by_profile(by=people.ops, target=year)
    shares = [m.amount for m in months]
    assert shares[0] == 0  # before the ramp starts
    assert shares[1] == Decimal("250.20")  # 25 % of 1000.80
    assert shares[3] == Decimal("750.60")  # April: 75 %
    assert shares[4] == Decimal("999.60")  # May: ramp over, full share
    assert target_rollup(people.ops, year).difference < 0


def test_it_allocates_a_team_target_equally_by_weights_and_by_history(world, people):
    team_target = make(people.manager, team=world.team, amount="100000")
    equal = services.target_allocate_to_members(
        by=people.manager, target=team_target, method="equal"
    )
    assert {t.user.username: t.amount for t in equal} == {
        "ae": Decimal("50000.00"),
        "sdr": Decimal("50000.00"),
    }
    weighted = services.target_allocate_to_members(
        by=people.manager,
        target=team_target,
        method="weights",
        weights={people.ae.pk: Decimal(2), people.sdr.pk: Decimal(1)},
    )
    assert sum(t.amount for t in weighted) == Decimal("100000.00")
    assert weighted[0].amount == Decimal("66666.67")
    world.won("ae", "30000", D(2025, 3, 1))
    world.won("sdr", "10000", D(2025, 7, 1))
    by_history = services.target_allocate_to_members(
        by=people.manager, target=team_target, method="history"
    )
    assert [t.amount for t in by_history] == [Decimal("75000.00"), Decimal("25000.00")]
    rollup = target_rollup(people.manager, team_target, "members")
    assert rollup.children_total == team_target.amount and rollup.difference == 0


def test_allocation_refuses_missing_weights_and_non_team_targets(world, people):
    team_target = make(people.manager, team=world.team)
    with pytest.raises(ValidationError) as error:
        services.target_allocate_to_members(
            by=people.manager, target=team_target, method="weights", weights={people.ae.pk: 1}
        )
    assert "Sdr Tester" in str(error.value)
    person = make(people.manager, user=people.ae)
    with pytest.raises(PermissionDenied):
        services.target_allocate_to_members(by=people.ae, target=team_target, method="equal")
    with pytest.raises(ValidationError):
        services.target_allocate_to_members(by=people.ops, target=person, method="equal")


def test_a_team_month_rolls_up_from_its_members(world, people):
    month = make(people.manager, team=world.team, period_kind="month", amount="9000")
    services.target_allocate_to_members(by=people.manager, target=month, method="equal")
    rollup = target_rollup(people.manager, month)
    assert rollup.kind == "members" and rollup.children_total == Decimal("9000.00")


def test_a_region_rolls_up_from_its_countries(world, people):
    region = make(people.ops, territory=people.emea, period_kind="month", amount="5000")
    make(people.ops, territory=people.germany, period_kind="month", amount="4000")
    rollup = target_rollup(people.ops, region)
    assert rollup.kind == "territories" and rollup.difference == Decimal("-1000.00")


def test_growth_check_flags_targets_below_last_year(world, people):
    make(people.ops, user=people.ae, period_start=D(2025, 1, 1), amount="100000")
    lower = make(people.ops, user=people.ae, amount="90000")
    higher = make(people.ops, user=people.sdr, amount="90000")
    world.won("sdr", "50000", D(2025, 5, 5))
    flags = growth_flags([lower, higher])
    assert [f.target for f in flags] == [lower]
    assert "FY2025" in flags[0].reason
    world.won("sdr", "95000", D(2025, 6, 5))
    assert [f.target for f in growth_flags([higher])] == [higher]  # below last year's actual


def test_growth_check_flags_a_seasonally_adjusted_fall(world, people):
    profile(people.ops)  # January 5 %, March 10 %
    feb = make(
        people.ops, user=people.ae, period_kind="month", period_start=D(2026, 2, 1), amount="5000"
    )
    march = make(
        people.ops, user=people.ae, period_kind="month", period_start=D(2026, 3, 1), amount="9000"
    )
    april = make(
        people.ops, user=people.ae, period_kind="month", period_start=D(2026, 4, 1), amount="9000"
    )
    flagged = {f.target for f in growth_flags([feb, march, april])}
    assert flagged == {march}  # 9000/10 < 5000/5; April (same weight as March) holds level


def test_it_does_not_flag_the_cents_a_split_by_profile_rounds_away(world, people):
    profile(people.ops, weights=["8.34"] * 4 + ["8.33"] * 8)
    year = make(people.ops, user=people.ae, amount="6250")
    months = services.target_split_by_profile(by=people.ops, target=year)
    assert {m.amount for m in months} == {Decimal("521.25"), Decimal("520.63"), Decimal("520.62")}
    assert growth_flags(months) == []
    cut = services.target_update(target=months[9], by=people.ops, amount="519.50")
    assert [f.target for f in growth_flags([*months[:9], cut])] == [cut]  # €1.12 is a fall


def test_the_grid_lists_visible_people_with_months_and_totals(world, people):
    profile(people.ops)
    year = make(people.ops, user=people.ae, amount="1000")
    services.target_split_by_profile(by=people.ops, target=year)
    grid = target_grid(people.manager, metric="won_revenue", year=2026, dimension="user")
    names = [row.member.username for row in grid.rows]
    assert "ae" in names and "other_ae" not in names
    row = next(r for r in grid.rows if r.member == people.ae)
    assert row.months_total == Decimal("1000.00") and row.difference == 0
    assert grid.total == Decimal("1000.00")
