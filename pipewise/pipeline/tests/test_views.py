"""Opportunity pages: list with totals, board and stage moves, detail, create/edit, settings."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipewise.pipeline.choices import DEFAULT_EXPECTED_DAYS
from pipewise.pipeline.models import Opportunity, Pipeline, Stage
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_create,
    opportunity_move_stage,
    opportunity_update,
)
from pipewise.pipeline.views import CARDS_PER_COLUMN


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stage(name: str) -> Stage:
    return default_pipeline().stages.get(name=name)


def move(client, opportunity, to: Stage, **extra):
    data = {"stage": to.pk, "version": opportunity.version, **extra}
    return client.post(
        f"/opportunities/{opportunity.pk}/move/", data, HTTP_ACCEPT="application/json"
    )


def test_a_rep_cannot_open_another_reps_opportunity(sales, people):
    client = signed_in(people.ae)
    other = sales.other_opp
    assert client.get(f"/opportunities/{other.pk}/").status_code == 404
    assert client.get(f"/opportunities/{other.pk}/edit/").status_code == 404
    assert move(client, other, stage("Qualifying")).status_code == 404
    assert client.get(f"/opportunities/{sales.ae_opp.pk}/").status_code == 200


def test_the_manager_opens_the_reps_opportunity(sales, people):
    assert signed_in(people.manager).get(f"/opportunities/{sales.ae_opp.pk}/").status_code == 200


def test_the_list_totals_the_filtered_set(sales, people):
    opportunity_create(
        by=people.ae,
        name="Small",
        account=sales.ae_account,
        amount=Decimal("1000.00"),
        close_date=timezone.localdate(),
    )
    client = signed_in(people.ae)
    response = client.get("/opportunities/")
    assert response.context["totals"]["amount"] == Decimal("121000.00")
    html = response.content.decode()
    assert "€121,000" in html and sales.other_opp.name not in html
    filtered = client.get("/opportunities/", {"amount_min": "5000"})
    assert filtered.context["totals"]["amount"] == Decimal("120000.00")
    assert filtered.context["totals"]["weighted"] == Decimal("6000.00")  # 5 % of 120k


def test_the_list_costs_the_same_for_more_rows(sales, people):
    client = signed_in(people.ae)
    client.get("/opportunities/")
    with CaptureQueriesContext(connection) as few:
        client.get("/opportunities/")
    for index in range(30):
        opportunity_create(
            by=people.ae,
            name=f"Deal {index}",
            account=sales.ae_account,
            close_date=timezone.localdate(),
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/opportunities/", {"sort": "-amount"})
    assert len(many) == len(few)


def test_the_board_shows_columns_with_count_and_sum(sales, people):
    response = signed_in(people.ae).get("/board/")
    columns = {c["stage"].name: c for c in response.context["columns"]}
    assert columns["Prospecting"]["count"] == 1
    assert columns["Prospecting"]["amount"] == Decimal("120000.00")
    assert columns["Qualifying"]["count"] == 0
    html = response.content.decode()
    assert sales.ae_opp.name in html and sales.other_opp.name not in html
    assert 'data-kind="lost"' in html


def test_the_board_costs_the_same_for_more_deals(sales, people):
    client = signed_in(people.ae)
    client.get("/board/")
    with CaptureQueriesContext(connection) as few:
        client.get("/board/")
    for index in range(30):
        opportunity_create(
            by=people.ae,
            name=f"Deal {index}",
            account=sales.ae_account,
            close_date=timezone.localdate(),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/board/")
    assert len(many) == len(few)
    prospecting = response.context["columns"][0]
    assert prospecting["count"] == 31 and prospecting["more"]
    assert len(prospecting["cards"]) == CARDS_PER_COLUMN


def test_load_more_brings_the_next_cards(sales, people):
    for index in range(25):
        opportunity_create(
            by=people.ae,
            name=f"Deal {index:02d}",
            account=sales.ae_account,
            close_date=timezone.localdate(),
        )
    client = signed_in(people.ae)
    board = client.get("/board/")
    first = board.context["columns"][0]["cards"]
    pipeline = default_pipeline()
    more = client.get(
        f"/board/{pipeline.pk}/stages/{stage('Prospecting').pk}/cards/",
        {"after": first[-1].pk},
    )
    left = 26 - CARDS_PER_COLUMN  # the sales book's deal and the 25 above
    assert len(more.context["cards"]) == min(left, CARDS_PER_COLUMN)
    assert more.context["more"] == (left > CARDS_PER_COLUMN)
    assert not {c.pk for c in first} & {c.pk for c in more.context["cards"]}


def test_dragging_a_card_moves_the_stage_and_returns_new_totals(sales, people):
    client = signed_in(people.ae)
    response = move(client, sales.ae_opp, stage("Qualifying"))
    data = response.json()
    assert response.status_code == 200 and data["ok"]
    assert data["columns"][str(stage("Qualifying").pk)] == {"count": 1, "amount": "€120k"}
    assert data["columns"][str(stage("Prospecting").pk)]["count"] == 0
    assert 'data-version="2"' in data["card"]
    sales.ae_opp.refresh_from_db()
    assert sales.ae_opp.stage.name == "Qualifying"
    assert sales.ae_opp.stage_changes.count() == 2


def test_a_refused_move_says_why(sales, people):
    client = signed_in(people.ae)
    response = move(client, sales.ae_opp, stage("Lost"))
    assert response.status_code == 422
    assert response.json() == {
        "ok": False,
        "message": "Say why the deal was lost.",
        "columns": response.json()["columns"],
    }
    sales.ae_opp.refresh_from_db()
    assert sales.ae_opp.stage.name == "Prospecting"
    lost = move(client, sales.ae_opp, stage("Lost"), lost_reason="No budget")
    assert lost.json()["ok"]
    sales.ae_opp.refresh_from_db()
    assert sales.ae_opp.status == "lost" and sales.ae_opp.lost_reason == "No budget"


def test_a_stale_card_is_not_moved(sales, people):
    stale = Opportunity.objects.get(pk=sales.ae_opp.pk)
    opportunity_update(opportunity=sales.ae_opp, by=people.manager, competitor="Rival")
    response = move(signed_in(people.ae), stale, stage("Qualifying"))
    assert response.status_code == 422
    assert "Someone else changed this deal" in response.json()["message"]


def test_executives_cannot_move_deals(sales, people):
    response = move(signed_in(people.executive), sales.ae_opp, stage("Qualifying"))
    assert response.status_code == 403


def test_the_stage_path_moves_without_javascript(sales, people):
    client = signed_in(people.ae)
    response = client.post(
        f"/opportunities/{sales.ae_opp.pk}/move/",
        {"stage": stage("Closing").pk, "version": sales.ae_opp.version},
    )
    assert response.status_code == 302
    page = client.get(f"/opportunities/{sales.ae_opp.pk}/").content.decode()
    assert "Moved to Closing." in page
    assert 'aria-current="step">Closing' in page


def test_the_detail_shows_path_history_and_time_in_stage(sales, people):
    at = timezone.now() - datetime.timedelta(days=3)
    from pipewise.pipeline.services import opportunity_move_stage

    opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage("Qualifying"), at=at
    )
    html = signed_in(people.ae).get(f"/opportunities/{sales.ae_opp.pk}/").content.decode()
    assert "Stage history" in html and "Change history" in html
    assert "from Prospecting" in html
    assert "3 d 0 h" in html or "2 d 23 h" in html
    assert "Discovery call" in html and "Send proposal" in html


def test_it_creates_an_opportunity_and_explains_errors(sales, people):
    client = signed_in(people.ae)
    bad = client.post(
        "/opportunities/new/",
        {
            "name": "",
            "account": sales.other_account.pk,
            "amount": "-5",
            "forecast_category": "pipeline",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "This field is required." in html
    assert "Select a valid choice" in html  # the other AE's account is not on offer
    good = client.post(
        "/opportunities/new/",
        {
            "name": "Alpen — spare parts",
            "account": sales.ae_account.pk,
            "amount": "9000",
            "close_date": "2030-01-31",
            "forecast_category": "pipeline",
        },
    )
    created = Opportunity.objects.get(name="Alpen — spare parts")
    assert good["Location"] == f"/opportunities/{created.pk}/"
    assert created.owner == people.ae and created.stage.name == "Prospecting"


def test_editing_a_stale_opportunity_is_refused_clearly(sales, people):
    client = signed_in(people.ae)
    data = {
        "name": "Renamed",
        "account": sales.ae_account.pk,
        "owner": people.ae.pk,
        "amount": "1",
        "close_date": "2030-01-31",
        "forecast_category": "pipeline",
        "version": sales.ae_opp.version,
    }
    opportunity_update(opportunity=sales.ae_opp, by=people.manager, competitor="Rival")
    response = client.post(f"/opportunities/{sales.ae_opp.pk}/edit/", data)
    assert "Someone else changed this record" in response.content.decode()
    sales.ae_opp.refresh_from_db()
    assert sales.ae_opp.name != "Renamed"


def test_settings_reorder_stages_and_change_probability(people):
    pipeline = default_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    data = {
        "pipeline-name": pipeline.name,
        "pipeline-description": "",
        "pipeline-is_default": "on",
        "pipeline-active": "on",
        "stages-TOTAL_FORMS": str(len(stages) + 1),
        "stages-INITIAL_FORMS": str(len(stages)),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for index, s in enumerate(stages):
        order = s.order
        if s.name == "Prospecting":
            order = 2
        elif s.name == "Qualifying":
            order = 1
        data.update(
            {
                f"stages-{index}-id": s.pk,
                f"stages-{index}-order": order,
                f"stages-{index}-name": s.name,
                f"stages-{index}-probability": 15 if s.name == "Qualifying" else s.probability,
                f"stages-{index}-kind": s.kind,
            }
        )
    n = len(stages)
    data.update(
        {
            f"stages-{n}-order": 50,
            f"stages-{n}-name": "Contract signed",
            f"stages-{n}-probability": 95,
            f"stages-{n}-kind": "open",
        }
    )
    response = signed_in(people.ops).post(f"/settings/pipelines/{pipeline.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert stage("Qualifying").order == 1 and stage("Qualifying").probability == 15
    assert stage("Prospecting").order == 2
    assert stage("Contract signed").probability == 95


def test_settings_refuse_a_probability_over_100(people):
    response = signed_in(people.ops).post(
        "/settings/pipelines/new/",
        {
            "pipeline-name": "Partner deals",
            "stages-TOTAL_FORMS": "1",
            "stages-INITIAL_FORMS": "0",
            "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "1000",
            "stages-0-order": 1,
            "stages-0-name": "Registered",
            "stages-0-probability": 120,
            "stages-0-kind": "open",
        },
    )
    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()
    assert not Pipeline.objects.filter(name="Partner deals").exists()


def test_settings_are_for_admins_and_sales_ops(people):
    assert signed_in(people.ae).get("/settings/pipelines/").status_code == 403
    assert signed_in(people.ops).get("/settings/pipelines/").status_code == 200


def test_move_response_is_json_for_the_board(sales, people):
    response = move(signed_in(people.ae), sales.ae_opp, stage("Approach"))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["message"].endswith("moved to Approach.")


def test_export_the_filtered_view_as_xlsx(sales, people):
    import io

    from openpyxl import load_workbook

    response = signed_in(people.ae).get("/opportunities/", {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row]
    assert sales.ae_opp.name in cells and sales.other_opp.name not in cells


def test_a_card_is_stalled_once_past_its_stages_expected_duration(sales, people):
    qualifying = stage("Qualifying")
    qualifying.expected_days = 5
    qualifying.save(update_fields=["expected_days"])
    now = timezone.now()
    late, fresh = [
        opportunity_create(
            by=people.ae, name=name, account=sales.ae_account, close_date=timezone.localdate()
        )
        for name in ("Late", "Fresh")
    ]
    for deal, days in ((late, 6), (fresh, 4)):
        opportunity_move_stage(
            opportunity=deal,
            by=people.ae,
            to_stage=qualifying,
            at=now - datetime.timedelta(days=days),
        )
    board = signed_in(people.ae).get("/board/")
    column = next(c for c in board.context["columns"] if c["stage"] == qualifying)
    assert {card.name: card.stalled for card in column["cards"]} == {"Late": True, "Fresh": False}
    assert b"Stalled 6 d" in board.content


def test_a_stage_without_an_expected_duration_stalls_after_the_default(sales, people):
    prospecting = stage("Prospecting")
    assert prospecting.expected_days is None
    now = timezone.now()
    assert prospecting.stalled_before(now) == now - datetime.timedelta(days=DEFAULT_EXPECTED_DAYS)
