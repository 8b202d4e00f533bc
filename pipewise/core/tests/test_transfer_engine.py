"""The import/export engine: reading files, cells, headers, the command line, progress, docs."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections

from pipewise.core.tests.test_transfer_support import (
    FAST_HASHER,
    import_problems,
    run_import,
    snapshot,
    write_csv,
)
from pipewise.core.transfer import (
    CellError,
    amount,
    choice,
    date,
    get_kind,
    integer,
    kind_names,
    moment,
)
from pipewise.leads.choices import Rating
from pipewise.leads.models import Lead

HEADER = ["external_id", "first_name", "last_name", "owner"]
DOCS = Path(__file__).resolve().parents[3] / "docs" / "import.md"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


# --- cells ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "value"),
    [("12", 12), (" 1,200 ", 1200), (7.0, 7), ("3.0", 3), (-4, -4)],
)
def test_a_whole_number_cell(cell, value):
    assert integer(cell) == value


@pytest.mark.parametrize("cell", ["1.5", "twelve", "1.200", True])
def test_a_cell_that_is_not_a_whole_number(cell):
    with pytest.raises(CellError, match="not a whole number"):
        integer(cell)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1234.5", "1234.50"), ("1,234.56", "1234.56"), (99.99, "99.99"), (0, "0.00")],
)
def test_an_amount_cell(cell, value):
    assert amount(cell) == Decimal(value)


@pytest.mark.parametrize("cell", ["1.234,56", "€ 12", "12 EUR", "1,2"])
def test_an_amount_is_never_guessed(cell):
    with pytest.raises(CellError, match="is not an amount"):
        amount(cell)


def test_dates_and_times_are_iso_8601():
    assert date("2025-03-31") == datetime.date(2025, 3, 31)
    assert date(datetime.datetime(2025, 3, 31)) == datetime.date(2025, 3, 31)  # an Excel date cell
    assert moment("2025-03-31T14:30:00+02:00") == datetime.datetime(
        2025, 3, 31, 12, 30, tzinfo=datetime.UTC
    )
    assert moment("2025-03-31") == datetime.datetime(2025, 3, 31, tzinfo=datetime.UTC)  # TIME_ZONE
    assert moment("2025-03-31T12:00:00Z").tzinfo is datetime.UTC
    for bad in ("31.03.2025", "2025-02-30", "2025-03-31T10:00"):
        with pytest.raises(CellError):
            date(bad)


def test_a_choice_cell_takes_the_key_or_the_label():
    parse = choice(Rating)
    assert [parse("warm"), parse("HOT"), parse("Cold")] == ["warm", "hot", "cold"]
    with pytest.raises(CellError, match="'tepid' is not one of: cold, warm, hot"):
        parse("tepid")


# --- files and headers --------------------------------------------------------------------------
def test_it_reads_excel_style_csv_with_semicolons_and_a_bom(people, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        '\ufeffExternal ID;First Name;Last Name;Owner\nL-1;Jürgen;"Müller; Sohn";ae\n',
        encoding="utf-8",
    )
    run_import("leads", path)
    assert Lead.objects.get(external_id="L-1").last_name == "Müller; Sohn"


def test_rows_are_numbered_as_a_spreadsheet_shows_them(people, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        'external_id,last_name,owner,title\nL-1,Bauer,ae,"two\nlines"\n\nL-2,Lee,nobody,\n'
    )
    assert import_problems("leads", path) == [
        "row 4, column owner: no user has the username or e-mail 'nobody'"
    ]


def test_a_header_problem_is_reported_before_any_row(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv",
        ["external_id", "last_name", "emial", "last_name", "owner"],
        ["L-1", "Bauer", "x", "Bauer", "ae"],
    )
    assert import_problems("leads", path) == [
        "row 1, column last_name: appears twice in the header (columns 2 and 4)",
        "row 1, column emial: unknown column; the leads columns are: external_id, first_name, "
        "last_name, email, phone, company, title, industry, country, territory, source, campaign, "
        "rating, status, owner, created_at, account, contact, disqualification_reason "
        "(did you mean 'email'?)",
    ]


def test_a_file_without_its_key_column_is_refused(people, tmp_path):
    path = write_csv(tmp_path / "leads.csv", ["last_name", "owner"], ["Bauer", "ae"])
    assert import_problems("leads", path) == [
        "row 1, column external_id: missing column: every row needs its external_id so that a "
        "second import updates"
    ]


def test_a_value_under_no_header_is_a_problem(people, tmp_path):
    path = write_csv(tmp_path / "leads.csv", HEADER + [""], ["L-1", "A", "B", "ae", "stray"])
    assert import_problems("leads", path) == [
        "row 2, column #5: a value in column 5, which has no name in the header"
    ]


def test_a_file_that_is_not_utf8_is_refused(people, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("external_id,last_name,owner\nL-1,Müller,ae\n".encode("cp1252"))
    assert import_problems("leads", path) == [
        "row 2, column -: the file is not UTF-8 text; save it as 'CSV UTF-8' (or as XLSX)"
    ]


def test_a_broken_xlsx_file_is_refused(people, tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_text("this is no workbook")
    problems = import_problems("leads", path)
    assert problems[0].startswith("row 1, column -: the file cannot be read as an XLSX workbook")


# --- the command line --------------------------------------------------------------------------
def test_the_command_exits_non_zero_and_writes_nothing_on_a_bad_file(
    people, tmp_path, capsys, monkeypatch
):
    path = write_csv(tmp_path / "leads.csv", HEADER, ["L-1", "A", "", "ae"])
    before = snapshot()
    # As on the command line, but keep the test's database connection open afterwards.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["pipewise", "import", "leads", str(path), "-v0"]).execute()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "row 2, column last_name: required for a new lead" in err
    assert "1 problem(s)" in err and "nothing was imported" in err
    assert snapshot() == before


def test_the_command_shows_progress_with_counts_and_rate_on_stderr(people, tmp_path):
    path = write_csv(
        tmp_path / "leads.csv", HEADER, ["L-1", "A", "B", "ae"], ["L-2", "C", "D", "ae"]
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "leads", str(path), stdout=out, stderr=err, verbosity=1)
    assert "checking leads" in err.getvalue() and "writing leads" in err.getvalue()
    assert "2/2" in err.getvalue() and "rows/s" in err.getvalue()
    assert "rows/s" not in out.getvalue()


def test_a_bad_map_option_is_refused(people, tmp_path):
    path = write_csv(tmp_path / "leads.csv", HEADER, ["L-1", "A", "B", "ae"])
    with pytest.raises(CommandError, match="--map takes SRC=DST"):
        call_command("import", "leads", str(path), "--map", "Surname")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "leads", str(tmp_path / "missing.csv"))


def test_an_xlsx_export_needs_a_file(people):
    with pytest.raises(CommandError, match="needs a file"):
        call_command("export", "leads", "--format", "xlsx", stdout=io.StringIO())


def test_export_writes_a_csv_file_and_reports_the_count(sales, tmp_path):
    err = io.StringIO()
    call_command("export", "leads", "-o", str(tmp_path / "leads.csv"), stderr=err, verbosity=1)
    assert "2 leads written" in err.getvalue() and "exporting leads" in err.getvalue()
    assert (tmp_path / "leads.csv").read_text().startswith("external_id,first_name,")


def test_export_does_not_grow_queries_with_rows(sales, django_assert_max_num_queries):
    from pipewise.core.tests.test_transfer_support import run_export

    for kind in kind_names():
        with django_assert_max_num_queries(4):
            run_export(kind)


# --- documentation ---------------------------------------------------------------------------
def test_the_docs_describe_every_column_of_every_kind():
    docs = DOCS.read_text()
    for name in kind_names():
        assert f"## {name}" in docs, name
        section = docs.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for column in get_kind(name).columns:
            assert f"`{column.name}`" in section, (name, column.name)
