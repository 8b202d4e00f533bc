"""The top bar's type-ahead: suggestions as one types, arrow keys and Enter open one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_sales_day import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_it_suggests_records_as_one_types_and_opens_one_by_keyboard(
    live_server, page, screenshot, sales
):
    base = live_server.url
    log_in(page, base, "ae")
    box = page.locator("#global-search")
    box.click()
    box.press_sequentially("Alpen", delay=40)
    suggestions = page.locator("#search-suggest-list")
    expect(suggestions.get_by_role("option", name=re.compile("Alpen — line 4"))).to_be_visible()
    expect(suggestions).not_to_contain_text("Pacific")
    expect(box).to_have_attribute("aria-expanded", "true")
    screenshot("search-typeahead")
    box.press("ArrowDown")
    expect(suggestions.get_by_role("option").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Alpen — line 4 automation")).to_be_visible()
    box = page.locator("#global-search")
    box.click()
    box.press_sequentially("Alp", delay=40)
    expect(page.locator("#search-suggest-list")).to_be_visible()
    box.press("Escape")
    expect(page.locator("#search-suggest-list")).to_have_count(0)
