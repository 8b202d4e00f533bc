"""Personas shared by every test: one person per role, in a realistic hierarchy.

EMEA (region) ─ Germany (country) ─ Bavaria (area)
AMER (region) ─ United States (country)

vp (sales_manager)                          — top of the reporting line
└── manager (sales_manager), territory Germany
    ├── ae (account_executive), territory Bavaria
    └── sdr (sdr), territory Bavaria
other_manager (sales_manager)
└── other_ae (account_executive), territory United States
cs (customer_success), territory Germany
ops (sales_ops) · marketing · executive (read-only) · admin · partner (partner_manager)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from pipewise.org.models import Territory, User
from pipewise.org.services import territory_save, user_save


@dataclass
class Personas:
    vp: User
    manager: User
    ae: User
    sdr: User
    other_manager: User
    other_ae: User
    cs: User
    ops: User
    marketing: User
    executive: User
    admin: User
    partner: User
    emea: Territory
    germany: Territory
    bavaria: Territory
    amer: Territory
    usa: Territory

    def all(self) -> dict[str, User]:
        return {name: value for name, value in vars(self).items() if isinstance(value, User)}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashes with argon2 (slow by design); tests need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _person(username, roles, manager=None, territories=()):
    return user_save(
        username=username,
        email=f"{username}@example.com",
        first_name=username.title(),
        last_name="Tester",
        roles=roles,
        manager=manager,
        territories=territories,
        password="correct-horse-battery",
    )


def pytest_collection_modifyitems(items):
    """Run the tests that read the shared KPI ledger last (see reports/tests/conftest.py).

    The ledger is written once per test process in a transaction that stays open until
    the process ends; every test after it runs inside that transaction, so only tests
    that want the ledger may come after it. The sort is stable and the same in every
    pytest-xdist worker.
    """
    items.sort(key=lambda item: "ledger" in getattr(item, "fixturenames", ()))


@pytest.fixture
def people(db) -> Personas:
    return personas()


def personas() -> Personas:
    """Write the personas of the module docstring (through the org services)."""
    emea = territory_save(name="EMEA", code="EMEA", level="region")
    germany = territory_save(name="Germany", code="DE", level="country", parent=emea)
    bavaria = territory_save(name="Bavaria", code="DE-BY", level="area", parent=germany)
    amer = territory_save(name="AMER", code="AMER", level="region")
    usa = territory_save(name="United States", code="US", level="country", parent=amer)
    vp = _person("vp", ["sales_manager"])
    manager = _person("manager", ["sales_manager"], vp, [germany])
    other_manager = _person("other_manager", ["sales_manager"])
    return Personas(
        vp=vp,
        manager=manager,
        ae=_person("ae", ["account_executive"], manager, [bavaria]),
        sdr=_person("sdr", ["sdr"], manager, [bavaria]),
        other_manager=other_manager,
        other_ae=_person("other_ae", ["account_executive"], other_manager, [usa]),
        cs=_person("cs", ["customer_success"], None, [germany]),
        ops=_person("ops", ["sales_ops"]),
        marketing=_person("marketing", ["marketing"]),
        executive=_person("executive", ["executive"]),
        admin=_person("admin", ["admin"]),
        partner=_person("partner", ["partner_manager"]),
        emea=emea,
        germany=germany,
        bavaria=bavaria,
        amer=amer,
        usa=usa,
    )


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` signs in with a token-free forced login."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user=User.objects.get(pk=user.pk))
            return self

    return Client()


@pytest.fixture
def sales(people):
    """A small book of business: accounts, contacts, leads and deals owned by the personas."""
    from pipewise.activities.services import activity_log, task_create
    from pipewise.customers.services import account_create, contact_create
    from pipewise.leads.services import lead_create
    from pipewise.pipeline.services import opportunity_create

    close = datetime.date.today() + datetime.timedelta(days=30)
    ae_account = account_create(
        by=people.ae,
        name="Alpen Maschinenbau GmbH",
        domain="alpen.de",
        territory=people.bavaria,
        country="DE",
    )
    other_account = account_create(
        by=people.other_ae,
        name="Pacific Tools Inc",
        domain="pacifictools.com",
        territory=people.usa,
        country="US",
    )
    ae_contact = contact_create(
        by=people.ae,
        account=ae_account,
        first_name="Eva",
        last_name="Huber",
        email="eva.huber@alpen.de",
    )
    other_contact = contact_create(
        by=people.other_ae,
        account=other_account,
        first_name="Sam",
        last_name="Lee",
        email="sam@pacifictools.com",
    )
    ae_lead = lead_create(
        by=people.ae,
        first_name="Max",
        last_name="Bauer",
        email="max@bauer-logistik.de",
        company="Bauer Logistik GmbH",
        rating="warm",
        source="website",
    )
    other_lead = lead_create(
        by=people.other_ae,
        first_name="Ann",
        last_name="Smith",
        email="ann@smithco.com",
        company="Smith Co",
        rating="hot",
    )
    ae_opp = opportunity_create(
        by=people.ae,
        name="Alpen — line 4 automation",
        account=ae_account,
        contact=ae_contact,
        amount=Decimal("120000.00"),
        close_date=close,
    )
    other_opp = opportunity_create(
        by=people.other_ae,
        name="Pacific — tooling refresh",
        account=other_account,
        amount=Decimal("45000.00"),
        close_date=close,
    )
    ae_activity = activity_log(
        by=people.ae, type="call", subject="Discovery call", opportunity=ae_opp
    )
    other_activity = activity_log(
        by=people.other_ae, type="email", subject="Intro", account=other_account
    )
    ae_task = task_create(
        by=people.ae,
        title="Send proposal",
        opportunity=ae_opp,
        todos=[{"text": "Draft pricing", "planned_minutes": 60}],
    )
    other_task = task_create(by=people.other_ae, title="Call back", account=other_account)

    class Book:
        pass

    book = Book()
    book.__dict__.update(locals())
    return book
