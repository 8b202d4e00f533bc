"""The export's row path (values, not model instances) writes what the instance path wrote.

The reference below is the exporter as it was before the row path: per kind, the
records loaded with ``select_related`` and their values picked attribute by
attribute, each cell written with ``format_cell`` by one ``csv.writer`` call per
row. Every registered kind is exported over generated records (empty and missing
values, records without an external_id referenced by ``pipewise:<id>``, times in a
company time zone with a half-hour offset and summer time, decimals, choices, text
that needs quoting) and must come out byte for byte the same: from the CLI, from a
list page's streamed CSV, and as XLSX cell values.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.test import Client
from openpyxl import Workbook

from pipewise.activities.choices import ActivityOutcome, ActivityType
from pipewise.activities.models import Activity
from pipewise.activities.services import activity_log
from pipewise.core import transfer
from pipewise.core.transfer import (
    Column,
    ExportPlan,
    export_records,
    export_rows,
    export_text,
    format_cell,
    get_kind,
    kind_names,
    record_key,
    xlsx_cell,
)
from pipewise.customers.choices import AccountType, BuyingRole
from pipewise.customers.models import Account, Contact
from pipewise.customers.services import account_create, contact_create
from pipewise.leads.choices import LeadSource, Rating
from pipewise.leads.models import Lead
from pipewise.leads.services import lead_create
from pipewise.org.models import Segment, Team, User
from pipewise.org.services import team_save, user_save
from pipewise.org.transfer import ROLE_ORDER
from pipewise.pipeline.choices import ForecastCategory
from pipewise.pipeline.models import Opportunity
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
)
from pipewise.pipeline.transfer import OpportunityKind

COMPANY_ZONE = "America/St_Johns"  # UTC-03:30, summer time UTC-02:30
AWKWARD_TEXTS = ["", "Müller & Söhne", 'Say "hi", then leave', "two\nlines", " padded ", "a;b"]
AMOUNTS = [Decimal("0.00"), Decimal("0.01"), Decimal("1234.50"), Decimal("99999999.99")]


# --- the exporter as it was: instances, one attribute at a time ------------------------------
def _key(record):
    return record_key(record) if record is not None else ""


def _user_row(user):
    return [
        user.username,
        user.email,
        user.first_name,
        user.last_name,
        sorted((r.role for r in user.user_roles.all()), key=ROLE_ORDER.get),
        user.manager.username if user.manager_id else "",
        user.team.name if user.team_id else "",
        sorted(territory.code for territory in user.territories.all()),
        user.title,
    ]


LEGACY = {
    "users": (
        ("manager", "team"),
        ("user_roles", "territories"),
        _user_row,
    ),
    "accounts": (
        ("territory", "segment", "owner"),
        (),
        lambda a: [
            record_key(a),
            a.name,
            a.domain,
            a.industry,
            a.employees,
            a.annual_revenue,
            a.country,
            a.territory.code if a.territory_id else "",
            a.segment.name if a.segment_id else "",
            a.type,
            a.owner.username,
            a.created_at,
            a.street,
            a.city,
            a.postcode,
        ],
    ),
    "contacts": (
        ("account", "owner"),
        (),
        lambda c: [
            record_key(c),
            record_key(c.account),
            c.first_name,
            c.last_name,
            c.email,
            c.phone,
            c.title,
            c.buying_role,
            c.owner.username,
            c.created_at,
        ],
    ),
    "leads": (
        ("territory", "owner", "account", "contact"),
        (),
        lambda lead: [
            record_key(lead),
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.phone,
            lead.company,
            lead.title,
            lead.industry,
            lead.country,
            lead.territory.code if lead.territory_id else "",
            lead.source,
            lead.campaign,
            lead.rating,
            lead.status,
            lead.owner.username,
            lead.created_at,
            _key(lead.account),
            _key(lead.contact),
            lead.disqualification_reason,
        ],
    ),
    "opportunities": (
        ("account", "contact", "lead", "owner", "pipeline", "stage"),
        (),
        lambda deal: [
            record_key(deal),
            deal.name,
            record_key(deal.account),
            _key(deal.contact),
            _key(deal.lead),
            deal.owner.username,
            deal.pipeline.name,
            deal.stage.name,
            deal.amount,
            deal.close_date,
            deal.status,
            deal.lost_reason,
            deal.source,
            deal.created_at,
            deal.closed_at,
            deal.competitor,
            deal.forecast_category,
        ],
    ),
    "activities": (
        ("owner", "lead", "contact", "account", "opportunity"),
        (),
        lambda act: [
            record_key(act),
            act.type,
            act.subject,
            act.occurred_at,
            act.owner.username,
            _key(act.lead),
            _key(act.contact),
            _key(act.account),
            _key(act.opportunity),
            act.outcome,
            act.duration_minutes,
            act.notes,
        ],
    ),
}


def legacy_values(kind_name: str, queryset=None) -> list[list]:
    kind = get_kind(kind_name)
    related, prefetched, row_of = LEGACY[kind_name]
    records = queryset if queryset is not None else kind.queryset()
    records = records.select_related(*related).prefetch_related(*prefetched)
    records = records if records.ordered else records.order_by("pk")
    return [row_of(record) for record in records]


def legacy_csv(kind_name: str, queryset=None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(get_kind(kind_name).column_names)
    for row in legacy_values(kind_name, queryset):
        writer.writerow([format_cell(value) for value in row])
    return out.getvalue()


# --- generated records ------------------------------------------------------------------------
@pytest.fixture
def company_zone(settings):
    settings.TIME_ZONE = COMPANY_ZONE


@pytest.fixture
def generated(people, company_zone):
    """A dozen records of every kind, varied by a seeded generator, plus hand-made edges."""
    rng = random.Random(20261123)
    base = datetime.datetime(2025, 3, 9, 5, 29, 59, 999999, tzinfo=datetime.UTC)  # DST day

    def moment():
        return base + datetime.timedelta(
            seconds=rng.randrange(-400 * 86_400, 400 * 86_400) + rng.random()
        )

    def maybe(value):
        return value if rng.random() < 0.6 else None

    reps = [people.ae, people.other_ae, people.sdr, people.manager]
    segments = [Segment.objects.create(name=name) for name in ("SMB", "Enterprise, public")]
    team = team_save(name='Team "North"', manager=people.manager, territory=people.germany)
    user_save(
        user=people.ae,
        username="ae",
        email="",
        first_name="Änne",
        last_name="Tester",
        roles=["sales_ops", "account_executive"],
        manager=people.manager,
        team=team,
        territories=[people.usa, people.bavaria],
        title="AE; senior",
    )
    territories = [people.bavaria, people.usa, people.germany, None]
    accounts, contacts, leads, deals = [], [], [], []
    for n in range(12):
        accounts.append(
            account_create(
                by=rng.choice(reps),
                name=f"{rng.choice(AWKWARD_TEXTS)}Account {n}",
                external_id=f"acc-{n}" if n % 3 else None,
                employees=maybe(rng.randrange(0, 100_000)),
                annual_revenue=maybe(rng.choice(AMOUNTS)),
                territory=rng.choice(territories),
                segment=rng.choice([*segments, None]),
                type=rng.choice(AccountType.values),
                created_at=moment(),
                city=rng.choice(AWKWARD_TEXTS),
            )
        )
    for n in range(12):
        contacts.append(
            contact_create(
                by=rng.choice(reps),
                account=rng.choice(accounts),
                external_id=f"con-{n}" if n % 2 else None,
                first_name=rng.choice(AWKWARD_TEXTS),
                last_name=f"Person {n}",
                buying_role=rng.choice(["", *BuyingRole.values]),
                created_at=moment(),
            )
        )
    for n in range(12):
        contact = maybe(rng.choice(contacts))
        leads.append(
            lead_create(
                by=rng.choice(reps),
                external_id=f"lead-{n}" if n % 4 else None,
                last_name=f"Lead {n}",
                company=rng.choice(AWKWARD_TEXTS),
                territory=rng.choice(territories),
                source=rng.choice(LeadSource.values),
                rating=rng.choice(Rating.values),
                account=contact.account if contact else maybe(rng.choice(accounts)),
                contact=contact,
                created_at=moment(),
            )
        )
    for n in range(15):
        contact = maybe(rng.choice(contacts))
        created = moment()
        deal = opportunity_create(
            by=rng.choice(reps),
            external_id=f"opp-{n}" if n % 3 else None,
            name=f"{rng.choice(AWKWARD_TEXTS)}Deal {n}",
            account=contact.account if contact else rng.choice(accounts),
            contact=contact,
            lead=maybe(rng.choice(leads)),
            amount=AMOUNTS[n % len(AMOUNTS)],
            close_date=created.date() + datetime.timedelta(days=rng.randrange(1, 90)),
            forecast_category=rng.choice(ForecastCategory.values),
            competitor=rng.choice(AWKWARD_TEXTS),
            created_at=created,
        )
        closed_at = created + datetime.timedelta(hours=rng.randrange(1, 2000))
        if n % 5 == 1:
            deal = opportunity_close_won(opportunity=deal, by=people.ae, at=closed_at)
        elif n % 5 == 2:
            deal = opportunity_close_lost(
                opportunity=deal, by=people.ae, reason="Budget, again", at=closed_at
            )
        deals.append(deal)
    subjects = [
        ("lead", leads),
        ("contact", contacts),
        ("account", accounts),
        ("opportunity", deals),
    ]
    for n in range(12):
        about = dict((name, rng.choice(records)) for name, records in rng.sample(subjects, 2))
        activity_log(
            by=rng.choice(reps),
            external_id=f"act-{n}" if n % 2 else None,
            type=rng.choice(ActivityType.values),
            subject=f"{rng.choice(AWKWARD_TEXTS)}Activity {n}",
            occurred_at=moment(),
            outcome=rng.choice(["", *ActivityOutcome.values]),
            duration_minutes=maybe(rng.randrange(0, 240)),
            notes=rng.choice(AWKWARD_TEXTS),
            **about,
        )
    # An empty external_id (written around the services, as an old import could have):
    # the export names such a record by its id, like one without any.
    Account.objects.filter(pk=accounts[1].pk).update(external_id="")
    Opportunity.objects.filter(pk=deals[1].pk).update(external_id="")
    return {"accounts": accounts, "contacts": contacts, "leads": leads, "deals": deals}


# --- the same bytes -----------------------------------------------------------------------------
def test_it_writes_every_kind_byte_for_byte_as_the_instance_exporter_did(generated):
    assert kind_names() == list(LEGACY)
    for name in kind_names():
        expected = legacy_csv(name)
        assert expected.count("\n") > 12, name  # the records are there, not just a header
        assert export_text(get_kind(name)) == expected, name


def test_the_generated_records_cover_the_cases_that_need_care(generated):
    text = export_text(get_kind("opportunities")) + export_text(get_kind("leads"))
    deals = {row["name"]: row for row in csv.DictReader(io.StringIO(text))}
    assert Opportunity.objects.filter(external_id__isnull=True).exists()
    assert f"pipewise:{generated['deals'][1].pk}" in text  # an empty external_id
    assert any(row["contact"] == "" for row in deals.values())  # a missing reference
    assert {"open", "won", "lost"} <= {row["status"] for row in deals.values()}
    assert any(row["closed_at"].endswith("-02:30") for row in deals.values())  # summer time
    assert any(row["created_at"].endswith("-03:30") for row in deals.values())  # winter time
    assert "99999999.99" in text and "0.00" in text
    assert '"two\nlines' in text


def test_the_streamed_web_csv_is_the_same_bytes(generated, people):
    client = Client()
    client.force_login(people.admin)
    for path, name in [
        ("/opportunities/", "opportunities"),
        ("/accounts/", "accounts"),
        ("/contacts/", "contacts"),
        ("/leads/", "leads"),
    ]:
        # Every status: the lists open on the open work, and their export follows the list.
        response = client.get(path, {"export": "csv", "status": "any"})
        body = b"".join(response.streaming_content).decode()
        assert body == "\ufeff" + legacy_csv(name, get_kind(name).queryset(people.admin)), name


def legacy_xlsx(kind_name: str, path) -> None:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(kind_name)
    worksheet.append(get_kind(kind_name).column_names)
    for row in legacy_values(kind_name):
        worksheet.append([xlsx_cell(value) for value in row])
    workbook.save(path)


def _workbook_parts(path) -> dict[str, bytes]:
    """A workbook's files, less its creation time (``docProps/core.xml``)."""
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def test_the_xlsx_is_the_same_workbook(generated, tmp_path):
    for name in kind_names():
        export_records(get_kind(name), str(tmp_path / "new.xlsx"), fmt="xlsx")
        legacy_xlsx(name, tmp_path / "old.xlsx")
        new, old = _workbook_parts(tmp_path / "new.xlsx"), _workbook_parts(tmp_path / "old.xlsx")
        assert new == old, name


def test_it_keeps_the_callers_order_and_filter(generated, people):
    view = Opportunity.objects.filter(owner=people.ae).order_by("-amount", "name")
    kind = get_kind("opportunities")
    assert export_text(kind, queryset=view) == legacy_csv("opportunities", view)


def test_a_lookup_of_several_values_in_the_view_does_not_break_the_export(generated, people):
    """A list view may prefetch or select related records for its page: the export
    reads plain values and ignores both."""
    view = Opportunity.objects.select_related("account").prefetch_related("stage_changes")
    assert export_text(get_kind("opportunities"), queryset=view) == legacy_csv("opportunities")


# --- computed columns and mistakes in a kind -----------------------------------------------------
class DealsWithHistory(OpportunityKind):
    """A kind with a computed column: how many stage changes each deal has."""

    name = "deals-with-history"
    columns = (*OpportunityKind.columns, Column("stage_changes", field="", export="changes"))

    def for_export(self, queryset):
        return super().for_export(queryset.annotate(changes=Count("stage_changes")))


def test_a_kind_can_export_a_value_its_for_export_annotates(generated):
    rows = list(export_rows(DealsWithHistory()))
    assert rows[0][-1] == "stage_changes"
    by_key = {row[0]: row[-1] for row in rows[1:]}
    for deal in Opportunity.objects.all():
        assert by_key[record_key(deal)] == deal.stage_changes.count()
    assert {1, 2} <= set(by_key.values())  # open deals: created; closed: created and closed


def _kind_with(column: Column) -> OpportunityKind:
    kind = OpportunityKind()
    kind.columns = (*kind.columns, column)
    return kind


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (Column("stage_id", field="", export="stage"), "reads the relation 'stage'"),
        (Column("colour", field=""), "reads 'colour', which Opportunity does not have"),
        (Column("owner_team", export="owner__squad__name"), "reads 'owner__squad__name'"),
        (Column("teams", many=True, field=""), "holds several values"),
    ],
)
def test_it_names_the_column_whose_export_path_leads_nowhere(db, column, message):
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        ExportPlan.of(_kind_with(column), Opportunity.objects.all())
    assert repr(column.name) in str(raised.value)


def test_the_users_kind_exports_instances(generated):
    """Roles and territories hold several values each: users keep the instance path."""
    assert get_kind("users").exports_instances
    rows = {
        row["username"]: row for row in csv.DictReader(io.StringIO(export_text(get_kind("users"))))
    }
    assert rows["ae"]["roles"] == "account_executive;sales_ops"
    assert rows["ae"]["territories"] == "DE-BY;US"
    assert rows["ae"]["team"] == 'Team "North"'
    assert Team.objects.count() == 1 and User.objects.filter(team__isnull=False).count() == 1


# --- streaming in chunks ------------------------------------------------------------------------
def test_the_csv_comes_in_chunks_of_rows(generated, people, monkeypatch):
    monkeypatch.setattr(transfer, "CSV_CHUNK_ROWS", 4)
    chunks = list(transfer.export_csv(get_kind("activities")))
    assert [count for _, count in chunks] == [0, 4, 4, 4]
    assert "".join(text for text, _ in chunks) == legacy_csv("activities")
    client = Client()
    client.force_login(people.admin)
    response = client.get("/opportunities/", {"export": "csv", "status": "any"})
    parts = list(response.streaming_content)
    assert parts[0] == "\ufeff".encode() and len(parts) == 2 + 4  # BOM, header, 15 deals by 4


def test_the_cli_counts_what_it_wrote(generated):
    out = io.StringIO()
    assert export_records(get_kind("leads"), out) == Lead.objects.count() == 12
    assert out.getvalue() == legacy_csv("leads")
    assert Contact.objects.count() == 12 and Activity.objects.count() == 12
