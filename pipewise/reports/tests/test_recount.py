"""``pipewise recount`` repairs running counts that writes around the services left wrong."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from pipewise.activities.models import ActivityDay
from pipewise.pipeline.models import Opportunity, StageTotal

pytestmark = pytest.mark.django_db


def _counts():
    return (
        set(StageTotal.objects.filter(count__gt=0).values_list("owner", "stage", "count")),
        set(ActivityDay.objects.filter(count__gt=0).values_list("owner", "day", "type", "count")),
        set(Opportunity.all_objects.values_list("pk", "furthest_stage_order")),
    )


def test_it_rebuilds_every_running_count_from_the_records(people, sales):
    kept = _counts()
    assert all(kept)
    StageTotal.objects.all().delete()
    ActivityDay.objects.update(count=7)
    Opportunity.all_objects.update(furthest_stage_order=None)
    out = StringIO()
    call_command("recount", stdout=out)
    assert _counts() == kept
    assert "activity days:" in out.getvalue()
