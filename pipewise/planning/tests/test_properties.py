"""Property tests through the services and the database (the issue's "Tests and
measures"): a team's target allocated to its members and each member's share split into
months adds up exactly at every level, whatever the amount, the weights and the profile;
and actuals rolled up months → quarters → year and areas → countries → regions equal the
plain sum of the deals at the leaves.

Each example runs inside a savepoint that is rolled back, so examples do not see each
other's targets and deals."""

import contextlib
import datetime
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipewise.customers.services import account_create
from pipewise.pipeline.services import opportunity_close_won, opportunity_create
from pipewise.planning import services
from pipewise.planning.actuals import Probe, actuals_of
from pipewise.planning.allocation import as_percentages
from pipewise.planning.choices import Dimension, Metric, PeriodKind
from pipewise.planning.periods import fiscal_year, periods_in
from pipewise.planning.selectors import target_rollup
from pipewise.planning.tests.conftest import noon

D = datetime.date
WITH_FIXTURES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

money = st.decimals(min_value=0, max_value=Decimal("1e11"), places=2)
member_weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=2, max_size=2).filter(
    any
)
month_history = st.lists(
    st.integers(min_value=0, max_value=10**6), min_size=12, max_size=12
).filter(any)


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint and undo everything it wrote."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@WITH_FIXTURES
@given(
    amount=money,
    weights=member_weights,
    history=month_history,
    method=st.sampled_from(["weights", "equal"]),
    counted=st.booleans(),
)
def test_team_to_members_to_months_adds_up_exactly_at_every_level(
    world, people, amount, weights, history, method, counted
):
    metric = Metric.WON_DEALS if counted else Metric.WON_REVENUE
    if counted:
        amount = amount.to_integral_value()
    with rolled_back():
        services.profile_save(by=people.ops, name="Company", weights=as_percentages(history))
        team_year = services.target_create(
            by=people.manager,
            team=world.team,
            metric=metric,
            period_kind=PeriodKind.YEAR,
            period_start=D(2026, 1, 1),
            amount=amount,
        )
        members = services.team_members(world.team)
        shares = services.target_allocate_to_members(
            by=people.manager,
            target=team_year,
            method=method,
            weights={p.pk: Decimal(w) for p, w in zip(members, weights, strict=True)},
        )
        assert sum(s.amount for s in shares) == team_year.amount
        leaves = Decimal(0)
        for share in shares:
            months = services.target_split_by_profile(by=people.manager, target=share)
            assert sum(m.amount for m in months) == share.amount
            if counted:
                assert all(m.amount == m.amount.to_integral_value() for m in months)
            assert target_rollup(people.manager, share, "months").difference == 0
            leaves += sum(m.amount for m in months)
        # The roll-up of the roll-ups (members of the team, months of each member) equals
        # the roll-up of the leaves (every member's months), and both the team's target.
        members_rollup = target_rollup(people.manager, team_year, "members")
        assert members_rollup.children_total == leaves == team_year.amount


deals = st.lists(
    st.tuples(
        st.sampled_from(["bavaria", "germany", "usa"]),
        st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)),
        st.decimals(min_value=1, max_value=100000, places=2),
    ),
    min_size=1,
    max_size=6,
)


@WITH_FIXTURES
@given(won=deals)
def test_actuals_roll_up_from_months_and_areas_to_the_plain_sum_of_the_deals(world, people, won):
    accounts = {
        "bavaria": world.accounts["ae"],
        "usa": world.accounts["other_ae"],
    }
    with rolled_back():
        accounts["germany"] = account_create(
            by=people.manager, name="Berlin Werke", territory=people.germany
        )
        for n, (where, day, amount) in enumerate(won):
            owner = people.other_ae if where == "usa" else people.manager
            deal = opportunity_create(
                by=owner,
                name=f"Deal {n}",
                account=accounts[where],
                amount=amount,
                close_date=day,
                created_at=noon(day) - datetime.timedelta(days=30),
            )
            opportunity_close_won(opportunity=deal, by=owner, at=noon(day))

        year = fiscal_year(2026)
        quarters = periods_in(year, PeriodKind.QUARTER)
        months = periods_in(year, PeriodKind.MONTH)
        places = {
            "emea": people.emea,
            "germany": people.germany,
            "bavaria": people.bavaria,
            "usa": people.usa,
        }
        probes, keys = [], []
        for name, territory in [*places.items(), ("company", None)]:
            for period in [year, *quarters, *months]:
                members = {Dimension.TERRITORY: territory} if territory else {}
                probes.append(Probe(Metric.WON_REVENUE, members, period.start, period.end))
                keys.append((name, period.kind, period.start))
        found = actuals_of(probes)
        actual = {key: found[i] for i, key in enumerate(keys)}

        def plain(where: set[str], start=year.start, end=year.end) -> Decimal:
            """The deals at the leaves, added up without the KPI registry."""
            return sum((a for w, d, a in won if w in where and start <= d <= end), Decimal(0))

        inside = {
            "bavaria": {"bavaria"},
            "germany": {"germany", "bavaria"},
            "emea": {"germany", "bavaria"},
            "usa": {"usa"},
            "company": {"germany", "bavaria", "usa"},
        }
        for name, where in inside.items():
            by_month = [actual[(name, PeriodKind.MONTH, m.start)] for m in months]
            by_quarter = [actual[(name, PeriodKind.QUARTER, q.start)] for q in quarters]
            # Months → quarters → year: each level is the sum of the one below.
            for q, quarter in enumerate(quarters):
                assert by_quarter[q] == sum(by_month[3 * q : 3 * q + 3], Decimal(0))
                assert by_quarter[q] == plain(where, quarter.start, quarter.end)
            assert actual[(name, PeriodKind.YEAR, year.start)] == sum(by_quarter, Decimal(0))
            assert actual[(name, PeriodKind.YEAR, year.start)] == plain(where)
        # Areas → countries → regions → company.
        at = {name: actual[(name, PeriodKind.YEAR, year.start)] for name in inside}
        assert at["germany"] == at["bavaria"] + plain({"germany"})
        assert at["emea"] == at["germany"]
        assert at["company"] == at["emea"] + at["usa"]
