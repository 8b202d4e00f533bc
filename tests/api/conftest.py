"""Fixtures of the API suite: the shared personas and book of business, grown a little.

``book`` adds to ``sales`` (see the root conftest) the records that tell the
visibility rules apart:

* ``de`` account and contact: owned by ``other_ae`` in Germany (a country), so
  seen by people of Germany (``manager``, ``cs``) but not by people of Bavaria
  (an area inside Germany: ``ae``, ``sdr``);
* ``sdr`` lead and activity: owned by the SDR, seen by her managers but not by her
  peer ``ae``;
* ``sdr`` task: assigned to the SDR, created by ``ae`` (both see it);
* ``mgr`` opportunity: owned by ``manager``, seen by ``vp`` above but not by ``ae`` below.

Every entity has three records keyed ``ae``, ``other`` and one of those.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tests.api.support import database_state


@pytest.fixture
def book(people, sales) -> dict[str, dict]:
    """``book[entity][key]``: three records per entity, as described above."""
    from pipewise.activities.services import activity_log, task_create
    from pipewise.customers.services import account_create, contact_create
    from pipewise.leads.services import lead_create
    from pipewise.pipeline.services import opportunity_create

    de_account = account_create(
        by=people.other_ae,
        name="Rhein Chemie AG",
        domain="rheinchemie.de",
        territory=people.germany,
        country="DE",
    )
    de_contact = contact_create(
        by=people.other_ae, account=de_account, first_name="Jonas", last_name="Wolf"
    )
    sdr_lead = lead_create(
        by=people.sdr,
        first_name="Lena",
        last_name="Koch",
        email="lena@koch-bau.de",
        company="Koch Bau GmbH",
        rating="cold",
    )
    mgr_opp = opportunity_create(
        by=people.manager,
        name="Alpen — service contract",
        account=sales.ae_account,
        amount=Decimal("8000.00"),
        close_date=datetime.date.today() + datetime.timedelta(days=60),
    )
    sdr_activity = activity_log(by=people.sdr, type="call", subject="Cold call", lead=sdr_lead)
    sdr_task = task_create(
        by=people.ae, assignee=people.sdr, title="Qualify Koch Bau", lead=sdr_lead
    )
    return {
        "accounts": {"ae": sales.ae_account, "other": sales.other_account, "de": de_account},
        "contacts": {"ae": sales.ae_contact, "other": sales.other_contact, "de": de_contact},
        "leads": {"ae": sales.ae_lead, "other": sales.other_lead, "sdr": sdr_lead},
        "opportunities": {"ae": sales.ae_opp, "other": sales.other_opp, "mgr": mgr_opp},
        "activities": {
            "ae": sales.ae_activity,
            "other": sales.other_activity,
            "sdr": sdr_activity,
        },
        "tasks": {"ae": sales.ae_task, "other": sales.other_task, "sdr": sdr_task},
    }


@pytest.fixture
def unchanged():
    """``with unchanged(): ...`` fails if the block wrote anything to the database."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = database_state()
        yield
        after = database_state()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, f"the request wrote to the database: {changed}"

    return check
