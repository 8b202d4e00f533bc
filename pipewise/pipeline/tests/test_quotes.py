"""Price lists, discount approvals, quote PDFs and orders created on winning."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from pipewise.activities.choices import NotificationKind
from pipewise.activities.models import Notification, Task
from pipewise.activities.services import notification_send_emails
from pipewise.catalog.models import PriceList, PriceListItem, Product
from pipewise.customers.models import Account
from pipewise.pipeline.choices import DiscountApprovalStatus
from pipewise.pipeline.models import DiscountApproval, Order, Quote
from pipewise.pipeline.selectors import default_pipeline, discount_status
from pipewise.pipeline.services import (
    DISCOUNT_ALREADY_PENDING,
    DISCOUNT_NOT_YOUR_CALL,
    DISCOUNT_REJECT_NEEDS_COMMENT,
    QUOTE_NEEDS_LINES,
    discount_approval_decide,
    discount_approval_request,
    opportunity_close_won,
    opportunity_move_stage,
    opportunity_set_line_items,
    quote_create,
)


@pytest.fixture
def products(db):
    return (
        Product.objects.create(sku="SEAT", name="Pipewise seat", list_price=Decimal("1200.00")),
        Product.objects.create(
            sku="ONB", name="Onboarding & <training>", list_price=Decimal("5000")
        ),
    )


def with_lines(sales, people, products, discount="0"):
    seat, onboarding = products
    return opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        amount_from="lines",
        items=[
            {"product": seat, "quantity": Decimal("10"), "discount_percent": Decimal(discount)},
            {"product": onboarding, "quantity": Decimal("1"), "unit_price": Decimal("4000")},
        ],
    )


def test_it_prices_line_items_from_the_deals_price_list(sales, people, products):
    seat, _ = products
    partner = PriceList.objects.create(name="Partner", currency="USD")
    PriceListItem.objects.create(price_list=partner, product=seat, unit_price=Decimal("1000"))
    sales.ae_opp.price_list = partner
    sales.ae_opp.save()
    opp = with_lines(sales, people, products)
    prices = list(opp.line_items.order_by("id").values_list("unit_price", flat=True))
    assert prices == [Decimal("1000.00"), Decimal("4000.00")]
    assert opp.amount == Decimal("14000.00")


def test_a_discount_within_the_threshold_needs_no_approval(sales, people, products):
    opp = with_lines(sales, people, products, discount="15")
    assert discount_status(opp)["state"] == "not_needed"
    won = opportunity_close_won(opportunity=opp, by=people.ae)
    assert won.status == "won"


def test_a_discount_above_the_threshold_blocks_winning_and_quoting(sales, people, products):
    opp = with_lines(sales, people, products, discount="20")
    assert discount_status(opp)["state"] == "required"
    with pytest.raises(ValidationError) as refused:
        opportunity_close_won(opportunity=opp, by=people.ae)
    assert "above the price list's 15.00 % threshold" in refused.value.message_dict["discount"][0]
    with pytest.raises(ValidationError):
        quote_create(opportunity=opp, by=people.ae)
    opp.refresh_from_db()
    assert opp.status == "open"
    assert not Order.objects.exists() and not Quote.objects.exists()


def test_it_uses_the_threshold_of_the_deals_price_list(sales, people, products):
    generous = PriceList.objects.create(name="Generous", approval_threshold_percent=Decimal("25"))
    sales.ae_opp.price_list = generous
    sales.ae_opp.save()
    opp = with_lines(sales, people, products, discount="20")
    assert discount_status(opp)["state"] == "not_needed"


def notified_about(opportunity, username="manager") -> dict[str, str]:
    """The discount-approval notifications about ``opportunity`` that ``username`` got."""
    rows = Notification.objects.filter(
        kind=NotificationKind.DISCOUNT_APPROVAL,
        subject_id=opportunity.pk,
        recipient__username=username,
    )
    return {row.recipient.username: row.title for row in rows}


def test_the_owners_manager_approves_and_the_deal_can_be_won(
    sales, people, products, django_capture_on_commit_callbacks
):
    opp = with_lines(sales, people, products, discount="20")
    with django_capture_on_commit_callbacks(execute=True):
        approval = discount_approval_request(opportunity=opp, by=people.ae, comment="3-year term")
    assert approval.discount_percent == Decimal("20.00")
    assert notified_about(opp) == {"manager": "Discount approval requested: " + opp.name}
    assert notified_about(opp, "vp") == {"vp": "Discount approval requested: " + opp.name}
    notification_send_emails()
    assert sorted(m.to[0] for m in mail.outbox) == ["manager@example.com", "vp@example.com"]
    with pytest.raises(ValidationError) as twice:
        discount_approval_request(opportunity=opp, by=people.ae)
    assert twice.value.message_dict["discount"] == [DISCOUNT_ALREADY_PENDING]
    with django_capture_on_commit_callbacks(execute=True):
        decided = discount_approval_decide(
            approval=approval, by=people.manager, approve=True, comment="OK for 3 years"
        )
    assert decided.status == DiscountApprovalStatus.APPROVED
    assert decided.decided_by == people.manager and decided.decided_at is not None
    assert notified_about(opp, "ae") == {"ae": "Discount approved: " + opp.name}
    notification_send_emails()
    assert mail.outbox[-1].to == ["ae@example.com"]
    assert discount_status(opp)["state"] == "approved"
    assert opportunity_close_won(opportunity=opp, by=people.ae).status == "won"


@pytest.mark.parametrize("persona", ["ae", "sdr", "other_manager", "ops", "executive", "cs"])
def test_only_a_manager_above_the_owner_may_decide(sales, people, products, persona):
    opp = with_lines(sales, people, products, discount="20")
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    with pytest.raises(PermissionDenied) as refused:
        discount_approval_decide(
            approval=approval, by=getattr(people, persona), approve=True, comment=""
        )
    assert str(refused.value) == DISCOUNT_NOT_YOUR_CALL
    approval.refresh_from_db()
    assert approval.status == DiscountApprovalStatus.PENDING


def test_the_vp_above_the_manager_may_decide_too(sales, people, products):
    opp = with_lines(sales, people, products, discount="20")
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    decided = discount_approval_decide(approval=approval, by=people.vp, approve=True)
    assert decided.status == DiscountApprovalStatus.APPROVED


def test_a_rejection_needs_a_comment_and_keeps_the_deal_blocked(sales, people, products):
    opp = with_lines(sales, people, products, discount="20")
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    with pytest.raises(ValidationError) as refused:
        discount_approval_decide(approval=approval, by=people.manager, approve=False)
    assert refused.value.message_dict["comment"] == [DISCOUNT_REJECT_NEEDS_COMMENT]
    discount_approval_decide(
        approval=approval, by=people.manager, approve=False, comment="Max 15 %"
    )
    assert discount_status(opp)["state"] == "rejected"
    with pytest.raises(ValidationError):
        opportunity_close_won(opportunity=opp, by=people.ae)


def test_raising_the_discount_beyond_an_approval_needs_a_new_one(sales, people, products):
    opp = with_lines(sales, people, products, discount="20")
    approval = discount_approval_request(opportunity=opp, by=people.ae)
    discount_approval_decide(approval=approval, by=people.manager, approve=True)
    opp = with_lines(sales, people, products, discount="25")
    assert discount_status(opp)["state"] == "required"
    pending = discount_approval_request(opportunity=opp, by=people.ae)
    opp = with_lines(sales, people, products, discount="30")
    pending.refresh_from_db()
    assert pending.status == DiscountApprovalStatus.CANCELLED
    assert DiscountApproval.objects.filter(status="pending").count() == 0


def pdf_text(quote: Quote) -> str:
    with quote.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # Cells come out one per line: read the words in order, as a person would.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def company(settings, tmp_path):
    """The company as a customer sees it on quotes, and a place for the PDFs."""
    settings.MEDIA_ROOT = tmp_path
    settings.PIPEWISE_COMPANY_ADDRESS = ["Leopoldstraße 12", "80802 München", "Germany"]
    settings.PIPEWISE_COMPANY_TAX_ID = "DE123456789"
    settings.PIPEWISE_PAYMENT_TERMS = "Payment within 14 days of the invoice date."
    settings.PIPEWISE_TAX_RATE = Decimal("19")
    settings.PIPEWISE_LOCALE = "en-gb"
    return settings


def with_address(sales):
    Account.objects.filter(pk=sales.ae_opp.account_id).update(
        street="Industriestraße 4", postcode="86150", city="Augsburg"
    )


def test_it_renders_a_versioned_quote_pdf(sales, people, products, company):
    opp = with_lines(sales, people, products, discount="10")
    first = quote_create(opportunity=opp, by=people.ae)
    second = quote_create(opportunity=opp, by=people.ae)
    assert (first.version, second.version) == (1, 2)
    assert first.amount == Decimal("14800.00")  # 10 × 1200 × 0.9 + 4000
    text = pdf_text(second)
    assert f"Quote Q-{opp.pk:06d}-2" in text and "Version 2" in text
    assert "Alpen Maschinenbau GmbH" in text
    assert "Pipewise seat" in text and "Onboarding & <training>" in text
    assert "10.00 %" in text


def test_it_gives_the_customer_both_parties_validity_terms_and_tax(
    sales, people, products, company
):
    with_address(sales)
    opp = with_lines(sales, people, products, discount="10")
    quote = quote_create(opportunity=opp, by=people.ae)
    text = pdf_text(quote)
    # Who sells, with address and tax id; to whom, with address and the contact.
    for seller_line in ("Leopoldstraße 12", "80802 München", "Tax ID: DE123456789"):
        assert seller_line in text
    for customer_line in ("Industriestraße 4", "86150 Augsburg", "Attn: Eva Huber"):
        assert customer_line in text
    assert "eva.huber@alpen.de" in text
    # Net, 19 % tax on it, and the total to pay, in the company's number format.
    assert "Net 14,800.00 EUR" in text
    assert "Tax 19 % 2,812.00 EUR" in text
    assert "Total 17,612.00 EUR" in text
    assert "1,200.00 EUR" in text  # the seat's unit price
    valid = quote.valid_until
    assert f"Valid until {valid.day} {valid:%b} {valid.year}" in text  # en-gb: 3 Jan 2027
    assert "Payment terms: Payment within 14 days of the invoice date." in text


def test_it_writes_numbers_and_dates_in_the_company_locale(sales, people, products, company):
    company.PIPEWISE_LOCALE = "de"
    company.PIPEWISE_TAX_RATE = Decimal("7.7")
    opp = with_lines(sales, people, products, discount="10")
    quote = quote_create(opportunity=opp, by=people.ae)
    text = pdf_text(quote)
    assert "Net 14.800,00 EUR" in text
    assert "Tax 7,7 % 1.139,60 EUR" in text  # 14 800 × 7.7 % = 1 139.60
    assert "Total 15.939,60 EUR" in text
    assert "1.200,00 EUR" in text and "10,00 %" in text
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember"]  # fmt: skip
    valid = quote.valid_until
    assert f"Valid until {valid.day}. {months[valid.month - 1]} {valid.year}" in text


def test_a_quote_needs_line_items(sales, people):
    with pytest.raises(ValidationError) as refused:
        quote_create(opportunity=sales.ae_opp, by=people.ae)
    assert refused.value.message_dict["line_items"] == [QUOTE_NEEDS_LINES]


def test_winning_creates_the_order_and_after_sales_tasks(sales, people, products):
    opp = with_lines(sales, people, products, discount="10")
    won = opportunity_close_won(opportunity=opp, by=people.ae)
    order = Order.objects.get(opportunity=won)
    assert order.status == "confirmed"
    assert order.amount == Decimal("14800.00")
    assert order.gross_amount == Decimal("16000.00")
    assert order.currency == "EUR"
    lines = list(order.lines.values_list("product__sku", "quantity", "discount_percent", "total"))
    assert lines == [
        ("SEAT", Decimal("10.00"), Decimal("10.00"), Decimal("10800.00")),
        ("ONB", Decimal("1.00"), Decimal("0.00"), Decimal("4000.00")),
    ]
    tasks = Task.objects.filter(opportunity=won, title__contains=":").order_by("due_at")
    assert [(t.title.split(":")[0], t.assignee) for t in tasks] == [
        ("Delivery check", people.cs),
        ("Feedback request", people.cs),
    ]


def test_the_board_move_to_won_creates_the_order_once(sales, people, products):
    opp = with_lines(sales, people, products)
    won_stage = default_pipeline().stages.get(kind="won")
    opp = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=won_stage)
    opp = opportunity_move_stage(
        opportunity=opp, by=people.ae, to_stage=default_pipeline().stages.get(name="Closing")
    )
    opp = opportunity_move_stage(opportunity=opp, by=people.ae, to_stage=won_stage)
    assert Order.objects.filter(opportunity=opp).count() == 1
    assert Task.objects.filter(opportunity=opp, title__startswith="Delivery check").count() == 1


def test_an_account_outside_any_success_territory_gets_the_account_owner(sales, people):
    won = opportunity_close_won(opportunity=sales.other_opp, by=people.other_ae)
    order = Order.objects.get(opportunity=won)
    assert order.amount == Decimal("45000.00") and not order.lines.exists()
    tasks = Task.objects.filter(opportunity=won, title__startswith="Feedback request")
    assert [t.assignee for t in tasks] == [people.other_ae]
