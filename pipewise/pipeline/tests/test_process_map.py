"""Process map figures and the milestone report, checked against independent computations."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pipewise.org.models import Team
from pipewise.pipeline.models import Milestone, OpportunityMilestone, Pipeline, Stage
from pipewise.pipeline.process import milestone_report, previous_period, process_map
from pipewise.pipeline.services import (
    opportunity_create,
    opportunity_milestone_set,
    opportunity_move_stage,
)

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)

# Each deal: owner persona, amount, then (stage, day) steps; the first step is the creation.
SCENARIO = {
    "d1": ("ae", "1000", [("A", 0), ("B", 2), ("C", 5), ("Won", 6)]),
    "d2": ("ae", "2000", [("A", 0), ("B", 1), ("Lost", 4)]),
    "d3": ("ae", "3000", [("A", 0), ("C", 3), ("B", 4)]),
    "d4": ("ae", "4000", [("A", 0)]),
    "d5": ("other_ae", "5000", [("A", 0), ("B", 10)]),
}
KINDS = {"A": "open", "B": "open", "C": "open", "Won": "won", "Lost": "lost"}


@pytest.fixture
def process(sales, people):
    pipeline = Pipeline.objects.create(name="Consultative test")
    stages = {
        name: Stage.objects.create(
            pipeline=pipeline, name=name, order=index, probability=10 * index, kind=kind
        )
        for index, (name, kind) in enumerate(KINDS.items(), start=1)
    }
    deals = {}
    for key, (owner, amount, steps) in SCENARIO.items():
        person = getattr(people, owner)
        account = sales.ae_account if owner == "ae" else sales.other_account
        deal = opportunity_create(
            by=person,
            name=key,
            account=account,
            pipeline=pipeline,
            stage=stages[steps[0][0]],
            amount=Decimal(amount),
            close_date=datetime.date(2026, 6, 30),
            created_at=T0,
        )
        for name, day in steps[1:]:
            deal = opportunity_move_stage(
                opportunity=deal,
                by=person,
                to_stage=stages[name],
                lost_reason="No budget" if name == "Lost" else "",
                at=T0 + datetime.timedelta(days=day),
            )
        deals[key] = deal
    return pipeline, stages, deals


def independent_figures(visible_keys):
    """The same figures, straight from SCENARIO, with a different method (stage by stage)."""
    order = {name: index for index, name in enumerate(KINDS)}
    result = {}
    for stage in KINDS:
        entered = converted = 0
        durations = []
        count, amount = 0, Decimal("0")
        for key in visible_keys:
            _, deal_amount, steps = SCENARIO[key]
            names = [n for n, _ in steps]
            if stage in names:
                entered += 1
                first = names.index(stage)
                if any(order[n] > order[stage] and n != "Lost" for n in names[first + 1 :]):
                    converted += 1
            for i, (name, day) in enumerate(steps[:-1]):
                if name == stage:
                    durations.append(steps[i + 1][1] - day)
            if names[-1] == stage:
                count += 1
                amount += Decimal(deal_amount)
        result[stage] = {
            "entered": entered,
            "conversion": round(Decimal(converted * 100) / entered, 1) if entered else None,
            "days": round(Decimal(sum(durations)) / len(durations), 1) if durations else None,
            "count": count,
            "amount": amount,
        }
    return result


def figures_of(pipeline, user):
    return {
        f.stage.name: {
            "entered": f.entered,
            "conversion": f.conversion,
            "days": f.average_days,
            "count": f.count,
            "amount": f.amount,
        }
        for f in process_map(pipeline=pipeline, user=user).stages
    }


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("manager", ["d1", "d2", "d3", "d4"]),
        ("ae", ["d1", "d2", "d3", "d4"]),
        ("ops", ["d1", "d2", "d3", "d4", "d5"]),
        ("other_manager", ["d5"]),
        ("sdr", []),
    ],
)
def test_the_map_figures_match_an_independent_computation(process, people, persona, visible):
    pipeline, _, _ = process
    assert figures_of(pipeline, getattr(people, persona)) == independent_figures(visible)


def test_the_map_figures_for_the_manager_read_as_expected(process, people):
    pipeline, _, _ = process
    figures = figures_of(pipeline, people.manager)
    assert figures["A"] == {
        "entered": 4,
        "conversion": Decimal("75.0"),
        "days": Decimal("2.0"),
        "count": 1,
        "amount": Decimal("4000.00"),
    }
    # d3 reached B only after C and stayed; d2 was lost from B: 1 of 3 went further.
    assert figures["B"]["conversion"] == Decimal("33.3")
    assert figures["B"]["days"] == Decimal("3.0")
    assert figures["C"]["conversion"] == Decimal("50.0")
    assert figures["Won"]["days"] is None


def tick(deal, milestone, person, days_ago):
    row = opportunity_milestone_set(opportunity=deal, milestone=milestone, by=person, reached=True)
    OpportunityMilestone.objects.filter(pk=row.pk).update(
        reached_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


@pytest.fixture
def ticks(process, people):
    pipeline, stages, deals = process
    budget = Milestone.objects.create(stage=stages["A"], name="Budget confirmed")
    sponsor = Milestone.objects.create(stage=stages["B"], name="Decision maker met")
    tick(deals["d1"], budget, people.ae, days_ago=1)
    tick(deals["d2"], budget, people.ae, days_ago=10)
    tick(deals["d3"], sponsor, people.ae, days_ago=0)
    tick(deals["d5"], budget, people.other_ae, days_ago=2)
    tick(deals["d4"], sponsor, people.ae, days_ago=30)  # before both periods
    return pipeline, budget, sponsor


def week():
    today = timezone.localdate()
    return today - datetime.timedelta(days=6), today


def counts(report):
    return {
        (r["milestone"].name, r["group"]): (r["current"], r["previous"]) for r in report["rows"]
    }


def test_the_milestone_report_compares_this_period_with_the_last(ticks, people):
    pipeline, _, _ = ticks
    start, end = week()
    report = milestone_report(user=people.manager, start=start, end=end, pipeline=pipeline)
    assert (report["previous_start"], report["previous_end"]) == previous_period(start, end)
    assert counts(report) == {("Budget confirmed", ""): (1, 1), ("Decision maker met", ""): (1, 0)}
    everyone = milestone_report(user=people.ops, start=start, end=end, pipeline=pipeline)
    assert counts(everyone)[("Budget confirmed", "")] == (2, 1)
    assert counts(milestone_report(user=people.sdr, start=start, end=end)) == {
        ("Budget confirmed", ""): (0, 0),
        ("Decision maker met", ""): (0, 0),
    }


def test_the_milestone_report_splits_by_rep_and_team(ticks, people):
    pipeline, _, _ = ticks
    start, end = week()
    team = Team.objects.create(name="Bavaria AEs", manager=people.manager)
    people.ae.team = team
    people.ae.save()
    by_rep = milestone_report(user=people.ops, start=start, end=end, group_by="rep")
    assert counts(by_rep) == {
        ("Budget confirmed", str(people.ae)): (1, 1),
        ("Budget confirmed", str(people.other_ae)): (1, 0),
        ("Decision maker met", str(people.ae)): (1, 0),
    }
    by_team = milestone_report(user=people.manager, start=start, end=end, group_by="team")
    assert counts(by_team) == {
        ("Budget confirmed", "Bavaria AEs"): (1, 1),
        ("Decision maker met", "Bavaria AEs"): (1, 0),
    }


def test_the_previous_period_has_the_same_length():
    assert previous_period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)) == (
        datetime.date(2026, 1, 29),
        datetime.date(2026, 2, 28),
    )
