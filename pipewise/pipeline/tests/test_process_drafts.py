"""A new sales process is a draft until it is complete; its stages are saved as one set."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from pipewise.pipeline.models import Opportunity, Pipeline, Stage
from pipewise.pipeline.selectors import default_pipeline, pipelines_in_use
from pipewise.pipeline.services import (
    DRAFT_NOT_DEFAULT,
    DRAFT_TAKES_NO_DEALS,
    PROCESS_MUST_STAY_COMPLETE,
    PROCESS_NOT_READY,
    STAGE_IN_USE,
    STAGE_NAME_TWICE,
    opportunity_create,
    pipeline_activate,
    pipeline_save,
)


def row(name, kind="open", probability=20, **extra):
    return {"name": name, "kind": kind, "probability": probability, **extra}


COMPLETE = [row("Registered"), row("Won", "won", 100), row("Lost", "lost", 0)]


def names(pipeline):
    return list(pipeline.stages.order_by("order").values_list("order", "name"))


@pytest.fixture
def draft(db):
    """A channel process with only open stages: saved, but a draft."""
    return pipeline_save(
        pipeline=None,
        fields={"name": "Partner deals"},
        stages=[row("Registered"), row("Approved", probability=40)],
    )


# --- the service ----------------------------------------------------------------------------------
def test_it_saves_a_new_process_as_a_draft_with_all_its_stages(draft):
    assert draft.is_draft
    assert names(draft) == [(1, "Registered"), (2, "Approved")]
    assert draft not in pipelines_in_use()


def test_it_refuses_to_activate_and_names_what_is_missing(draft):
    with pytest.raises(ValidationError) as refused:
        pipeline_activate(pipeline=draft)
    needs = "a Won stage and a Lost stage"
    assert refused.value.messages == [PROCESS_NOT_READY.format(name="Partner deals", gaps=needs)]
    assert Pipeline.objects.get(pk=draft.pk).is_draft


def test_it_refuses_a_second_won_stage(draft):
    stages = [*COMPLETE, row("Won again", "won", 100)]
    pipeline_save(pipeline=draft, fields={}, stages=stages)
    with pytest.raises(ValidationError) as refused:
        pipeline_activate(pipeline=draft)
    assert "only one Won stage (it has 2)" in refused.value.messages[0]


def test_it_activates_a_complete_draft(draft):
    pipeline_save(pipeline=draft, fields={}, stages=COMPLETE)
    active = pipeline_activate(pipeline=draft)
    assert not active.is_draft and active in pipelines_in_use()


def test_it_adds_removes_and_reorders_stages_in_one_save(draft):
    registered, approved = draft.stages.order_by("order")
    pipeline_save(
        pipeline=draft,
        fields={},
        stages=[
            row("Approved", probability=40, id=approved.pk),
            row("Quoted", probability=60),
            row("Registered", probability=15, id=registered.pk),
        ],
    )
    assert names(draft) == [(1, "Approved"), (2, "Quoted"), (3, "Registered")]
    assert Stage.objects.get(pk=registered.pk).probability == 15
    pipeline_save(pipeline=draft, fields={}, stages=[row("Quoted", probability=60)])
    assert names(draft) == [(1, "Quoted")]


def test_it_writes_nothing_when_one_stage_of_the_set_is_wrong(draft):
    before = names(draft)
    with pytest.raises(ValidationError) as refused:
        pipeline_save(
            pipeline=draft,
            fields={"description": "Changed"},
            stages=[row("Quoted"), row("Quoted", probability=60)],
        )
    assert refused.value.message_dict["stages"] == [STAGE_NAME_TWICE.format(name="Quoted")]
    assert names(draft) == before
    assert Pipeline.objects.get(pk=draft.pk).description == ""


def rows_but(pipeline, left_out):
    """The process's stages as rows, less those ``left_out`` picks."""
    stages = pipeline.stages.order_by("order")
    return [row(s.name, s.kind, s.probability, id=s.pk) for s in stages if not left_out(s)]


def test_it_keeps_an_active_process_complete(sales):
    standard = default_pipeline()
    rows = rows_but(standard, lambda stage: stage.kind == "lost")
    with pytest.raises(ValidationError) as refused:
        pipeline_save(pipeline=standard, fields={}, stages=rows)
    assert refused.value.messages == [
        PROCESS_MUST_STAY_COMPLETE.format(name=standard.name, gaps="a Lost stage")
    ]
    assert standard.stages.filter(kind="lost").exists()


def test_it_refuses_to_remove_a_stage_deals_went_through(sales):
    standard = default_pipeline()
    rows = rows_but(standard, lambda stage: stage.name == "Prospecting")
    with pytest.raises(ValidationError) as refused:
        pipeline_save(pipeline=standard, fields={}, stages=rows)
    assert refused.value.messages == [STAGE_IN_USE.format(name="Prospecting")]
    assert standard.stages.filter(name="Prospecting").exists()


def test_it_takes_no_deals_into_a_draft(draft, sales, people):
    with pytest.raises(ValidationError) as refused:
        opportunity_create(
            by=people.ae,
            name="Channel deal",
            account=sales.ae_account,
            pipeline=draft,
            stage=draft.stages.first(),
            close_date=sales.ae_opp.close_date,
        )
    assert refused.value.message_dict["pipeline"] == [
        DRAFT_TAKES_NO_DEALS.format(pipeline="Partner deals")
    ]


def test_it_refuses_to_make_a_draft_the_default(draft):
    with pytest.raises(ValidationError) as refused:
        pipeline_save(pipeline=draft, fields={"is_default": True})
    assert refused.value.message_dict["is_default"] == [DRAFT_NOT_DEFAULT]
    assert default_pipeline() != draft


# --- the web pages --------------------------------------------------------------------------------
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(name, stages, **extra):
    data = {
        "pipeline-name": name,
        "pipeline-active": "on",
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": "0",
        **extra,
    }
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            data[f"stages-{index}-{key}"] = value
    return data


def test_it_saves_every_stage_of_a_new_process_in_one_post(people):
    rows = [
        {"order": 2, "name": "Approved", "probability": 40, "kind": "open"},
        {"order": 1, "name": "Registered", "probability": 10, "kind": "open"},
        {"order": 3, "name": "Won", "probability": 100, "kind": "won"},
        {"order": 4, "name": "", "probability": 10, "kind": "open"},  # a blank row is skipped
    ]
    response = signed_in(people.ops).post(
        "/settings/pipelines/new/", form_data("Partner deals", rows), follow=True
    )
    created = Pipeline.objects.get(name="Partner deals")
    assert names(created) == [(1, "Registered"), (2, "Approved"), (3, "Won")]
    assert created.is_draft
    assert "saved as a draft" in response.content.decode()


def test_it_says_what_is_missing_when_the_page_cannot_activate(people):
    rows = [
        {"order": 1, "name": "Registered", "probability": 10, "kind": "open"},
        {"order": 2, "name": "Won", "probability": 100, "kind": "won"},
    ]
    html = (
        signed_in(people.ops)
        .post(
            "/settings/pipelines/new/", form_data("Partner deals", rows, activate="1"), follow=True
        )
        .content.decode()
    )
    assert "Saved as a draft." in html and "it needs a Lost stage" in html
    assert Pipeline.objects.get(name="Partner deals").is_draft


def test_it_activates_a_complete_process_from_the_page(people):
    rows = [
        {"order": 1, "name": "Registered", "probability": 10, "kind": "open"},
        {"order": 2, "name": "Won", "probability": 100, "kind": "won"},
        {"order": 3, "name": "Lost", "probability": 0, "kind": "lost"},
    ]
    client = signed_in(people.ops)
    html = client.post(
        "/settings/pipelines/new/", form_data("Partner deals", rows, activate="1"), follow=True
    ).content.decode()
    assert "saved and activated" in html
    assert not Pipeline.objects.get(name="Partner deals").is_draft


def test_it_removes_a_stage_ticked_on_the_page(draft, people):
    registered, approved = draft.stages.order_by("order")
    rows = [
        {"id": registered.pk, "order": 1, "name": "Registered", "probability": 20, "kind": "open"},
        {"id": approved.pk, "order": 2, "name": "Approved", "probability": 40, "kind": "open"},
    ]
    data = form_data("Partner deals", rows, **{"stages-1-DELETE": "on"})
    signed_in(people.ops).post(f"/settings/pipelines/{draft.pk}/", data)
    assert names(draft) == [(1, "Registered")]


def test_it_starts_a_new_process_with_an_open_a_won_and_a_lost_row(people):
    html = signed_in(people.ops).get("/settings/pipelines/new/").content.decode()
    assert 'name="stages-TOTAL_FORMS" value="3"' in html
    assert 'value="Won"' in html and 'value="Lost"' in html
    assert "Save and activate" in html and 'id="stages-empty-row"' in html


def test_it_keeps_drafts_off_the_board_and_the_new_deal_form(draft, sales, people):
    client = signed_in(people.ae)
    assert client.get(f"/board/{draft.pk}/").status_code == 404
    assert client.get(f"/board/?pipeline={draft.pk}").status_code == 404
    form = client.get("/opportunities/new/").content.decode()
    assert "Partner deals" not in form
    assert default_pipeline().name in form


def test_it_marks_drafts_in_the_settings_list(draft, people):
    html = signed_in(people.ops).get("/settings/pipelines/").content.decode()
    assert "Draft" in html and "it needs a Won stage and a Lost stage" in html


# --- the API --------------------------------------------------------------------------------------
def test_it_creates_a_draft_through_the_api_and_activates_it_when_complete(api, people):
    client = api.as_user(people.ops)
    created = client.post("/api/v1/pipelines/", {"name": "Renewals"}, format="json")
    assert created.status_code == 201 and created.json()["is_draft"] is True
    pk = created.json()["id"]
    assert created.json()["needs"] == "an open stage, a Won stage and a Lost stage"
    client.post(
        "/api/v1/stages/",
        {"pipeline": pk, "name": "Due", "order": 1, "probability": 50},
        format="json",
    )
    refused = client.post(f"/api/v1/pipelines/{pk}/activate/")
    assert refused.status_code == 400
    assert "it needs a Won stage and a Lost stage" in refused.json()["non_field_errors"][0]
    for order, (name, kind) in enumerate([("Renewed", "won"), ("Churned", "lost")], start=2):
        stage = {"pipeline": pk, "name": name, "order": order, "probability": 0, "kind": kind}
        assert client.post("/api/v1/stages/", stage, format="json").status_code == 201
    activated = client.post(f"/api/v1/pipelines/{pk}/activate/")
    assert activated.status_code == 200 and activated.json()["is_draft"] is False


def test_it_refuses_api_deals_in_a_draft(api, draft, sales, people):
    response = api.as_user(people.ae).post(
        "/api/v1/opportunities/",
        {
            "name": "Channel deal",
            "account": sales.ae_account.pk,
            "pipeline": draft.pk,
            "close_date": sales.ae_opp.close_date.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "is a draft" in response.json()["pipeline"][0]
    assert not Opportunity.objects.filter(name="Channel deal").exists()


def test_it_keeps_the_api_from_removing_the_lost_stage_of_an_active_process(api, people):
    lost = default_pipeline().stages.get(kind="lost")
    response = api.as_user(people.ops).delete(f"/api/v1/stages/{lost.pk}/")
    assert response.status_code == 400 and "a Lost stage" in response.json()["non_field_errors"][0]
    assert Stage.objects.filter(pk=lost.pk).exists()
