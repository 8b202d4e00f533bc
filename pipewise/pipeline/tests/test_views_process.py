"""Web pages of the process matrix, quotes and orders: what each persona sees and may do."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pipewise.catalog.models import PriceList, Product
from pipewise.pipeline.models import (
    DiscountApproval,
    FollowUpTemplate,
    Milestone,
    Order,
    Pipeline,
    Quote,
    StageTool,
)
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    discount_approval_decide,
    discount_approval_request,
    opportunity_close_won,
    opportunity_create,
    opportunity_milestone_set,
    opportunity_set_line_items,
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stage(name):
    return default_pipeline().stages.get(name=name)


@pytest.fixture
def milestone(db):
    return Milestone.objects.create(stage=stage("Prospecting"), name="Budget confirmed")


@pytest.fixture
def discounted(sales, people):
    product = Product.objects.create(sku="SEAT", name="Seat licence", list_price=Decimal("1000"))
    return opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[{"product": product, "quantity": Decimal("3"), "discount_percent": Decimal("25")}],
    )


def test_the_deal_page_shows_the_playbook_and_checklist(sales, people, milestone):
    prospecting = stage("Prospecting")
    prospecting.goal = "Find out whether there is a need"
    prospecting.talk_track = "Ask about their line 4."
    prospecting.expected_days = 10
    prospecting.required_fields = ["competitor"]
    prospecting.save()
    StageTool.objects.create(stage=prospecting, title="Intro deck", url="https://example.com/d")
    html = signed_in(people.ae).get(f"/opportunities/{sales.ae_opp.pk}/").content.decode()
    assert "Find out whether there is a need" in html
    assert "Ask about their line 4." in html
    assert 'href="https://example.com/d"' in html
    assert "Competitor" in html and "10 days in this stage" in html
    assert "Budget confirmed" in html and 'hx-post="/opportunities/' in html
    reader = signed_in(people.executive).get(f"/opportunities/{sales.ae_opp.pk}/").content.decode()
    assert "Budget confirmed" in reader and "hx-post" not in reader.split("milestone-checklist")[1]


def test_ticking_a_milestone_over_htmx_answers_the_checklist(sales, people, milestone):
    url = f"/opportunities/{sales.ae_opp.pk}/milestones/{milestone.pk}/"
    answer = signed_in(people.ae).post(url, {"reached": "1"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.startswith('<div id="milestone-checklist">') and "checked" in html
    assert "Ae Tester" in html
    assert sales.ae_opp.milestones_reached.get().reached_by == people.ae
    assert signed_in(people.other_ae).post(url, {"reached": "0"}).status_code == 404
    assert signed_in(people.executive).post(url, {"reached": "0"}).status_code == 403
    assert signed_in(people.ae).post(url, {"reached": "0"}).status_code == 302
    assert not sales.ae_opp.milestones_reached.exists()


def test_the_board_move_reports_the_recorded_warning(sales, people, milestone):
    response = signed_in(people.ae).post(
        f"/opportunities/{sales.ae_opp.pk}/move/",
        {"stage": stage("Qualifying").pk, "version": sales.ae_opp.version},
        HTTP_ACCEPT="application/json",
    )
    body = response.json()
    assert body["ok"] is True
    assert body["warnings"] == ["Exit criteria of “Prospecting”: “Budget confirmed” not reached."]
    page = signed_in(people.ae).get(f"/opportunities/{sales.ae_opp.pk}/").content.decode()
    assert "Moved here with unmet exit criteria" in page


def test_a_discount_is_requested_and_decided_on_the_web(sales, people, discounted):
    ae = signed_in(people.ae)
    page = ae.get(f"/opportunities/{discounted.pk}/").content.decode()
    assert "needs approval" in page and "Issue quote" not in page
    ae.post(f"/opportunities/{discounted.pk}/discount-approval/", {"comment": "Pilot"})
    approval = DiscountApproval.objects.get()
    assert approval.status == "pending" and approval.request_comment == "Pilot"
    inbox = signed_in(people.manager).get("/approvals/").content.decode()
    assert "Waiting for your decision" in inbox and discounted.name in inbox.split("Recent")[0]
    other = signed_in(people.other_manager).get("/approvals/").content.decode()
    assert discounted.name not in other
    decide = f"/approvals/{approval.pk}/decide/"
    assert ae.post(decide, {"decision": "approve"}).status_code == 403
    assert signed_in(people.other_manager).post(decide, {"decision": "approve"}).status_code == 404
    signed_in(people.manager).post(decide, {"decision": "approve", "comment": "ok"})
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.decided_by == people.manager
    assert "Issue quote" in ae.get(f"/opportunities/{discounted.pk}/").content.decode()


def test_quotes_are_issued_and_downloaded_by_those_who_see_the_deal(
    sales, people, discounted, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    approval = discount_approval_request(opportunity=discounted, by=people.ae)
    approval.status = "approved"
    approval.save()
    ae = signed_in(people.ae)
    ae.post(f"/opportunities/{discounted.pk}/quotes/")
    quote = Quote.objects.get()
    assert quote.version == 1
    pdf = ae.get(f"/quotes/{quote.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert signed_in(people.other_ae).get(f"/quotes/{quote.pk}/pdf/").status_code == 404
    assert (
        signed_in(people.executive).post(f"/opportunities/{discounted.pk}/quotes/").status_code
        == 403
    )
    assert Quote.objects.count() == 1


def test_orders_list_follows_the_deals_visibility(sales, people):
    opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    order = Order.objects.get()
    assert order.number in signed_in(people.manager).get("/orders/").content.decode()
    assert order.number not in signed_in(people.other_ae).get("/orders/").content.decode()
    assert (
        signed_in(people.other_ae)
        .post(f"/orders/{order.pk}/status/", {"status": "delivered"})
        .status_code
        == 404
    )
    signed_in(people.ae).post(f"/orders/{order.pk}/status/", {"status": "delivered"})
    order.refresh_from_db()
    assert order.status == "delivered"


def test_the_process_map_draws_the_stages_with_their_figures(sales, people, milestone):
    html = signed_in(people.manager).get(f"/process/{default_pipeline().pk}/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('<rect class="box') == default_pipeline().stages.count()
    assert "◆ Budget confirmed" in svg
    assert "entered 1" in svg  # the manager sees the AE's deal only
    assert "@media print" in html
    ops = signed_in(people.ops).get(f"/process/{default_pipeline().pk}/").content.decode()
    assert "entered 2" in ops
    assert signed_in(people.ae).get("/process/").status_code == 200


def test_the_milestone_report_page(sales, people, milestone):
    opportunity_milestone_set(
        opportunity=sales.ae_opp, milestone=milestone, by=people.ae, reached=True
    )
    html = signed_in(people.manager).get("/process/milestones/?group_by=rep").content.decode()
    row = re.search(r"Budget confirmed</td>\s*<td>Ae Tester</td>\s*<td class=\"num\">(\d+)", html)
    assert row and row.group(1) == "1"
    bad = signed_in(people.manager).get("/process/milestones/?from=soon").content.decode()
    assert "is not a date" in bad


def test_ops_edit_a_stage_playbook_and_reps_cannot(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pipeline = default_pipeline()
    qualifying = stage("Qualifying")
    url = f"/settings/pipelines/{pipeline.pk}/stages/{qualifying.pk}/"
    assert signed_in(people.ae).get(url).status_code == 403
    data = {
        "stage-goal": "Qualify budget, authority, need, timing",
        "stage-expected_days": "14",
        "stage-required_fields": ["contact", "amount"],
        "stage-talk_track": "BANT questions",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-order": "1",
        "milestones-0-name": "Decision maker met",
        "tools-TOTAL_FORMS": "1",
        "tools-INITIAL_FORMS": "0",
        "tools-0-title": "Qualification sheet",
        "tools-0-url": "",
        "tools-0-file": SimpleUploadedFile("sheet.txt", b"questions", content_type="text/plain"),
        "followups-TOTAL_FORMS": "1",
        "followups-INITIAL_FORMS": "0",
        "followups-0-title": "Book discovery call",
        "followups-0-description": "",
        "followups-0-due_in_days": "2",
        "followups-0-assignee_rule": "owner_manager",
    }
    response = signed_in(people.ops).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    qualifying.refresh_from_db()
    assert qualifying.expected_days == 14 and qualifying.required_fields == ["contact", "amount"]
    assert list(qualifying.milestones.values_list("name", flat=True)) == ["Decision maker met"]
    tool = StageTool.objects.get(stage=qualifying)
    assert tool.file.read() == b"questions"
    assert FollowUpTemplate.objects.get(stage=qualifying).assignee_rule == "owner_manager"
    bad = dict(
        data, **{"tools-0-file": "", "tools-0-title": "Empty tool", "milestones-0-name": "X"}
    )
    answer = signed_in(people.ops).post(url, bad)
    assert answer.status_code == 200 and "Give either a link or a file" in answer.content.decode()
    assert not Milestone.objects.filter(name="X").exists()


def test_ops_set_the_criteria_mode_and_price_lists(people):
    pipeline = default_pipeline()
    ops = signed_in(people.ops)
    assert signed_in(people.manager).get("/settings/price-lists/").status_code == 403
    product = Product.objects.create(sku="S", name="Seat", list_price=Decimal("10"))
    response = ops.post(
        "/settings/price-lists/new/",
        {
            "list-name": "Partner",
            "list-currency": "EUR",
            "list-approval_threshold_percent": "20",
            "list-active": "on",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-product": product.pk,
            "items-0-unit_price": "8.50",
        },
    )
    assert response.status_code == 302
    partner = PriceList.objects.get(name="Partner")
    assert partner.approval_threshold_percent == Decimal("20")
    assert partner.items.get().unit_price == Decimal("8.50")
    assert "Partner" in ops.get("/settings/price-lists/").content.decode()
    page = ops.get(f"/settings/pipelines/{pipeline.pk}/").content.decode()
    assert "Unmet exit criteria" in page and "Goal, criteria, tools, follow-ups" in page
    assert Pipeline.objects.get(pk=pipeline.pk).criteria_mode == "warn"


def _won_deals(sales, people, count):
    product = Product.objects.create(sku=f"P{count}", name="Widget", list_price=Decimal("10"))
    for index in range(count):
        opp = opportunity_create(
            by=people.ae,
            name=f"Deal {count}-{index}",
            account=sales.ae_account,
            close_date=datetime.date(2030, 1, 1),
        )
        opp = opportunity_set_line_items(
            opportunity=opp,
            by=people.ae,
            amount_from="lines",
            items=[{"product": product, "discount_percent": Decimal("30")}],
        )
        approval = discount_approval_request(opportunity=opp, by=people.ae)
        if index % 2:
            discount_approval_decide(approval=approval, by=people.manager, approve=True)
            opportunity_close_won(opportunity=opp, by=people.ae)


@pytest.mark.parametrize("path", ["/orders/", "/approvals/", "/api/v1/orders/"])
def test_the_lists_cost_the_same_queries_for_more_rows(sales, people, path):
    client = signed_in(people.manager)
    _won_deals(sales, people, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    _won_deals(sales, people, 8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few)
