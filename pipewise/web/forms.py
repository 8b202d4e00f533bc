"""What every web form shares: service errors as field messages, versions, record lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from pipewise.core.concurrency import ConcurrentUpdate

T = TypeVar("T")

CHANGED_BY_SOMEONE_ELSE = (
    "Someone else changed this record while you were editing it. "
    "Your changes were not saved: reload the page to see their version, then apply yours again."
)


def form_saved(request, form: forms.BaseForm, save: Callable[[], T], *, success: str) -> T | None:
    """Run ``save`` (one service call) when a POSTed ``form`` is valid; what it returned, or None.

    None means nothing was written: a GET, an invalid form, or a service that
    refused (its reasons are then on the form, by field). On success ``success``
    (formatted with ``record``) is flashed, and the caller redirects.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        record = save()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, success.format(record=record))
    return record


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when the form has that field.

    A stale ``version`` (someone else saved first) becomes one clear message at the top.
    """
    if isinstance(exc, ConcurrentUpdate):
        form.add_error(None, CHANGED_BY_SOMEONE_ELSE)
        form.stale = True
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, field_messages in exc.message_dict.items():
        if name in form.fields and name not in form.errors:
            form.add_error(name, field_messages)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, field_messages)
        else:
            label = name.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {m}" for m in field_messages])


class VersionedForm(forms.Form):
    """A form that edits a versioned record: it carries the version it was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LookupSelect(forms.Select):
    """A select for a link to a record of a possibly huge table (accounts, contacts, ...).

    Only the chosen record is rendered as an option; the ``lookup_url`` (an htmx
    search box beside it, see ``web/widgets/lookup_select.html``) fills in others.
    """

    template_name = "web/widgets/lookup_select.html"

    def __init__(self, *args, lookup_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.lookup_url = lookup_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = self.lookup_url
        return context

    def optgroups(self, name, value, attrs=None):
        chosen = [v for v in value if v not in ("", None)]
        options = [self.create_option(name, "", "—", not chosen, 0)]
        queryset = getattr(self.choices, "queryset", None)
        if chosen and queryset is not None:
            for index, record in enumerate(queryset.filter(pk__in=chosen)[:20], start=1):
                options.append(self.create_option(name, record.pk, str(record), True, index))
        return [(None, options, 0)]
