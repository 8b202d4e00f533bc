"""Type-ahead lookups for links to records of big tables (see ``forms.LookupSelect``)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join

LOOKUP_LIMIT = 20


def lookup_options(request, queryset, fields: list[str], *, order_by: str = "-id") -> HttpResponse:
    """``<option>`` elements for the records matching what was typed (visibility applied).

    The typed text comes in the parameter ``<field>__lookup`` (or ``q``).
    """
    text = request.GET.get("q", "")
    for name, value in request.GET.items():
        if name.endswith("__lookup"):
            text = value
    text = text.strip()
    records = []
    if text:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": text})
        records = list(queryset.filter(condition).order_by(order_by)[:LOOKUP_LIMIT])
    if not records:
        empty = "No match — keep typing" if text else "Type to search…"
        return HttpResponse(format_html('<option value="">{}</option>', empty))
    options = format_html_join("", '<option value="{}">{}</option>', ((r.pk, r) for r in records))
    return HttpResponse(format_html('<option value="">— choose —</option>{}', options))
