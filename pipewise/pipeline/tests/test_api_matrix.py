"""API of the process matrix, quotes and orders: visibility per persona on every new endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipewise.catalog.models import Product
from pipewise.pipeline.choices import CriteriaMode
from pipewise.pipeline.models import DiscountApproval, Milestone, Pipeline
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    discount_approval_decide,
    discount_approval_request,
    opportunity_close_won,
    opportunity_milestone_set,
    opportunity_set_line_items,
    quote_create,
)

# Who sees the AE's deal (and so its quotes, orders, approvals and milestones).
SEE_AE_DEAL = {"admin", "ops", "executive", "vp", "manager", "ae"}
EVERYONE = SEE_AE_DEAL | {"sdr", "other_manager", "other_ae", "cs", "marketing", "partner"}


@pytest.fixture
def won(sales, people, settings, tmp_path):
    """The AE's deal, with a 20 % discount approved by the manager, quoted, ticked and won."""
    settings.MEDIA_ROOT = tmp_path
    seat = Product.objects.create(sku="SEAT", name="Seat", list_price=Decimal("1000"))
    opp = opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[{"product": seat, "quantity": Decimal("5"), "discount_percent": Decimal("20")}],
    )
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    discount_approval_decide(approval=approval, by=people.manager, approve=True)
    milestone = Milestone.objects.create(
        stage=default_pipeline().stages.get(name="Prospecting"), name="Budget confirmed"
    )
    opportunity_milestone_set(opportunity=opp, milestone=milestone, by=people.ae, reached=True)
    quote = quote_create(opportunity=opp, by=people.ae)
    opp = opportunity_close_won(opportunity=opp, by=people.ae)
    return {"opp": opp, "quote": quote, "approval": approval, "milestone": milestone}


@pytest.mark.parametrize("persona", sorted(EVERYONE))
@pytest.mark.parametrize(
    "endpoint", ["quotes", "orders", "discount-approvals", "opportunity-milestones"]
)
def test_each_persona_sees_the_records_of_the_deals_they_see(api, people, won, persona, endpoint):
    client = api.as_user(getattr(people, persona))
    listed = client.get(f"/api/v1/{endpoint}/").json()["results"]
    sees = persona in SEE_AE_DEAL
    assert len(listed) == (1 if sees else 0)
    record_id = {
        "quotes": won["quote"].pk,
        "orders": won["opp"].order.pk,
        "discount-approvals": won["approval"].pk,
        "opportunity-milestones": won["opp"].milestones_reached.get().pk,
    }[endpoint]
    detail = client.get(f"/api/v1/{endpoint}/{record_id}/")
    assert detail.status_code == (200 if sees else 404)


def test_the_order_carries_the_amounts_of_the_line_items(api, people, won):
    order = api.as_user(people.ae).get(f"/api/v1/orders/{won['opp'].order.pk}/").json()
    assert order["amount"] == "4000.00" and order["gross_amount"] == "5000.00"
    assert [(line["quantity"], line["total"]) for line in order["lines"]] == [("5.00", "4000.00")]


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("manager", 200),
        ("vp", 200),
        ("ae", 403),
        ("ops", 403),
        ("admin", 403),
        ("executive", 403),
        ("other_manager", 404),
        ("sdr", 404),
        ("cs", 404),
    ],
)
def test_only_a_manager_above_the_owner_approves_over_the_api(api, sales, people, persona, code):
    product = Product.objects.create(sku="X", name="X", list_price=Decimal("100"))
    opp = opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[{"product": product, "discount_percent": Decimal("30")}],
    )
    asked = api.as_user(people.ae).post(
        "/api/v1/discount-approvals/", {"opportunity": opp.pk, "comment": "Big logo"}
    )
    assert asked.status_code == 201, asked.json()
    approval_id = asked.json()["id"]
    answer = api.as_user(getattr(people, persona)).post(
        f"/api/v1/discount-approvals/{approval_id}/approve/", {"comment": "fine"}
    )
    assert answer.status_code == code
    expected = "approved" if code == 200 else "pending"
    assert DiscountApproval.objects.get(pk=approval_id).status == expected


def test_a_rejection_without_comment_is_a_field_error(api, sales, people):
    product = Product.objects.create(sku="X", name="X", list_price=Decimal("100"))
    opp = opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[{"product": product, "discount_percent": Decimal("30")}],
    )
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    refused = api.as_user(people.manager).post(
        f"/api/v1/discount-approvals/{approval.pk}/reject/", {}
    )
    assert refused.status_code == 400 and "comment" in refused.json()
    state = api.as_user(people.ae).get(f"/api/v1/discount-approvals/status/?opportunity={opp.pk}")
    assert state.json()["state"] == "pending"


def test_quotes_are_issued_and_downloaded_over_the_api(api, sales, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = Product.objects.create(sku="X", name="Widget", list_price=Decimal("100"))
    opportunity_set_line_items(
        opportunity=sales.ae_opp, by=people.ae, items=[{"product": product}], amount_from="lines"
    )
    client = api.as_user(people.ae)
    created = client.post("/api/v1/quotes/", {"opportunity": sales.ae_opp.pk})
    assert created.status_code == 201, created.json()
    assert created.json()["version"] == 1 and created.json()["amount"] == "100.00"
    pdf = client.get(f"/api/v1/quotes/{created.json()['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # A deal one cannot see is not a valid choice; a reader cannot issue quotes.
    other = api.as_user(people.other_ae).post("/api/v1/quotes/", {"opportunity": sales.ae_opp.pk})
    assert other.status_code == 400
    reader = api.as_user(people.executive).post("/api/v1/quotes/", {"opportunity": sales.ae_opp.pk})
    assert reader.status_code == 403


def test_order_status_changes_by_the_deals_writers_only(api, people, won):
    order_id = won["opp"].order.pk
    reader = api.as_user(people.executive).post(
        f"/api/v1/orders/{order_id}/status/", {"status": "delivered"}
    )
    assert reader.status_code == 403
    changed = api.as_user(people.ae).post(
        f"/api/v1/orders/{order_id}/status/", {"status": "delivered"}
    )
    assert changed.status_code == 200 and changed.json()["status"] == "delivered"


def test_milestones_are_ticked_and_unticked_by_writers(api, sales, people):
    milestone = Milestone.objects.create(
        stage=default_pipeline().stages.get(name="Qualifying"), name="Decision maker met"
    )
    body = {"opportunity": sales.ae_opp.pk, "milestone": milestone.pk}
    assert (
        api.as_user(people.executive).post("/api/v1/opportunity-milestones/", body).status_code
        == 403
    )
    assert (
        api.as_user(people.other_ae).post("/api/v1/opportunity-milestones/", body).status_code
        == 400
    )
    ticked = api.as_user(people.ae).post("/api/v1/opportunity-milestones/", body)
    assert ticked.status_code == 201 and ticked.json()["reached_by"] == people.ae.pk
    gone = api.as_user(people.manager).delete(
        f"/api/v1/opportunity-milestones/{ticked.json()['id']}/"
    )
    assert gone.status_code == 204
    assert not sales.ae_opp.milestones_reached.exists()


def test_the_move_returns_the_recorded_warnings_or_refuses(api, sales, people):
    Milestone.objects.create(
        stage=default_pipeline().stages.get(name="Prospecting"), name="Budget confirmed"
    )
    qualifying = default_pipeline().stages.get(name="Qualifying")
    moved = api.as_user(people.ae).post(
        f"/api/v1/opportunities/{sales.ae_opp.pk}/move/", {"stage": qualifying.pk}
    )
    assert moved.status_code == 200
    assert moved.json()["warnings"] == [
        "Exit criteria of “Prospecting”: “Budget confirmed” not reached."
    ]
    Pipeline.objects.filter(pk=default_pipeline().pk).update(criteria_mode=CriteriaMode.BLOCK)
    Milestone.objects.create(stage=qualifying, name="Decision maker met")
    refused = api.as_user(people.ae).post(
        f"/api/v1/opportunities/{sales.ae_opp.pk}/move/",
        {"stage": default_pipeline().stages.get(name="Approach").pk},
    )
    assert refused.status_code == 400
    assert "“Decision maker met” not reached" in refused.json()["stage"][1]


def test_the_matrix_is_configured_by_admins_and_ops_only(api, people):
    stage = default_pipeline().stages.get(name="Qualifying")
    body = {"stage": stage.pk, "name": "Pain confirmed"}
    assert api.as_user(people.manager).post("/api/v1/milestones/", body).status_code == 403
    assert api.as_user(people.ops).post("/api/v1/milestones/", body).status_code == 201
    follow_up = {"stage": stage.pk, "title": "Call", "due_in_days": 2, "assignee_rule": "owner"}
    assert (
        api.as_user(people.ops).post("/api/v1/follow-up-templates/", follow_up).status_code == 201
    )
    tool = {"stage": stage.pk, "title": "Deck"}
    assert api.as_user(people.ops).post("/api/v1/stage-tools/", tool).status_code == 400
    tool["url"] = "https://example.com/deck.pdf"
    assert api.as_user(people.ops).post("/api/v1/stage-tools/", tool).status_code == 201
    patched = api.as_user(people.ops).patch(
        f"/api/v1/stages/{stage.pk}/",
        {"goal": "Qualify", "expected_days": 14, "required_fields": ["contact"]},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    described = api.as_user(people.ae).get(f"/api/v1/stages/{stage.pk}/").json()
    assert described["expected_days"] == 14 and described["required_fields"] == ["contact"]
    assert [m["name"] for m in described["milestones"]] == ["Pain confirmed"]
    assert described["follow_ups"][0]["title"] == "Call"
    assert described["tools"][0]["href"] == "https://example.com/deck.pdf"
    bad = api.as_user(people.ops).patch(
        f"/api/v1/stages/{stage.pk}/", {"required_fields": ["salary"]}, format="json"
    )
    assert bad.status_code == 400 and "required_fields" in bad.json()


@pytest.mark.parametrize(("persona", "deals"), [("manager", 1), ("ops", 2), ("sdr", 0)])
def test_the_process_map_counts_only_visible_deals(api, sales, people, persona, deals):
    answer = api.as_user(getattr(people, persona)).get(
        f"/api/v1/pipelines/{default_pipeline().pk}/map/"
    )
    assert answer.status_code == 200
    first = answer.json()["stages"][0]
    assert first["name"] == "Prospecting"
    assert first["entered"] == deals and first["count"] == deals


def test_the_milestone_report_answers_with_both_periods(api, people, won):
    report = api.as_user(people.manager).get("/api/v1/milestone-report/?group_by=rep")
    assert report.status_code == 200
    rows = report.json()["rows"]
    assert [(r["milestone_name"], r["group"], r["current"]) for r in rows] == [
        ("Budget confirmed", str(people.ae), 1)
    ]
    assert (
        api.as_user(people.other_manager)
        .get("/api/v1/milestone-report/")
        .json()["rows"][0]["current"]
        == 0
    )
    bad = api.as_user(people.manager).get("/api/v1/milestone-report/?from=yesterday")
    assert bad.status_code == 400 and "from" in bad.json()


def test_every_new_endpoint_is_in_the_openapi_schema(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/pipelines/{id}/map/": "get",
        "/api/v1/milestones/": "post",
        "/api/v1/stage-tools/": "post",
        "/api/v1/follow-up-templates/": "post",
        "/api/v1/opportunity-milestones/": "post",
        "/api/v1/opportunity-milestones/{id}/": "delete",
        "/api/v1/milestone-report/": "get",
        "/api/v1/discount-approvals/": "post",
        "/api/v1/discount-approvals/{id}/approve/": "post",
        "/api/v1/discount-approvals/{id}/reject/": "post",
        "/api/v1/discount-approvals/status/": "get",
        "/api/v1/quotes/": "post",
        "/api/v1/quotes/{id}/pdf/": "get",
        "/api/v1/orders/": "get",
        "/api/v1/orders/{id}/status/": "post",
        "/api/v1/price-lists/": "post",
        "/api/v1/price-list-items/": "post",
    }
    missing = [(path, verb) for path, verb in expected.items() if verb not in paths.get(path, {})]
    assert missing == []
