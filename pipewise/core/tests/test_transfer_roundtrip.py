"""Export every kind, empty the database, import the files back: the same records come back."""

import datetime

import pytest
from django.utils import timezone

from pipewise.activities.models import Activity, Task
from pipewise.core.tests.test_transfer_support import FAST_HASHER, run_export, run_import
from pipewise.core.transfer import kind_names
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.leads.services import lead_change_status
from pipewise.org.models import User
from pipewise.pipeline.models import Opportunity, StageChange
from pipewise.pipeline.services import opportunity_close_lost, opportunity_close_won


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


def _empty_the_database():
    for model in (Task, Activity, StageChange, Opportunity, LeadStatusChange, Lead, Contact):
        model._base_manager.all().delete()
    Account._base_manager.all().delete()
    for model in (Account, Contact, Lead, Opportunity):
        model.history.all().delete()
    User.objects.all().delete()


def test_every_kind_round_trips_through_an_empty_database(sales, people, tmp_path):
    later = timezone.now() + datetime.timedelta(hours=1)
    opportunity_close_won(opportunity=sales.ae_opp, by=people.ae, at=later)
    opportunity_close_lost(opportunity=sales.other_opp, by=people.other_ae, reason="Timing")
    lead_change_status(lead=sales.ae_lead, by=people.ae, to_status="disqualified", reason="Spam")
    files = {}
    for kind in kind_names():
        files[kind] = run_export(kind)
        (tmp_path / f"{kind}.csv").write_text(files[kind])
    assert list(files) == ["users", "accounts", "contacts", "leads", "opportunities", "activities"]

    _empty_the_database()
    assert not Lead._base_manager.exists() and not User.objects.exists()
    for kind in files:
        run_import(kind, tmp_path / f"{kind}.csv")

    for kind, text in files.items():
        assert run_export(kind) == text, kind
    deal = Opportunity.objects.get(name=sales.ae_opp.name)
    assert [row.to_stage.name for row in deal.stage_changes.all()] == ["Prospecting", "Won"]
    assert deal.stage_changes.last().changed_at == later
    lead = Lead.objects.get(email=sales.ae_lead.email)
    assert list(lead.status_changes.values_list("from_status", "to_status")) == [
        ("", "disqualified")
    ]
