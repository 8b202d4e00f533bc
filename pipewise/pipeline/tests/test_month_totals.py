"""The month totals (per owner, stage, territory, segment, source and month): every service
keeps them equal to a recount of the deals, the account's territory and segment included."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipewise.customers.services import account_update
from pipewise.org.models import Segment
from pipewise.pipeline.choices import StageKind
from pipewise.pipeline.models import DealMonthTotal, Opportunity
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_delete,
    opportunity_move_stage,
    opportunity_restore,
    opportunity_update,
)
from pipewise.pipeline.totals import deal_months_rebuild

pytestmark = pytest.mark.django_db


def month_rows() -> set[tuple]:
    """The month rows as kept by the services (rows counted down to zero are absent)."""
    return {
        (r.owner_id, r.stage_id, r.territory_id, r.segment_id, r.source, r.month, r.count, r.amount)
        for r in DealMonthTotal.objects.filter(count__gt=0)
    }


def assert_month_rows_match_deals():
    kept = month_rows()
    deal_months_rebuild()
    assert kept == month_rows()


def new_deal(sales, owner, n, *, account=None):
    return opportunity_create(
        by=owner,
        name=f"Deal {n}",
        account=account or sales.ae_account,
        owner=owner,
        amount=Decimal(f"{100 + n}.50"),
        source=["web", "referral", ""][n % 3],
        close_date=datetime.date.today() + datetime.timedelta(days=20 + 31 * (n % 4)),
    )


def test_it_counts_a_deal_in_its_accounts_territory_source_and_close_month(people, sales):
    deal = new_deal(sales, people.ae, 1)
    row = DealMonthTotal.objects.get(owner=people.ae, source="referral", count__gt=0)
    assert (row.territory, row.segment, row.month) == (
        people.bavaria,
        None,
        deal.close_date.replace(day=1),
    )
    assert (row.count, row.amount) == (1, Decimal("101.50"))
    at = datetime.datetime(2026, 3, 31, 21, 30, tzinfo=datetime.UTC)
    won = opportunity_close_won(opportunity=deal, by=people.ae, at=at)
    row = DealMonthTotal.objects.get(owner=people.ae, stage=won.stage, count__gt=0)
    assert row.month == won.close_date.replace(day=1)
    assert_month_rows_match_deals()


def test_it_moves_an_accounts_deals_when_its_territory_or_segment_changes(people, sales):
    for n in range(3):
        new_deal(sales, people.ae, n)
    enterprise = Segment.objects.create(name="Enterprise")
    account_update(account=sales.ae_account, by=people.admin, territory=people.usa)
    account_update(account=sales.ae_account, by=people.admin, segment=enterprise)
    places = {(r[2], r[3]) for r in month_rows() if r[0] == people.ae.pk}
    assert places == {(people.usa.pk, enterprise.pk)}
    assert_month_rows_match_deals()


def test_pipewise_recount_rebuilds_the_month_totals(people, sales):
    new_deal(sales, people.ae, 2)
    kept = month_rows()
    DealMonthTotal.objects.all().delete()
    out = io.StringIO()
    call_command("recount", stdout=out)
    assert "deal month totals" in out.getvalue()
    assert month_rows() == kept


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "amount",
                "owner",
                "source",
                "close_date",
                "account",
                "territory",
                "segment",
                "move",
                "win",
                "lose",
                "delete",
                "restore",
            ]
        ),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_any_sequence_of_changes_keeps_month_totals_equal_to_a_recount(people, sales, actions):
    owners = [people.ae, people.sdr, people.other_ae]
    accounts = [sales.ae_account, sales.other_account]
    territories = [people.bavaria, people.usa, None]
    segments = [Segment.objects.get_or_create(name=name)[0] for name in ("SMB", "Enterprise")]
    stages = list(default_pipeline().stages.filter(kind=StageKind.OPEN).order_by("order"))
    for action, n in actions:
        deals = list(Opportunity.all_objects.order_by("id"))
        deal = deals[n % len(deals)]
        live = deal.deleted_at is None
        account = accounts[n % 2]
        account.refresh_from_db()
        try:
            if action == "create":
                new_deal(sales, owners[n % 3], n, account=account)
            elif action == "amount" and live and not deal.line_items.exists():
                opportunity_update(opportunity=deal, by=people.admin, amount=Decimal(n * 10))
            elif action == "owner" and live:
                opportunity_update(opportunity=deal, by=people.admin, owner=owners[n % 3])
            elif action == "source" and live:
                opportunity_update(opportunity=deal, by=people.admin, source=["web", ""][n % 2])
            elif action == "close_date" and live:
                day = datetime.date.today() + datetime.timedelta(days=n * 9)
                opportunity_update(opportunity=deal, by=people.admin, close_date=day)
            elif action == "account" and live:
                opportunity_update(opportunity=deal, by=people.admin, account=account)
            elif action == "territory":
                account_update(account=account, by=people.admin, territory=territories[n % 3])
            elif action == "segment":
                segment = segments[n % 2] if n % 3 else None
                account_update(account=account, by=people.admin, segment=segment)
            elif action == "move" and live:
                target = stages[n % len(stages)]
                if target.pk != deal.stage_id:
                    opportunity_move_stage(opportunity=deal, by=people.admin, to_stage=target)
            elif action == "win" and live and deal.status == "open":
                opportunity_close_won(opportunity=deal, by=people.admin)
            elif action == "lose" and live and deal.status == "open":
                opportunity_close_lost(opportunity=deal, by=people.admin, reason="Budget")
            elif action == "delete" and live:
                opportunity_delete(opportunity=deal, by=people.admin)
            elif action == "restore" and not live:
                opportunity_restore(opportunity=deal, by=people.admin)
        except ValidationError:
            pass  # a refused change (exit criteria, a contact of another account …)
        assert_month_rows_match_deals()
