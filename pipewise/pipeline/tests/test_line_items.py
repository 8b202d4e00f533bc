"""Line items and the deal's amount: a hand-entered amount changes only by the owner's choice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from pipewise.catalog.models import Product
from pipewise.pipeline.choices import AmountSource
from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.services import (
    AMOUNT_WOULD_CHANGE,
    opportunity_create,
    opportunity_set_line_items,
)

ENTERED = Decimal("48000.00")


@pytest.fixture
def seat(db):
    """A product at €12,000: three of them make €36,000."""
    return Product.objects.create(sku="SEAT-1", name="Platform seat", list_price=Decimal("12000"))


@pytest.fixture
def deal(sales, people):
    """The AE's deal with €48,000 typed in by hand and no line items yet."""
    return opportunity_create(
        by=people.ae,
        name="Alpen — second line",
        account=sales.ae_account,
        amount=ENTERED,
        close_date=sales.ae_opp.close_date,
    )


def three_seats(seat):
    return [{"product": seat, "quantity": Decimal("3")}]


def test_it_refuses_to_replace_a_hand_entered_amount_without_a_choice(deal, people, seat):
    with pytest.raises(ValidationError) as refused:
        opportunity_set_line_items(opportunity=deal, by=people.ae, items=three_seats(seat))
    assert refused.value.message_dict["amount_from"] == [
        AMOUNT_WOULD_CHANGE.format(entered="EUR 48,000.00", total="EUR 36,000.00")
    ]
    fresh = Opportunity.objects.get(pk=deal.pk)
    assert (fresh.amount, fresh.line_items.count(), fresh.version) == (ENTERED, 0, deal.version)


def test_it_keeps_the_entered_amount_when_the_owner_says_so(deal, people, seat):
    kept = opportunity_set_line_items(
        opportunity=deal, by=people.ae, items=three_seats(seat), amount_from=AmountSource.ENTERED
    )
    assert kept.amount == ENTERED and kept.line_items.count() == 1
    # The amount still differs from the line items: the next change asks again.
    with pytest.raises(ValidationError):
        opportunity_set_line_items(
            opportunity=kept, by=people.ae, items=[{"product": seat, "quantity": Decimal("2")}]
        )


def test_it_uses_the_line_items_total_when_the_owner_says_so(deal, people, seat):
    used = opportunity_set_line_items(
        opportunity=deal, by=people.ae, items=three_seats(seat), amount_from=AmountSource.LINES
    )
    assert used.amount == Decimal("36000.00")
    # From now on the amount follows the line items without asking.
    again = opportunity_set_line_items(
        opportunity=used, by=people.ae, items=[{"product": seat, "quantity": Decimal("4")}]
    )
    assert again.amount == Decimal("48000.00")


def test_it_follows_the_line_items_when_no_amount_was_entered(sales, people, seat):
    empty = opportunity_create(
        by=people.ae,
        name="Alpen — spare parts",
        account=sales.ae_account,
        close_date=sales.ae_opp.close_date,
    )
    filled = opportunity_set_line_items(opportunity=empty, by=people.ae, items=three_seats(seat))
    assert filled.amount == Decimal("36000.00")


def test_it_needs_no_choice_when_the_totals_agree(deal, people, seat):
    same = opportunity_set_line_items(
        opportunity=deal, by=people.ae, items=[{"product": seat, "quantity": Decimal("4")}]
    )
    assert same.amount == ENTERED


def test_it_names_the_choices_for_an_unknown_one(deal, people, seat):
    with pytest.raises(ValidationError) as refused:
        opportunity_set_line_items(
            opportunity=deal, by=people.ae, items=three_seats(seat), amount_from="average"
        )
    assert "entered, lines" in refused.value.message_dict["amount_from"][0]


# --- the deal page --------------------------------------------------------------------------------
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_lines(client, deal, seat, **extra):
    return client.post(
        f"/opportunities/{deal.pk}/line-items/",
        {
            "version": deal.version,
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": seat.pk,
            "lines-0-quantity": "3",
            "lines-0-discount_percent": "0",
            "lines-1-product": "",
            "lines-1-quantity": "1",
            "lines-1-discount_percent": "0",
            **extra,
        },
        follow=True,
    )


def test_it_offers_the_choice_on_the_deal_page(deal, people):
    html = signed_in(people.ae).get(f"/opportunities/{deal.pk}/").content.decode()
    assert "was entered by hand" in html
    assert 'name="amount_from" value="entered"' in html
    assert 'name="amount_from" value="lines"' in html


def test_it_says_why_the_page_saved_nothing_without_a_choice(deal, people, seat):
    html = post_lines(signed_in(people.ae), deal, seat).content.decode()
    assert "Line items not saved" in html and "€48,000.00" in html
    assert "choose whether to keep the entered amount" in html
    assert Opportunity.objects.get(pk=deal.pk).amount == ENTERED


def test_it_keeps_or_replaces_the_amount_as_chosen_on_the_page(deal, people, seat):
    client = signed_in(people.ae)
    html = post_lines(client, deal, seat, amount_from="entered").content.decode()
    assert "the amount entered by hand is kept" in html
    assert "The line items total €36,000.00; the deal keeps the amount entered by hand" in html
    deal.refresh_from_db()
    assert deal.amount == ENTERED and deal.line_items.count() == 1
    post_lines(client, deal, seat, amount_from="lines")
    deal.refresh_from_db()
    assert deal.amount == Decimal("36000.00")


# --- the API --------------------------------------------------------------------------------------
def test_it_refuses_the_api_change_without_amount_from(api, deal, people, seat):
    client = api.as_user(people.ae)
    lines = {"line_items": [{"product": seat.pk, "quantity": "3"}]}
    refused = client.patch(f"/api/v1/opportunities/{deal.pk}/", lines, format="json")
    assert refused.status_code == 400
    assert "amount_from" in refused.json()
    assert Opportunity.objects.get(pk=deal.pk).line_items.count() == 0
    kept = client.patch(
        f"/api/v1/opportunities/{deal.pk}/", {**lines, "amount_from": "entered"}, format="json"
    )
    assert kept.status_code == 200 and kept.json()["amount"] == "48000.00"
    assert len(kept.json()["line_items"]) == 1


def test_it_creates_nothing_when_the_api_create_needs_a_choice(api, sales, people, seat):
    payload = {
        "name": "Alpen — third line",
        "account": sales.ae_account.pk,
        "amount": "48000.00",
        "close_date": sales.ae_opp.close_date.isoformat(),
        "line_items": [{"product": seat.pk, "quantity": "3"}],
    }
    client = api.as_user(people.ae)
    refused = client.post("/api/v1/opportunities/", payload, format="json")
    assert refused.status_code == 400 and "amount_from" in refused.json()
    assert not Opportunity.objects.filter(name=payload["name"]).exists()
    used = client.post("/api/v1/opportunities/", {**payload, "amount_from": "lines"}, format="json")
    assert used.status_code == 201 and used.json()["amount"] == "36000.00"


def test_it_documents_amount_from_in_the_schema(api, people):
    schema = api.as_user(people.ae).get("/api/schema/", {"format": "json"}).json()
    field = schema["components"]["schemas"]["OpportunityRequest"]["properties"]["amount_from"]
    assert "refused" in field["description"]
