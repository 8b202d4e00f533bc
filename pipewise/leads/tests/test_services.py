import pytest
from django.core.exceptions import ValidationError

from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, LeadStatusChange, normalise_email
from pipewise.leads.selectors import lead_duplicates, normalise_company
from pipewise.leads.services import (
    ALREADY_CONVERTED,
    NEEDS_REASON,
    lead_change_status,
    lead_convert,
    lead_create,
)
from pipewise.pipeline.models import Opportunity, StageChange


def test_it_normalises_emails_and_company_names():
    assert normalise_email("  Max.Bauer+News@Bauer.DE ") == "max.bauer@bauer.de"
    assert normalise_company("Alpen Maschinenbau GmbH") == "alpen maschinenbau"


def test_it_records_a_status_row_for_every_change(sales, people):
    lead = lead_change_status(lead=sales.ae_lead, by=people.ae, to_status="working")
    lead = lead_change_status(lead=lead, by=people.ae, to_status="qualified")
    rows = list(LeadStatusChange.objects.filter(lead=lead).values_list("from_status", "to_status"))
    assert rows == [("", "new"), ("new", "working"), ("working", "qualified")]


def test_it_refuses_to_disqualify_without_reason_and_writes_nothing(sales, people):
    with pytest.raises(ValidationError) as error:
        lead_change_status(lead=sales.ae_lead, by=people.ae, to_status="disqualified")
    assert error.value.message_dict == {"disqualification_reason": [NEEDS_REASON]}
    assert Lead.objects.get(pk=sales.ae_lead.pk).status == "new"
    assert LeadStatusChange.objects.filter(lead=sales.ae_lead).count() == 1


def test_it_finds_duplicates_by_email_domain_and_company(sales, people):
    lead = lead_create(by=people.ae, first_name="Eva", last_name="Huber",
                       email="EVA.HUBER@alpen.de", company="Alpen Maschinenbau")
    found = lead_duplicates(lead)
    assert found.accounts == [sales.ae_account]
    assert found.contacts == [sales.ae_contact]


def test_it_ignores_public_mail_domains_when_matching_accounts(sales, people):
    lead = lead_create(by=people.ae, last_name="Nobody", email="someone@gmail.com")
    assert not lead_duplicates(lead)


def test_it_converts_into_existing_records_when_asked(sales, people):
    accounts, contacts = Account.objects.count(), Contact.objects.count()
    conversion = lead_convert(lead=sales.ae_lead, by=people.ae, account=sales.ae_account,
                              contact=sales.ae_contact, create_opportunity=False)
    assert not conversion.account_created and not conversion.contact_created
    assert (Account.objects.count(), Contact.objects.count()) == (accounts, contacts)
    assert conversion.lead.account == sales.ae_account
    assert conversion.opportunity is None


def test_it_converts_atomically(sales, people, monkeypatch):
    import pipewise.leads.services as services

    def broken(**kwargs):
        raise ValidationError("boom")

    monkeypatch.setattr(services, "opportunity_create", broken)
    counts = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(ValidationError):
        lead_convert(lead=sales.ae_lead, by=people.ae)
    assert (Account.objects.count(), Contact.objects.count(),
            Opportunity.objects.count()) == counts
    assert Lead.objects.get(pk=sales.ae_lead.pk).status == "new"


def test_it_refuses_to_convert_twice(sales, people):
    conversion = lead_convert(lead=sales.ae_lead, by=people.ae)
    assert StageChange.objects.filter(opportunity=conversion.opportunity).count() == 1
    with pytest.raises(ValidationError) as error:
        lead_convert(lead=conversion.lead, by=people.ae)
    assert error.value.message_dict == {"status": [ALREADY_CONVERTED]}
