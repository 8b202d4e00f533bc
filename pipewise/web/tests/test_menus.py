"""The menu shows each role what it can use, decided by the pages' own permission functions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pipewise.pipeline.services import opportunity_close_won, opportunity_update
from pipewise.web.context_processors import NAVIGATION
from pipewise.web.tests.support import signed_in

MENU_LINK = re.compile(r'<ul class="nav flex-column app-nav">(.*?)</ul>', re.S)
HREF = re.compile(r'href="([^"]+)"')
PERSONAS = ["sdr", "ae", "manager", "vp", "cs", "ops", "marketing", "executive", "admin", "partner"]


def _menu(html: str) -> set[str]:
    return set(HREF.findall(MENU_LINK.search(html).group(1)))


@pytest.mark.parametrize("name", PERSONAS)
def test_it_shows_only_menu_links_that_answer(sales, people, name):
    client = signed_in(getattr(people, name))
    shown = _menu(client.get("/").content.decode())
    every = {reverse(url_name) for _key, _label, url_name, _icon, _check in NAVIGATION}
    assert shown <= every
    for url in sorted(shown):
        assert client.get(url).status_code == 200, url
    for url in sorted(every - shown):
        assert client.get(url).status_code == 404, url


def test_it_hides_approvals_orders_and_targets_from_roles_without_them(people):
    sdr = _menu(signed_in(people.sdr).get("/").content.decode())
    assert reverse("pipeline:approvals") not in sdr
    assert reverse("pipeline:orders") not in sdr
    assert reverse("planning:targets") in sdr  # an SDR carries a lead quota
    ae = _menu(signed_in(people.ae).get("/").content.decode())
    assert reverse("pipeline:approvals") not in ae and reverse("pipeline:orders") in ae
    marketing = _menu(signed_in(people.marketing).get("/").content.decode())
    assert reverse("planning:targets") not in marketing
    assert reverse("pipeline:orders") not in marketing
    manager = _menu(signed_in(people.manager).get("/").content.decode())
    assert {reverse("pipeline:approvals"), reverse("pipeline:orders")} <= manager
    executive = _menu(signed_in(people.executive).get("/").content.decode())
    assert reverse("pipeline:approvals") not in executive  # read-only: decides nothing
    assert reverse("planning:targets") in executive


def test_it_answers_the_targets_api_with_nothing_for_roles_without_targets(api, people):
    assert api.as_user(people.marketing).get("/api/v1/targets/").data["results"] == []


def test_it_lists_orders_in_the_api_only_for_roles_with_orders(api, sales, people):
    won = opportunity_close_won(opportunity=sales.ae_opp, by=people.ae)
    opportunity_update(opportunity=won, by=people.admin, owner=people.sdr)
    assert api.as_user(people.sdr).get("/api/v1/orders/").data["results"] == []
    listed = api.as_user(people.manager).get("/api/v1/orders/").data["results"]
    assert [row["opportunity"] for row in listed] == [won.pk]
