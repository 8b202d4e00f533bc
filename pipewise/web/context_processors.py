"""What every page of the workspace needs: the navigation and who is looking."""

from __future__ import annotations

from pipewise.core.money import company_currency

NAVIGATION = [
    ("my_day", "My day", "web:my_day", "bi-sun"),
    ("leads", "Leads", "leads:list", "bi-person-lines-fill"),
    ("accounts", "Accounts", "customers:account_list", "bi-building"),
    ("contacts", "Contacts", "customers:contact_list", "bi-person-vcard"),
    ("opportunities", "Opportunities", "pipeline:list", "bi-graph-up-arrow"),
    ("board", "Pipeline board", "pipeline:board", "bi-kanban"),
    ("tasks", "Tasks", "activities:task_list", "bi-check2-square"),
    ("approvals", "Approvals", "pipeline:approvals", "bi-patch-check"),
    ("orders", "Orders", "pipeline:orders", "bi-box-seam"),
    ("process", "Sales process", "pipeline:process_map", "bi-diagram-2"),
    ("planning", "Targets", "planning:targets", "bi-bullseye"),
    ("dashboards", "Dashboards", "reports:dashboards", "bi-speedometer2"),
    ("reports", "Reports", "reports:report_list", "bi-table"),
]


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"currency": company_currency()}
    return {
        "currency": company_currency(),
        "navigation": NAVIGATION,
        "can_configure": user.can_configure,
        "read_only": user.is_read_only,
    }
