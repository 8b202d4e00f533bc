"""The XLSX grid: export, edit in a spreadsheet, import all or nothing; the CLI."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from pipewise.planning import services
from pipewise.planning.models import Target
from pipewise.planning.transfer import grid_import, grid_workbook

D = datetime.date


def workbook(data):
    return load_workbook(BytesIO(data))


def saved(book) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, key):
    for row in range(6, sheet.max_row + 1):
        if sheet.cell(row, 1).value == key:
            return row
    raise AssertionError(key)


def test_it_exports_members_by_months_with_totals(world, people):
    services.target_create(
        by=people.ops,
        user=people.ae,
        metric="won_revenue",
        period_kind="month",
        period_start=D(2026, 3, 1),
        amount="1500",
    )
    sheet = workbook(
        grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user")
    ).active
    assert (sheet["B1"].value, sheet["B2"].value, sheet["B3"].value) == (
        "won_revenue",
        2026,
        "user",
    )
    assert sheet["C5"].value == "2026-01" and sheet["O5"].value == "Year"
    row = row_of(sheet, "ae")
    assert Decimal(str(sheet.cell(row, 5).value)) == Decimal("1500")
    total = row_of(sheet, "Total")
    assert Decimal(str(sheet.cell(total, 5).value)) == Decimal("1500")


def test_an_edited_workbook_imports_back(world, people):
    book = workbook(grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user"))
    sheet = book.active
    row = row_of(sheet, "sdr")
    sheet.cell(row, 3, 1000)
    sheet.cell(row, 4, "2,500.50")
    sheet.cell(row, 15, 40000)
    grid, written = grid_import(people.ops, saved(book))
    assert len(written) == 3
    amounts = dict(Target.objects.filter(user=people.sdr).values_list("period_start", "amount"))
    assert amounts[D(2026, 2, 1)] == Decimal("2500.50")
    assert Target.objects.get(user=people.sdr, period_kind="year").amount == Decimal("40000.00")


def test_bad_cells_are_named_and_nothing_is_written(world, people):
    book = workbook(grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user"))
    sheet = book.active
    row = row_of(sheet, "ae")
    sheet.cell(row, 3, 500)  # good, but must not be written
    sheet.cell(row, 5, "lots")
    sheet.cell(row, 6, -3)
    sheet.cell(sheet.max_row + 1, 1, "nobody")
    with pytest.raises(ValidationError) as error:
        grid_import(people.ops, saved(book))
    messages = error.value.messages
    assert f"E{row}: not a number: 'lots'." in messages
    assert f"F{row}: a target cannot be negative." in messages
    assert any(m.startswith("A") and "no person 'nobody'" in m for m in messages)
    assert Target.objects.count() == 0


def test_a_manager_cannot_import_targets_outside_their_line(world, people):
    book = workbook(grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user"))
    sheet = book.active
    sheet.cell(row_of(sheet, "ae"), 3, 100)
    sheet.cell(row_of(sheet, "other_ae"), 3, 100)
    with pytest.raises(ValidationError) as error:
        grid_import(people.manager, saved(book))
    assert any("you cannot set targets for Other_Ae Tester" in m for m in error.value.messages)
    assert Target.objects.count() == 0


def test_a_file_that_is_not_a_grid_is_refused(world, people):
    with pytest.raises(ValidationError) as error:
        grid_import(people.ops, b"not a workbook")
    assert "not an XLSX workbook" in error.value.messages[0]
    book = workbook(grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user"))
    book.active["B1"] = "happiness"
    book.active["D5"] = "March"
    with pytest.raises(ValidationError) as error:
        grid_import(people.ops, saved(book))
    assert error.value.messages[0].startswith("B1: unknown metric 'happiness'")


def test_the_command_exports_and_imports(world, people, tmp_path, capsys):
    path = tmp_path / "targets.xlsx"
    call_command("targets", "export", "-o", str(path), "--year", "2026", "--as", "ops")
    book = load_workbook(path)
    book.active.cell(row_of(book.active, "ae"), 3, 777)
    book.save(path)
    call_command("targets", "import", str(path), "--as", "ops")
    assert "1 cell(s) saved" in capsys.readouterr().out
    assert Target.objects.get().amount == Decimal("777.00")
    book.active.cell(row_of(book.active, "ae"), 4, "x")
    book.save(path)
    with pytest.raises(CommandError) as error:
        call_command("targets", "import", str(path), "--as", "ops")
    assert "1 problem(s)" in str(error.value)
    assert "D" in capsys.readouterr().err


def test_importing_an_unchanged_export_changes_nothing(world, people):
    services.target_create(
        by=people.ops,
        user=people.ae,
        metric="won_revenue",
        period_kind="month",
        period_start=D(2026, 3, 1),
        amount="1500",
    )
    data = grid_workbook(people.ops, metric="won_revenue", year=2026, dimension="user")
    grid, written = grid_import(people.ops, data)
    assert written == []
    assert Target.objects.get().version == 1
