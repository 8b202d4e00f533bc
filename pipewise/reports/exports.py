"""A saved report's result as a file: CSV, XLSX or PDF (the same rows as page and API).

The rows are few (one per group, at most ``MAX_RESULT_ROWS``); the records behind a
report are exported, streamed, by the entity's own exporter (``web.export``).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipewise.reports.builder import ReportResult

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


def result_csv(result: ReportResult) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([cell_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def result_xlsx(result: ReportResult, title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Report")
    sheet.append(result.columns)
    for row in result.rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def result_pdf(result: ReportResult, title: str, subtitle: str = "") -> bytes:
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), title=title)
    table = Table(
        [result.columns, *[[cell_text(v) for v in row] for row in result.rows]], repeatRows=1
    )
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
