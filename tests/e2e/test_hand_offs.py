"""Hand-offs in the browser: an SDR converts a lead for an account executive; an AE wins a
deal that skips stages (confirmation, open tasks closed) and undoes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pipewise.activities.models import Task
from pipewise.activities.services import activity_log
from pipewise.leads.services import lead_create
from pipewise.pipeline.models import Opportunity
from tests.e2e.test_sales_day import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_sdr_hands_a_lead_to_an_account_executive(live_server, page, screenshot, people):
    lead = lead_create(
        by=people.sdr,
        first_name="Jonas",
        last_name="Keller",
        email="jonas@keller-bau.de",
        company="Keller Bau GmbH",
        rating="hot",
    )
    activity_log(by=people.sdr, type="call", subject="Qualifying call", lead=lead)
    base = live_server.url
    log_in(page, base, "sdr")
    page.goto(f"{base}/leads/{lead.pk}/")
    page.get_by_role("link", name="Convert").click()
    page.get_by_label("Opportunity name").fill("Keller — site cranes")
    page.get_by_label(re.compile(r"^Amount")).fill("25000")
    page.get_by_label("Owner").select_option(value=str(people.ae.pk))
    page.get_by_role("button", name="Convert lead").click()

    # the SDR may not see the AE's deal: they land on their lead, told who has it now
    expect(page).to_have_url(f"{base}/leads/{lead.pk}/")
    expect(page.get_by_text(f"{people.ae} owns them now and was notified.")).to_be_visible()
    expect(page.locator("#handed-to")).to_have_text(f"Handed over to {people.ae}")
    expect(page.get_by_role("heading", name="Page not found")).to_have_count(0)
    screenshot("sdr_after_conversion_for_ae")
    page.wait_for_load_state("networkidle")
    deal = Opportunity.objects.get(lead=lead)
    assert deal.owner == people.ae

    # the AE finds the deal, with the SDR's call on its timeline
    page.context.clear_cookies()
    log_in(page, base, "ae")
    page.goto(f"{base}/opportunities/{deal.pk}/")
    expect(page.get_by_text("Qualifying call")).to_be_visible()
    screenshot("ae_deal_from_sdr_lead")


def test_winning_past_stages_asks_first_and_can_be_undone(
    live_server, page, screenshot, people, sales
):
    base = live_server.url
    deal = sales.ae_opp  # in Prospecting, with one open task
    log_in(page, base, "ae")
    page.goto(f"{base}/opportunities/{deal.pk}/")
    page.locator("#win-button").click()

    expect(page.get_by_role("heading", name="Winning now passes over")).to_be_visible()
    expect(page.locator("#skipped-stages li")).to_have_count(7)
    tasks_box = page.get_by_label(re.compile(r"^Close 1 open task"))
    expect(tasks_box).to_be_checked()
    screenshot("won_confirmation")
    page.get_by_role("button", name="Mark as won anyway").click()

    expect(page.get_by_text("Marked as won. 1 open task cancelled.")).to_be_visible()
    reopen = page.get_by_role("button", name="Reopen")
    expect(reopen).to_be_visible()
    screenshot("won_with_reopen")
    page.wait_for_load_state("networkidle")
    assert Task.objects.get(pk=sales.ae_task.pk).status == "cancelled"

    reopen.click()
    expect(page.get_by_text("Reopened in Prospecting.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    deal.refresh_from_db()
    assert deal.status == "open" and deal.stage.name == "Prospecting"
