"""Generated sales data for the KPI tests, written through the services, with a ledger.

``build_ledger`` creates teams, segments, products, accounts, deals (with stage
paths that skip stages, go back, close, re-open), line items, leads, lead
activities and other activities, all at chosen times. While writing, it notes
every fact in plain Python (``DealFact``, ``LeadFact``, ``ActivityFact``), so
the tests compute each KPI's expected value from the ledger, independently of
the registry and of SQL.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from pipewise.activities.services import activity_log
from pipewise.catalog.models import Product
from pipewise.customers.services import account_create
from pipewise.leads.services import lead_change_status, lead_convert, lead_create
from pipewise.org.models import ProductLine, Segment
from pipewise.org.services import team_save, user_save
from pipewise.pipeline.selectors import default_pipeline
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_move_stage,
    opportunity_set_line_items,
)

CENTS = Decimal("0.01")
YEAR_START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
SOURCES = ["website", "referral", ""]
ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "note"]
# Who each persona sees (DESIGN.md: own records plus everyone below in the reporting line).
SEES = {
    "ae": {"ae"},
    "sdr": {"sdr"},
    "other_ae": {"other_ae"},
    "manager": {"manager", "ae", "sdr"},
    "vp": {"vp", "manager", "ae", "sdr"},
}
SELLERS = ["ae", "sdr", "manager", "other_ae"]
REPS = {"ae", "sdr", "other_ae", "cs", "partner"}


@dataclass
class LineFact:
    product_line: str | None
    gross: Decimal
    net: Decimal


@dataclass
class DealFact:
    owner: str
    team: str | None
    territory: str | None
    segment: str | None
    account: str
    account_owner: str
    source: str
    created_at: datetime.datetime
    status: str = "open"
    closed_at: datetime.datetime | None = None
    amount: Decimal = Decimal("0.00")
    probability: int = 5
    stage: str = "Prospecting"
    close_date: datetime.date | None = None
    reached: set[int] = field(default_factory=set)  # open stage orders reached (skips count)
    lines: list[LineFact] = field(default_factory=list)


@dataclass
class LeadFact:
    owner: str
    team: str | None
    territory: str | None
    source: str
    created_at: datetime.datetime
    converted: bool = False
    first_touch: datetime.datetime | None = None


@dataclass
class ActivityFact:
    owner: str
    team: str | None
    type: str
    occurred_at: datetime.datetime


@dataclass
class Ledger:
    deals: list[DealFact] = field(default_factory=list)
    leads: list[LeadFact] = field(default_factory=list)
    activities: list[ActivityFact] = field(default_factory=list)
    accounts: dict[str, dict] = field(default_factory=dict)  # name → owner, team, territory…


def net_of(quantity: Decimal, price: Decimal, discount: Decimal) -> Decimal:
    return (quantity * price * (100 - discount) / 100).quantize(CENTS, rounding=ROUND_HALF_UP)


def _moment(rng: random.Random, after: datetime.datetime, days: int) -> datetime.datetime:
    return after + datetime.timedelta(seconds=rng.randint(3600, days * 86400))


def _organisation(people):
    """Teams, segments and product lines around the shared personas."""
    bavaria_team = team_save(name="Bavaria AEs", manager=people.manager, territory=people.bavaria)
    us_team = team_save(name="US AEs", manager=people.other_manager, territory=people.usa)
    for user, team in ((people.ae, bavaria_team), (people.sdr, bavaria_team)):
        user_save(
            user=user,
            username=user.username,
            email=user.email,
            roles=sorted(user.role_keys),
            manager=user.manager,
            team=team,
            territories=list(user.territories.all()),
        )
    user_save(
        user=people.other_ae,
        username="other_ae",
        email=people.other_ae.email,
        roles=["account_executive"],
        manager=people.other_manager,
        team=us_team,
        territories=[people.usa],
    )
    for user in (people.ae, people.sdr, people.other_ae):
        user.refresh_from_db()
    segments = [Segment.objects.create(name="SMB"), Segment.objects.create(name="Enterprise")]
    hardware = ProductLine.objects.create(name="Hardware")
    services = ProductLine.objects.create(name="Services")
    products = [
        Product.objects.create(
            sku="HW-1", name="Robot arm", product_line=hardware, list_price=Decimal("12500.00")
        ),
        Product.objects.create(
            sku="SV-1", name="Installation", product_line=services, list_price=Decimal("1999.99")
        ),
        Product.objects.create(
            sku="XX-1", name="Spare kit", product_line=None, list_price=Decimal("333.33")
        ),
    ]
    return segments, products


class Book:
    """A growing book of business: ``add`` writes more records and notes them in ``ledger``."""

    def __init__(self, people, *, seed: int = 7):
        self.people = people
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.segments, self.products = _organisation(people)
        self.users = {name: getattr(people, name) for name in SELLERS}
        self.teams = {n: (u.team.name if u.team_id else None) for n, u in self.users.items()}
        self.territories = {
            "ae": [people.bavaria],
            "sdr": [people.bavaria],
            "manager": [people.germany, people.bavaria],
            "other_ae": [people.usa, None],
        }
        self.stages = {s.order: s for s in default_pipeline().stages.all()}
        self.open_orders = [o for o, s in self.stages.items() if s.kind == "open"]
        self.accounts = {name: [self._account(name, i) for i in range(2)] for name in SELLERS}
        self.numbers = iter(range(1_000_000))

    def add(self, *, deals: int = 36, leads: int = 12, activities: int = 20) -> Ledger:
        for _ in range(deals):
            self._deal(next(self.numbers))
        for _ in range(leads):
            self._lead(next(self.numbers))
        for _ in range(activities):
            self._activity(next(self.numbers))
        return self.ledger

    def _account(self, owner: str, index: int):
        rng = self.rng
        territory = rng.choice(self.territories[owner])
        segment = rng.choice(self.segments + [None])
        account = account_create(
            by=self.users[owner],
            name=f"{owner} customer {index}",
            territory=territory,
            segment=segment,
            created_at=YEAR_START,
        )
        self.ledger.accounts[account.name] = {
            "owner": owner,
            "team": self.teams[owner],
            "territory": territory.name if territory else None,
            "segment": segment.name if segment else None,
        }
        return account

    def _deal(self, number: int) -> None:
        rng, ledger, stages, open_orders = self.rng, self.ledger, self.stages, self.open_orders
        owner = SELLERS[number % len(SELLERS)]
        user = self.users[owner]
        account = rng.choice(self.accounts[owner])
        created = _moment(rng, YEAR_START, 240)
        source = rng.choice(SOURCES)
        fact = DealFact(
            owner=owner,
            team=self.teams[owner],
            territory=ledger.accounts[account.name]["territory"],
            segment=ledger.accounts[account.name]["segment"],
            account=account.name,
            account_owner=owner,
            source=source,
            created_at=created,
            amount=Decimal(rng.randint(1, 500) * 100) + Decimal(rng.randint(0, 99)) / 100,
            close_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 540)),
            reached={1},
        )
        deal = opportunity_create(
            by=user,
            name=f"Deal {number}",
            account=account,
            amount=fact.amount,
            close_date=fact.close_date,
            source=source,
            created_at=created,
        )
        if rng.random() < 0.5:
            lines, items = [], []
            for product in rng.sample(self.products, rng.randint(1, 3)):
                quantity = Decimal(rng.randint(1, 4))
                # At most the default price list's approval threshold (15 %): no approval step.
                discount = Decimal(rng.randint(0, 1500)) / 100
                items.append(
                    {"product": product, "quantity": quantity, "discount_percent": discount}
                )
                lines.append(
                    LineFact(
                        product.product_line.name if product.product_line_id else None,
                        quantity * product.list_price,
                        net_of(quantity, product.list_price, discount),
                    )
                )
            deal = opportunity_set_line_items(
                opportunity=deal, by=user, items=items, amount_from="lines"
            )
            fact.lines = lines
            fact.amount = sum((line.net for line in lines), Decimal("0.00"))
            assert deal.amount == fact.amount
        at, here = created, 1
        for _ in range(rng.randint(0, 4)):
            there = rng.choice([o for o in open_orders if o != here])
            at = _moment(rng, at, 20)
            deal = opportunity_move_stage(opportunity=deal, by=user, to_stage=stages[there], at=at)
            here = there
            fact.reached |= set(range(1, there + 1))
        fate = rng.choices(["open", "won", "lost", "reopened"], weights=[4, 3, 2, 1])[0]
        if fate != "open":
            at = _moment(rng, at, 30)
            if fate == "lost":
                deal = opportunity_close_lost(opportunity=deal, by=user, reason="No budget", at=at)
            else:
                deal = opportunity_close_won(opportunity=deal, by=user, at=at)
            fact.status, fact.closed_at = ("lost" if fate == "lost" else "won"), at
            fact.close_date = timezone.localdate(at)
        if fate == "reopened":
            there = rng.choice(open_orders)
            at = _moment(rng, at, 10)
            deal = opportunity_move_stage(opportunity=deal, by=user, to_stage=stages[there], at=at)
            fact.reached |= set(range(1, there + 1))
            fact.status, fact.closed_at = "open", None
        fact.stage = deal.stage.name
        fact.probability = deal.stage.probability
        ledger.deals.append(fact)

    def _lead(self, number: int) -> None:
        rng = self.rng
        owner = SELLERS[number % len(SELLERS)]
        user, team = self.users[owner], self.teams[owner]
        territory = rng.choice(self.territories[owner])
        created = _moment(rng, YEAR_START, 240)
        source = rng.choice(SOURCES)
        lead = lead_create(
            by=user,
            last_name=f"Lead {number}",
            company=f"Prospect {number}",
            territory=territory,
            source=source,
            created_at=created,
        )
        fact = LeadFact(
            owner=owner,
            team=team,
            territory=territory.name if territory else None,
            source=source,
            created_at=created,
        )
        if rng.random() < 0.3:  # logged before the lead existed (an import): not a response
            early = created - datetime.timedelta(hours=rng.randint(1, 48))
            activity_log(by=user, type="email", subject="Old thread", lead=lead, occurred_at=early)
            self.ledger.activities.append(ActivityFact(owner, team, "email", early))
        for _ in range(rng.choice([0, 1, 1, 2])):
            touched = created + datetime.timedelta(minutes=rng.randint(5, 72 * 60))
            activity_log(by=user, type="call", subject="Follow up", lead=lead, occurred_at=touched)
            self.ledger.activities.append(ActivityFact(owner, team, "call", touched))
            fact.first_touch = min(filter(None, [fact.first_touch, touched]))
        fate = rng.choice(["new", "working", "converted", "disqualified"])
        if fate == "working":
            lead_change_status(lead=lead, by=user, to_status="working", at=created)
        elif fate == "disqualified":
            lead_change_status(lead=lead, by=user, to_status="disqualified", reason="No fit")
        elif fate == "converted":
            lead_convert(
                lead=lead, by=user, account=self.accounts[owner][0], create_opportunity=False
            )
            fact.converted = True
        self.ledger.leads.append(fact)

    def _activity(self, number: int) -> None:
        owner = (SELLERS + ["cs"])[number % (len(SELLERS) + 1)]
        user = self.users.get(owner) or self.people.cs
        kind = self.rng.choice(ACTIVITY_TYPES)
        when = _moment(self.rng, YEAR_START, 300)
        account = self.accounts.get(owner, self.accounts["ae"])[0]
        activity_log(
            by=user, type=kind, subject=f"Work {number}", account=account, occurred_at=when
        )
        self.ledger.activities.append(ActivityFact(owner, self.teams.get(owner), kind, when))


def build_ledger(people, *, deals=36, leads=12, activities=20, seed=7) -> Ledger:
    """Write a generated book of business through the services and return its ledger."""
    return Book(people, seed=seed).add(deals=deals, leads=leads, activities=activities)
