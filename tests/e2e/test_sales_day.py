"""A day's work in the browser: an AE works a lead to a deal; a manager reviews the board."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pipewise.activities.models import Task
from pipewise.pipeline.models import Opportunity

PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/")


def log_out(page, base: str) -> None:
    page.locator(".app-topbar .dropdown-toggle").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def column_head(page, stage_name: str):
    return page.locator(".board-column", has=page.get_by_role("heading", name=stage_name))


def test_an_account_executive_works_a_lead_into_a_deal(live_server, page, screenshot, people):
    base = live_server.url
    log_in(page, base, "ae")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()

    # create a lead
    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="New lead").click()
    page.get_by_label("First name").fill("Klara")
    page.get_by_label("Last name").fill("Brandt")
    page.get_by_label("Company").fill("Brandt Fördertechnik GmbH")
    page.get_by_label("Email").fill("klara@brandt-foerder.de")
    page.get_by_label("Rating").select_option("hot")
    page.get_by_role("button", name="Create lead").click()
    expect(page.get_by_role("heading", name="Klara Brandt")).to_be_visible()

    # convert it into an account, a contact and a deal
    page.get_by_role("link", name="Convert").click()
    page.get_by_label("Opportunity name").fill("Brandt — conveyor line")
    page.get_by_label(re.compile(r"^Amount")).fill("48000")
    page.get_by_role("button", name="Convert lead").click()
    expect(page.get_by_role("heading", name="Brandt — conveyor line")).to_be_visible()
    expect(page.get_by_text("Lead converted")).to_be_visible()
    page.wait_for_load_state("networkidle")
    deal = Opportunity.objects.get(name="Brandt — conveyor line")
    assert deal.stage.name == "Prospecting" and deal.owner == people.ae

    # drag the new deal to the next stage on the board; the column totals follow
    page.get_by_role("link", name="Pipeline board").click()
    prospecting, qualifying = column_head(page, "Prospecting"), column_head(page, "Qualifying")
    expect(prospecting.locator("[data-count]")).to_have_text("1")
    expect(qualifying.locator("[data-count]")).to_have_text("0")
    card = page.locator(".opp-card", has_text="Brandt — conveyor line")
    target = qualifying.locator(".column-cards")
    card_box, target_box = card.bounding_box(), target.bounding_box()
    page.mouse.move(card_box["x"] + 40, card_box["y"] + 30)
    page.mouse.down()
    page.mouse.move(card_box["x"] + 60, card_box["y"] + 40, steps=5)
    page.mouse.move(target_box["x"] + 100, target_box["y"] + 40, steps=20)
    page.mouse.up()
    expect(page.locator(".toast", has_text="moved to Qualifying")).to_be_visible()
    expect(qualifying.locator("[data-count]")).to_have_text("1")
    expect(qualifying.locator("[data-sum]")).to_have_text("€48k")
    expect(prospecting.locator("[data-count]")).to_have_text("0")
    expect(qualifying.locator(".opp-card", has_text="Brandt — conveyor line")).to_be_visible()
    screenshot("ae_board_after_move")
    page.wait_for_load_state("networkidle")
    deal.refresh_from_db()
    assert deal.stage.name == "Qualifying"
    assert deal.stage_changes.count() == 2

    # add a task from My day and complete it in place
    page.get_by_role("link", name="My day").click()
    page.wait_for_load_state("networkidle")  # htmx has wired the quick forms
    page.get_by_role("button", name="Add a task").click()
    # Bootstrap marks the panel "show" once it has finished opening; before that the
    # button still moves with the panel.
    expect(page.locator("#quick-task.show")).to_be_visible()
    page.locator("#id_task-title").fill("Send Klara the layout drawing")
    with page.expect_response(lambda r: "/activities/quick-task/" in r.url) as added:
        page.locator("#quick-task-form").get_by_role("button", name="Add task").click()
    assert added.value.status == 200, added.value.text()
    expect(page.get_by_text("Task “Send Klara the layout drawing” added.").first).to_be_visible()
    page.reload()
    page.wait_for_load_state("networkidle")
    # The live server shares the in-memory test database: read it only while the page is idle.
    task = Task.objects.get(title="Send Klara the layout drawing")
    page.get_by_role("button", name="Complete task: Send Klara the layout drawing").click()
    expect(page.locator(f"#task-{task.pk}.is-done")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot("ae_my_day_task_done")
    task.refresh_from_db()
    assert task.status == "done"

    log_out(page, base)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_refused_move_puts_the_card_back(live_server, page, people, sales):
    log_in(page, live_server.url, "ae")
    page.goto(f"{live_server.url}/board/")
    lost = column_head(page, "Lost")
    move_to = page.locator(".opp-card", has_text=sales.ae_opp.name).get_by_label(
        re.compile(r"^Move .* to stage$")
    )
    move_to.focus()  # the keyboard route: the stages are filled in when the list gets focus
    move_to.select_option(label="Lost")
    page.keyboard.press("Enter")  # choosing a stage moves nothing; Enter (or "Move") does
    expect(page.get_by_role("heading", name="Why was this deal lost?")).to_be_visible()
    page.get_by_role("button", name="Cancel").last.click()
    expect(column_head(page, "Prospecting").locator(".opp-card")).to_have_count(1)
    expect(lost.locator(".opp-card")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    sales.ae_opp.refresh_from_db()
    assert sales.ae_opp.stage.name == "Prospecting"


def test_a_manager_sees_the_teams_board(live_server, page, screenshot, people, sales):
    log_in(page, live_server.url, "manager")
    page.get_by_role("link", name="Pipeline board").click()
    prospecting = column_head(page, "Prospecting")
    expect(prospecting.locator(".opp-card", has_text=sales.ae_opp.name)).to_be_visible()
    expect(prospecting.locator("[data-sum]")).to_have_text("€120k")
    expect(page.locator(".opp-card", has_text=sales.other_opp.name)).to_have_count(0)
    page.get_by_label("Owner").select_option(label=str(people.ae))
    expect(page).to_have_url(re.compile(rf"owner={people.ae.pk}"))
    expect(prospecting.locator(".opp-card", has_text=sales.ae_opp.name)).to_be_visible()
    screenshot("manager_team_board")
