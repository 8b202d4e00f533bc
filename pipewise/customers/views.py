"""Web pages for accounts and contacts: lists, details with everything linked, create/edit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from pipewise.activities.permissions import (
    activity_visible_to,
    carried_over_to,
    task_visible_to,
)
from pipewise.customers.choices import AccountType, BuyingRole
from pipewise.customers.filters import AccountFilter, ContactFilter
from pipewise.customers.forms import AccountForm, ContactForm
from pipewise.customers.permissions import (
    access_account,
    access_contact,
    account_visible_to,
    contact_visible_to,
)
from pipewise.customers.services import (
    account_create,
    account_update,
    contact_create,
    contact_update,
)
from pipewise.org.models import Segment, Territory, User
from pipewise.org.permissions import can_change_owned
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.pipeline.selectors import opportunity_list, opportunity_totals
from pipewise.web.access import writer_required
from pipewise.web.export import export_response
from pipewise.web.forms import form_saved
from pipewise.web.history import readable_history
from pipewise.web.lists import keyset_page
from pipewise.web.lookup import lookup_options

ACCOUNT_SORTS = {
    "name": ("Name", "name"),
    "created": ("Created", "created_at"),
    "employees": ("Employees", "employees"),
    "revenue": ("Revenue", "annual_revenue"),
}
CONTACT_SORTS = {
    "name": ("Name", "last_name"),
    "created": ("Created", "created_at"),
}
RELATED_LIMIT = 50


def _people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


@login_required
def account_list(request):
    accounts = account_visible_to(request.user)
    account_filter = AccountFilter(request.GET, queryset=accounts)
    accounts = account_filter.qs
    if request.GET.get("export"):
        return export_response(request, "accounts", accounts)
    page = keyset_page(
        request,
        accounts.select_related("owner", "territory", "segment"),
        sort_options=ACCOUNT_SORTS,
        default_sort="name",
    )
    return render(
        request,
        "customers/account_list.html",
        {
            "section": "accounts",
            "title": "Accounts",
            "page": page,
            "filter": account_filter,
            "types": AccountType.choices,
            "people": _people(),
            "territories": Territory.objects.order_by("name"),
            "segments": Segment.objects.order_by("name"),
        },
    )


@login_required
def account_detail(request, pk):
    user = request.user
    account = get_object_or_404(
        account_visible_to(user).select_related("owner", "territory", "segment"), pk=pk
    )
    opportunities = opportunity_visible_to(user).filter(account=account)
    return render(
        request,
        "customers/account_detail.html",
        {
            "section": "accounts",
            "title": account.name,
            "account": account,
            "contacts": list(
                contact_visible_to(user)
                .filter(account=account)
                .order_by("last_name")[:RELATED_LIMIT]
            ),
            "opportunities": list(
                opportunity_list(opportunities).order_by("-close_date")[:RELATED_LIMIT]
            ),
            "opportunity_totals": opportunity_totals(opportunities.filter(status="open")),
            "activities": list(
                (
                    activity_visible_to(user).filter(
                        Q(account=account)
                        | Q(opportunity_id__in=opportunities.values("pk"))
                        | Q(contact_id__in=account.contacts.values("pk"))
                    )
                    | carried_over_to("account", account)
                )
                .select_related("owner", "opportunity", "account", "contact", "lead")
                .order_by("-occurred_at")[:RELATED_LIMIT]
            ),
            "tasks": list(
                task_visible_to(user)
                .filter(account=account, status__in=("open", "in_progress"))
                .select_related("assignee")
                .order_by("due_at")[:20]
            ),
            "can_change": can_change_owned(user, account.owner_id),
            "history": readable_history(account, user=request.user, limit=20),
        },
    )


@writer_required
def account_create_view(request):
    user = request.user
    form = AccountForm(request.POST or None, user=user)
    account = form_saved(
        request,
        form,
        lambda: account_create(by=user, **form.values()),
        success="Account “{record}” created.",
    )
    if account:
        return redirect("customers:account_detail", pk=account.pk)
    return render(
        request,
        "customers/account_form.html",
        {"section": "accounts", "title": "New account", "form": form},
    )


@writer_required
def account_edit(request, pk):
    user = request.user
    account = access_account(user, pk, for_write=True)
    form = AccountForm(request.POST or None, instance=account, user=user)
    saved = form_saved(
        request,
        form,
        lambda: account_update(
            account=account,
            by=user,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        ),
        success="Account saved.",
    )
    if saved:
        return redirect("customers:account_detail", pk=saved.pk)
    return render(
        request,
        "customers/account_form.html",
        {"section": "accounts", "title": f"Edit {account}", "form": form, "account": account},
    )


@login_required
def contact_list(request):
    contacts = contact_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        contacts = contacts.filter(
            Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(email__icontains=q)
        )
    contact_filter = ContactFilter(request.GET, queryset=contacts)
    contacts = contact_filter.qs
    if request.GET.get("export"):
        return export_response(request, "contacts", contacts)
    page = keyset_page(
        request,
        contacts.select_related("owner", "account"),
        sort_options=CONTACT_SORTS,
        default_sort="-id",
    )
    return render(
        request,
        "customers/contact_list.html",
        {
            "section": "contacts",
            "title": "Contacts",
            "page": page,
            "filter": contact_filter,
            "buying_roles": BuyingRole.choices,
            "people": _people(),
        },
    )


@login_required
def contact_detail(request, pk):
    user = request.user
    contact = get_object_or_404(contact_visible_to(user).select_related("owner", "account"), pk=pk)
    return render(
        request,
        "customers/contact_detail.html",
        {
            "section": "contacts",
            "title": contact.full_name,
            "contact": contact,
            "account_visible": account_visible_to(user).filter(pk=contact.account_id).exists(),
            "opportunities": list(
                opportunity_list(opportunity_visible_to(user).filter(contact=contact)).order_by(
                    "-close_date"
                )[:RELATED_LIMIT]
            ),
            "activities": list(
                (
                    activity_visible_to(user).filter(contact=contact)
                    | carried_over_to("contact", contact)
                )
                .select_related("owner", "opportunity", "account", "contact", "lead")
                .order_by("-occurred_at")[:RELATED_LIMIT]
            ),
            "can_change": can_change_owned(user, contact.owner_id),
            "history": readable_history(contact, user=request.user, limit=20),
        },
    )


@writer_required
def contact_create_view(request):
    user = request.user
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"]
    form = ContactForm(request.POST or None, user=user, initial=initial)
    contact = form_saved(
        request,
        form,
        lambda: contact_create(by=user, **form.values()),
        success="Contact “{record}” created.",
    )
    if contact:
        return redirect("customers:contact_detail", pk=contact.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"section": "contacts", "title": "New contact", "form": form},
    )


@writer_required
def contact_edit(request, pk):
    user = request.user
    contact = access_contact(user, pk, for_write=True)
    form = ContactForm(request.POST or None, instance=contact, user=user)
    saved = form_saved(
        request,
        form,
        lambda: contact_update(
            contact=contact,
            by=user,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        ),
        success="Contact saved.",
    )
    if saved:
        return redirect("customers:contact_detail", pk=saved.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"section": "contacts", "title": f"Edit {contact}", "form": form, "contact": contact},
    )


@login_required
def account_lookup(request):
    return lookup_options(
        request, account_visible_to(request.user), ["name", "domain"], order_by="name"
    )


@login_required
def contact_lookup(request):
    return lookup_options(
        request,
        contact_visible_to(request.user).select_related("account"),
        ["last_name", "first_name", "email"],
        order_by="last_name",
    )
