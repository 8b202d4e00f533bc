"""A sales manager builds a report with the pickers (no typed measures or query strings):
sum of amounts and a count, open deals of at least €10,000, grouped by owner; the result
names people and ends with a total row."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pipewise.org.models import User
from pipewise.pipeline.services import opportunity_create
from pipewise.reports.models import SavedReport

PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/")


def test_a_sales_manager_builds_a_report_with_pickers(live_server, page, screenshot, people, sales):
    User.objects.filter(pk=people.ae.pk).update(first_name="Anna", last_name="Keller")
    User.objects.filter(pk=people.manager.pk).update(first_name="Jonas", last_name="Weber")
    close = datetime.date.today() + datetime.timedelta(days=20)
    opportunity_create(
        by=people.manager,
        name="Alpen — spare parts",
        account=sales.ae_account,
        amount=Decimal("30000.00"),
        close_date=close,
    )
    opportunity_create(
        by=people.manager,
        name="Alpen — small service",
        account=sales.ae_account,
        amount=Decimal("2500.00"),
        close_date=close,
    )
    base = live_server.url
    log_in(page, base, "manager")
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name=re.compile("New report")).click()

    page.get_by_label("Name").fill("Open pipeline by owner")
    page.get_by_label("Measure 1").select_option(label="Sum of amount")
    page.get_by_role("button", name="Add a measure").click()
    page.get_by_label("Measure 2").select_option(label="Count of records")

    # filters: field → operator → value, each value with its own widget
    page.get_by_label("Filter 1: field").select_option(label="Status")
    expect(page.get_by_label("Filter 1: value")).to_contain_text("Open")
    page.get_by_label("Filter 1: value").select_option(label="Open")
    page.get_by_role("button", name="Add a filter").click()
    page.get_by_label("Filter 2: field").select_option(label="Amount")
    expect(page.get_by_label("Filter 2: operator")).to_contain_text("at least")
    page.get_by_label("Filter 2: operator").select_option(label="at least")
    page.get_by_label("Filter 2: value").fill("10000")
    page.get_by_label("Group by").select_option(label="Owner")
    screenshot("report-builder-pickers")

    page.get_by_role("button", name="Save and run").click()
    expect(page.get_by_role("heading", name="Open pipeline by owner")).to_be_visible()
    table = page.locator("table[data-result]")
    expect(table.locator("thead")).to_contain_text("Sum of amount")
    anna = table.locator("tbody tr", has_text="Anna Keller")
    expect(anna.locator("td").nth(1)).to_have_text("€120,000")
    expect(anna.locator("td").nth(2)).to_have_text("1")
    jonas = table.locator("tbody tr", has_text="Jonas Weber")
    expect(jonas.locator("td").nth(1)).to_have_text("€30,000")  # the €2,500 deal is filtered out
    expect(table.locator("tbody")).not_to_contain_text("ae")
    total = table.locator("tfoot tr")
    expect(total).to_contain_text("Total")
    expect(total.locator("td").nth(0)).to_have_text("€150,000")
    expect(total.locator("td").nth(1)).to_have_text("2")
    screenshot("report-builder-result")

    report = SavedReport.objects.get(name="Open pipeline by owner")
    assert report.filters == {"status": "open", "amount_min": "10000"}
    assert report.measures == [{"op": "sum", "field": "amount"}, {"op": "count"}]
    assert report.group_by == ["owner"]
