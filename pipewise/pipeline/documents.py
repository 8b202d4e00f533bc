"""Documents made from deals: the quote PDF (reportlab, no external services)."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipewise.org.models import OrganisationSettings

if TYPE_CHECKING:
    from pipewise.pipeline.models import Quote


def render_quote_pdf(quote: Quote) -> bytes:
    """The quote as an A4 PDF: seller, customer, number and validity, the lines, the total.

    Names go through ``escape``: reportlab paragraphs read ``<`` and ``&`` as markup.
    """
    opportunity = quote.opportunity
    account = opportunity.account
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Quote {quote.number}",
        author=OrganisationSettings.current().company_name,
    )
    story = [
        Paragraph(escape(OrganisationSettings.current().company_name), styles["Title"]),
        Paragraph(f"Quote {quote.number} (version {quote.version})", styles["Heading2"]),
        Paragraph(f"For: {escape(account.name)}", styles["Normal"]),
        Paragraph(f"Deal: {escape(opportunity.name)}", styles["Normal"]),
        Paragraph(
            f"Issued: {quote.created_at:%Y-%m-%d} · Valid until: {quote.valid_until:%Y-%m-%d}",
            styles["Normal"],
        ),
        Paragraph(f"Your contact: {escape(opportunity.owner.get_full_name())}", styles["Normal"]),
        Spacer(1, 8 * mm),
    ]
    rows = [["Product", "SKU", "Qty", "Unit price", "Discount", "Total"]]
    for line in quote.lines:
        rows.append(
            [
                Paragraph(escape(line["product"]), styles["Normal"]),
                line["sku"],
                line["quantity"],
                f"{line['unit_price']}",
                f"{line['discount_percent']} %",
                f"{line['total']}",
            ]
        )
    rows.append(["", "", "", "", "Total", f"{quote.currency} {quote.amount}"])
    table = Table(rows, colWidths=[62 * mm, 28 * mm, 14 * mm, 24 * mm, 20 * mm, 26 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(f"Amounts in {quote.currency}, net of the discounts shown.", styles["Italic"])
    )
    document.build(story)
    return buffer.getvalue()
