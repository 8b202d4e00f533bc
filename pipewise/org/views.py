"""Settings pages for the organisation: users and roles, teams, territories."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from pipewise.org.forms import TeamForm, TerritoryForm, UserForm
from pipewise.org.models import Team, Territory, User
from pipewise.org.permissions import require_user_admin
from pipewise.org.selectors import user_list
from pipewise.org.services import team_save, territory_save, user_save
from pipewise.web.access import configurer_required
from pipewise.web.forms import add_service_errors


@configurer_required
def user_list_view(request):
    people = user_list()
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(username__icontains=q) | people.filter(last_name__icontains=q)
    return render(
        request,
        "org/user_list.html",
        {
            "section": "settings_users",
            "title": "Users & roles",
            "people": people[:500],
            "can_edit_users": request.user.is_superuser or request.user.has_role("admin"),
        },
    )


@configurer_required
def user_edit(request, pk=None):
    require_user_admin(request.user)
    person = get_object_or_404(User, pk=pk) if pk else None
    form = UserForm(request.POST or None, user=person)
    if request.method == "POST" and form.is_valid():
        try:
            saved = user_save(user=person, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect("org:user_list")
    return render(
        request,
        "org/user_form.html",
        {
            "section": "settings_users",
            "title": f"Edit {person}" if person else "New user",
            "form": form,
            "person": person,
        },
    )


@configurer_required
def team_list(request):
    teams = Team.objects.select_related("manager", "territory").annotate(size=Count("members"))
    return render(
        request,
        "org/team_list.html",
        {"section": "settings_teams", "title": "Teams", "teams": teams},
    )


@configurer_required
def team_edit(request, pk=None):
    team = get_object_or_404(Team, pk=pk) if pk else None
    initial = (
        {"name": team.name, "manager": team.manager_id, "territory": team.territory_id}
        if team
        else None
    )
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = team_save(team=team, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Team “{saved}” saved.")
            return redirect("org:team_list")
    return render(
        request,
        "org/simple_form.html",
        {
            "section": "settings_teams",
            "title": f"Team · {team}" if team else "New team",
            "form": form,
            "back": "org:team_list",
            "back_label": "Teams",
        },
    )


def _tree(territories: list[Territory]) -> list[tuple[int, Territory]]:
    children: dict[int | None, list[Territory]] = {}
    for territory in territories:
        children.setdefault(territory.parent_id, []).append(territory)
    ordered: list[tuple[int, Territory]] = []

    def walk(parent_id, depth):
        for child in sorted(children.get(parent_id, []), key=lambda t: t.name):
            ordered.append((depth, child))
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


@configurer_required
def territory_list(request):
    territories = list(
        Territory.objects.annotate(people=Count("users", distinct=True)).order_by("name")
    )
    return render(
        request,
        "org/territory_list.html",
        {"section": "settings_territories", "title": "Territories", "tree": _tree(territories)},
    )


@configurer_required
def territory_edit(request, pk=None):
    territory = get_object_or_404(Territory, pk=pk) if pk else None
    initial = (
        {
            "name": territory.name,
            "code": territory.code,
            "level": territory.level,
            "parent": territory.parent_id,
        }
        if territory
        else None
    )
    form = TerritoryForm(request.POST or None, initial=initial, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            saved = territory_save(territory=territory, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Territory “{saved}” saved.")
            return redirect("org:territory_list")
    return render(
        request,
        "org/simple_form.html",
        {
            "section": "settings_territories",
            "title": f"Territory · {territory}" if territory else "New territory",
            "form": form,
            "back": "org:territory_list",
            "back_label": "Territories",
        },
    )
