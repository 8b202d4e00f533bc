"""Winning and losing a deal: confirmation when it passes over stages or criteria, its open
tasks closed, and undo (reopen) within the grace period."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from pipewise.activities.choices import TaskStatus
from pipewise.activities.models import Task
from pipewise.activities.services import task_create
from pipewise.pipeline.choices import AFTER_SALES_TASKS, OrderStatus, StageKind
from pipewise.pipeline.models import Opportunity, Order, StageChange, StageTotal
from pipewise.pipeline.selectors import closing_concerns, outcome_stage
from pipewise.pipeline.services import (
    REOPEN_GRACE_OVER,
    REOPEN_ORDER_PROGRESSED,
    WIN_NEEDS_CONFIRMATION,
    WIN_ON_THE_DEAL_PAGE,
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_reopen,
    order_set_status,
)
from pipewise.pipeline.totals import stage_totals_rebuild

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stage(deal, name):
    return deal.pipeline.stages.get(name=name)


def at_last_open_stage(deal, by):
    return opportunity_move_stage(
        opportunity=deal, by=by, to_stage=stage(deal, "Follow-up & after-sales")
    )


def kept_totals() -> set[tuple]:
    return {
        (r.owner_id, r.stage_id, r.closed_on, r.count, r.amount)
        for r in StageTotal.objects.filter(count__gt=0)
    }


def assert_totals_match_deals():
    kept = kept_totals()
    stage_totals_rebuild()
    assert kept == kept_totals()


# --- confirmation -------------------------------------------------------------------------------
def test_it_refuses_an_unconfirmed_win_that_skips_stages_naming_them(sales, people):
    deal = sales.ae_opp  # in Prospecting, the first stage
    with pytest.raises(ValidationError) as refused:
        opportunity_close_won(opportunity=deal, by=people.ae, confirmed=False)
    messages = refused.value.message_dict["confirm"]
    assert messages[0] == WIN_NEEDS_CONFIRMATION
    assert messages[1].startswith("It skips 7 stages: Qualifying, Gathering information,")
    deal.refresh_from_db()
    assert deal.status == "open"
    assert not Order.objects.filter(opportunity=deal).exists()
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_it_wins_without_asking_when_nothing_is_passed_over(sales, people):
    deal = at_last_open_stage(sales.ae_opp, people.ae)
    won = opportunity_close_won(opportunity=deal, by=people.ae, confirmed=False)
    assert won.status == "won"


def test_it_asks_when_exit_criteria_are_unmet(sales, people):
    deal = at_last_open_stage(sales.ae_opp, people.ae)
    last = deal.stage
    last.required_fields = ["competitor"]
    last.save()
    concerns = closing_concerns(
        Opportunity.objects.get(pk=deal.pk), outcome_stage(deal.pipeline, "won")
    )
    assert concerns.skipped == []
    assert concerns.unmet == ["Exit criteria of “Follow-up & after-sales”: Competitor missing."]
    with pytest.raises(ValidationError):
        opportunity_close_won(opportunity=deal, by=people.ae, confirmed=False)
    assert opportunity_close_won(opportunity=deal, by=people.ae, confirmed=True).status == "won"


def test_a_stage_reached_before_counts_as_not_skipped(sales, people):
    deal = at_last_open_stage(sales.ae_opp, people.ae)
    back = opportunity_move_stage(opportunity=deal, by=people.ae, to_stage=stage(deal, "Closing"))
    assert closing_concerns(back, outcome_stage(back.pipeline, "won")).skipped == []


# --- open tasks ---------------------------------------------------------------------------------
def test_it_closes_the_open_pre_sale_tasks_but_not_the_after_sales_ones(sales, people):
    deal = sales.ae_opp
    done = task_create(by=people.ae, title="Old call", opportunity=deal, status=TaskStatus.DONE)
    won = opportunity_close_won(opportunity=deal, by=people.ae, close_open_tasks=True)
    assert won.tasks_closed == 1
    presale = Task.objects.get(pk=sales.ae_task.pk)
    assert presale.status == TaskStatus.CANCELLED
    assert presale.description.endswith(
        f"Cancelled: the deal was won on {timezone.localdate():%-d %b %Y}."
    )
    assert Task.objects.get(pk=done.pk).status == TaskStatus.DONE
    after_sales = Task.objects.filter(opportunity=deal, status=TaskStatus.OPEN)
    assert after_sales.count() == len(AFTER_SALES_TASKS)


def test_it_leaves_the_tasks_open_unless_asked(sales, people):
    opportunity_close_lost(opportunity=sales.ae_opp, by=people.ae, reason="No budget")
    assert Task.objects.get(pk=sales.ae_task.pk).status == TaskStatus.OPEN


def test_losing_closes_the_open_tasks_when_asked(sales, people):
    lost = opportunity_close_lost(
        opportunity=sales.ae_opp, by=people.ae, reason="No budget", close_open_tasks=True
    )
    assert lost.tasks_closed == 1
    assert Task.objects.get(pk=sales.ae_task.pk).status == TaskStatus.CANCELLED


# --- reopen -------------------------------------------------------------------------------------
def test_the_owner_reopens_a_win_within_the_grace_period(sales, people):
    deal = opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage(sales.ae_opp, "Presentation")
    )
    won = opportunity_close_won(opportunity=deal, by=people.ae)
    order = Order.objects.get(opportunity=won)
    reopened = opportunity_reopen(opportunity=won, by=people.ae)
    assert reopened.status == "open" and reopened.stage.name == "Presentation"
    assert reopened.closed_at is None and reopened.forecast_category == "pipeline"
    assert reopened.furthest_stage_order == stage(deal, "Presentation").order
    last = StageChange.objects.filter(opportunity=deal).order_by("-id").first()
    assert (last.from_stage.kind, last.to_stage.name, last.changed_by) == (
        "won",
        "Presentation",
        people.ae,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and reopened.order_cancelled == order
    assert reopened.tasks_closed == len(AFTER_SALES_TASKS)
    assert not Task.objects.filter(opportunity=deal, title__startswith="Delivery check").exclude(
        status=TaskStatus.CANCELLED
    )
    assert_totals_match_deals()


def test_the_owner_cannot_reopen_after_the_grace_period(sales, people, settings):
    settings.PIPEWISE_REOPEN_GRACE_DAYS = 7
    closed = timezone.now() - datetime.timedelta(days=8)
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae, at=closed)
    deadline = closed + datetime.timedelta(days=7)
    with pytest.raises(PermissionDenied) as refused:
        opportunity_reopen(opportunity=won, by=people.ae)
    assert str(refused.value) == REOPEN_GRACE_OVER.format(
        deadline=f"{timezone.localtime(deadline):%-d %b %Y}"
    )
    reopened = opportunity_reopen(opportunity=won, by=people.manager)  # the manager above may
    assert reopened.status == "open"


def test_a_peer_cannot_reopen(sales, people):
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    with pytest.raises(PermissionDenied):
        opportunity_reopen(opportunity=won, by=people.sdr)


def test_it_refuses_to_reopen_when_the_order_has_progressed(sales, people):
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    order_set_status(order=won.order, by=people.ae, status=OrderStatus.DELIVERED)
    with pytest.raises(ValidationError) as refused:
        opportunity_reopen(opportunity=won, by=people.ae)
    number = won.order.number
    assert refused.value.message_dict["order"] == [
        REOPEN_ORDER_PROGRESSED.format(number=number, status="delivered")
    ]
    assert Opportunity.objects.get(pk=won.pk).status == "won"


def test_winning_again_after_a_reopen_confirms_the_order_anew(sales, people):
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    reopened = opportunity_reopen(opportunity=won, by=people.ae)
    again = opportunity_close_won(opportunity=reopened, by=people.ae)
    order = Order.objects.get(opportunity=again)
    assert order.status == OrderStatus.CONFIRMED and order.amount == again.amount
    open_after_sales = Task.objects.filter(opportunity=again, status=TaskStatus.OPEN)
    assert open_after_sales.count() == len(AFTER_SALES_TASKS) + 1  # + the pre-sale task
    assert_totals_match_deals()


def test_a_lost_deal_reopens_into_the_stage_it_was_lost_in(sales, people):
    deal = opportunity_move_stage(
        opportunity=sales.ae_opp, by=people.ae, to_stage=stage(sales.ae_opp, "Approach")
    )
    lost = opportunity_close_lost(opportunity=deal, by=people.ae, reason="No budget")
    reopened = opportunity_reopen(opportunity=lost, by=people.ae)
    assert reopened.stage.name == "Approach" and reopened.lost_reason == ""
    assert reopened.order_cancelled is None


def test_an_open_deal_cannot_be_reopened(sales, people):
    with pytest.raises(ValidationError):
        opportunity_reopen(opportunity=sales.ae_opp, by=people.ae)


# --- API ----------------------------------------------------------------------------------------
def test_the_api_refuses_an_unconfirmed_skipping_win_with_400(api, sales, people):
    url = f"/api/v1/opportunities/{sales.ae_opp.pk}/win/"
    refused = api.as_user(people.ae).post(url, {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["confirm"][0] == WIN_NEEDS_CONFIRMATION
    won = api.as_user(people.ae).post(url, {"confirm": True}, format="json")
    assert won.status_code == 200, won.content
    assert won.json()["status"] == "won" and won.json()["tasks_closed"] == 1


def test_the_api_reopens_and_lose_keeps_tasks_when_told(api, sales, people):
    base = f"/api/v1/opportunities/{sales.ae_opp.pk}"
    lost = api.as_user(people.ae).post(
        f"{base}/lose/", {"reason": "No budget", "close_open_tasks": False}, format="json"
    )
    assert lost.status_code == 200 and lost.json()["tasks_closed"] == 0
    assert api.as_user(people.other_ae).post(f"{base}/reopen/", {}).status_code == 404
    reopened = api.as_user(people.ae).post(f"{base}/reopen/", {}, format="json")
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "open" and reopened.json()["order_cancelled"] is None


# --- the deal page ------------------------------------------------------------------------------
def test_the_won_button_asks_first_showing_what_is_skipped_and_the_tasks(sales, people):
    client = signed_in(people.ae)
    deal = sales.ae_opp
    url = f"/opportunities/{deal.pk}/close/won/"
    detail = client.get(f"/opportunities/{deal.pk}/").content.decode()
    assert f'action="{url}"' in detail
    asked = client.post(url, {"version": deal.version})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Gathering information" in html and "Close 1 open task" in html
    assert Opportunity.objects.get(pk=deal.pk).status == "open"
    done = client.post(url, {"version": deal.version, "confirm": "1", "close_open_tasks": "1"})
    assert done.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).status == "won"
    assert Task.objects.get(pk=sales.ae_task.pk).status == TaskStatus.CANCELLED
    page = client.get(f"/opportunities/{deal.pk}/").content.decode()
    assert "1 open task cancelled." in page and 'id="reopen-form"' in page


def test_the_page_reopens_a_deal(sales, people):
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    client = signed_in(people.ae)
    response = client.post(
        f"/opportunities/{won.pk}/reopen/",
        {"version": won.version, "stage": stage(won, "Closing").pk},
    )
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=won.pk).stage.name == "Closing"


def test_the_page_offers_no_reopen_to_the_owner_after_the_grace_period(sales, people):
    closed = timezone.now() - datetime.timedelta(days=30)
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae, at=closed)
    html = signed_in(people.ae).get(f"/opportunities/{won.pk}/").content.decode()
    assert 'id="reopen-form"' not in html and "a manager can still reopen it" in html
    managed = signed_in(people.manager).get(f"/opportunities/{won.pk}/").content.decode()
    assert 'id="reopen-form"' in managed


def test_a_lost_deal_with_open_tasks_offers_to_close_them(sales, people):
    client = signed_in(people.ae)
    deal = sales.ae_opp
    url = f"/opportunities/{deal.pk}/close/lost/"
    asked = client.post(url, {"version": deal.version, "lost_reason": "No budget"})
    html = asked.content.decode()
    assert asked.status_code == 200 and "Close 1 open task" in html
    assert '<option value="No budget" selected>' in html
    assert StageKind.LOST != Opportunity.objects.get(pk=deal.pk).status
    done = client.post(url, {"version": deal.version, "lost_reason": "No budget", "confirm": "1"})
    assert done.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).status == "lost"
    assert Task.objects.get(pk=sales.ae_task.pk).status == TaskStatus.OPEN  # box left unticked


# --- every route: the board's move and the API's move follow the same rules ----------------------
def test_the_board_cannot_win_past_stages_without_the_deal_page(sales, people):
    deal = sales.ae_opp
    response = signed_in(people.ae).post(
        f"/opportunities/{deal.pk}/move/",
        {"stage": outcome_stage(deal.pipeline, "won").pk, "version": deal.version},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith(WIN_NEEDS_CONFIRMATION) and message.endswith(WIN_ON_THE_DEAL_PAGE)
    assert Opportunity.objects.get(pk=deal.pk).status == "open"


def test_the_board_reopens_only_within_the_grace_period(sales, people):
    closed = timezone.now() - datetime.timedelta(days=30)
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae, at=closed)
    response = signed_in(people.ae).post(
        f"/opportunities/{won.pk}/move/",
        {"stage": stage(won, "Closing").pk, "version": won.version},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("You could reopen this deal until")
    assert Opportunity.objects.get(pk=won.pk).status == "won"


def test_the_api_move_into_won_needs_confirm_too(api, sales, people):
    deal = sales.ae_opp
    url = f"/api/v1/opportunities/{deal.pk}/move/"
    won_stage = outcome_stage(deal.pipeline, "won").pk
    refused = api.as_user(people.ae).post(url, {"stage": won_stage}, format="json")
    assert refused.status_code == 400 and "confirm" in refused.json()
    won = api.as_user(people.ae).post(url, {"stage": won_stage, "confirm": True}, format="json")
    assert won.status_code == 200, won.content
    assert Order.objects.filter(opportunity=deal).exists()
