"""Template helpers of the reports pages: a KPI value written in its unit."""

from __future__ import annotations

from decimal import Decimal

from django import template

from pipewise.reports.choices import Unit
from pipewise.reports.exports import cell_text
from pipewise.web.templatetags.pipewise import money

register = template.Library()

SUFFIXES = {
    Unit.DAYS: " days",
    Unit.HOURS: " h",
    Unit.PER_WEEK: " / week",
    Unit.CURRENCY_PER_DAY: " / day",
}


@register.filter
def kpi_value(value, unit) -> str:
    """A KPI value for people: €120,000 · 42.5 % · 3.1× · 12.4 days; "—" when undefined."""
    if value is None or value == "":
        return "—"
    if unit in (Unit.CURRENCY, Unit.CURRENCY_PER_DAY):
        return money(value) + SUFFIXES.get(unit, "")
    if unit == Unit.COUNT:
        return f"{int(value):,}"
    if unit == Unit.RATIO:
        return f"{Decimal(value) * 100:,.1f} %"
    if unit == Unit.PERCENT:
        return f"{Decimal(value):,.1f} %"
    if unit == Unit.MULTIPLE:
        return f"{Decimal(value):,.2f}×"
    return f"{Decimal(value):,.1f}{SUFFIXES.get(unit, '')}"


@register.filter
def chart_number(value) -> str:
    """A value as a plain number for a chart (ratios stay fractions); empty for undefined."""
    return "" if value is None else str(value)


@register.filter
def words(key) -> str:
    """A key as words: product_line → Product line."""
    return str(key).replace("_", " ").capitalize()


@register.filter
def report_cell(value) -> str:
    """A report result cell as exported (cents for amounts, "—" for undefined)."""
    return "—" if value is None else cell_text(value)


@register.filter
def report_value(value, unit) -> str:
    """A report result value for people: money in the company currency, counts with
    thousands separators, a KPI in its unit, other numbers to two places; "—" for
    undefined."""
    if value is None or value == "":
        return "—"
    if unit:
        return kpi_value(value, unit)
    number = Decimal(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
