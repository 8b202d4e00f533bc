"""The demo's process matrix and what its history adds: milestones, approvals, orders."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest

from pipewise.demo.generate import demo_generate
from pipewise.pipeline.choices import CriteriaMode, StageKind
from pipewise.pipeline.models import (
    DiscountApproval,
    LineItem,
    Opportunity,
    OpportunityMilestone,
    Order,
    Pipeline,
    StageChange,
)
from pipewise.pipeline.selectors import default_pipeline

TODAY = datetime.date(2026, 3, 18)


@pytest.fixture
def demo(db):
    return demo_generate(size=120, seed=3, today=TODAY)


def test_it_ships_three_processes_with_their_matrix(demo):
    names = set(Pipeline.objects.values_list("name", flat=True))
    assert names == {default_pipeline().name, "Transactional sales", "Enterprise sales"}
    assert Pipeline.objects.get(name="Enterprise sales").criteria_mode == CriteriaMode.BLOCK
    for pipeline in Pipeline.objects.all():
        for stage in pipeline.stages.filter(kind=StageKind.OPEN):
            assert stage.goal and stage.expected_days and stage.milestones.exists()
    qualifying = default_pipeline().stages.get(name="Qualifying")
    assert qualifying.follow_ups.exists() and qualifying.tools.exists()


def test_milestones_are_reached_only_in_stages_the_deal_went_through(demo):
    visited = defaultdict(set)
    for opportunity_id, stage_id in StageChange.objects.values_list(
        "opportunity_id", "to_stage_id"
    ):
        visited[opportunity_id].add(stage_id)
    rows = OpportunityMilestone.objects.select_related("milestone", "opportunity")
    assert rows.count() > 50
    for row in rows:
        assert row.milestone.stage_id in visited[row.opportunity_id]
        assert row.reached_by_id == row.opportunity.owner_id
        assert row.reached_at >= row.opportunity.created_at


def test_every_won_deal_has_its_order_with_the_line_item_amounts(demo):
    won = Opportunity.objects.filter(status="won")
    assert Order.objects.count() == won.count() > 0
    for order in Order.objects.select_related("opportunity"):
        lines = list(LineItem.objects.filter(opportunity=order.opportunity))
        expected = sum((line.total for line in lines), Decimal("0.00")) if lines else None
        assert order.amount == (expected if lines else order.opportunity.amount)
        assert order.lines.count() == len(lines)


def test_large_discounts_on_won_deals_were_approved(demo):
    for approval in DiscountApproval.objects.select_related("opportunity"):
        assert approval.discount_percent > approval.threshold_percent
        if approval.opportunity.status == "won":
            assert approval.status == "approved" and approval.decided_by_id


def test_it_is_reproducible(db):
    def snapshot():
        return sorted(
            OpportunityMilestone.objects.values_list(
                "opportunity__name", "milestone__name", "reached_at"
            )
        ) + sorted(Order.objects.values_list("opportunity__name", "amount", "status"))

    demo_generate(size=60, seed=5, today=TODAY)
    first = snapshot()
    Opportunity.objects.all().delete()
    from pipewise.customers.models import Account, Contact
    from pipewise.leads.models import Lead

    Lead.all_objects.all().delete()
    Contact.all_objects.all().delete()
    Account.all_objects.all().delete()
    demo_generate(size=60, seed=5, today=TODAY)
    assert snapshot() == first
