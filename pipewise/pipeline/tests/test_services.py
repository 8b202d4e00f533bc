import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipewise.catalog.models import Product
from pipewise.core.concurrency import ConcurrentUpdate
from pipewise.pipeline.models import Opportunity, StageChange
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    LOST_NEEDS_REASON,
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_set_line_items,
    opportunity_update,
)


def stage(name):
    return default_pipeline().stages.get(name=name)


def test_it_seeds_the_default_process_with_the_seed_steps(db):
    names = list(default_pipeline().stages.values_list("name", flat=True))
    assert names == [
        "Prospecting",
        "Qualifying",
        "Gathering information",
        "Approach",
        "Presentation",
        "Needs research",
        "Closing",
        "Follow-up & after-sales",
        "Won",
        "Lost",
    ]


def test_it_records_the_first_stage_on_create(sales):
    rows = list(StageChange.objects.filter(opportunity=sales.ae_opp))
    assert len(rows) == 1
    assert rows[0].from_stage is None
    assert rows[0].to_stage.name == "Prospecting"
    assert rows[0].amount == Decimal("120000.00")


def test_it_writes_a_history_row_per_move(sales, people):
    opp = opportunity_move_stage(opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Approach"))
    rows = list(StageChange.objects.filter(opportunity=opp).order_by("id"))
    assert [r.to_stage.name for r in rows] == ["Prospecting", "Approach"]
    assert rows[1].from_stage.name == "Prospecting"
    assert rows[1].changed_by == people.ae
    assert opp.version == sales.ae_opp.version + 1


def test_it_closes_won_with_date_and_category(sales, people):
    opp = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    assert opp.status == "won"
    assert opp.closed_at is not None
    assert opp.forecast_category == "closed"
    assert opp.close_date == datetime.date.today()


def test_it_refuses_to_lose_without_a_reason_and_writes_nothing(sales, people):
    with pytest.raises(ValidationError) as error:
        opportunity_close_lost(opportunity=sales.ae_opp, by=people.ae, reason="  ")
    assert error.value.message_dict == {"lost_reason": [LOST_NEEDS_REASON]}
    assert StageChange.objects.filter(opportunity=sales.ae_opp).count() == 1
    assert Opportunity.objects.get(pk=sales.ae_opp.pk).status == "open"


def test_it_loses_with_reason_and_reopens(sales, people):
    lost = opportunity_close_lost(
        opportunity=sales.ae_opp, by=people.ae, reason="No budget", competitor="Rival AG"
    )
    assert (lost.status, lost.lost_reason, lost.competitor) == ("lost", "No budget", "Rival AG")
    reopened = opportunity_move_stage(opportunity=lost, by=people.ae, to_stage=stage("Closing"))
    assert (reopened.status, reopened.lost_reason, reopened.closed_at) == ("open", "", None)


def test_it_refuses_a_stale_version(sales, people):
    opportunity_update(opportunity=sales.ae_opp, by=people.ae, expected_version=1, name="First")
    with pytest.raises(ConcurrentUpdate):
        opportunity_update(
            opportunity=sales.ae_opp, by=people.manager, expected_version=1, name="Second"
        )
    assert Opportunity.objects.get(pk=sales.ae_opp.pk).name == "First"


def test_it_sums_line_items_into_the_amount(sales, people):
    product = Product.objects.create(sku="BOT-1", name="Robot arm", list_price=Decimal("1000"))
    opp = opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[
            {"product": product, "quantity": Decimal("3"), "discount_percent": Decimal("10")},
            {"product": product, "quantity": Decimal("1"), "unit_price": Decimal("500")},
        ],
    )
    assert opp.amount == Decimal("3200.00")
    with pytest.raises(ValidationError):
        opportunity_update(opportunity=opp, by=people.ae, amount=Decimal("1"))


def test_it_refuses_a_stage_of_another_process(sales, people):
    from pipewise.pipeline.models import Pipeline, Stage

    other = Pipeline.objects.create(name="Transactional")
    foreign = Stage.objects.create(pipeline=other, name="Quote", order=1, probability=50)
    with pytest.raises(ValidationError):
        opportunity_move_stage(opportunity=sales.ae_opp, by=people.ae, to_stage=foreign)
