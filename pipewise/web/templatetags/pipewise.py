"""Template helpers of the web workspace: money, dates, URLs that keep the filters."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html

from pipewise.core.money import company_currency

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def money_symbol() -> str:
    return CURRENCY_SYMBOLS.get(company_currency(), company_currency() + " ")


@register.filter
def money(value, places=0):
    """€120,000 (whole units by default; ``|money:2`` shows cents). Empty for None."""
    if value is None or value == "":
        return ""
    places = int(places)
    amount = Decimal(value)
    symbol = CURRENCY_SYMBOLS.get(company_currency(), company_currency() + " ")
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.{places}f}"


@register.filter
def money_short(value):
    """€1.2M, €340k, €950 — for column headers and cards."""
    if value is None:
        return money(0)
    amount = Decimal(value)
    symbol = CURRENCY_SYMBOLS.get(company_currency(), company_currency() + " ")
    for limit, suffix in ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M")):
        if abs(amount) >= limit:
            return f"{symbol}{amount / limit:,.1f}{suffix}"
    if abs(amount) >= 10_000:
        return f"{symbol}{amount / 1000:,.0f}k"
    return f"{symbol}{amount:,.0f}"


def _as_datetime(value):
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return timezone.make_aware(datetime.datetime.combine(value, datetime.time.max))
    return None


@register.filter
def lateness(value) -> str:
    """How late a due time or date is: "3 days late", "5 h late"; "" when not late."""
    due = _as_datetime(value)
    if due is None:
        return ""
    late = timezone.now() - due
    if late.total_seconds() <= 0:
        return ""
    if late.days >= 1:
        return f"{late.days} day{'s' if late.days != 1 else ''} late"
    hours = max(1, int(late.total_seconds() // 3600))
    return f"{hours} h late"


@register.filter
def is_past(value) -> bool:
    due = _as_datetime(value)
    return bool(due and due < timezone.now())


@register.filter
def days_since(value) -> int:
    if not value:
        return 0
    return (timezone.now() - value).days


@register.filter
def duration(delta) -> str:
    """A timedelta as "12 d 4 h", "3 h 10 min", "5 min"."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def initials(user) -> str:
    if not user:
        return "?"
    first, last = (user.first_name or "")[:1], (user.last_name or "")[:1]
    return (first + last).upper() or user.username[:2].upper()


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current URL's query with some parameters changed (None removes one).

    Changing anything but the cursor drops the cursor: a new sort or filter starts at page one.
    """
    params = context["request"].GET.copy()
    if not {"after", "before"} & set(changes):
        params.pop("after", None)
        params.pop("before", None)
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, ""):
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("web/_sort_th.html", takes_context=True)
def sort_th(context, key, label, css="", highest_first=False):
    """A sortable column header; the first click sorts ascending, or with ``highest_first``
    (scores, amounts) descending, and the next click turns the order round."""
    page = context["page"]
    current = page.sort
    ascending = current == key
    descending = current == f"-{key}"
    if highest_first:
        next_sort = key if descending else f"-{key}"
    else:
        next_sort = f"-{key}" if ascending else key
    return {
        "request": context["request"],
        "key": key,
        "label": label,
        "css": css,
        "next_sort": next_sort,
        "aria_sort": "ascending" if ascending else "descending" if descending else "none",
        "ascending": ascending,
        "descending": descending,
    }


def _widget_class(field) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.inclusion_tag("web/_field.html")
def field(bound, label=None, css="", size="", hide_label=False):
    """A labelled Bootstrap form field with its help text and error messages."""
    if bound is None:
        return {}
    base = _widget_class(bound)
    attrs = {"class": f"{base} {base}-{size}" if size and base != "form-check-input" else base}
    if bound.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound.auto_id}_errors"
    elif bound.help_text and not hide_label:
        attrs["aria-describedby"] = f"{bound.auto_id}_help"
    return {
        "bound": bound,
        "widget": bound.as_widget(attrs=attrs),
        "label": label or bound.label,
        "css": css,
        "checkbox": isinstance(bound.field.widget, forms.CheckboxInput),
        "hidden": bound.is_hidden,
        "hide_label": hide_label,
    }


@register.simple_tag
def badge(text, tone="secondary"):
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


RATING_TONES = {"hot": "danger", "warm": "warning", "cold": "info"}
STATUS_TONES = {
    "new": "primary",
    "working": "info",
    "qualified": "success",
    "disqualified": "secondary",
    "converted": "dark",
    "open": "primary",
    "won": "success",
    "lost": "secondary",
    "in_progress": "info",
    "done": "success",
    "cancelled": "secondary",
    "urgent": "danger",
    "high": "warning",
    "normal": "light",
    "low": "light",
}


@register.filter
def tone(value) -> str:
    return RATING_TONES.get(value) or STATUS_TONES.get(value, "secondary")
