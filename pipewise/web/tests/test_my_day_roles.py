"""My day starts each role on its own work: an SDR on leads, a manager and an executive
on their team; its quick "log a call" links a lead or a contact too."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipewise.activities.models import Activity
from pipewise.activities.services import activity_log, task_create
from pipewise.leads.models import Lead
from pipewise.leads.selectors import lead_assigned_at
from pipewise.leads.services import lead_create, lead_update
from pipewise.org.services import user_save
from pipewise.web.tests.support import signed_in


def _lead(by, last_name, **fields):
    return lead_create(by=by, last_name=last_name, company=f"{last_name} GmbH", **fields)


def test_it_starts_an_sdr_on_new_and_hot_leads_first_contacts_and_todays_calls(people):
    waiting = _lead(people.sdr, "Waiting")
    called = _lead(people.sdr, "Called", rating="hot")
    activity_log(by=people.sdr, type="call", subject="Intro call to Called", lead=called)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    activity_log(
        by=people.sdr, type="call", subject="Yesterday's call", lead=called, occurred_at=yesterday
    )
    done = _lead(
        people.sdr,
        "Disqualified",
        rating="hot",
        status="disqualified",
        disqualification_reason="No budget",
    )
    html = signed_in(people.sdr).get("/").content.decode()
    assert "First contacts due" in html and "New and hot leads" in html
    assert "Today's calls" in html
    first_contacts = html.split('id="first-contacts-heading"')[1].split("</section>")[0]
    assert "Waiting" in first_contacts and "Called" not in first_contacts  # a call was logged
    assert "assigned" in first_contacts
    new_and_hot = html.split('id="new-hot-heading"')[1].split("</section>")[0]
    assert new_and_hot.index("Called") < new_and_hot.index("Waiting")  # hot first
    assert done.last_name not in new_and_hot
    calls = html.split('id="calls-heading"')[1].split("</section>")[0]
    assert "Intro call to Called" in calls and "Yesterday" not in calls
    assert waiting.pk


def test_it_lists_first_contacts_oldest_first(people):
    older = _lead(people.sdr, "Older")
    newer = _lead(people.sdr, "Newer")
    html = signed_in(people.sdr).get("/").content.decode()
    section = html.split('id="first-contacts-heading"')[1].split("</section>")[0]
    assert section.index(older.last_name) < section.index(newer.last_name)


def test_it_dates_an_assignment_from_the_owner_change(people):
    lead = _lead(people.ae, "Moved")
    Lead.history.filter(id=lead.pk).update(history_date=timezone.now() - datetime.timedelta(10))
    lead_update(lead=Lead.objects.get(pk=lead.pk), by=people.manager, owner=people.sdr)
    moved = Lead.objects.get(pk=lead.pk)
    assigned = lead_assigned_at([moved])[moved.pk]
    assert timezone.now() - assigned < datetime.timedelta(minutes=1)
    kept = _lead(people.sdr, "Kept")
    Lead.history.filter(id=kept.pk).update(history_date=timezone.now() - datetime.timedelta(10))
    lead_update(lead=Lead.objects.get(pk=kept.pk), by=people.sdr, title="Buyer")
    assigned = lead_assigned_at([Lead.objects.get(pk=kept.pk)])[kept.pk]
    assert timezone.now() - assigned > datetime.timedelta(days=9)


def test_it_keeps_an_account_executive_on_deals(sales, people):
    html = signed_in(people.ae).get("/").content.decode()
    assert "First contacts due" not in html
    assert sales.ae_opp.name in html


def test_it_shows_a_manager_the_sdr_work_of_the_team(people):
    _lead(people.sdr, "Teamlead")
    html = signed_in(people.manager).get("/").content.decode()
    assert "First contacts due" in html and "Teamlead" in html


def test_it_starts_an_executive_on_the_team(people):
    director = user_save(
        username="director",
        first_name="Dora",
        last_name="Director",
        email="d@example.com",
        roles=["sales_manager"],
        manager=people.executive,
        password="correct-horse-battery",
    )
    task_create(by=director, title="Forecast call with the board", due_at=timezone.now())
    html = signed_in(people.executive).get("/").content.decode()
    assert "My team's day" in html
    assert '<option value="team" selected>' in html
    assert "Forecast call with the board" in html


def test_it_logs_a_quick_call_on_a_lead_or_a_contact(sales, people):
    client = signed_in(people.ae)
    answer = client.post(
        "/activities/quick-call/", {"call-subject": "Cold call", "call-lead": sales.ae_lead.pk}
    )
    assert answer.status_code == 200
    assert Activity.objects.get(subject="Cold call").lead == sales.ae_lead
    client.post(
        "/activities/quick-call/",
        {"call-subject": "Follow-up", "call-contact": sales.ae_contact.pk},
    )
    logged = Activity.objects.get(subject="Follow-up")
    assert logged.contact == sales.ae_contact and logged.account == sales.ae_account
    refused = client.post(
        "/activities/quick-call/", {"call-subject": "Not mine", "call-lead": sales.other_lead.pk}
    )
    assert refused.status_code == 422 and not Activity.objects.filter(subject="Not mine").exists()


def test_it_costs_an_sdr_the_same_with_more_leads(people):
    client = signed_in(people.sdr)
    _lead(people.sdr, "First")
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for index in range(15):
        lead = _lead(people.sdr, f"Lead {index}", rating="hot")
        if index % 2:
            activity_log(by=people.sdr, type="call", subject=f"Call {index}", lead=lead)
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)
