"""The opportunity list and the board: open deals by default, saying what they count, and the
*Stalled* filter (the one stalled rule, ``Stage.stalled_before``) on the list, the API and
the board."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
)


def deal(people, sales, name: str, amount: str, **fields) -> Opportunity:
    return opportunity_create(
        by=people.ae,
        name=name,
        account=sales.ae_account,
        amount=Decimal(amount),
        close_date=datetime.date.today() + datetime.timedelta(days=20),
        **fields,
    )


def book(people, sales):
    """Besides the AE's open deal (€120,000): one won (€5,000), one lost (€7,000)."""
    won = opportunity_close_won(opportunity=deal(people, sales, "Won one", "5000"), by=people.ae)
    lost = opportunity_close_lost(
        opportunity=deal(people, sales, "Lost one", "7000"), by=people.ae, reason="No budget"
    )
    return won, lost


def stall(opportunity: Opportunity, days: int) -> None:
    """Set the deal into its stage ``days`` ago (test set-up: the board and scans read it)."""
    entered = timezone.now() - datetime.timedelta(days=days)
    Opportunity.objects.filter(pk=opportunity.pk).update(stage_entered_at=entered)


def page(user, url: str, **params):
    client = Client()
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def test_it_lists_and_totals_the_open_deals_by_default(people, sales):
    book(people, sales)
    html = page(people.ae, reverse("pipeline:list")).content.decode()
    assert "Alpen — line 4 automation" in html
    assert "Won one" not in html and "Lost one" not in html
    assert "data-total-count>1 open deal<" in html
    assert "data-total-amount>€120,000<" in html
    every = page(people.ae, reverse("pipeline:list"), status="any").content.decode()
    assert "Won one" in every and "data-total-count>3 deals<" in every
    assert "data-total-amount>€132,000<" in every
    won = page(people.ae, reverse("pipeline:list"), status="won").content.decode()
    assert "data-total-count>1 won deal<" in won and "data-total-amount>€5,000<" in won


def test_it_reads_the_default_totals_from_the_running_totals(people, sales):
    book(people, sales)
    client = Client()
    client.force_login(people.manager)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("pipeline:list"))
    sql = [q["sql"] for q in queries]
    assert any("pipeline_stagetotal" in s for s in sql)
    assert not any('SUM("pipeline_opportunity"."amount")' in s for s in sql)


def test_it_lists_open_deals_in_the_api_unless_asked_and_finds_any_by_external_id(
    api, people, sales
):
    won, lost = book(people, sales)
    Opportunity.objects.filter(pk=won.pk).update(external_id="CRM-1")
    client = api.as_user(people.ae)

    def listed(**params):
        response = client.get("/api/v1/opportunities/", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert listed() == listed(status="") == {sales.ae_opp.pk}
    assert listed(status="any") == {sales.ae_opp.pk, won.pk, lost.pk}
    assert listed(status="lost") == {lost.pk}
    assert listed(external_id="CRM-1") == {won.pk}
    assert client.get(f"/api/v1/opportunities/{won.pk}/").status_code == 200


def test_it_lists_only_the_stalled_deals_on_the_list_and_in_the_api(api, people, sales):
    fresh = deal(people, sales, "Fresh one", "1000")
    stage = fresh.stage
    stall(sales.ae_opp, stage.expected_duration + 1)
    stall(fresh, stage.expected_duration - 1)  # still within the expected time
    html = page(people.ae, reverse("pipeline:list"), stalled="true").content.decode()
    assert "Alpen — line 4 automation" in html and "Fresh one" not in html
    assert "data-total-count>1 stalled deal<" in html
    assert "data-total-amount>€120,000<" in html
    response = api.as_user(people.ae).get("/api/v1/opportunities/", {"stalled": "true"})
    assert [row["id"] for row in response.json()["results"]] == [sales.ae_opp.pk]


def test_it_shows_only_the_stalled_deals_on_the_board_with_their_figures(people, sales):
    fresh = deal(people, sales, "Fresh one", "1000")
    stall(sales.ae_opp, fresh.stage.expected_duration + 5)
    response = page(people.ae, reverse("pipeline:board"), stalled="true")
    column = next(c for c in response.context["columns"] if c["stage"] == fresh.stage)
    assert [card.name for card in column["cards"]] == ["Alpen — line 4 automation"]
    assert (column["count"], column["amount"]) == (1, Decimal("120000.00"))
    html = response.content.decode()
    assert "1 stalled deal worth €120,000" in html
    assert 'id="b-stalled" type="checkbox" name="stalled" value="true" checked' in html
    everything = page(people.ae, reverse("pipeline:board"))
    column = next(c for c in everything.context["columns"] if c["stage"] == fresh.stage)
    assert column["count"] == 2


def test_it_keeps_a_moved_deal_out_of_the_stalled_boards_figures(people, sales):
    stall(sales.ae_opp, sales.ae_opp.stage.expected_duration + 5)
    stages = list(sales.ae_opp.pipeline.stages.order_by("order"))
    client = Client()
    client.force_login(people.ae)
    response = client.post(
        reverse("pipeline:move", args=[sales.ae_opp.pk]),
        {"stage": stages[1].pk, "version": sales.ae_opp.version, "stalled": "true"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    assert all(column["count"] == 0 for column in response.json()["columns"].values())
