"""Targets on order revenue and gross margin: the actual is read from the registry and
checked against an independent sum of the facts written here."""

import datetime
from decimal import Decimal

from django.urls import reverse

from pipewise.catalog.models import Product
from pipewise.pipeline.choices import OrderStatus
from pipewise.pipeline.services import order_set_status
from pipewise.planning import services
from pipewise.planning.actuals import standings

D = datetime.date
YEAR = dict(period_kind="year", period_start=D(2026, 1, 1))


def test_order_revenue_targets_count_orders_not_cancelled(world, people):
    placed = [
        ("ae", "1000", D(2026, 1, 5), False),
        ("ae", "2500", D(2026, 3, 5), True),
        ("sdr", "400", D(2026, 6, 1), False),
        ("other_ae", "800", D(2026, 2, 2), False),
        ("ae", "90", D(2025, 12, 30), False),
    ]
    for who, amount, day, cancel in placed:
        deal = world.won(who, amount, day)
        if cancel:
            order_set_status(order=deal.order, by=people.ops, status=OrderStatus.CANCELLED)
    company = services.target_create(
        by=people.ops, metric="order_revenue", amount="5000.50", **YEAR
    )
    ae = services.target_create(
        by=people.ops, user=people.ae, metric="order_revenue", amount="100", **YEAR
    )
    team = services.target_create(
        by=people.ops, team=world.team, metric="order_revenue", amount="100", **YEAR
    )

    def expected(owners):
        return sum(
            (
                Decimal(a)
                for who, a, day, cancel in placed
                if who in owners and not cancel and day.year == 2026
            ),
            Decimal(0),
        )

    found = {s.target: s.actual for s in standings([company, ae, team])}
    assert found[company] == expected({"ae", "sdr", "other_ae"}) == Decimal("2200")
    assert found[ae] == expected({"ae"})
    assert found[team] == expected({"ae", "sdr"})
    assert company.amount == Decimal("5000.50")  # money: cents allowed


def test_gross_margin_targets_count_won_lines_with_a_product_cost(world, people):
    Product.objects.filter(pk=world.drill.pk).update(cost=Decimal("60.00"))
    world.drill.refresh_from_db()
    won = [
        ("ae", D(2026, 2, 1), [(world.drill, 3, "100"), (world.care, 2, "10")]),
        ("sdr", D(2026, 5, 1), [(world.drill, 1, "50")]),  # sold below cost
        ("ae", D(2026, 7, 1), None),  # no line items
        ("ae", D(2025, 11, 1), [(world.drill, 9, "100")]),  # the year before
    ]
    for who, day, lines in won:
        amount = sum((Decimal(q) * Decimal(p) for _, q, p in lines or []), Decimal(0)) or 500
        world.won(who, amount, day, lines=lines)
    year = dict(YEAR, metric="gross_margin", amount="1000")
    company = services.target_create(by=people.ops, **year)
    ae = services.target_create(by=people.ops, user=people.ae, **year)
    machines = services.target_create(by=people.ops, product_line=world.machines, **year)

    def expected(owners):
        total = Decimal(0)
        for who, day, lines in won:
            for product, quantity, price in lines or []:
                if who in owners and day.year == 2026 and product.cost is not None:
                    total += Decimal(quantity) * (Decimal(price) - product.cost)
        return total

    found = {s.target: s.actual for s in standings([company, ae, machines])}
    assert found[company] == expected({"ae", "sdr"}) == Decimal("110")
    assert found[ae] == expected({"ae"}) == Decimal("120")
    assert found[machines] == found[company]  # only drills have a cost


def test_the_drill_down_of_an_order_revenue_target_lists_the_orders_one_may_open(
    client, world, people
):
    mine = world.won("ae", "1000", D(2026, 1, 5))
    cancelled = world.won("ae", "2000", D(2026, 2, 5))
    order_set_status(order=cancelled.order, by=people.ops, status=OrderStatus.CANCELLED)
    world.won("sdr", "3000", D(2026, 3, 5))
    target = services.target_create(
        by=people.ops, team=world.team, metric="order_revenue", amount="100", **YEAR
    )
    client.force_login(people.ae)
    page = client.get(reverse("planning:target_records", args=[target.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.order.number in body and cancelled.order.number not in body
    assert mine.name in body and "Deal 3" not in body  # sdr's order: not the ae's to open
    detail = client.get(reverse("planning:target", args=[target.pk]))
    assert detail.status_code == 200 and "4,000" in detail.content.decode()
