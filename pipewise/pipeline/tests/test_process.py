"""The process matrix inside ``opportunity_move_stage``: exit criteria, follow-ups, milestones."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pipewise.activities.models import Task
from pipewise.pipeline.choices import AssigneeRule, CriteriaMode
from pipewise.pipeline.models import (
    FollowUpTemplate,
    Milestone,
    OpportunityMilestone,
    Pipeline,
    Stage,
    StageChange,
)
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    EXIT_CRITERIA_BLOCK,
    MILESTONE_NOT_IN_PROCESS,
    opportunity_close_lost,
    opportunity_create,
    opportunity_milestone_set,
    opportunity_move_stage,
    opportunity_update,
)


def stage(name: str) -> Stage:
    return default_pipeline().stages.get(name=name)


@pytest.fixture
def criteria(db):
    """Prospecting needs a competitor and the "Budget confirmed" milestone before moving on."""
    prospecting = stage("Prospecting")
    prospecting.required_fields = ["competitor"]
    prospecting.save()
    return Milestone.objects.create(stage=prospecting, name="Budget confirmed")


def set_mode(mode: str) -> None:
    Pipeline.objects.filter(pk=default_pipeline().pk).update(criteria_mode=mode)


def test_it_blocks_a_move_with_unmet_exit_criteria_and_writes_nothing(sales, people, criteria):
    set_mode(CriteriaMode.BLOCK)
    opp = sales.ae_opp
    with pytest.raises(ValidationError) as refused:
        opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=stage("Qualifying"))
    messages = refused.value.message_dict["stage"]
    assert messages[0] == EXIT_CRITERIA_BLOCK
    assert "Competitor missing" in messages[1]
    assert "“Budget confirmed” not reached" in messages[1]
    opp.refresh_from_db()
    assert opp.stage.name == "Prospecting"
    assert StageChange.objects.filter(opportunity=opp).count() == 1


def test_it_lets_the_move_through_once_the_criteria_are_met(sales, people, criteria):
    set_mode(CriteriaMode.BLOCK)
    opp = opportunity_update(opportunity=sales.ae_opp, by=people.ae, competitor="Rival AG")
    opportunity_milestone_set(opportunity=opp, milestone=criteria, by=people.ae, reached=True)
    moved = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=stage("Qualifying"))
    assert moved.stage.name == "Qualifying"
    assert moved.stage_change.warnings == ""


def test_it_records_the_warning_in_warn_mode(sales, people, criteria):
    set_mode(CriteriaMode.WARN)
    moved = opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Qualifying")
    )
    assert moved.stage.name == "Qualifying"
    row = StageChange.objects.filter(opportunity=moved).latest("id")
    assert row.warnings == (
        "Exit criteria of “Prospecting”: Competitor missing; “Budget confirmed” not reached."
    )


def test_it_checks_the_stages_a_move_skips(sales, people):
    set_mode(CriteriaMode.BLOCK)
    qualifying = stage("Qualifying")
    Milestone.objects.create(stage=qualifying, name="Decision maker met")
    with pytest.raises(ValidationError) as refused:
        opportunity_move_stage(opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Approach"))
    assert "Exit criteria of “Qualifying”" in refused.value.message_dict["stage"][1]


def test_it_never_blocks_moving_back_or_losing(sales, people, criteria):
    opp = opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Qualifying")
    )
    set_mode(CriteriaMode.BLOCK)
    Milestone.objects.create(stage=stage("Qualifying"), name="Decision maker met")
    back = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=stage("Prospecting"))
    assert back.stage.name == "Prospecting"
    lost = opportunity_close_lost(opportunity=back, by=people.ae, reason="No budget")
    assert lost.status == "lost"
    assert lost.stage_change.warnings == ""


@pytest.fixture
def follow_ups(db):
    qualifying = stage("Qualifying")
    return [
        FollowUpTemplate.objects.create(
            stage=qualifying,
            title="Book discovery call",
            due_in_days=2,
            assignee_rule=AssigneeRule.OWNER,
        ),
        FollowUpTemplate.objects.create(
            stage=qualifying,
            title="Review the qualification",
            due_in_days=5,
            assignee_rule=AssigneeRule.OWNER_MANAGER,
        ),
        FollowUpTemplate.objects.create(
            stage=qualifying,
            title="Introduce customer success",
            due_in_days=7,
            assignee_rule=AssigneeRule.CUSTOMER_SUCCESS,
        ),
    ]


def test_it_creates_the_follow_ups_on_entering_a_stage(sales, people, follow_ups):
    at = timezone.now().replace(microsecond=0)
    opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Qualifying"), at=at
    )
    tasks = {
        t.title: t
        for t in Task.objects.filter(opportunity=sales.ae_opp).exclude(pk=sales.ae_task.pk)
    }
    assert set(tasks) == {t.title for t in follow_ups}
    assert tasks["Book discovery call"].assignee == people.ae
    assert tasks["Book discovery call"].due_at == at + datetime.timedelta(days=2)
    assert tasks["Review the qualification"].assignee == people.manager
    # The account is in Bavaria; the customer success manager covers Germany, which holds it.
    assert tasks["Introduce customer success"].assignee == people.cs
    assert tasks["Introduce customer success"].account == sales.ae_account


def test_it_creates_the_follow_ups_once_when_the_deal_moves_out_and_back(sales, people, follow_ups):
    opp = opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Qualifying")
    )
    opp = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=stage("Approach"))
    opp = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=stage("Qualifying"))
    titles = list(
        Task.objects.filter(opportunity=opp)
        .exclude(pk=sales.ae_task.pk)
        .values_list("title", flat=True)
    )
    assert sorted(titles) == sorted(t.title for t in follow_ups)


def test_it_runs_the_first_stages_follow_ups_on_create(sales, people):
    FollowUpTemplate.objects.create(stage=stage("Prospecting"), title="Research the account")
    opp = opportunity_create(
        by=people.ae,
        name="Second deal",
        account=sales.ae_account,
        close_date=datetime.date.today(),
    )
    assert list(Task.objects.filter(opportunity=opp).values_list("title", flat=True)) == [
        "Research the account"
    ]


def test_it_falls_back_to_the_owner_when_the_owner_has_no_manager(sales, people):
    FollowUpTemplate.objects.create(
        stage=stage("Qualifying"), title="Manager review", assignee_rule=AssigneeRule.OWNER_MANAGER
    )
    opp = opportunity_move_stage(
        opportunity=sales.other_opp, by=people.other_ae, to_stage=stage("Qualifying")
    )
    task = Task.objects.get(opportunity=opp, title="Manager review")
    assert task.assignee == people.other_manager


def test_it_records_who_ticked_a_milestone_and_when(sales, people, criteria):
    row = opportunity_milestone_set(
        opportunity=sales.ae_opp, milestone=criteria, by=people.ae, reached=True
    )
    again = opportunity_milestone_set(
        opportunity=sales.ae_opp, milestone=criteria, by=people.manager, reached=True
    )
    assert again.pk == row.pk and again.reached_by == people.ae
    opportunity_milestone_set(
        opportunity=sales.ae_opp, milestone=criteria, by=people.manager, reached=False
    )
    assert not OpportunityMilestone.objects.exists()
    untick = OpportunityMilestone.history.filter(history_type="-").get()
    assert untick.history_user == people.manager


def test_it_refuses_a_milestone_of_another_process(sales, people):
    other = Pipeline.objects.create(name="Transactional")
    quick = Stage.objects.create(pipeline=other, name="Quote", order=1, probability=50)
    milestone = Milestone.objects.create(stage=quick, name="Quote sent")
    with pytest.raises(ValidationError) as refused:
        opportunity_milestone_set(
            opportunity=sales.ae_opp, milestone=milestone, by=people.ae, reached=True
        )
    assert refused.value.message_dict["milestone"] == [MILESTONE_NOT_IN_PROCESS]
    assert not OpportunityMilestone.objects.exists()
