"""``pipewise import leads`` / ``pipewise export leads``: the bulk path for big lead lists."""

import datetime

import pytest
from django.utils import timezone

from pipewise.core.tests.test_transfer_support import (
    FAST_HASHER,
    exported_rows,
    import_problems,
    run_export,
    run_import,
    snapshot,
    write_csv,
)
from pipewise.core.transfer import export_text, get_kind
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.leads.services import NEEDS_REASON, lead_create

HEADER = ["external_id", "first_name", "last_name", "email", "company", "rating", "owner"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


def test_it_creates_leads_with_their_first_status_row(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv",
        HEADER + ["status", "created_at", "territory", "source"],
        [
            "L-1",
            "Max",
            "Bauer",
            "Max.Bauer+Fair@Bauer.DE",
            "Bauer GmbH",
            "Hot",
            "sdr",
            "",
            "",
            "DE-BY",
            "event",
        ],
        [
            "L-2",
            "Ann",
            "Lee",
            "",
            "",
            "",
            "sdr@example.com",
            "working",
            "2025-02-03T09:30:00+01:00",
            "",
            "",
        ],
    )
    summary = run_import("leads", path)

    assert "2 were created" in summary
    first, second = Lead.objects.get(external_id="L-1"), Lead.objects.get(external_id="L-2")
    assert first.rating == "hot"  # the label, any case, is read as the key
    assert first.email_normalised == "max.bauer@bauer.de"
    assert first.territory == people.bavaria
    assert first.owner == people.sdr and second.owner == people.sdr  # by username or e-mail
    assert first.history.count() == 1
    created = datetime.datetime(2025, 2, 3, 8, 30, tzinfo=datetime.UTC)
    assert second.created_at == created
    rows = LeadStatusChange.objects.filter(lead=second)
    assert [(r.from_status, r.to_status, r.changed_at) for r in rows] == [("", "working", created)]


def test_it_updates_by_external_id_and_a_second_import_changes_nothing(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv", HEADER, ["L-1", "Max", "Bauer", "", "Bauer", "warm", "ae"]
    )
    run_import("leads", path)
    lead = Lead.objects.get(external_id="L-1")
    before = snapshot()

    assert "0 were created, 0 were updated, 1 unchanged" in run_import("leads", path)
    assert snapshot() == before

    changed = write_csv(
        tmp_path / "changed.csv", ["external_id", "rating", "status"], ["L-1", "hot", "working"]
    )
    assert "1 were updated" in run_import("leads", changed)
    lead.refresh_from_db()
    assert (lead.rating, lead.status, lead.first_name) == ("hot", "working", "Max")  # empty: kept
    assert lead.version == 2
    assert lead.history.count() == 2
    statuses = LeadStatusChange.objects.filter(lead=lead).values_list("from_status", "to_status")
    assert list(statuses) == [("", "new"), ("new", "working")]
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            HEADER + ["budget"],
            ["L-1", "A", "B", "", "", "", "ae", "9"],
            "row 1, column budget: unknown column",
        ),
        (
            HEADER + ["created_at"],
            ["L-1", "A", "B", "", "", "", "ae", "31/12/2024"],
            "row 3, column created_at: '31/12/2024' is not a date and time",
        ),
        (
            HEADER,
            ["L-1", "A", "B", "", "", "tepid", "ae"],
            "row 3, column rating: 'tepid' is not one of: cold, warm, hot",
        ),
        (
            HEADER,
            ["L-1", "A", "B", "", "", "", "nobody"],
            "row 3, column owner: no user has the username or e-mail 'nobody'",
        ),
        (
            HEADER + ["territory"],
            ["L-1", "A", "B", "", "", "", "ae", "XX"],
            "row 3, column territory: no territory 'XX'",
        ),
        (
            HEADER + ["account"],
            ["L-1", "A", "B", "", "", "", "ae", "ACC-404"],
            "row 3, column account: no account has the external_id 'ACC-404'",
        ),
        (
            HEADER,
            ["L-1", "A", "", "", "", "", "ae"],
            "row 3, column last_name: required for a new lead",
        ),
        (HEADER, ["L-1", "A", "B", "", "", "", ""], "row 3, column owner: required for a new lead"),
        (HEADER, ["", "A", "B", "", "", "", "ae"], "row 3, column external_id: required"),
        (
            HEADER,
            ["L-1", "A", "B", "not-an-email", "", "", "ae"],
            "row 3, column email: Enter a valid email address.",
        ),
        (
            HEADER,
            ["L-1", "A", "B" * 101, "", "", "", "ae"],
            "row 3, column last_name: Ensure this value has at most 100 characters",
        ),
        (
            HEADER + ["status"],
            ["L-1", "A", "B", "", "", "", "ae", "disqualified"],
            f"row 3, column disqualification_reason: {NEEDS_REASON}",
        ),
    ],
)
def test_it_names_row_and_column_of_a_bad_cell_and_writes_nothing(
    people, tmp_path, header, row, expected
):
    good = ["L-0", "Good", "Row", "", "", "", "ae"] + [""] * (len(header) - len(HEADER))
    path = write_csv(tmp_path / "leads.csv", header, good, row)
    before = snapshot()

    problems = import_problems("leads", path)

    assert any(p.startswith(expected) for p in problems), problems
    assert snapshot() == before


def test_it_refuses_a_duplicate_external_id_naming_both_rows(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv",
        HEADER,
        ["L-1", "A", "B", "", "", "", "ae"],
        ["L-2", "C", "D", "", "", "", "ae"],
        ["L-1", "E", "F", "", "", "", "ae"],
    )
    assert import_problems("leads", path) == [
        "row 4, column external_id: 'L-1' appears again (first in row 2); each lead once per file"
    ]
    assert Lead.objects.count() == 0


def test_it_lists_every_problem_of_the_file_at_once(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv",
        HEADER + ["created_at"],
        ["L-1", "A", "B", "", "", "tepid", "ae", ""],
        ["L-2", "C", "", "", "", "", "ghost", "yesterday"],
    )
    problems = import_problems("leads", path)
    assert [p.split(":")[0] for p in problems] == [
        "row 2, column rating",
        "row 3, column last_name",
        "row 3, column owner",
        "row 3, column created_at",
    ]


def test_it_refuses_a_status_change_nobody_could_make_by_hand(sales, tmp_path):
    lead = sales.ae_lead
    Lead.objects.filter(pk=lead.pk).update(external_id="L-1", status="converted")
    path = write_csv(tmp_path / "leads.csv", ["external_id", "status"], ["L-1", "working"])
    assert import_problems("leads", path) == [
        "row 2, column status: A converted lead cannot be set to working by hand."
    ]


def test_it_refuses_to_revive_a_deleted_lead(sales, people, tmp_path):
    from pipewise.core.services import record_delete

    Lead.objects.filter(pk=sales.ae_lead.pk).update(external_id="L-1")
    record_delete(record=Lead.objects.get(pk=sales.ae_lead.pk), by=people.ae)
    path = write_csv(tmp_path / "leads.csv", HEADER, ["L-1", "A", "B", "", "", "", "ae"])
    assert import_problems("leads", path) == [
        "row 2, column external_id: 'L-1' is a deleted lead; restore it in Pipewise first"
    ]


def test_dry_run_reports_and_writes_nothing(people, tmp_path):
    path = write_csv(tmp_path / "leads.csv", HEADER, ["L-1", "A", "B", "", "", "", "ae"])
    before = snapshot()

    summary = run_import("leads", path, "--dry-run")

    assert summary == (
        "leads: 1 row(s) checked; 1 would be created, 0 would be updated, 0 unchanged. "
        "Dry run: nothing was written."
    )
    assert snapshot() == before


def test_map_renames_the_files_columns(people, tmp_path):
    path = write_csv(
        tmp_path / "fair.csv",
        ["ID", "Surname", "E-Mail", "Rep", "First Name"],
        ["F-7", "Huber", "eva@huber.de", "ae", "Eva"],
    )
    run_import(
        "leads",
        path,
        "--map",
        "ID=external_id",
        "Surname=last_name",
        "E-Mail=email",
        "--map",
        "Rep=owner",
    )
    lead = Lead.objects.get(external_id="F-7")
    assert (lead.first_name, lead.last_name, lead.email, lead.owner) == (
        "Eva",
        "Huber",
        "eva@huber.de",
        people.ae,
    )


def test_map_to_an_unknown_column_is_a_problem(people, tmp_path):
    path = write_csv(
        tmp_path / "fair.csv", HEADER + ["Budget"], ["F-7", "A", "B", "", "", "", "ae", "5"]
    )
    problems = import_problems("leads", path, "--map", "Budget=budget")
    assert (
        problems[0] == "row 1, column Budget: --map Budget=budget: 'budget' is not a leads column"
    )


def test_it_links_leads_to_known_accounts_and_contacts(sales, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv",
        HEADER + ["account", "contact"],
        [
            "L-1",
            "A",
            "B",
            "",
            "",
            "",
            "ae",
            f"pipewise:{sales.ae_account.pk}",
            f"pipewise:{sales.ae_contact.pk}",
        ],
    )
    run_import("leads", path)
    lead = Lead.objects.get(external_id="L-1")
    assert (lead.account, lead.contact) == (sales.ae_account, sales.ae_contact)


def test_the_export_has_the_canonical_columns_and_reads_back_unchanged(sales, tmp_path):
    header = run_export("leads").splitlines()[0].split(",")
    assert header == get_kind("leads").column_names
    assert header[:18] == [
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "industry",
        "country",
        "territory",
        "source",
        "campaign",
        "rating",
        "status",
        "owner",
        "created_at",
        "account",
        "contact",
    ]
    first = run_export("leads")
    (tmp_path / "leads.csv").write_text(first)
    before = snapshot()

    assert "0 were created, 0 were updated, 2 unchanged" in run_import(
        "leads", tmp_path / "leads.csv"
    )
    assert snapshot() == before
    assert run_export("leads") == first


def test_it_round_trips_into_an_empty_database(sales, tmp_path):
    lead_create(
        by=sales.people.sdr,
        external_id="L-9",
        first_name="Jo",
        last_name="Disq",
        status="disqualified",
        disqualification_reason="No budget",
        account=sales.ae_account,
        created_at=timezone.now() - datetime.timedelta(days=3),
    )
    first = exported_rows("leads")
    (tmp_path / "leads.csv").write_text(run_export("leads"))
    LeadStatusChange.objects.all().delete()
    Lead.history.all().delete()
    Lead._base_manager.all().delete()

    assert "3 were created" in run_import("leads", tmp_path / "leads.csv")
    assert exported_rows("leads") == first


def test_export_can_be_limited_to_what_a_person_sees(sales, people):
    own = export_text(get_kind("leads"), user=people.other_ae)
    assert "Smith Co" in own and "Bauer Logistik" not in own
    everything = export_text(get_kind("leads"))
    assert "Smith Co" in everything and "Bauer Logistik" in everything


def test_it_imports_and_exports_xlsx(people, tmp_path):
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER + ["created_at"])
    sheet.append(
        [
            "X-1",
            "Eva",
            "Huber",
            "eva@huber.de",
            "Huber AG",
            "warm",
            "ae",
            datetime.datetime(2025, 1, 2, 10, 0),
        ]
    )
    sheet.append([1234, "Max", "Bauer", None, None, "cold", "ae", None])  # a number typed as id
    workbook.save(tmp_path / "leads.xlsx")

    assert "2 were created" in run_import("leads", tmp_path / "leads.xlsx")
    assert Lead.objects.filter(external_id="1234").exists()

    out = tmp_path / "out.xlsx"
    run_export("leads", "-o", str(out))
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == get_kind("leads").column_names
    assert {row[0] for row in rows[1:]} == {"X-1", "1234"}
    assert "0 were created, 0 were updated, 2 unchanged" in run_import("leads", out)


def test_export_takes_the_web_views_filtered_and_sorted_queryset(sales):
    view = Lead.objects.filter(rating__in=["warm", "hot"]).order_by("-rating")
    lines = export_text(get_kind("leads"), queryset=view).splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["Bauer", "Smith"]  # warm, then hot


def test_a_key_taken_between_checking_and_writing_refuses_the_import(people, tmp_path, monkeypatch):
    from pipewise.leads.transfer import LeadKind

    path = write_csv(
        tmp_path / "leads.csv",
        HEADER,
        ["L-1", "A", "B", "", "", "", "ae"],
        ["L-2", "C", "D", "", "", "", "ae"],
    )
    checked = LeadKind.check_batch

    def someone_else_creates_l2(self, rows, ctx):
        checked(self, rows, ctx)
        lead_create(by=people.sdr, external_id="L-2", last_name="Other")

    monkeypatch.setattr(LeadKind, "check_batch", someone_else_creates_l2)
    before = snapshot()
    problems = import_problems("leads", path)
    assert problems[0].startswith("row 2, column -: the database refused rows 2 to 3:")
    assert snapshot()["Lead"] == before["Lead"] + 1  # only the other person's lead
    assert not Lead.objects.filter(external_id="L-1").exists()
