"""Documents made from deals: the quote PDF (reportlab, no external services).

A quote goes to the customer, so it carries what they need to accept and pay it:
who sells (the company's name, address and tax id, from Organisation settings and
the ``PIPEWISE_COMPANY_*`` settings), to whom (the account's address and the
deal's contact), the lines, the net amount, the tax and the total, the validity
and the payment terms; numbers and dates in the company's locale
(``PIPEWISE_LOCALE``: 1.234,56 in German, 1,234.56 in British English).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipewise.core.money import CENTS, to_money
from pipewise.org.models import OrganisationSettings

if TYPE_CHECKING:
    from pipewise.customers.models import Account
    from pipewise.pipeline.models import Quote

LINE_HEADINGS = ["Product", "SKU", "Qty", "Unit price", "Discount", "Total"]
LINE_WIDTHS = [58 * mm, 26 * mm, 14 * mm, 26 * mm, 20 * mm, 30 * mm]


@dataclass(frozen=True)
class Seller:
    """The company as it appears on a quote."""

    name: str
    address: list[str]
    tax_id: str
    payment_terms: str
    tax_rate: Decimal
    locale: str

    @classmethod
    def current(cls) -> Seller:
        return cls(
            name=OrganisationSettings.current().company_name,
            address=list(settings.PIPEWISE_COMPANY_ADDRESS),
            tax_id=settings.PIPEWISE_COMPANY_TAX_ID,
            payment_terms=settings.PIPEWISE_PAYMENT_TERMS,
            tax_rate=Decimal(settings.PIPEWISE_TAX_RATE),
            locale=settings.PIPEWISE_LOCALE,
        )


@dataclass(frozen=True)
class QuoteTotals:
    """Net (the lines after discount), the tax on it at the company's rate, and the total."""

    net: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def of(cls, net: Decimal, tax_rate: Decimal) -> QuoteTotals:
        tax = to_money(net * tax_rate * CENTS)
        return cls(net=net, tax=tax, total=net + tax)


def number(value, places: int = 2) -> str:
    """A number in the active locale, grouped: 14.800,00 (de), 14,800.00 (en-gb)."""
    return formats.number_format(Decimal(value), places, use_l10n=True, force_grouping=True)


def exact(value) -> str:
    """A number with the places it needs, no trailing zeros: 10, 2,5 (de), 7.7 (en)."""
    amount = Decimal(value)
    return number(amount, max(-amount.normalize().as_tuple().exponent, 0))


def day(value: datetime.date) -> str:
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def account_address(account: Account) -> list[str]:
    """The customer's postal address as lines (the parts that are filled in)."""
    town = " ".join(part for part in (account.postcode, account.city) if part)
    return [line for line in (account.street, town, account.country) if line]


def render_quote_pdf(quote: Quote) -> bytes:
    """The quote as an A4 PDF a customer can receive and accept.

    Names go through ``escape``: reportlab paragraphs read ``<`` and ``&`` as markup.
    """
    seller = Seller.current()
    with translation.override(seller.locale):
        return _render(quote, seller)


def _render(quote: Quote, seller: Seller) -> bytes:
    opportunity = quote.opportunity
    account = opportunity.account
    contact = opportunity.contact
    owner = opportunity.owner
    styles = getSampleStyleSheet()
    normal, small = styles["Normal"], styles["BodyText"]
    totals = QuoteTotals.of(quote.amount, seller.tax_rate)
    currency = quote.currency

    def money(value) -> str:
        return f"{number(value)} {currency}"

    def block(title: str, lines: list[str]) -> Paragraph:
        text = "<br/>".join([f"<b>{escape(title)}</b>", *(escape(line) for line in lines)])
        return Paragraph(text, normal)

    ours = [seller.name, *seller.address]
    if seller.tax_id:
        ours.append(f"Tax ID: {seller.tax_id}")
    theirs = [account.name, *account_address(account)]
    if contact is not None:
        title = f", {contact.title}" if contact.title else ""
        theirs.append(f"Attn: {contact.full_name}{title}")
        if contact.email:
            theirs.append(contact.email)
    parties = Table(
        [[block("From", ours), block("To", theirs)]], colWidths=[87 * mm, 87 * mm], hAlign="LEFT"
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    issued = timezone.localdate(quote.created_at)
    owner_line = owner.get_full_name() or owner.username
    if owner.email:
        owner_line += f" · {owner.email}"
    facts = Table(
        [
            ["Quote number", quote.number],
            ["Version", str(quote.version)],
            ["Date", day(issued)],
            ["Valid until", day(quote.valid_until)],
            ["Deal", Paragraph(escape(opportunity.name), normal)],
            ["Your contact", Paragraph(escape(owner_line), normal)],
        ],
        colWidths=[50 * mm, 124 * mm],
        hAlign="LEFT",
    )
    facts.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )

    rows = [list(LINE_HEADINGS)]
    for line in quote.lines:
        rows.append(
            [
                Paragraph(escape(line["product"]), normal),
                line["sku"],
                exact(line["quantity"]),
                money(line["unit_price"]),
                f"{number(line['discount_percent'])} %",
                money(line["total"]),
            ]
        )
    body_end = len(rows) - 1
    rate = f"{exact(seller.tax_rate)} %"
    rows += [
        ["", "", "", "", "Net", money(totals.net)],
        ["", "", "", "", f"Tax {rate}", money(totals.tax)],
        ["", "", "", "", "Total", money(totals.total)],
    ]
    table = Table(rows, colWidths=LINE_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (4, body_end + 1), (-1, body_end + 1), 0.5, colors.grey),
                ("LINEABOVE", (4, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Quote {quote.number}",
        author=seller.name,
    )
    story = [
        Paragraph(escape(seller.name), styles["Title"]),
        parties,
        Spacer(1, 6 * mm),
        Paragraph(f"Quote {quote.number}", styles["Heading2"]),
        facts,
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            escape(
                f"Prices in {currency}. Line totals are net of the discounts shown; tax is "
                f"added at {rate}."
            ),
            small,
        ),
        Paragraph(escape(f"This quote is valid until {day(quote.valid_until)}."), small),
        Paragraph(escape(f"Payment terms: {seller.payment_terms}"), small),
    ]
    document.build(story)
    return buffer.getvalue()
