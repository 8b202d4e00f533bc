"""A saved report's result as a file: CSV, XLSX or PDF (the same rows as page and API,
with the page's headings and labels and its total row), and the records behind a report
as people read them: the account, owner and stage by name, choices by label
(``RECORD_COLUMNS``; the CLI's ``pipewise export`` keeps the import format's keys).

The result rows are few (one per group, at most ``MAX_RESULT_ROWS``); the records are
streamed (CSV) from one ``values_list`` query.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipewise.core.money import company_currency
from pipewise.reports.builder import ENTITIES, ReportResult, path_field

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def cell_text(value) -> str:
    """A result cell as text: empty for null, decimals without trailing zeros beyond cents."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        normal = value.normalize()
        return f"{value:.2f}" if normal == value.quantize(Decimal("0.01")) else str(normal)
    return str(value)


TOTAL = "Total"


def result_table(result: ReportResult) -> list[list]:
    """The heading row, a row per group (labels as the page shows them, then the values)
    and the total row when grouped."""
    count = result.group_count
    rows = [[*shown, *row[count:]] for row, shown in zip(result.rows, result.shown, strict=True)]
    if result.totals is not None and rows:
        rows.append([TOTAL, *[""] * (count - 1), *result.totals])
    return [result.headings, *rows]


def result_csv(result: ReportResult) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    heading, *rows = result_table(result)
    writer.writerow(heading)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def result_xlsx(result: ReportResult, title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Report")
    heading, *rows = result_table(result)
    sheet.append(heading)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def result_pdf(result: ReportResult, title: str, subtitle: str = "") -> bytes:
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), title=title)
    heading, *rows = result_table(result)
    table = Table([heading, *[[cell_text(v) for v in row] for row in rows]], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edfb")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (result.group_count, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story = [Paragraph(title, styles["Title"])]
    if subtitle:
        story.append(Paragraph(subtitle, styles["Normal"]))
    story += [Spacer(1, 12), table]
    document.build(story)
    return out.getvalue()


def render(result: ReportResult, fmt: str, title: str, subtitle: str = "") -> bytes:
    if fmt == "csv":
        return result_csv(result)
    if fmt == "xlsx":
        return result_xlsx(result, title)
    return result_pdf(result, title, subtitle)


# --- the records behind a report -------------------------------------------------------
PERSON = "person"  # the path is a link to a user: written as the person's name
CHOICE = "choice"  # written as the choice's label
MONEY = "money"  # the heading names the company currency
MOMENT = "moment"  # a date and time, in the company's time zone
RECORDS_CHUNK = 2000


@dataclass(frozen=True)
class RecordColumn:
    heading: str
    path: str
    kind: str = ""


RECORD_COLUMNS: dict[str, tuple[RecordColumn, ...]] = {
    "opportunities": (
        RecordColumn("Deal", "name"),
        RecordColumn("Account", "account__name"),
        RecordColumn("Owner", "owner", PERSON),
        RecordColumn("Sales process", "pipeline__name"),
        RecordColumn("Stage", "stage__name"),
        RecordColumn("Status", "status", CHOICE),
        RecordColumn("Amount", "amount", MONEY),
        RecordColumn("Expected close date", "close_date"),
        RecordColumn("Forecast category", "forecast_category", CHOICE),
        RecordColumn("Source", "source"),
        RecordColumn("Created", "created_at", MOMENT),
    ),
    "leads": (
        RecordColumn("First name", "first_name"),
        RecordColumn("Last name", "last_name"),
        RecordColumn("Company", "company"),
        RecordColumn("Owner", "owner", PERSON),
        RecordColumn("Status", "status", CHOICE),
        RecordColumn("Rating", "rating", CHOICE),
        RecordColumn("Source", "source", CHOICE),
        RecordColumn("Score", "score"),
        RecordColumn("Territory", "territory__name"),
        RecordColumn("Campaign", "campaign"),
        RecordColumn("Created", "created_at", MOMENT),
    ),
    "activities": (
        RecordColumn("Type", "type", CHOICE),
        RecordColumn("Subject", "subject"),
        RecordColumn("Owner", "owner", PERSON),
        RecordColumn("Outcome", "outcome", CHOICE),
        RecordColumn("Account", "account__name"),
        RecordColumn("Deal", "opportunity__name"),
        RecordColumn("Occurred", "occurred_at", MOMENT),
        RecordColumn("Minutes", "duration_minutes"),
    ),
    "tasks": (
        RecordColumn("Task", "title"),
        RecordColumn("Assigned to", "assignee", PERSON),
        RecordColumn("Status", "status", CHOICE),
        RecordColumn("Priority", "priority", CHOICE),
        RecordColumn("Due", "due_at", MOMENT),
        RecordColumn("Account", "account__name"),
        RecordColumn("Deal", "opportunity__name"),
    ),
    "accounts": (
        RecordColumn("Account", "name"),
        RecordColumn("Owner", "owner", PERSON),
        RecordColumn("Type", "type", CHOICE),
        RecordColumn("Industry", "industry"),
        RecordColumn("Country", "country"),
        RecordColumn("Territory", "territory__name"),
        RecordColumn("Segment", "segment__name"),
        RecordColumn("Employees", "employees"),
        RecordColumn("Annual revenue", "annual_revenue", MONEY),
        RecordColumn("Created", "created_at", MOMENT),
    ),
    "line_items": (
        RecordColumn("Deal", "opportunity__name"),
        RecordColumn("Account", "opportunity__account__name"),
        RecordColumn("Owner", "opportunity__owner", PERSON),
        RecordColumn("Stage", "opportunity__stage__name"),
        RecordColumn("Product", "product__name"),
        RecordColumn("Product line", "product__product_line__name"),
        RecordColumn("Quantity", "quantity"),
        RecordColumn("Unit price", "unit_price", MONEY),
        RecordColumn("Discount (%)", "discount_percent"),
    ),
}
PERSON_PARTS = ("first_name", "last_name", "username")


def _record_heading(column: RecordColumn) -> str:
    return f"{column.heading} ({company_currency()})" if column.kind == MONEY else column.heading


def _person(first, last, username) -> str:
    return f"{first} {last}".strip() or username or ""


def _record_reader(model, column: RecordColumn, zone):
    """The ``values_list`` paths a column reads, and how they become one cell (a function
    of those values, or None: the value as it is)."""
    if column.kind == PERSON:
        return [f"{column.path}__{part}" for part in PERSON_PARTS], _person
    if column.kind == CHOICE:
        labels = {str(k): str(v) for k, v in path_field(model, column.path).choices or []}
        return [column.path], lambda value: "" if value is None else labels.get(value, value)
    if column.kind == MOMENT:
        # Read as text and parsed here (in C; Django's loaders are pure Python), written
        # in the company's time zone to the minute ("2026-03-02 14:05").
        def moment(text):
            if text is None:
                return None
            value = datetime.datetime.fromisoformat(text)
            if value.tzinfo is None:  # SQLite stores UTC without an offset
                value = value.replace(tzinfo=datetime.UTC)
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

        return [Cast(column.path, TextField())], moment
    return [column.path], None


def record_rows(entity: str, queryset: QuerySet) -> Iterator[list]:
    """The heading row, then one row per record of ``queryset``, streamed (one query,
    read in chunks): Python values (strings, numbers, dates), labels where the record
    links to another."""
    columns = RECORD_COLUMNS[entity]
    model = ENTITIES[entity].model
    zone = timezone.get_current_timezone()
    paths, cells, position = [], [], 0
    for column in columns:
        column_paths, read = _record_reader(model, column, zone)
        paths += column_paths
        cells.append((position, position + len(column_paths), read))
        position += len(column_paths)
    yield [_record_heading(column) for column in columns]
    rows = queryset.order_by("pk").values_list(*paths)
    for values in rows.iterator(chunk_size=RECORDS_CHUNK):
        yield [
            values[start] if read is None else read(*values[start:stop])
            for start, stop, read in cells
        ]


def records_csv(entity: str, queryset: QuerySet) -> Iterator[str]:
    """The records as CSV text, a chunk of rows at a time (a byte-order mark first, so
    that spreadsheet programs read UTF-8). The csv module writes null as empty, dates
    as ISO dates and amounts as stored (two places)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    rows = record_rows(entity, queryset)
    writer.writerow(next(rows))
    while batch := list(itertools.islice(rows, RECORDS_CHUNK)):
        writer.writerows(batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def records_xlsx(entity: str, queryset: QuerySet) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Records")
    for row in record_rows(entity, queryset):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
