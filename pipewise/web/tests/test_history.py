"""Change history speaks people: names and labels, dates and money, hidden what one may
not see, and a cost that does not grow with the rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipewise.leads.services import lead_update
from pipewise.org.models import User
from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.services import opportunity_move_stage, opportunity_update
from pipewise.web.history import HIDDEN, readable_history
from pipewise.web.tests.support import signed_in


def _change(history, label):
    return next(
        (c["before"], c["after"]) for e in history for c in e["changes"] if c["label"] == label
    )


def _fresh(opportunity):
    return Opportunity.objects.get(pk=opportunity.pk)


def test_it_names_stages_and_formats_money_and_dates(sales, people):
    deal = sales.ae_opp
    first, second = list(deal.pipeline.stages.order_by("order"))[:2]
    opportunity_move_stage(opportunity=_fresh(deal), by=people.ae, to_stage=second)
    opportunity_update(
        opportunity=_fresh(deal),
        by=people.ae,
        amount=Decimal("150000.00"),
        close_date=datetime.date(2027, 3, 5),
    )
    history = readable_history(_fresh(deal), user=people.ae)
    assert _change(history, "stage") == (first.name, second.name)
    assert _change(history, "amount") == ("€120,000", "€150,000")
    assert _change(history, "close date")[1] == "5 Mar 2027"
    assert history[0]["by"] == "Ae Tester"  # the person's name, not the log-in
    assert str(people.ae.pk) not in history[0]["by"]


def test_it_names_an_account_only_for_those_who_may_see_it(sales, people):
    opportunity_update(
        opportunity=_fresh(sales.ae_opp), by=people.admin, account=sales.other_account, contact=None
    )
    for reader in (people.ae, people.manager):
        before, after = _change(readable_history(_fresh(sales.ae_opp), user=reader), "account")
        assert (before, after) == ("Alpen Maschinenbau GmbH", HIDDEN)
    assert _change(readable_history(_fresh(sales.ae_opp), user=people.admin), "account") == (
        "Alpen Maschinenbau GmbH",
        "Pacific Tools Inc",
    )


def test_it_shows_choice_labels_on_the_page(sales, people):
    lead_update(lead=sales.ae_lead, by=people.ae, rating="hot", owner=people.sdr)
    html = signed_in(people.manager).get(f"/leads/{sales.ae_lead.pk}/").content.decode()
    assert "<del>Warm</del> → <ins>Hot</ins>" in html
    assert "<del>Ae Tester</del> → <ins>Sdr Tester</ins>" in html
    assert "rating:" in html and f"→ <ins>{people.sdr.pk}</ins>" not in html


def test_it_costs_the_same_with_more_changes(sales, people):
    deal = sales.ae_opp
    stages = list(deal.pipeline.stages.filter(kind="open").order_by("order"))

    def one_round(index):
        opportunity_move_stage(opportunity=_fresh(deal), by=people.ae, to_stage=stages[index % 3])
        opportunity_update(
            opportunity=_fresh(deal),
            by=people.manager,
            amount=Decimal(index + 2),
            account=sales.other_account if index % 2 else sales.ae_account,
            contact=None,
        )

    def queries():
        reader = User.objects.get(pk=people.manager.pk)
        with CaptureQueriesContext(connection) as counted:
            history = readable_history(_fresh(deal), user=reader)
        return len(counted), history

    for index in range(1, 3):
        one_round(index)
    few, _ = queries()
    for index in range(3, 13):
        one_round(index)
    many, history = queries()
    assert len(history) == 20 and any(c["after"] == HIDDEN for e in history for c in e["changes"])
    assert many <= few  # one query per kind of record named, never one per row
