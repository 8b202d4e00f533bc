"""The targets grid as an XLSX workbook: members down, the fiscal year's months across.

Layout (what a sales ops person edits in a spreadsheet)::

    A1 Metric        B1 won_revenue        (key; C1 shows its name)
    A2 Fiscal year   B2 2026
    A3 Dimension     B3 user               (user, team, territory, product_line, segment,
                                           account, channel)
    row 5            Key | Name | 2026-01 … 2026-12 | Year | Months total
    row 6 …          one member per row: its key (username, team name, territory code,
                     product line or segment name, account id, source key), its name,
                     month targets, annual target
    last row         Total (ignored on import)

Import reads the same layout back. Every problem is named by its cell ("C7: not a
number", "A9: no person 'jdoe'") and nothing is written unless every cell is good.
Blank cells leave existing targets alone.
"""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pipewise.customers.models import Account
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.planning.choices import CHANNEL_CHOICES, Channel, Dimension, Metric, PeriodKind
from pipewise.planning.periods import fiscal_year, periods_in
from pipewise.planning.selectors import target_grid
from pipewise.planning.services import GridCell, targets_grid_save

HEADER_ROW = 5
FIRST_MONTH_COLUMN = 3  # C
NOT_A_WORKBOOK = "This is not an XLSX workbook ({error})."
BAD_METRIC = "B1: unknown metric {value!r}; use one of: {known}."
BAD_YEAR = "B2: not a fiscal year: {value!r}."
BAD_DIMENSION = "B3: unknown dimension {value!r}; use one of: {known}."
BAD_HEADER = "{ref}: expected {expected!r}, found {found!r}."
UNKNOWN_MEMBER = "{ref}: no {what} {value!r}."
REPEATED_MEMBER = "{ref}: {value!r} appears twice."
CELL_PROBLEM = "{ref}: {message}"

MEMBER_KEYS = {
    Dimension.USER: (User, "username", "person"),
    Dimension.TEAM: (Team, "name", "team"),
    Dimension.TERRITORY: (Territory, "code", "territory"),
    Dimension.PRODUCT_LINE: (ProductLine, "name", "product line"),
    Dimension.SEGMENT: (Segment, "name", "segment"),
    # Account names are not unique: an account row is keyed by the account's id.
    Dimension.ACCOUNT: (Account, "pk", "account"),
    # A channel is a deal source, not a record: keyed by the source's key (website …).
    Dimension.CHANNEL: (None, "pk", "channel"),
}


def member_key(dimension: str, member) -> str:
    return str(getattr(member, MEMBER_KEYS[dimension][1]))


def grid_workbook(viewer: User, *, metric: str, year: int, dimension: str) -> bytes:
    """The visible targets of ``metric`` in fiscal ``year`` per member, as XLSX bytes."""
    grid = target_grid(viewer, metric=metric, year=year, dimension=dimension)
    book = Workbook()
    sheet = book.active
    sheet.title = "Targets"
    bold = Font(bold=True)
    for row, (label, value, note) in enumerate(
        [
            ("Metric", metric, Metric(metric).label),
            ("Fiscal year", year, f"{grid.year.start:%d %b %Y} – {grid.year.end:%d %b %Y}"),
            ("Dimension", dimension, Dimension(dimension).label),
        ],
        start=1,
    ):
        sheet.cell(row, 1, label).font = bold
        sheet.cell(row, 2, value)
        sheet.cell(row, 3, note)
    headers = ["Key", "Name", *[m.start.strftime("%Y-%m") for m in grid.months], "Year"]
    headers.append("Months total")
    for column, header in enumerate(headers, start=1):
        sheet.cell(HEADER_ROW, column, header).font = bold
    row = HEADER_ROW
    for row, grid_row in enumerate(grid.rows, start=HEADER_ROW + 1):
        sheet.cell(row, 1, member_key(dimension, grid_row.member))
        sheet.cell(row, 2, str(grid_row.member))
        for offset, amount in enumerate(grid_row.months):
            if amount is not None:
                sheet.cell(row, FIRST_MONTH_COLUMN + offset, amount)
        if grid_row.year_target is not None:
            sheet.cell(row, FIRST_MONTH_COLUMN + 12, grid_row.year_target)
        sheet.cell(row, FIRST_MONTH_COLUMN + 13, grid_row.months_total)
    total_row = row + 1
    sheet.cell(total_row, 1, "Total").font = bold
    for offset, amount in enumerate(grid.month_totals):
        sheet.cell(total_row, FIRST_MONTH_COLUMN + offset, amount).font = bold
    sheet.cell(total_row, FIRST_MONTH_COLUMN + 12, grid.year_total).font = bold
    sheet.cell(total_row, FIRST_MONTH_COLUMN + 13, grid.total).font = bold
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 26
    for column in range(FIRST_MONTH_COLUMN, FIRST_MONTH_COLUMN + 14):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, FIRST_MONTH_COLUMN)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(value) -> str:
    return "" if value is None else str(value).strip()


def grid_import(viewer: User, data: bytes) -> tuple[dict, list]:
    """Read a targets workbook and save it through ``targets_grid_save`` (all or nothing).

    Returns the grid's settings and the targets written; raises ``ValidationError`` whose
    messages each start with the cell reference of a problem.
    """
    try:
        sheet = load_workbook(BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise ValidationError(NOT_A_WORKBOOK.format(error=type(exc).__name__)) from None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    cell = lambda r, c: rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else None  # noqa: E731
    problems = []
    metric = _as_text(cell(1, 2))
    if metric not in Metric.values:
        problems.append(BAD_METRIC.format(value=metric, known=", ".join(Metric.values)))
    year_text = _as_text(cell(2, 2))
    year = int(year_text) if year_text.isdigit() and 1900 < int(year_text) < 3000 else None
    if year is None:
        problems.append(BAD_YEAR.format(value=year_text))
    dimension = _as_text(cell(3, 2))
    if dimension not in Dimension.values:
        problems.append(BAD_DIMENSION.format(value=dimension, known=", ".join(Dimension.values)))
    if problems:
        raise ValidationError(problems)
    months = periods_in(fiscal_year(year), PeriodKind.MONTH)
    year_period = fiscal_year(year)
    expected = ["Key", "Name", *[m.start.strftime("%Y-%m") for m in months], "Year"]
    for offset, header in enumerate(expected):
        found = _as_text(cell(HEADER_ROW, offset + 1))
        if found != header:
            ref = f"{get_column_letter(offset + 1)}{HEADER_ROW}"
            problems.append(BAD_HEADER.format(ref=ref, expected=header, found=found))
    if problems:
        raise ValidationError(problems)
    model, key_field, what = MEMBER_KEYS[dimension]
    keys = [_as_text(r[0]) if r else "" for r in rows[HEADER_ROW:]]
    if model is None:
        known = {key: Channel(key) for key, _ in CHANNEL_CHOICES}
    else:
        wanted = [k for k in keys if k and (key_field != "pk" or k.isdigit())]
        found = model.objects.filter(**{f"{key_field}__in": wanted})
        known = {str(getattr(m, key_field)): m for m in found}
    cells, seen = [], {}
    for index, key in enumerate(keys):
        row_number = HEADER_ROW + 1 + index
        if not key or key == "Total":
            continue
        member = known.get(key)
        if member is None:
            problems.append(UNKNOWN_MEMBER.format(ref=f"A{row_number}", what=what, value=key))
            continue
        if key in seen:
            problems.append(REPEATED_MEMBER.format(ref=f"A{row_number}", value=key))
            continue
        seen[key] = row_number
        for offset, period in enumerate([*months, year_period]):
            column = FIRST_MONTH_COLUMN + offset
            value = cell(row_number, column)
            ref = f"{get_column_letter(column)}{row_number}"
            if isinstance(value, float):
                value = repr(value)
            cells.append(GridCell(ref=ref, member=member, period=period, value=value))
    with transaction.atomic():
        try:
            written = targets_grid_save(by=viewer, metric=metric, dimension=dimension, cells=cells)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            problems += [
                CELL_PROBLEM.format(ref=ref, message=message[0].lower() + message[1:])
                for ref, messages in exc.message_dict.items()
                for message in messages
            ]
        if problems:  # raised inside the transaction: whatever was written is rolled back
            raise ValidationError(sorted(problems, key=_cell_order))
    return {"metric": metric, "year": year, "dimension": dimension}, written


def _cell_order(message: str):
    ref = message.split(":", 1)[0]
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (int(digits) if digits else 0, len(letters), letters)
