"""A small sales world for planning tests: a team, product lines, accounts, and helpers
that win deals and log activities on chosen days."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pipewise.activities.services import activity_log
from pipewise.catalog.models import Product
from pipewise.customers.services import account_create
from pipewise.org.models import OrganisationSettings, ProductLine, Segment, User
from pipewise.org.services import team_save
from pipewise.pipeline.services import (
    opportunity_close_won,
    opportunity_create,
    opportunity_set_line_items,
)


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC)


class World:
    def __init__(self, people):
        self.people = people
        self.team = team_save(name="Bavaria AEs", manager=people.manager, territory=people.bavaria)
        User.objects.filter(pk__in=[people.ae.pk, people.sdr.pk]).update(team=self.team)
        for person in (people.ae, people.sdr):
            person.refresh_from_db()
        self.other_team = team_save(name="US AEs", manager=people.other_manager)
        User.objects.filter(pk=people.other_ae.pk).update(team=self.other_team)
        self.machines = ProductLine.objects.create(name="Machines")
        self.service = ProductLine.objects.create(name="Service")
        self.smb = Segment.objects.create(name="SMB")
        self.drill = Product.objects.create(
            sku="DR-1", name="Drill", product_line=self.machines, list_price=Decimal("100")
        )
        self.care = Product.objects.create(
            sku="CA-1", name="Care plan", product_line=self.service, list_price=Decimal("10")
        )
        self.accounts = {
            "ae": account_create(
                by=people.ae, name="Alpen GmbH", territory=people.bavaria, segment=self.smb
            ),
            "sdr": account_create(by=people.sdr, name="Isar AG", territory=people.bavaria),
            "other_ae": account_create(
                by=people.other_ae, name="Pacific Inc", territory=people.usa
            ),
        }
        self.count = 0

    def won(self, who: str, amount, day: datetime.date, *, lines=None, account=None):
        """A deal owned by persona ``who``, won at noon on ``day``."""
        owner = getattr(self.people, who)
        self.count += 1
        deal = opportunity_create(
            by=owner,
            name=f"Deal {self.count}",
            account=account or self.accounts.get(who) or self.accounts["ae"],
            amount=Decimal(amount),
            close_date=day,
            created_at=noon(day) - datetime.timedelta(days=40),
        )
        if lines:
            deal = opportunity_set_line_items(
                opportunity=deal,
                by=owner,
                amount_from="lines",
                items=[
                    {"product": p, "quantity": Decimal(q), "unit_price": Decimal(price)}
                    for p, q, price in lines
                ],
            )
        return opportunity_close_won(opportunity=deal, by=owner, at=noon(day))

    def call(self, who: str, day: datetime.date, kind: str = "call"):
        owner = getattr(self.people, who)
        account = self.accounts.get(who) or self.accounts["ae"]
        return activity_log(
            by=owner, type=kind, subject="Call", occurred_at=noon(day), account=account
        )


@pytest.fixture
def world(people) -> World:
    settings = OrganisationSettings.current()
    settings.fiscal_year_start_month = 1
    settings.save()
    return World(people)
