"""What every page of the workspace needs: the navigation and who is looking."""

from __future__ import annotations

from pipewise.core.money import company_currency
from pipewise.pipeline.permissions import can_use_approvals, can_use_orders
from pipewise.planning.permissions import can_use_targets


def _everyone(user) -> bool:
    return True


# Each entry: key, label, URL name, icon, and the permission function its page checks
# (the same function, so a menu never shows a page that would answer 404).
NAVIGATION = [
    ("my_day", "My day", "web:my_day", "bi-sun", _everyone),
    ("leads", "Leads", "leads:list", "bi-person-lines-fill", _everyone),
    ("accounts", "Accounts", "customers:account_list", "bi-building", _everyone),
    ("contacts", "Contacts", "customers:contact_list", "bi-person-vcard", _everyone),
    ("opportunities", "Opportunities", "pipeline:list", "bi-graph-up-arrow", _everyone),
    ("board", "Pipeline board", "pipeline:board", "bi-kanban", _everyone),
    ("tasks", "Tasks", "activities:task_list", "bi-check2-square", _everyone),
    ("approvals", "Approvals", "pipeline:approvals", "bi-patch-check", can_use_approvals),
    ("orders", "Orders", "pipeline:orders", "bi-box-seam", can_use_orders),
    ("process", "Sales process", "pipeline:process_map", "bi-diagram-2", _everyone),
    ("planning", "Targets", "planning:targets", "bi-bullseye", can_use_targets),
    ("dashboards", "Dashboards", "reports:dashboards", "bi-speedometer2", _everyone),
    ("reports", "Reports", "reports:report_list", "bi-table", _everyone),
]


def navigation_for(user) -> list[tuple[str, str, str, str]]:
    """The menu entries ``user`` can use: key, label, URL name, icon."""
    return [entry[:4] for entry in NAVIGATION if entry[4](user)]


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"currency": company_currency()}
    return {
        "currency": company_currency(),
        "navigation": navigation_for(user),
        "can_configure": user.can_configure,
        "read_only": user.is_read_only,
    }
