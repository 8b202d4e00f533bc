"""Search: type-ahead in the top bar, open records before closed ones, quote and order
numbers, only what the user may see, and a cost that does not grow with the rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.catalog.models import Product
from pipewise.leads.services import lead_change_status, lead_create
from pipewise.pipeline.models import Order
from pipewise.pipeline.services import (
    opportunity_close_won,
    opportunity_create,
    opportunity_set_line_items,
    quote_create,
)
from pipewise.web.tests.support import signed_in


def suggest(client, q):
    return client.get("/search/", {"q": q, "suggest": "1"}, HTTP_HX_REQUEST="true")


def test_it_suggests_as_one_types(sales, people):
    answer = suggest(signed_in(people.ae), "Alpen")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "<html" not in html and 'role="listbox"' in html
    assert sales.ae_opp.name in html and "Alpen Maschinenbau GmbH" in html
    assert "All results for" in html
    hidden = suggest(signed_in(people.ae), "Pacific").content.decode()
    assert "Pacific Tools Inc" not in hidden and "Nothing found" in hidden


def test_it_wires_the_top_bar_to_the_suggestions(people):
    html = signed_in(people.ae).get("/").content.decode()
    assert 'hx-target="#search-suggest"' in html and 'id="search-suggest"' in html


def test_it_lists_open_records_before_closed_ones(sales, people):
    won = opportunity_create(
        by=people.ae,
        name="Alpen — spare parts",
        account=sales.ae_account,
        amount=Decimal("900"),
        close_date=sales.ae_opp.close_date,
    )
    opportunity_close_won(opportunity=won, by=people.ae)
    html = signed_in(people.ae).get("/search/", {"q": "Alpen"}).content.decode()
    assert html.index(sales.ae_opp.name) < html.index("Alpen — spare parts")
    gone = lead_create(by=people.ae, last_name="Bauer", company="Bauer Gone AG")
    lead_change_status(lead=gone, by=people.ae, to_status="disqualified", reason="Duplicate")
    html = signed_in(people.ae).get("/search/", {"q": "Bauer"}).content.decode()
    assert html.index("Bauer Logistik GmbH") < html.index("Bauer Gone AG")


def test_it_finds_quote_and_order_numbers(sales, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seat = Product.objects.create(sku="SEAT", name="Seat", list_price=Decimal("1200.00"))
    opp = opportunity_set_line_items(
        opportunity=sales.ae_opp,
        by=people.ae,
        items=[{"product": seat, "quantity": Decimal(2)}],
        amount_from="lines",
    )
    quote = quote_create(opportunity=opp, by=people.ae)
    opportunity_close_won(opportunity=sales.other_opp, by=people.other_ae)
    order = Order.objects.get(opportunity=sales.other_opp)
    ae = signed_in(people.ae)
    assert f"Quote {quote.number}" in ae.get("/search/", {"q": quote.number}).content.decode()
    assert f"Quote {quote.number}" in suggest(ae, quote.number.lower()).content.decode()
    assert f"Order {order.number}" not in ae.get("/search/", {"q": order.number}).content.decode()
    other = signed_in(people.other_ae)
    assert f"Order {order.number}" in other.get("/search/", {"q": order.number}).content.decode()
    assert (
        f"Quote {quote.number}" not in other.get("/search/", {"q": quote.number}).content.decode()
    )
    assert (
        "Order" not in signed_in(people.sdr).get("/search/", {"q": order.number}).content.decode()
    )


def test_it_costs_the_same_with_more_matches(sales, people):
    client = signed_in(people.ae)
    suggest(client, "Alpen")
    with CaptureQueriesContext(connection) as few:
        suggest(client, "Alpen")
    for index in range(12):
        opportunity_create(
            by=people.ae,
            name=f"Alpen deal {index}",
            account=sales.ae_account,
            close_date=sales.ae_opp.close_date,
        )
        lead_create(by=people.ae, last_name=f"Alpen {index}", company="Alpen Lead AG")
    with CaptureQueriesContext(connection) as many:
        answer = suggest(client, "Alpen")
    assert answer.content.decode().count("Alpen deal") == 5  # bounded
    assert len(many) <= len(few)  # full open lists skip the closed query; never one per row
