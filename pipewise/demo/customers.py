"""Demo accounts and the contacts at them.

About a third of the accounts predate the two-year window (the customer base
imported from the old system); the rest arrive over the window, half of them
as converted leads (``leads`` writes those leads from the first contact kept
here). Each account sits in one leaf territory, is owned by an account
executive selling there, and has a size (employees) that decides its segment
and how many people we know there.

The generator keeps one small ``AccountCard`` per account for the later phases
(deals pick accounts by the time they existed); the rows themselves are written
and dropped in batches.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from pipewise.customers.choices import AccountType, BuyingRole
from pipewise.customers.models import Account, Contact
from pipewise.demo import names, places
from pipewise.demo.catalogue import ENTERPRISE, MID_MARKET, PUBLIC, SMB, Catalogue
from pipewise.demo.chance import pick
from pipewise.demo.clock import MARKETING_SEASON, PAST_BUSINESS_DAYS, DemoCalendar
from pipewise.demo.people import Organisation
from pipewise.demo.writer import BulkWriter
from pipewise.org.models import User

LEGACY_SHARE = 0.35  # accounts that existed before the two-year window
FROM_LEAD_SHARE = 0.45  # of the accounts won over the window, how many came from a lead
PARTNER_SHARE = 0.02
PUBLIC_SHARE = 0.07
CHUNK = 1000


@dataclass(slots=True)
class PersonCard:
    """A contact as later phases need it: to link records and to name them in subjects."""

    pk: int
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    created: float

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True)
class AccountCard:
    """An account as later phases need it (ids, time, place, owner, size), without the row."""

    pk: int
    name: str
    short_name: str
    created: float
    leaf: str
    region: str
    culture: str
    country: str
    territory_id: int
    domain: str
    segment: str
    industry: str
    owner: User
    partner: bool
    from_lead: bool
    contacts: list[PersonCard] = field(default_factory=list)
    # Filled by ``leads`` for accounts converted from a lead:
    lead_pk: int | None = None
    lead_source: str = ""
    lead_linked: bool = False
    # Filled by ``deals``:
    last_won: float | None = None


def _employees(rng: random.Random) -> int:
    return max(3, min(150_000, int(math.exp(rng.gauss(math.log(220), 1.45)))))


def _segment(employees: int) -> str:
    if employees < 200:
        return SMB
    if employees < 2000:
        return MID_MARKET
    return ENTERPRISE


def _contacts_wanted(rng: random.Random, segment: str) -> int:
    low, high = {SMB: (1, 2), MID_MARKET: (2, 4), ENTERPRISE: (3, 6), PUBLIC: (2, 4)}[segment]
    return rng.randint(low, high)


class _NameBook:
    """Keeps account names and web domains unique across the whole demo."""

    def __init__(self):
        self.names: set[str] = set()
        self.domains: set[str] = set()

    def account_name(self, rng, country: places.Country, industry: str, city: str, public: bool):
        for attempt in itertools.count():
            if public and attempt < 3:
                base = names.public_body_name(rng, country.culture, city)
                full = base
            else:
                base = names.company_base_name(rng, country.culture, industry, city)
                if attempt >= 6:
                    base = f"{base} {city}" if attempt < 9 else f"{base} {attempt - 8}"
                full = f"{base} {pick(rng, country.legal_forms)}"
            if full not in self.names:
                self.names.add(full)
                return full, base, public and attempt < 3
        raise AssertionError("unreachable")

    def domain(self, base: str, country: places.Country, city: str) -> str:
        slug = names.ascii_slug(base, "-")
        for candidate in (slug, f"{slug}-{names.ascii_slug(city, '-')}"):
            domain = f"{candidate}.{country.tld}"
            if domain not in self.domains:
                self.domains.add(domain)
                return domain
        for number in itertools.count(2):
            domain = f"{slug}{number}.{country.tld}"
            if domain not in self.domains:
                self.domains.add(domain)
                return domain
        raise AssertionError("unreachable")


def customers_generate(
    *,
    rng: random.Random,
    calendar: DemoCalendar,
    org: Organisation,
    catalogue: Catalogue,
    writer: BulkWriter,
    count: int,
    progress,
) -> list[AccountCard]:
    """Write ``count`` accounts with their contacts; return their cards, oldest first."""
    all_leaves = places.leaves()
    leaf_cum = list(itertools.accumulate(leaf.weight for _, _, leaf in all_leaves))
    industry_cum = list(itertools.accumulate(names.INDUSTRY_WEIGHTS))
    created_times = sorted(
        (
            -PAST_BUSINESS_DAYS - rng.uniform(1, 150)
            if rng.random() < LEGACY_SHARE
            else calendar.seasonal_time(rng, -PAST_BUSINESS_DAYS, -1, MARKETING_SEASON)
        )
        for _ in range(count)
    )
    book = _NameBook()
    cards: list[AccountCard] = []
    bar = progress("accounts", count, "accounts")
    for start in range(0, count, CHUNK):
        chunk = []
        for created in created_times[start : start + CHUNK]:
            region, country, leaf = rng.choices(all_leaves, cum_weights=leaf_cum)[0]
            card = _account(
                rng, calendar, org, catalogue, book, writer, created, region, country, leaf,
                industry=rng.choices(names.INDUSTRIES, cum_weights=industry_cum)[0],
            )  # fmt: skip
            chunk.append(card)
        writer.flush()
        cards.extend(chunk)
        bar.update(len(chunk))
    bar.close()
    return cards


def _account(
    rng: random.Random,
    calendar: DemoCalendar,
    org: Organisation,
    catalogue: Catalogue,
    book: _NameBook,
    writer: BulkWriter,
    created: float,
    region: places.Region,
    country: places.Country,
    leaf: places.Leaf,
    industry: str,
) -> AccountCard:
    city = pick(rng, leaf.cities)
    public = rng.random() < PUBLIC_SHARE
    full_name, base, public = book.account_name(rng, country, industry, city.name, public)
    employees = _employees(rng)
    if public:
        industry, segment = names.PUBLIC_SECTOR, PUBLIC
        employees = max(employees, 150)
    else:
        segment = _segment(employees)
    partner = not public and rng.random() < PARTNER_SHARE
    owner = pick(rng, org.aes_by_leaf[leaf.code])
    domain = book.domain(base, country, city.name)
    revenue = None
    if not public and rng.random() < 0.85:
        per_head = rng.uniform(80_000, 350_000)
        revenue = Decimal(round(employees * per_head, -3))
    territory = org.territories[leaf.code]
    account_id = writer.add(
        Account,
        name=full_name,
        domain=domain,
        industry=industry,
        employees=employees,
        annual_revenue=revenue,
        street=places.street_address(rng, country.culture),
        city=city.name,
        postcode=places.fill_pattern(rng, city.postcode),
        country=country.code,
        territory_id=territory.pk,
        segment_id=catalogue.segments[segment].pk,
        type=AccountType.PARTNER if partner else AccountType.PROSPECT,
        owner_id=owner.pk,
        created_at=calendar.at(created),
    )
    card = AccountCard(
        pk=account_id,
        name=full_name,
        short_name=base,
        created=created,
        leaf=leaf.code,
        region=region.code,
        culture=country.culture,
        country=country.code,
        territory_id=territory.pk,
        domain=domain,
        segment=segment,
        industry=industry,
        owner=owner,
        partner=partner,
        from_lead=(
            not partner and created > -PAST_BUSINESS_DAYS and rng.random() < FROM_LEAD_SHARE
        ),
    )
    email_style = rng.randrange(3)
    for index in range(_contacts_wanted(rng, segment)):
        first, last = names.person_name(rng, country.culture)
        title, buying_role = pick(rng, names.TITLES)
        if index == 0 and segment == SMB and rng.random() < 0.6:
            title, buying_role = "Managing Director", BuyingRole.DECISION_MAKER
        seen = created + (0.0 if index == 0 else rng.uniform(0, 40))
        email = names.work_email(first, last, domain, email_style)
        phone = places.fill_pattern(rng, country.phone)
        seen = min(seen, -0.01)
        contact_id = writer.add(
            Contact,
            account_id=account_id,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            title=title,
            buying_role=buying_role,
            owner_id=owner.pk,
            created_at=calendar.at(seen),
        )
        card.contacts.append(PersonCard(contact_id, first, last, email, phone, title, seen))
    return card
