"""Change history as people read it: field labels, the names of linked records, choice
labels, dates in the reader's locale format, money formatted.

Linked records are named in one query per kind of record (not one per row), and only
when the reader may see them (each kind's own ``<entity>_visible_to``); a record the
reader may not see reads "(hidden)", so the history leaks nothing its pages would not.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import models
from django.utils import formats, timezone

from pipewise.activities.models import Activity, Task
from pipewise.activities.permissions import activity_visible_to, task_visible_to
from pipewise.catalog.models import PriceList
from pipewise.core.api import history_changes
from pipewise.core.money import MoneyField
from pipewise.customers.models import Account, Contact
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.models import Lead
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.pipeline.models import Milestone, Opportunity, Pipeline, Stage
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.planning.models import SalesPlan, Target
from pipewise.planning.permissions import plan_visible_to, target_visible_to
from pipewise.planning.selectors import MEMBER_RELATIONS
from pipewise.web.templatetags.pipewise import money

HIDDEN = "(hidden)"
YES_NO = {True: "Yes", False: "No"}

# Business records: named only when the reader may see them.
VISIBLE_TO = {
    Account: account_visible_to,
    Contact: contact_visible_to,
    Lead: lead_visible_to,
    Opportunity: opportunity_visible_to,
    Activity: activity_visible_to,
    Task: task_visible_to,
    Target: target_visible_to,
    SalesPlan: plan_visible_to,
}
# The organisation's set-up: every signed-in user may see it (org/permissions.py).
SHARED = (User, Team, Territory, Segment, ProductLine, Pipeline, Stage, Milestone, PriceList)
# What a record's name is made of, fetched with it.
NAME_RELATIONS = {Target: MEMBER_RELATIONS}


def readable_history(record, *, user: User, limit: int = 20) -> list[dict]:
    """The change history of ``record`` for ``user`` to read, newest first: each entry's
    ``at`` and ``by`` as text, and its changes as ``{"label", "before", "after"}``."""
    entries = history_changes(record, limit)
    linked: dict[type[models.Model], set] = defaultdict(set)
    for entry in entries:
        for field, before, after in entry["changes"]:
            if field.is_relation:
                linked[field.related_model].update(v for v in (before, after) if v is not None)
    names = {model: _names(model, ids, user) for model, ids in linked.items()}
    return [
        {
            "type": entry["type"],
            "at": when(entry["at"]),
            "by": str(entry["by"]) if entry["by"] else "system",
            "changes": [
                {
                    "label": field.verbose_name,
                    "before": _shown(field, before, names),
                    "after": _shown(field, after, names),
                }
                for field, before, after in entry["changes"]
            ],
        }
        for entry in entries
    ]


def _names(model: type[models.Model], ids: set, user: User) -> dict:
    """Names of the ``model`` records with ``ids`` that ``user`` may see (one query)."""
    if model in VISIBLE_TO:
        rows = VISIBLE_TO[model](user)
    elif model in SHARED:
        rows = model._default_manager.all()
    else:
        return {}
    rows = rows.filter(pk__in=ids).select_related(*NAME_RELATIONS.get(model, ()))
    return {row.pk: str(row) for row in rows}


def _shown(field, value, names: dict) -> str:
    """One stored value as the reader reads it ("" for nothing, shown as a dash)."""
    if value is None or value == "":
        return ""
    if field.is_relation:
        return names.get(field.related_model, {}).get(value, HIDDEN)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, MoneyField):
        amount = Decimal(value)
        return money(amount, 0 if amount == amount.to_integral_value() else 2)
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, datetime.date):
        return when(value)
    if isinstance(value, (Decimal, int, float)):
        return formats.number_format(value)
    return str(value)


def when(value: datetime.date) -> str:
    """A date or a moment in the active locale's format, moments in local time."""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")
