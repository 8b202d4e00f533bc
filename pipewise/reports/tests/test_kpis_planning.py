"""KPIs and filters added for sales planning, against values computed independently from
the generated ledger (or from facts written in the test)."""

import datetime
from decimal import Decimal

from pipewise.catalog.models import Product
from pipewise.customers.models import Account
from pipewise.pipeline.choices import OrderStatus
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
    opportunity_set_line_items,
    order_set_status,
)
from pipewise.reports.kpis import registry
from pipewise.reports.tests import expect
from pipewise.reports.tests.ledger import net_of

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


# --- order revenue -------------------------------------------------------------------------
def _won(book, owner, amount, at, *, source="", lines=None):
    """A deal of ``owner`` on their first account, won at ``at`` (which places its order)."""
    user = book.users[owner]
    deal = opportunity_create(
        by=user,
        name=f"Order deal {owner} {at:%m%d%H}",
        account=book.accounts[owner][0],
        amount=Decimal(amount),
        close_date=at.date(),
        source=source,
        created_at=at - datetime.timedelta(days=20),
    )
    if lines:
        deal = opportunity_set_line_items(
            opportunity=deal, by=user, items=lines, amount_from="lines"
        )
    return opportunity_close_won(opportunity=deal, by=user, at=at)


def at(month, day):
    return datetime.datetime(2025, month, day, 12, tzinfo=datetime.UTC)


def test_order_revenue_is_the_visible_orders_placed_in_the_period_without_cancellations(
    people, book
):
    facts = []  # (owner, amount, placed, cancelled, source, account name)
    plan = [
        ("ae", "1000.00", at(1, 10), False, "website"),
        ("ae", "2500.50", at(2, 3), True, "website"),
        ("sdr", "700.25", at(2, 20), False, "referral"),
        ("manager", "4000.00", at(3, 1), False, ""),
        ("other_ae", "900.00", at(3, 15), False, "referral"),
        ("other_ae", "50.00", at(6, 1), True, ""),
    ]
    for owner, amount, placed, cancelled, source in plan:
        deal = _won(book, owner, amount, placed, source=source)
        if cancelled:
            order_set_status(order=deal.order, by=people.ops, status=OrderStatus.CANCELLED)
        facts.append((owner, Decimal(amount), placed, cancelled, source, deal.account.name))
    # Re-opened and won again: the first order stays, counted once on its day.
    again = _won(book, "ae", "300.00", at(4, 4))
    opportunity_move_stage(
        opportunity=again, by=people.ae, to_stage=default_pipeline().stages.first(), at=at(4, 5)
    )
    opportunity_close_won(opportunity=again, by=people.ae, at=at(5, 5))
    facts.append(("ae", Decimal("300.00"), at(4, 4), False, "", again.account.name))

    def expected(viewer, start=None, end=None, **match):
        return sum(
            (
                amount
                for owner, amount, placed, cancelled, source, account in facts
                if expect.sees(viewer, owner)
                and not cancelled
                and expect.within(placed, start, end)
                and all({"source": source, "account": account}[k] == v for k, v in match.items())
            ),
            Decimal("0.00"),
        )

    spring = {"start": datetime.date(2025, 2, 1), "end": datetime.date(2025, 4, 30)}
    for viewer in VIEWERS:
        for period in ({}, spring):
            result = compute("order_revenue", people, viewer, **period)
            assert result.unit == "currency"
            assert result.value == expected(viewer, **period), (viewer, period)
    by_source = compute("order_revenue", people, group_by="source")
    assert expect.groups_of(by_source) == {
        "website": expected("ops", source="website"),
        "referral": expected("ops", source="referral"),
        "": expected("ops", source=""),
    }
    by_month = compute("order_revenue", people, group_by="month")
    assert expect.groups_of(by_month)["2025-04"] == Decimal("300.00")
    assert "2025-05" not in expect.groups_of(by_month)
    assert "2025-06" not in expect.groups_of(by_month)  # the only June order is cancelled
    account = facts[0][5]
    only = compute("order_revenue", people, filters={"account": account})
    assert only.value == expected("ops", account=account)


def test_order_revenue_without_orders_is_zero(people, book):
    assert compute("order_revenue", people).value == Decimal("0.00")
    assert compute("order_revenue", people, group_by="owner").groups == []


# --- gross margin --------------------------------------------------------------------------
def test_gross_margin_is_line_net_less_unit_cost_over_won_lines_with_a_cost(people, book):
    with_cost, expensive, no_cost = book.products[:3]
    Product.objects.filter(pk=with_cost.pk).update(cost=Decimal("12.34"))
    Product.objects.filter(pk=expensive.pk).update(cost=with_cost.list_price * 10)
    Product.objects.filter(pk=no_cost.pk).update(cost=None)
    costs = {p.pk: p.cost for p in Product.objects.filter(pk__in=[p.pk for p in book.products])}
    plan = [
        ("ae", at(1, 5), [(with_cost, "3", "10.00"), (no_cost, "2", "0")]),
        ("sdr", at(2, 7), [(with_cost, "1.5", "0"), (expensive, "1", "5.00")]),
        ("other_ae", at(3, 9), [(with_cost, "4", "15.00")]),
        ("ae", at(4, 1), [(no_cost, "5", "0")]),  # no line with a cost: no margin
    ]
    facts = []  # (owner, won at, product line, margin)
    for owner, won_at, lines in plan:
        items = [
            {"product": p, "quantity": Decimal(q), "discount_percent": Decimal(d)}
            for p, q, d in lines
        ]
        _won(book, owner, "0", won_at, lines=items)
        for product, quantity, discount in lines:
            if costs[product.pk] is None:
                continue
            net = net_of(Decimal(quantity), product.list_price, Decimal(discount))
            margin = net - Decimal(quantity) * costs[product.pk]
            line = product.product_line.name if product.product_line_id else None
            facts.append((owner, won_at, line, margin))
    _won(book, "ae", "999", at(5, 5))  # a won deal without line items: left out

    def expected(viewer, start=None, end=None):
        return sum(
            (m for o, w, _, m in facts if expect.sees(viewer, o) and expect.within(w, start, end)),
            Decimal("0"),
        ).quantize(Decimal("0.01"))

    assert any(m < 0 for *_, m in facts)  # the expensive product sells below its cost
    first_quarter = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 3, 31)}
    for viewer in VIEWERS:
        for period in ({}, first_quarter):
            result = compute("gross_margin", people, viewer, **period)
            assert result.unit == "currency"
            assert result.value == expected(viewer, **period), (viewer, period)
    by_line = compute("gross_margin", people, group_by="product_line")
    wanted = {}
    for _, _, line, margin in facts:
        wanted[line] = wanted.get(line, Decimal("0")) + margin
    assert expect.groups_of(by_line) == {k: v.quantize(Decimal("0.01")) for k, v in wanted.items()}
    by_month = expect.groups_of(compute("gross_margin", people, group_by="month"))
    assert "2025-04" not in by_month and "2025-05" not in by_month


def test_gross_margin_without_costs_is_zero(people, book):
    _won(
        book,
        "ae",
        "0",
        at(1, 5),
        lines=[{"product": book.products[0], "quantity": Decimal(2), "discount_percent": 0}],
    )
    Product.objects.update(cost=None)
    assert compute("gross_margin", people).value == Decimal("0.00")
