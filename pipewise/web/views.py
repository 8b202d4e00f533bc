"""The workspace's own pages: My day, global search, sign-in pages, error pages."""

from __future__ import annotations

import calendar
import datetime

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Q, When
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.csrf import requires_csrf_token

from pipewise.activities.choices import OPEN_TASK_STATUSES, ActivityType
from pipewise.activities.forms import QuickCallForm, QuickTaskForm
from pipewise.activities.permissions import activity_visible_to, task_visible_to
from pipewise.activities.selectors import first_contacts_due
from pipewise.customers.permissions import account_visible_to, contact_visible_to
from pipewise.leads.choices import LeadStatus, Rating
from pipewise.leads.permissions import lead_visible_to
from pipewise.leads.selectors import lead_assigned_at
from pipewise.org.choices import Role
from pipewise.org.models import User, UserRole
from pipewise.org.selectors import user_and_reports_ids
from pipewise.pipeline.choices import OpportunityStatus
from pipewise.pipeline.models import Order, Quote, Stage
from pipewise.pipeline.permissions import (
    can_use_orders,
    deal_records_visible_to,
    opportunity_visible_to,
)
from pipewise.pipeline.selectors import (
    ORDER_NUMBER,
    QUOTE_NUMBER,
    opportunity_list,
    orders_numbered,
    quotes_numbered,
)
from pipewise.pipeline.totals import figures_total, stage_totals
from pipewise.web.templatetags.pipewise import money_symbol

SEARCH_LIMIT = 8
SUGGEST_LIMIT = 5
# Deals are also found by their account's name: by up to this many matching accounts.
SEARCH_ACCOUNTS_FOR_DEALS = 50
MY_DAY_TASKS = 25
MY_DAY_DEALS = 12
MY_DAY_ACTIVITIES = 10
MY_DAY_LEADS = 10
# Hot leads still being worked (converted and disqualified ones are done).
WORKED = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED)


def people_in_view(request) -> tuple[list[int], User | None, list[User]]:
    """Whose day is shown: mine, one of my reports', or my whole team's (``?person=team``).

    Anyone with people below them (a sales manager, an executive heading the line) starts
    on the team's day; they can pick one person or "me".
    """
    user = request.user
    team_ids = sorted(user_and_reports_ids(user))
    team = list(User.objects.filter(pk__in=team_ids).order_by("first_name", "last_name"))
    if len(team) <= 1:
        return [user.pk], user, []
    wanted = request.GET.get("person") or "team"
    if wanted.isdigit() and int(wanted) in team_ids:
        person = next(p for p in team if p.pk == int(wanted))
        return [person.pk], person, team
    if wanted == "me":
        return [user.pk], user, team
    return team_ids, None, team


def _person_param(person, user) -> str:
    if person is None:
        return "team"
    return "me" if person == user else str(person.pk)


def _works_leads(people: list[int]) -> bool:
    """Is anyone whose day is shown an SDR (so the day starts on leads)?"""
    return UserRole.objects.filter(user_id__in=people, role=Role.SDR).exists()


def _lead_work(user, people: list[int], *, start_of_today, end_of_today) -> dict:
    """An SDR's start: new and hot leads, first contacts due, today's calls."""
    leads = lead_visible_to(user).filter(owner_id__in=people)
    fresh = leads.filter(Q(status=LeadStatus.NEW) | Q(rating=Rating.HOT, status__in=WORKED))
    new_and_hot = list(
        fresh.select_related("owner")
        .annotate(not_hot=Case(When(rating=Rating.HOT, then=0), default=1))
        .order_by("not_hot", "-id")[:MY_DAY_LEADS]
    )
    waiting = first_contacts_due(leads)
    first_contacts = list(waiting.select_related("owner")[:MY_DAY_LEADS])
    assigned = lead_assigned_at(first_contacts)
    for lead in first_contacts:
        lead.assigned_at = assigned[lead.pk]
    calls = activity_visible_to(user).filter(
        owner_id__in=people,
        type=ActivityType.CALL,
        occurred_at__range=(start_of_today, end_of_today),
    )
    return {
        "new_and_hot": new_and_hot,
        "new_count": leads.filter(status=LeadStatus.NEW).count(),
        "hot_count": leads.filter(rating=Rating.HOT, status__in=WORKED).count(),
        "first_contacts": first_contacts,
        "first_contacts_count": waiting.count(),
        "calls": list(
            calls.select_related("owner", "lead", "contact", "account", "opportunity").order_by(
                "occurred_at", "id"
            )[:MY_DAY_ACTIVITIES]
        ),
        "calls_count": calls.count(),
    }


@login_required
def my_day(request):
    """Home page for every role: what is due, what is closing, what was done; an SDR's
    day starts on leads (new and hot, first contacts due, today's calls)."""
    user = request.user
    people, person, team = people_in_view(request)
    now = timezone.now()
    today = timezone.localdate()
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.max))
    due_tasks = task_visible_to(user).filter(
        assignee_id__in=people, status__in=OPEN_TASK_STATUSES, due_at__lte=end_of_today
    )
    tasks = list(
        due_tasks.select_related("assignee", "opportunity", "account", "contact", "lead").order_by(
            "due_at", "id"
        )[:MY_DAY_TASKS]
    )
    # Two index range counts (assignee, status, due_at): bounded by the people shown.
    due_count = due_tasks.count()
    overdue_count = due_tasks.filter(due_at__lt=now).count()
    upcoming = list(
        task_visible_to(user)
        .filter(
            assignee_id__in=people,
            status__in=OPEN_TASK_STATUSES,
            due_at__gt=end_of_today,
            due_at__lte=end_of_today + datetime.timedelta(days=7),
        )
        .select_related("assignee")
        .order_by("due_at", "id")[:8]
    )
    open_deals = opportunity_visible_to(user).filter(
        owner_id__in=people, status=OpportunityStatus.OPEN
    )
    deals = list(opportunity_list(open_deals).order_by("close_date", "id")[:MY_DAY_DEALS])
    activities = list(
        activity_visible_to(user)
        .filter(owner_id__in=people)
        .select_related("owner", "opportunity", "account", "contact", "lead")
        .order_by("-occurred_at", "-id")[:MY_DAY_ACTIVITIES]
    )
    figures = stage_totals(owner_ids=people, statuses=[OpportunityStatus.OPEN])
    stages = list(
        Stage.objects.filter(pk__in=figures)
        .select_related("pipeline")
        .order_by("pipeline__name", "order")
    )
    totals = figures_total(figures, stages)
    by_stage = [{"stage": stage, "amount": figures[stage.pk].amount} for stage in stages]
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    # An index range count (live deals by owner, status, close date): bounded by the month.
    closing_this_month = open_deals.filter(
        close_date__range=(today.replace(day=1), month_end)
    ).aggregate(n=Count("id"))["n"]
    chart = {
        "type": "bar",
        "labels": [row["stage"].name for row in by_stage],
        "datasets": [
            {
                "label": "Open amount",
                "data": [float(row["amount"] or 0) for row in by_stage],
                "backgroundColor": "#2f5bea",
                "borderRadius": 4,
            }
        ],
        "prefix": money_symbol(),
    }
    lead_work = None
    if _works_leads(people):
        lead_work = _lead_work(
            user, people, start_of_today=start_of_today, end_of_today=end_of_today
        )
    return render(
        request,
        "web/my_day.html",
        {
            "section": "my_day",
            "title": "My day",
            "person": person,
            "team": team,
            "person_param": _person_param(person, user),
            "tasks": tasks,
            "upcoming": upcoming,
            "deals": deals,
            "activities": activities,
            "totals": totals,
            "overdue_count": overdue_count,
            "due_count": due_count,
            "more_tasks": max(0, due_count - len(tasks)),
            "closing_this_month": closing_this_month,
            "chart": chart,
            "lead_work": lead_work,
            "now": now,
            "call_form": QuickCallForm(user=user, prefix="call"),
            "task_form": QuickTaskForm(user=user, prefix="task"),
        },
    )


def _open_first(open_rows, closed_rows, limit: int) -> list:
    """Up to ``limit`` rows, the open ones first: two bounded queries, no sort of all matches."""
    rows = list(open_rows[:limit])
    if len(rows) < limit:
        rows += list(closed_rows[: limit - len(rows)])
    return rows


def search_results(user, q: str, *, limit: int) -> dict[str, list]:
    """What ``user`` may see that matches ``q``, up to ``limit`` of each kind, open records
    before closed ones. A quote or order number ("Q-000123-2", "SO-000042") is looked up
    by key and searched for nothing else."""
    quotes = quotes_numbered(deal_records_visible_to(user, Quote), q)
    orders = orders_numbered(deal_records_visible_to(user, Order), q)
    if QUOTE_NUMBER.match(q) or ORDER_NUMBER.match(q):
        return {
            "quotes": list(quotes.select_related("opportunity__account")[:limit]),
            "orders": (
                list(orders.select_related("opportunity__account")[:limit])
                if can_use_orders(user)
                else []
            ),
        }
    # One scan of the accounts: the first of them are shown, all of them find their deals.
    accounts = list(
        account_visible_to(user)
        .filter(Q(name__icontains=q) | Q(domain__icontains=q))
        .select_related("owner", "territory")
        .order_by("name", "id")[:SEARCH_ACCOUNTS_FOR_DEALS]
    )
    deals = opportunity_list(opportunity_visible_to(user)).filter(
        Q(name__icontains=q) | Q(account_id__in=[account.pk for account in accounts])
    )
    leads = (
        lead_visible_to(user)
        .filter(
            Q(last_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(company__icontains=q)
            | Q(email__icontains=q)
        )
        .select_related("owner")
    )
    return {
        "opportunities": _open_first(
            deals.filter(status=OpportunityStatus.OPEN).order_by("-id"),
            deals.exclude(status=OpportunityStatus.OPEN).order_by("-id"),
            limit,
        ),
        "accounts": accounts[:limit],
        "contacts": list(
            contact_visible_to(user)
            .filter(Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(email__icontains=q))
            .select_related("account")
            .order_by("last_name", "id")[:limit]
        ),
        "leads": _open_first(
            leads.filter(status__in=WORKED).order_by("-id"),
            leads.exclude(status__in=WORKED).order_by("-id"),
            limit,
        ),
    }


@login_required
def search(request):
    """One box for leads, accounts, contacts, deals, quotes and orders; only what the user
    may see. Asked by htmx as one types, it answers with the top bar's suggestions."""
    q = request.GET.get("q", "").strip()
    suggest = bool(request.htmx) and request.GET.get("suggest") == "1"
    limit = SUGGEST_LIMIT if suggest else SEARCH_LIMIT
    results = search_results(request.user, q, limit=limit) if len(q) >= 2 else {}
    found = sum(len(v) for v in results.values())
    return render(
        request,
        "web/_search_suggest.html" if suggest else "web/search.html",
        {
            "title": f"Search: {q}" if q else "Search",
            "search_query": q,
            "results": results,
            "found": found,
            "limit": limit,
        },
    )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("web:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def page_not_found(request, exception=None):
    return render(request, "404.html", {"title": "Page not found"}, status=404)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"title": "Not allowed", "message": message}, status=403)


@requires_csrf_token
def server_error(request):
    """A 500 page that needs nothing that might be broken (no database, no context)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}))
