"""A deal's furthest open stage (what the funnel counts) follows its stage history."""

from __future__ import annotations

import pytest

from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    furthest_stages_fill,
    opportunity_close_lost,
    opportunity_move_stage,
)

pytestmark = pytest.mark.django_db


def test_it_keeps_the_furthest_open_stage_a_deal_ever_entered(people, sales):
    stages = list(default_pipeline().stages.filter(kind=StageKind.OPEN).order_by("order"))
    deal = sales.ae_opp
    assert deal.furthest_stage_order == deal.stage.order
    deal = opportunity_move_stage(opportunity=deal, by=people.ae, to_stage=stages[2])
    assert deal.furthest_stage_order == stages[2].order
    deal = opportunity_move_stage(opportunity=deal, by=people.ae, to_stage=stages[0])
    assert deal.furthest_stage_order == stages[2].order  # going back undoes nothing
    deal = opportunity_close_lost(opportunity=deal, by=people.ae, reason="Budget")
    assert deal.furthest_stage_order == stages[2].order  # Lost is reached by nobody


def test_the_bulk_fill_agrees_with_the_services(people, sales):
    stages = list(default_pipeline().stages.filter(kind=StageKind.OPEN).order_by("order"))
    opportunity_move_stage(opportunity=sales.ae_opp, by=people.ae, to_stage=stages[3])
    kept = dict(Opportunity.all_objects.values_list("pk", "furthest_stage_order"))
    Opportunity.all_objects.update(furthest_stage_order=None)
    assert furthest_stages_fill() == len(kept)
    assert dict(Opportunity.all_objects.values_list("pk", "furthest_stage_order")) == kept
    assert kept[sales.ae_opp.pk] == stages[3].order
