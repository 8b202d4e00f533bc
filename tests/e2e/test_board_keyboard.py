"""The board from the keyboard: browsing a card's "Move to" list moves nothing; Enter moves the
deal, and the focus stays on the moved card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pipewise.pipeline.models import Opportunity
from tests.e2e.test_sales_day import column_head, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FOCUSED_CARD = "() => document.activeElement.closest('.opp-card')?.dataset.id ?? null"


def test_it_moves_a_deal_only_on_enter_and_keeps_the_focus(
    live_server, page, screenshot, people, sales
):
    moves = []
    page.on("request", lambda request: "/move/" in request.url and moves.append(request.url))
    log_in(page, live_server.url, "ae")
    page.goto(f"{live_server.url}/board/")
    prospecting, qualifying = column_head(page, "Prospecting"), column_head(page, "Qualifying")
    card = prospecting.locator(".opp-card", has_text=sales.ae_opp.name)
    move_to = card.get_by_label(f"Move {sales.ae_opp.name} to stage")

    move_to.focus()
    page.keyboard.press("ArrowDown")
    expect(move_to).to_have_value(str(sales.ae_opp.pipeline.stages.get(name="Qualifying").pk))
    screenshot("board_keyboard_chosen")
    expect(card).to_have_count(1)
    assert page.evaluate(FOCUSED_CARD) == str(sales.ae_opp.pk)

    page.keyboard.press("Enter")
    expect(page.locator(".toast", has_text="moved to Qualifying")).to_be_visible()
    moved = qualifying.locator(".opp-card", has_text=sales.ae_opp.name)
    expect(moved).to_have_count(1)
    expect(prospecting.locator(".opp-card")).to_have_count(0)
    assert page.evaluate(FOCUSED_CARD) == str(sales.ae_opp.pk)
    screenshot("board_keyboard_moved")
    assert len(moves) == 1
    assert Opportunity.objects.get(pk=sales.ae_opp.pk).stage.name == "Qualifying"


def test_it_moves_a_deal_with_the_move_button(live_server, page, people, sales):
    log_in(page, live_server.url, "ae")
    page.goto(f"{live_server.url}/board/")
    card = column_head(page, "Prospecting").locator(".opp-card", has_text=sales.ae_opp.name)
    button = card.get_by_role("button", name=f"Move {sales.ae_opp.name} to the chosen stage")
    expect(button).to_be_disabled()
    move_to = card.get_by_label(f"Move {sales.ae_opp.name} to stage")
    move_to.focus()
    move_to.select_option(label="Closing")
    button.click()
    expect(page.locator(".toast", has_text="moved to Closing")).to_be_visible()
    expect(
        column_head(page, "Closing").locator(".opp-card", has_text=sales.ae_opp.name)
    ).to_be_visible()
    assert page.evaluate(FOCUSED_CARD) == str(sales.ae_opp.pk)
