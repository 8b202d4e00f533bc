"""Web pages for leads: list (search, filters, bulk changes), detail, create/edit, convert."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pipewise.activities.permissions import activity_visible_to, task_visible_to
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.choices import OPEN_LEAD_STATUSES, LeadSource, LeadStatus, Rating
from pipewise.leads.filters import LeadFilter
from pipewise.leads.forms import LeadBulkForm, LeadConvertForm, LeadForm, LeadStatusForm
from pipewise.leads.permissions import (
    access_lead,
    can_change_lead,
    conversion_landing,
    lead_visible_to,
)
from pipewise.leads.selectors import lead_duplicates
from pipewise.leads.services import lead_change_status, lead_convert, lead_create, lead_update
from pipewise.org.models import Territory, User
from pipewise.pipeline.permissions import opportunity_visible_to
from pipewise.web.access import writer_required
from pipewise.web.export import export_response
from pipewise.web.forms import add_service_errors, form_saved
from pipewise.web.history import readable_history
from pipewise.web.lists import count_label, keyset_page, list_count
from pipewise.web.lookup import lookup_options

LEAD_SORTS = {
    "name": ("Name", "last_name"),
    "company": ("Company", "company"),
    "created": ("Created", "created_at"),
    "score": ("Score", "score"),
}


def filtered_leads(request):
    """The user's visible leads, narrowed by the URL's search and filters."""
    leads = lead_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        leads = leads.filter(
            Q(last_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(company__icontains=q)
            | Q(email__icontains=q)
        )
    lead_filter = LeadFilter(request.GET, queryset=leads)
    return lead_filter, lead_filter.qs


@login_required
def lead_list(request):
    lead_filter, leads = filtered_leads(request)
    if request.GET.get("export"):
        return export_response(request, "leads", leads)
    page = keyset_page(
        request,
        leads.select_related("owner", "territory"),
        sort_options=LEAD_SORTS,
        default_sort="-id",
    )
    counted = count_label(list_count(page, leads), _counted_noun(lead_filter))
    return render(
        request,
        "leads/lead_list.html",
        {
            "section": "leads",
            "title": "Leads",
            "page": page,
            "filter": lead_filter,
            "counted": counted,
            "ratings": Rating.choices,
            "sources": LeadSource.choices,
            "people": User.objects.filter(is_active=True).order_by("first_name", "last_name"),
            "territories": Territory.objects.order_by("name"),
            "bulk_people": User.objects.filter(is_active=True).order_by("first_name"),
        },
    )


def _counted_noun(lead_filter) -> str:
    """What the list counts: "open lead" by default, "converted lead", or just "lead"."""
    if not lead_filter.is_valid():
        return "lead"
    statuses = lead_filter.kept_statuses()
    if statuses == OPEN_LEAD_STATUSES:
        return "open lead"
    if statuses is not None and len(statuses) == 1:
        return f"{LeadStatus(statuses[0]).label.lower()} lead"
    return "lead"


@writer_required
@require_POST
def lead_bulk(request):
    """Assign or re-rate the checked leads; each one goes through the lead service."""
    user = request.user
    form = LeadBulkForm(request.POST, visible=lead_visible_to(user))
    back = request.POST.get("next") or "/leads/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/leads/"
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    changed, refused = 0, []
    with transaction.atomic():
        for lead in form.cleaned_data["leads"]:
            if not can_change_lead(user, lead):
                refused.append(str(lead))
                continue
            if form.cleaned_data["action"] == "assign":
                change = {"owner": form.cleaned_data["owner"]}
            else:
                change = {"rating": form.cleaned_data["rating"]}
            try:
                lead_update(lead=lead, by=user, **change)
            except ValidationError as exc:
                refused.append(f"{lead} ({' '.join(exc.messages)})")
                continue
            changed += 1
    if changed:
        messages.success(request, f"{changed} lead{'s' if changed != 1 else ''} updated.")
    if refused:
        messages.warning(request, "Not changed: " + ", ".join(refused[:10]))
    return redirect(back)


@login_required
def lead_detail(request, pk):
    user = request.user
    lead = get_object_or_404(
        lead_visible_to(user).select_related(
            "owner", "territory", "account__owner", "contact__owner"
        ),
        pk=pk,
    )
    activities = list(
        activity_visible_to(user)
        .filter(lead=lead)
        .select_related("owner", "opportunity", "account", "contact", "lead")
        .order_by("-occurred_at")[:50]
    )
    tasks = list(
        task_visible_to(user).filter(lead=lead).select_related("assignee").order_by("due_at")[:20]
    )
    return render(
        request,
        "leads/lead_detail.html",
        {
            "section": "leads",
            "title": str(lead),
            "lead": lead,
            "activities": activities,
            "tasks": tasks,
            "status_changes": list(
                lead.status_changes.select_related("changed_by").order_by("-changed_at")[:20]
            ),
            "status_form": LeadStatusForm(lead=lead),
            "can_change": can_change_lead(user, lead),
            "history": readable_history(lead, user=request.user, limit=20),
            **_converted_into(user, lead),
        },
    )


def _converted_into(user, lead) -> dict:
    """What the lead became, linked where the reader may open it; a deal handed to someone
    the reader cannot see is named by its owner only."""
    visible = opportunity_visible_to(user).filter(lead=lead).values("pk")
    return {
        "opportunities": list(lead.opportunities.filter(pk__in=visible).select_related("stage")),
        "handed_to": sorted(
            {
                str(deal.owner)
                for deal in lead.opportunities.exclude(pk__in=visible).select_related("owner")
            }
        ),
        "account_visible": bool(lead.account_id)
        and account_visible_to(user).filter(pk=lead.account_id).exists(),
        "contact_visible": bool(lead.contact_id)
        and contact_visible_to(user).filter(pk=lead.contact_id).exists(),
    }


@writer_required
def lead_create_view(request):
    user = request.user
    form = LeadForm(request.POST or None, user=user)
    lead = form_saved(
        request,
        form,
        lambda: lead_create(by=user, **form.values()),
        success="Lead “{record}” created.",
    )
    if lead:
        return redirect("leads:detail", pk=lead.pk)
    return render(
        request,
        "leads/lead_form.html",
        {"section": "leads", "title": "New lead", "form": form},
    )


@writer_required
def lead_edit(request, pk):
    user = request.user
    lead = access_lead(user, pk, for_write=True)
    form = LeadForm(request.POST or None, instance=lead, user=user)
    saved = form_saved(
        request,
        form,
        lambda: lead_update(
            lead=lead, by=user, expected_version=form.cleaned_data["version"], **form.values()
        ),
        success="Lead saved.",
    )
    if saved:
        return redirect("leads:detail", pk=saved.pk)
    return render(
        request,
        "leads/lead_form.html",
        {"section": "leads", "title": f"Edit {lead}", "form": form, "lead": lead},
    )


@writer_required
@require_POST
def lead_status(request, pk):
    user = request.user
    lead = access_lead(user, pk, for_write=True)
    form = LeadStatusForm(request.POST, lead=lead)
    if form.is_valid():
        try:
            lead_change_status(
                lead=lead,
                by=user,
                to_status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Status changed.")
            return redirect("leads:detail", pk=lead.pk)
    for error in form.non_field_errors():
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            messages.error(request, " ".join(errors))
    return redirect("leads:detail", pk=lead.pk)


@writer_required
def lead_convert_view(request, pk):
    """The convert dialog: likely duplicates first, then link to them or create new records."""
    user = request.user
    lead = access_lead(user, pk, for_write=True)
    accounts, contacts = account_visible_to(user), contact_visible_to(user)
    duplicates = lead_duplicates(
        lead, accounts=accounts, contacts=contacts, leads=lead_visible_to(user)
    )
    form = LeadConvertForm(request.POST or None, lead=lead, accounts=accounts, contacts=contacts)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED) and request.method == "GET":
        messages.info(
            request,
            "This lead was already converted."
            if lead.status == LeadStatus.CONVERTED
            else "A disqualified lead cannot be converted; reopen it first.",
        )
        return redirect("leads:detail", pk=lead.pk)
    if request.method == "POST" and form.is_valid():
        try:
            conversion = lead_convert(
                lead=lead,
                by=user,
                expected_version=form.cleaned_data["version"],
                **form.values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            account_how = "new" if conversion.account_created else "linked"
            contact_how = "new" if conversion.contact_created else "linked"
            made = [
                f"account “{conversion.account}” ({account_how})",
                f"contact “{conversion.contact}” ({contact_how})",
            ]
            if conversion.opportunity:
                made.append(f"opportunity “{conversion.opportunity}”")
            kind, landing_pk = conversion_landing(
                user,
                lead=conversion.lead,
                opportunity=conversion.opportunity,
                account=conversion.account,
                contact=conversion.contact,
            )
            messages.success(request, _converted_message(conversion, made, by=user, landing=kind))
            return redirect(LANDING_PAGES[kind], pk=landing_pk)
    chosen_account = (
        request.POST.get("account", "")
        if request.method == "POST"
        else (str(duplicates.accounts[0].pk) if duplicates.accounts else "")
    )
    chosen_contact = request.POST.get("contact", "") if request.method == "POST" else ""
    return render(
        request,
        "leads/lead_convert.html",
        {
            "section": "leads",
            "title": f"Convert {lead}",
            "lead": lead,
            "form": form,
            "duplicates": duplicates,
            "chosen_account": chosen_account,
            "chosen_contact": chosen_contact,
        },
    )


LANDING_PAGES = {
    "opportunity": "pipeline:detail",
    "account": "customers:account_detail",
    "contact": "customers:contact_detail",
    "lead": "leads:detail",
}


def _converted_message(conversion, made: list[str], *, by: User, landing: str) -> str:
    """What the converter is told: what was made, who owns it, what they can no longer open."""
    message = "Lead converted: " + ", ".join(made) + "."
    if conversion.owner.pk != by.pk:
        message += f" {conversion.owner} owns them now"
        message += " and was notified." if conversion.opportunity else "."
        if landing != "opportunity" and conversion.opportunity:
            message += " The deal is theirs, so it is not among the records you can open."
    carried = conversion.activities_carried
    if carried:
        message += f" {carried} activit{'y' if carried == 1 else 'ies'} of the lead moved with it."
    return message


@login_required
def lead_lookup(request):
    return lookup_options(
        request, lead_visible_to(request.user), ["last_name", "first_name", "company", "email"]
    )
