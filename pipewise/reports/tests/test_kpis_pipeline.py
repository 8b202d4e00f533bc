"""Open-pipeline, velocity and funnel KPIs against independent computations."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipewise.customers.services import account_create
from pipewise.pipeline.models import Pipeline, Stage
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
)
from pipewise.reports.kpis import registry
from pipewise.reports.tests import expect

NEXT_YEAR = {"start": datetime.date(2025, 7, 1), "end": datetime.date(2026, 6, 30)}
CREATED_H1 = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 6, 30)}
CASES = [(v, p) for v in ["ae", "manager", "vp", "ops", "other_ae"] for p in [{}, NEXT_YEAR]]
STAGE_ORDER = [
    "Prospecting",
    "Qualifying",
    "Gathering information",
    "Approach",
    "Presentation",
    "Needs research",
    "Closing",
    "Follow-up & after-sales",
    "Won",
]


def compute(key, people, viewer="ops", **arguments):
    return registry.get(key).compute(user=getattr(people, viewer), **arguments)


def open_label(dimension):
    return expect.deal_label(dimension, lambda d: d.close_date)


def test_open_deals_pipeline_value_and_weighted_pipeline_are_over_open_deals(people, ledger):
    for viewer, period in CASES:
        deals = expect.open_deals(ledger, viewer, **period)
        assert compute("open_deal_count", people, viewer, **period).value == len(deals)
        value = compute("pipeline_value", people, viewer, **period).value
        assert value == expect.amount(deals), (viewer, period)
        weighted = compute("weighted_pipeline", people, viewer, **period).value
        assert expect.near(weighted, expect.weighted(deals), 2), (viewer, period)


def test_pipeline_by_each_dimension_matches_the_ledger(people, ledger):
    deals = expect.open_deals(ledger, "ops")
    for dimension in ["owner", "team", "territory", "source", "stage", "segment", "month"]:
        result = compute("pipeline_value", people, group_by=dimension)
        expected = expect.by(deals, open_label(dimension), expect.amount)
        assert expect.groups_of(result) == expected, dimension
        weighted = compute("weighted_pipeline", people, group_by=dimension)
        expected = expect.by(deals, open_label(dimension), expect.weighted)
        expect.assert_groups_near(weighted, expected, 2)
        counted = compute("open_deal_count", people, group_by=dimension)
        assert expect.groups_of(counted) == expect.by(deals, open_label(dimension), len)


def test_pipeline_by_stage_lists_stages_in_process_order(people, ledger):
    result = compute("pipeline_value", people, group_by="stage")
    labels = [g.group for g in result.groups]
    assert labels == sorted(labels, key=STAGE_ORDER.index)


def test_pipeline_by_product_line_uses_line_values(people, ledger):
    deals = expect.open_deals(ledger, "ops")
    result = compute("pipeline_value", people, group_by="product_line")
    expected = expect.by_product_line(deals, lambda d, line: line.net, lambda d: d.amount)
    assert expect.groups_of(result) == expected
    weighted = compute("weighted_pipeline", people, group_by="product_line")
    expected = expect.by_product_line(
        deals,
        lambda d, line: line.net * d.probability / 100,
        lambda d: d.amount * d.probability / 100,
    )
    expect.assert_groups_near(weighted, expected, 2)


def test_pipeline_coverage_divides_the_pipeline_by_the_remaining_target(people, ledger):
    deals = expect.open_deals(ledger, "manager", **NEXT_YEAR)
    result = compute(
        "pipeline_coverage", people, "manager", inputs={"remaining_target": "25000"}, **NEXT_YEAR
    )
    assert expect.near(result.value, expect.amount(deals) / 25000, 4)
    met = compute("pipeline_coverage", people, "manager", inputs={"remaining_target": "-5"})
    assert met.value is None
    with pytest.raises(ValidationError):
        compute("pipeline_coverage", people, "manager")


def velocity(ledger, viewer, period, owner=None):
    def mine(deals):
        return [d for d in deals if owner is None or d.owner == owner]

    open_now = len(mine(expect.open_deals(ledger, viewer)))
    closed = mine(expect.closed(ledger, viewer, **period))
    won = [d for d in closed if d.status == "won"]
    rate, size, days = expect.win_rate(closed), expect.average_size(won), expect.cycle_days(won)
    if rate is None or size is None or not days:
        return None
    return open_now * rate * size / days


def test_pipeline_velocity_is_open_deals_times_rate_times_size_over_cycle(people, ledger):
    for viewer, period in [(v, p) for v in ["manager", "ops"] for p in [{}, CREATED_H1]]:
        result = compute("pipeline_velocity", people, viewer, **period)
        expected = velocity(ledger, viewer, period)
        assert expect.near(result.value, expected, 2), (viewer, period, result.value, expected)
    grouped = compute("pipeline_velocity", people, group_by="owner")
    for group in grouped.groups:
        expected = velocity(ledger, "ops", {}, owner=group.group)
        assert expect.near(group.value, expected, 2), (group, expected)


def test_funnel_follows_the_period_cohort_through_the_stages(people, ledger):
    for viewer, period in [(v, p) for v in ["ae", "manager", "ops"] for p in [{}, CREATED_H1]]:
        cohort = expect.cohort(ledger, viewer, **period)
        reached = compute("funnel_stage_reached", people, viewer, group_by="stage", **period)
        conversion = compute("funnel_conversion", people, viewer, group_by="stage", **period)
        counts = [expect.reached(cohort, order) for order in range(1, 9)]
        counts.append(sum(1 for d in cohort if d.status == "won"))
        assert reached.value == len(cohort)
        assert [(g.group, g.value) for g in reached.groups] == list(
            zip(STAGE_ORDER, counts, strict=True)
        ), (viewer, period)
        assert expect.near(conversion.value, expect.ratio(counts[-1], len(cohort)), 4)
        steps = list(zip(STAGE_ORDER, STAGE_ORDER[1:], strict=False))
        assert [g.group for g in conversion.groups] == [f"{a} → {b}" for a, b in steps]
        for group, k in zip(conversion.groups, range(len(steps)), strict=True):
            assert expect.near(group.value, expect.ratio(counts[k + 1], counts[k]), 4)


# --- funnel rules on hand-made deals --------------------------------------------------
def at(day):
    return datetime.datetime(2025, 4, day, 9, tzinfo=datetime.UTC)


def stage(name, pipeline=None):
    return (pipeline or default_pipeline()).stages.get(name=name)


@pytest.fixture
def new_deal(people):
    account = account_create(by=people.ae, name="Funnel AG", territory=people.bavaria)

    def create(day=1, **fields):
        return opportunity_create(
            by=people.ae,
            name="Funnel deal",
            account=account,
            amount=Decimal("100"),
            close_date=datetime.date(2025, 9, 30),
            created_at=at(day),
            **fields,
        )

    return create


def funnel(people, **arguments):
    result = compute("funnel_stage_reached", people, "ae", group_by="stage", **arguments)
    return {g.group: g.value for g in result.groups}


def test_a_skipped_stage_counts_as_reached(people, new_deal):
    deal = new_deal()
    opportunity_move_stage(opportunity=deal, by=people.ae, to_stage=stage("Presentation"), at=at(2))
    reached = funnel(people)
    assert [reached[name] for name in STAGE_ORDER[:6]] == [1, 1, 1, 1, 1, 0]
    conversion = compute("funnel_conversion", people, "ae", group_by="stage")
    steps = {g.group: g.value for g in conversion.groups}
    assert steps["Prospecting → Qualifying"] == Decimal("1.0000")
    assert steps["Presentation → Needs research"] == Decimal("0.0000")
    assert steps["Needs research → Closing"] is None  # nobody got there: undefined, not 0


def test_a_won_deal_reached_every_stage_and_a_lost_one_only_where_it_was(people, new_deal):
    won = new_deal()
    opportunity_close_won(opportunity=won, by=people.ae, at=at(3))
    lost = new_deal()
    lost = opportunity_move_stage(
        opportunity=lost, by=people.ae, to_stage=stage("Approach"), at=at(2)
    )
    opportunity_close_lost(opportunity=lost, by=people.ae, reason="No budget", at=at(4))
    reached = funnel(people)
    assert reached["Approach"] == 2
    assert reached["Presentation"] == 1
    assert reached["Won"] == 1


def test_going_back_keeps_what_was_reached_and_reopening_undoes_the_win(people, new_deal):
    deal = new_deal()
    deal = opportunity_move_stage(
        opportunity=deal, by=people.ae, to_stage=stage("Closing"), at=at(2)
    )
    deal = opportunity_close_won(opportunity=deal, by=people.ae, at=at(3))
    opportunity_move_stage(opportunity=deal, by=people.ae, to_stage=stage("Qualifying"), at=at(5))
    reached = funnel(people)
    assert reached["Closing"] == 1
    assert reached["Follow-up & after-sales"] == 0
    assert reached["Won"] == 0
    assert compute("funnel_conversion", people, "ae").value == Decimal("0.0000")


def test_the_funnel_cohort_is_the_deals_created_in_the_period(people, new_deal):
    new_deal(day=1)
    new_deal(day=20)
    april_first_week = {"start": datetime.date(2025, 4, 1), "end": datetime.date(2025, 4, 7)}
    assert compute("funnel_stage_reached", people, "ae", **april_first_week).value == 1


def test_the_funnel_follows_the_process_named_by_the_pipeline_filter(people, new_deal):
    partner = Pipeline.objects.create(name="Partner deals")
    for order, (name, kind) in enumerate([("Registered", "open"), ("Won", "won")], start=1):
        Stage.objects.create(pipeline=partner, name=name, order=order, probability=50, kind=kind)
    deal = new_deal(pipeline=partner, stage=stage("Registered", partner))
    opportunity_close_won(opportunity=deal, by=people.ae, at=at(2))
    new_deal()  # in the default process: not in the partner funnel
    assert funnel(people, filters={"pipeline": partner.pk}) == {"Registered": 1, "Won": 1}
    assert funnel(people, filters={"pipeline": "Partner deals"}) == {"Registered": 1, "Won": 1}
    assert funnel(people)["Prospecting"] == 1
