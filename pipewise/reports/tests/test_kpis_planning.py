"""KPIs and filters added for sales planning, against values computed independently from
the generated ledger (or from facts written in the test)."""

from pipewise.customers.models import Account
from pipewise.reports.kpis import registry
from pipewise.reports.tests import expect

VIEWERS = ["ae", "manager", "vp", "ops", "other_ae"]


def compute(key, people, viewer="ops", **arguments):
    return registry.get(key).compute(user=getattr(people, viewer), **arguments)


def test_the_account_filter_counts_only_that_accounts_visible_deals(people, ledger):
    accounts = sorted({d.account for d in ledger.deals if d.status == "won"})[:4]
    assert len(accounts) == 4
    for name in accounts:
        account = Account.objects.get(name=name)
        for viewer in VIEWERS:
            deals = [d for d in expect.won(ledger, viewer) if d.account == name]
            by_id = compute("won_revenue", people, viewer, filters={"account": account.pk})
            by_name = compute("won_revenue", people, viewer, filters={"account": name})
            assert by_id.value == by_name.value == expect.amount(deals), (name, viewer)
            count = compute("won_deal_count", people, viewer, filters={"account": account.pk})
            assert count.value == len(deals), (name, viewer)
    first = accounts[0]
    grouped = compute("won_revenue", people, group_by="month", filters={"account": first})
    deals = [d for d in expect.won(ledger, "ops") if d.account == first]
    label = expect.deal_label("month", lambda d: d.closed_at)
    assert expect.groups_of(grouped) == expect.by(deals, label, expect.amount)
