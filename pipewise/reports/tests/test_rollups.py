"""KPIs answered from running counts (deal totals, daily activity counts) answer exactly what
they answer from the records themselves, for every question the counts can answer."""

from __future__ import annotations

import datetime

import pytest

from pipewise.reports.kpis import registry
from pipewise.reports.kpis.base import AggregateKpi

pytestmark = pytest.mark.django_db

ROLLUP_KPIS = [k.key for k in registry if isinstance(k, AggregateKpi) and k.rollup is not None]
MONTH_ROLLUP_KPIS = [
    k.key for k in registry if isinstance(k, AggregateKpi) and k.month_rollup is not None
]
# Questions over whole months by what only the month totals keep (the account's territory
# and segment, the source), and the ones both keep.
MONTH_QUESTIONS = [
    {"group_by": "territory"},
    {"group_by": "segment,month"},
    {"group_by": "source", "filters": {"territory": "Germany"}},
    {"group_by": "stage", "filters": {"source": "website"}},
    {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 6, 30), "group_by": "team"},
    {
        "start": datetime.date(2025, 4, 1),
        "end": datetime.date(2025, 12, 31),
        "filters": {"segment": "Enterprise"},
    },
]
QUESTIONS = [
    {},
    {"group_by": "owner"},
    {"group_by": "team,month"},
    {"group_by": "month", "filters": {"owner": "ae"}},
    {"group_by": "owner", "filters": {"team": "1"}},
    {"start": datetime.date(2025, 3, 1), "end": datetime.date(2025, 6, 30)},
    {"start": datetime.date(2025, 2, 10), "group_by": "owner,month"},
]
VIEWERS = ["admin", "manager", "ae", "other_ae"]


def answered_both_ways(kpi_key: str, user, question: dict) -> tuple[dict, dict]:
    """The KPI as asked (from its running counts when they answer) and from its records
    (the rollup switched off for the call)."""
    kpi = registry.get(kpi_key)
    counted = kpi.compute(user=user, **question).as_dict()
    rollups = kpi.rollup, kpi.month_rollup
    kpi.rollup = kpi.month_rollup = None
    try:
        live = kpi.compute(user=user, **question).as_dict()
    finally:
        kpi.rollup, kpi.month_rollup = rollups
    return counted, live


def test_the_kpis_that_sum_running_counts():
    assert set(ROLLUP_KPIS) == {
        "won_revenue",
        "won_deal_count",
        "average_deal_size",
        "win_rate",
        "win_rate_by_value",
        "activity_count",
    }


def test_running_counts_answer_what_the_records_answer(ledger, people):
    # One test over every KPI: the generated ledger takes seconds to write.
    for kpi_key in ROLLUP_KPIS:
        kpi = registry.get(kpi_key)
        for question in QUESTIONS:
            asked = kpi.prepare(
                user=people.admin,
                start=None,
                end=None,
                group_by=question.get("group_by"),
                filters=question.get("filters"),
                inputs={},
            )
            assert kpi.rollup.answers(asked)
            for viewer in VIEWERS:
                counted, live = answered_both_ways(kpi_key, getattr(people, viewer), question)
                assert counted == live, (kpi_key, viewer, question)
        assert kpi.compute(user=people.admin).value not in (None, 0), kpi_key


def test_questions_the_counts_cannot_answer_go_to_the_records(people):
    won = registry.get("won_revenue")
    by_territory = won.prepare(
        user=people.admin, start=None, end=None, group_by="territory", filters={}, inputs={}
    )
    by_source = won.prepare(
        user=people.admin, start=None, end=None, group_by=None, filters={"source": "web"}, inputs={}
    )
    assert not won.rollup.answers(by_territory)
    assert not won.rollup.answers(by_source)


def test_the_kpis_that_sum_month_totals():
    assert set(MONTH_ROLLUP_KPIS) == {
        "won_revenue",
        "won_deal_count",
        "average_deal_size",
        "win_rate",
        "win_rate_by_value",
        "open_deal_count",
        "pipeline_value",
        "weighted_pipeline",
    }


def test_month_totals_answer_what_the_records_answer(ledger, people):
    for kpi_key in MONTH_ROLLUP_KPIS:
        kpi = registry.get(kpi_key)
        for question in MONTH_QUESTIONS:
            group_by = question.get("group_by", "")
            if any(d not in kpi.dimensions for d in group_by.split(",") if d):
                continue
            asked = kpi.prepare(
                user=people.admin,
                start=question.get("start"),
                end=question.get("end"),
                group_by=group_by,
                filters=question.get("filters"),
                inputs={},
            )
            assert kpi.answering_rollup(asked) is not None, (kpi_key, question)
            for viewer in VIEWERS:
                counted, live = answered_both_ways(kpi_key, getattr(people, viewer), question)
                assert counted == live, (kpi_key, viewer, question)


def test_month_totals_leave_periods_of_days_to_the_records(people):
    won = registry.get("won_revenue")
    mid_month = won.prepare(
        user=people.admin,
        start=datetime.date(2025, 3, 10),
        end=datetime.date(2025, 3, 31),
        group_by="territory",
        filters={},
        inputs={},
    )
    assert won.answering_rollup(mid_month) is None
