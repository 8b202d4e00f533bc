"""Web pages of sales planning: the targets grid, a target (standing, roll-up, split,
allocation, drill-down), attainment and variance, seasonality profiles, sales plans."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pipewise.customers.permissions import account_visible_to
from pipewise.planning import services
from pipewise.planning.actuals import standings
from pipewise.planning.api import attainment_from_query
from pipewise.planning.choices import (
    EDITABLE_PLAN_STATUSES,
    MIN_DEALS_FOR_OWN_PROFILE,
    MONEY_METRICS,
    Dimension,
    Metric,
    PeriodKind,
    PlanStatus,
)
from pipewise.planning.forms import (
    MONTH_NAMES,
    AllocateForm,
    AttainmentForm,
    DeriveAllForm,
    GridChoiceForm,
    ImportForm,
    InitiativeForm,
    PlanForm,
    PlanTaskForm,
    ProfileForm,
    ProfileMembersForm,
    ProfileNewForm,
    RampForm,
    ReviewForm,
    TargetAmountForm,
    TargetForm,
)
from pipewise.planning.periods import fiscal_year_of
from pipewise.planning.permissions import (
    access_plan,
    access_profile,
    access_target,
    can_review_plan,
    can_set_target,
    can_use_targets,
    people_planned_by,
    plan_visible_to,
    profile_visible_to,
    ramps_visible_to,
    require_planner,
    target_visible_to,
)
from pipewise.planning.selectors import (
    MEMBER_RELATIONS,
    growth_flags,
    member_ramps,
    only_dimension,
    plan_progress,
    profile_shape,
    target_grid,
    target_records,
    target_rollups,
    with_members,
)
from pipewise.planning.services import GridCell
from pipewise.planning.transfer import grid_import, grid_workbook
from pipewise.web.access import writer_required
from pipewise.web.forms import form_saved
from pipewise.web.history import readable_history

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _grid_choice(request):
    form = GridChoiceForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return (
        data.get("metric") or Metric.WON_REVENUE,
        data.get("year") or fiscal_year_of(timezone.localdate()),
        data.get("dimension") or Dimension.USER,
        form,
    )


@login_required
def target_grid_view(request):
    """Members × months of a fiscal year, editable where the user may set targets, with
    row and column totals and the difference between the months and the annual target."""
    if not can_use_targets(request.user):
        raise Http404
    metric, year, dimension, choice = _grid_choice(request)
    if request.GET.get("export") == "xlsx":
        data = grid_workbook(request.user, metric=metric, year=year, dimension=dimension)
        response = HttpResponse(data, content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="targets-{metric}-FY{year}-{dimension}.xlsx"'
        )
        return response
    errors = {}
    if request.method == "POST":
        grid = target_grid(request.user, metric=metric, year=year, dimension=dimension)
        cells = []
        for row in grid.rows:
            periods = [*grid.months, grid.year]
            for period in periods:
                name = f"cell-{row.member.pk}-{period.kind}-{period.start:%Y-%m}"
                if name in request.POST:
                    current = _current(row, grid, period)
                    value = request.POST[name].strip()
                    if value == "" or (current is not None and _same(value, current)):
                        continue
                    cells.append(GridCell(ref=name, member=row.member, period=period, value=value))
        try:
            written = services.targets_grid_save(
                by=request.user, metric=metric, dimension=dimension, cells=cells
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            messages.error(request, "Nothing was saved: correct the cells marked in red.")
        else:
            messages.success(request, f"{len(written)} target(s) saved.")
            return redirect(request.get_full_path())
    grid = target_grid(request.user, metric=metric, year=year, dimension=dimension)
    editable = {
        row.member.pk: can_set_target(
            request.user,
            person=row.member if dimension == Dimension.USER else None,
            team=row.member if dimension == Dimension.TEAM else None,
            account=row.member if dimension == Dimension.ACCOUNT else None,
        )
        for row in grid.rows
    }
    flags = {
        (
            getattr(f.target, f"{dimension}_id"),
            f.target.period_kind,
            f.target.period_start,
        ): f.reason
        for f in growth_flags(
            list(
                with_members(only_dimension(target_visible_to(request.user), dimension)).filter(
                    metric=metric,
                    period_start__gte=grid.year.start,
                    period_end__lte=grid.year.end,
                )
            )
        )
    }
    table = []
    for row in grid.rows:
        cells = []
        for period in [*grid.months, grid.year]:
            name = f"cell-{row.member.pk}-{period.kind}-{period.start:%Y-%m}"
            cells.append(
                {
                    "name": name,
                    "value": errors and request.POST.get(name, "") or _current(row, grid, period),
                    "error": " ".join(errors.get(name, [])),
                    "year": period.kind == PeriodKind.YEAR,
                    "flag": flags.get((row.member.pk, period.kind, period.start)),
                }
            )
        table.append({"row": row, "cells": cells, "editable": editable[row.member.pk]})
    return render(
        request,
        "planning/target_grid.html",
        {
            "section": "planning",
            "title": "Targets",
            "grid": grid,
            "table": table,
            "choice": choice,
            "metric": metric,
            "metric_label": Metric(metric).label,
            "money": metric in MONEY_METRICS,
            "year": year,
            "dimension": dimension,
            "editable": editable,
            "any_editable": any(editable.values()),
            "flag_count": len(flags),
            "errors": errors,
            "metrics": Metric.choices,
            "dimensions": Dimension.choices,
            "import_form": ImportForm(),
        },
    )


def _current(row, grid, period):
    if period.kind == PeriodKind.YEAR:
        return row.year_target
    return row.months[grid.months.index(period)]


def _same(value: str, current: Decimal) -> bool:
    try:
        return Decimal(value.replace(",", "")) == current
    except ArithmeticError:
        return False


@writer_required
@require_POST
def target_import_view(request):
    """Upload an edited grid workbook: all cells or none, problems by cell reference."""
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose an .xlsx file to import.")
        return redirect("planning:targets")
    try:
        grid, written = grid_import(request.user, form.cleaned_data["file"].read())
    except ValidationError as exc:
        problems = exc.messages
        shown = problems[:20]
        more = f" … and {len(problems) - 20} more" if len(problems) > 20 else ""
        messages.error(request, "Nothing was imported. " + "; ".join(shown) + more)
        return redirect("planning:targets")
    messages.success(request, f"{len(written)} target(s) imported.")
    return redirect(
        f"{reverse('planning:targets')}?metric={grid['metric']}&year={grid['year']}"
        f"&dimension={grid['dimension']}"
    )


@writer_required
def target_create_view(request):
    form = TargetForm(
        request.POST or None,
        people=people_planned_by(request.user),
        accounts=account_visible_to(request.user).order_by("name"),
        initial=request.GET,
    )
    target = form_saved(
        request,
        form,
        lambda: services.target_create(by=request.user, **form.cleaned_data),
        success="Target saved: {record}.",
    )
    if target:
        return redirect("planning:target", pk=target.pk)
    return render(
        request,
        "planning/target_form.html",
        {"section": "planning", "title": "New target", "form": form},
    )


@login_required
def target_detail(request, pk):
    """One target: its standing (actual, attainment, gap, variance, run rate), what rolls
    up into it, the growth check, its history; split and allocation for planners."""
    target = access_target(request.user, pk)
    target = with_members(target_visible_to(request.user)).get(pk=target.pk)
    can_edit = can_set_target(
        request.user, person=target.user, team=target.team, account=target.account
    )
    amount_form = TargetAmountForm(
        request.POST or None,
        initial={"amount": target.amount, "note": target.note, "version": target.version},
    )
    if can_edit and request.POST.get("action") == "amount":
        saved = form_saved(
            request,
            amount_form,
            lambda: services.target_update(
                target=access_target(request.user, pk, for_write=True),
                by=request.user,
                expected_version=amount_form.cleaned_data.get("version"),
                amount=amount_form.cleaned_data["amount"],
                note=amount_form.cleaned_data["note"],
            ),
            success="Target changed.",
        )
        if saved:
            return redirect("planning:target", pk=pk)
    members = services.team_members(target.team) if target.team_id else []
    ramps = member_ramps(target, members) if members else []
    allocate_form = AllocateForm(members=members, ramps=ramps)
    rollups = target_rollups(request.user, target)
    _mark_ramps(rollups, target)
    return render(
        request,
        "planning/target_detail.html",
        {
            "section": "planning",
            "title": str(target),
            "target": target,
            "standing": standings([target])[0],
            "rollups": rollups,
            "ramps": ramps,
            "flags": growth_flags([target]),
            "can_edit": can_edit,
            "amount_form": amount_form,
            "allocate_form": allocate_form,
            "money": target.metric in MONEY_METRICS,
            "history": readable_history(target, user=request.user, limit=20),
            "opportunity_link": _opportunity_link(target),
        },
    )


def _mark_ramps(rollups, target) -> None:
    """Give each member's target in the members' roll-up its ramp (``member_ramp``, None
    without one), so the manager sees who is ramping beside what they were given."""
    for rollup in rollups:
        if rollup.kind != "members":
            continue
        people = [child.user for child in rollup.children]
        found = {r.person.pk: r for r in member_ramps(target, people)}
        for child in rollup.children:
            child.member_ramp = found.get(child.user_id)


def _opportunity_link(target) -> str | None:
    """The opportunity list filtered to a person's won deals of the period, when it can."""
    if target.metric not in (Metric.WON_REVENUE, Metric.WON_DEALS) or not target.user_id:
        return None
    if set(target.members) != {Dimension.USER}:
        return None
    return (
        f"{reverse('pipeline:list')}?status=won&owner={target.user_id}"
        f"&close_after={target.period_start}&close_before={target.period_end}"
    )


@writer_required
@require_POST
def target_split(request, pk):
    target = access_target(request.user, pk, for_write=True)
    try:
        months = services.target_split_by_profile(by=request.user, target=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Split into {len(months)} month target(s).")
    return redirect("planning:target", pk=pk)


@writer_required
@require_POST
def target_allocate(request, pk):
    target = access_target(request.user, pk, for_write=True)
    members = services.team_members(target.team) if target.team_id else []
    form = AllocateForm(request.POST, members=members)
    if form.is_valid():
        try:
            written = services.target_allocate_to_members(
                by=request.user,
                target=target,
                method=form.cleaned_data["method"],
                weights=form.weights(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _allocated_message(target, written))
    else:
        messages.error(request, "Choose an allocation method; weights are numbers ≥ 0.")
    return redirect("planning:target", pk=pk)


def _allocated_message(target, written) -> str:
    """ "Allocated to 3 member(s)." and, for each ramping member, their ramp and what it does
    to this allocation."""
    message = f"Allocated to {len(written)} member(s)."
    for ramp in member_ramps(target, [t.user for t in written]):
        message += f" {ramp.person} is ramping ({ramp.ramp.summary})"
        if not ramp.months:
            message += ": the ramp is over in this period, full share."
        elif target.period_kind == PeriodKind.MONTH:
            percent = ramp.percentages[0][1]
            message += f": their month target is {percent} % of their share."
        else:
            message += ": their share is kept whole; splitting it into months applies the ramp."
    return message


@writer_required
@require_POST
def target_delete_view(request, pk):
    target = access_target(request.user, pk, for_write=True)
    services.target_delete(target=target, by=request.user)
    messages.success(request, "Target withdrawn (sales ops can restore it).")
    return redirect("planning:targets")


@login_required
def target_records_view(request, pk):
    """Drill-down: the records behind a target's actual, as far as the user may see them."""
    target = with_members(target_visible_to(request.user)).filter(pk=pk).first()
    if target is None:
        access_target(request.user, pk)  # 404
    kind, records = target_records(request.user, target)
    return render(
        request,
        "planning/target_records.html",
        {
            "section": "planning",
            "title": f"Behind: {target}",
            "target": target,
            "kind": kind,
            "records": records,
        },
    )


@login_required
def attainment_view(request):
    """Attainment and variance per member and per period, drawn and tabulated."""
    if not can_use_targets(request.user):
        raise Http404
    shown = {
        "metric": Metric.WON_REVENUE,
        "dimension": Dimension.USER,
        "kind": PeriodKind.MONTH,
        "year": fiscal_year_of(timezone.localdate()),
    } | {key: value for key, value in request.GET.items() if value}
    form = AttainmentForm(shown)
    try:
        report = attainment_from_query(request.user, shown)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        report = attainment_from_query(request.user, {})
    money = report.metric in MONEY_METRICS
    chart = {
        "labels": [p.label for p in report.periods],
        "datasets": [
            {
                "label": "Target",
                "data": [float(t) for _, t, _ in report.by_period],
                "backgroundColor": "rgba(108,117,125,.45)",
            },
            {
                "label": "Actual",
                "data": [float(a) for _, _, a in report.by_period],
                "backgroundColor": "rgba(13,110,253,.8)",
            },
        ],
    }
    members_chart = {
        "type": "bar",
        "labels": [str(r.member or "Company") for r in report.rows],
        "datasets": [
            {
                "label": "Attainment %",
                "data": [
                    float(r.attainment) if r.attainment is not None else 0 for r in report.rows
                ],
                "backgroundColor": "rgba(25,135,84,.75)",
            }
        ],
        "prefix": "",
    }
    return render(
        request,
        "planning/attainment.html",
        {
            "section": "planning",
            "title": "Attainment and variance",
            "form": form,
            "report": report,
            "money": money,
            "chart": chart,
            "members_chart": members_chart,
            "metric_label": Metric(report.metric).label,
        },
    )


@login_required
def profile_list(request):
    profiles = profile_visible_to(request.user).select_related(*MEMBER_RELATIONS)
    can_plan = _can_plan(request.user)
    return render(
        request,
        "planning/profile_list.html",
        {
            "section": "planning",
            "title": "Seasonality profiles",
            "profiles": profiles,
            "can_plan": can_plan,
            "derive_form": ProfileMembersForm(**_member_choices(request.user)),
            "derive_all_form": DeriveAllForm(),
            "min_deals": MIN_DEALS_FOR_OWN_PROFILE,
            "month_names": MONTH_NAMES,
            "ramps": ramps_visible_to(request.user),
            "ramp_form": RampForm(people=people_planned_by(request.user)),
        },
    )


def _member_choices(user) -> dict:
    """The people and accounts a profile's member fields offer: every active person (a
    profile is an organisation-wide input) and the accounts ``user`` sees."""
    from pipewise.org.models import User

    return {
        "people": User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        "accounts": account_visible_to(user).order_by("name"),
    }


@writer_required
@require_POST
def ramp_save_view(request):
    """Give a new hire a ramp (their split and allocated months are scaled by it)."""
    form = RampForm(request.POST, people=people_planned_by(request.user))
    if not form.is_valid():
        messages.error(request, "Choose a person, a first day of a month and percentages.")
        return redirect("planning:profiles")
    try:
        ramp = services.ramp_save(by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Ramp saved for {ramp.user}: {ramp.percentages} %.")
    return redirect("planning:profiles")


def _can_plan(user) -> bool:
    try:
        require_planner(user)
    except PermissionDenied:
        return False
    return True


@writer_required
@require_POST
def profile_derive_view(request):
    form = ProfileMembersForm(request.POST, **_member_choices(request.user))
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was derived. {problems}")
        return redirect("planning:profiles")
    try:
        profile = services.profile_derive(
            by=request.user, years=form.cleaned_data.get("years") or 2, **form.members()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("planning:profiles")
    messages.success(request, f"Profile derived: {profile.name}.")
    return redirect("planning:profile", pk=profile.pk)


@writer_required
def profile_create_view(request):
    """Enter a profile's 12 weights for a member (or the company), starting from the
    company profile's weights when there is one."""
    require_planner(request.user)
    company = services.profile_for({})
    initial = {"name": ""}
    if company is not None:
        initial |= ProfileNewForm.initial_weights(company)
    form = ProfileNewForm(request.POST or None, initial=initial, **_member_choices(request.user))
    profile = form_saved(
        request,
        form,
        lambda: services.profile_save(
            by=request.user,
            name=form.cleaned_data["name"],
            weights=form.weights(),
            **form.members(),
        ),
        success="Profile saved: {record}.",
    )
    if profile:
        return redirect("planning:profile", pk=profile.pk)
    fields = form.weight_fields()
    return render(
        request,
        "planning/profile_form.html",
        {
            "section": "planning",
            "title": "New seasonality profile",
            "form": form,
            "fields": fields,
            "company": company,
        },
    )


@writer_required
@require_POST
def profile_derive_all_view(request):
    """Derive the profiles of every member of a dimension whose history allows it."""
    form = DeriveAllForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a dimension and 1 to 10 years of history.")
        return redirect("planning:profiles")
    dimension = form.cleaned_data["dimension"]
    try:
        result = services.profiles_derive_for_dimension(
            by=request.user, dimension=dimension, years=form.cleaned_data["years"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("planning:profiles")
    messages.success(request, _derived_summary(result, Dimension(dimension).label.lower()))
    return redirect("planning:profiles")


def _derived_summary(result, kind: str) -> str:
    """ "3 territory profile(s) derived: A, B, C. 2 with too little history use the company
    profile: D, E. 1 entered profile kept: F." """

    def names(members) -> str:
        shown = ", ".join(str(m) for m in members[:10])
        return shown + (f" and {len(members) - 10} more" if len(members) > 10 else "")

    parts = [f"{len(result.derived)} {kind} profile(s) derived"]
    parts[0] += f": {names([p.member_label for p in result.derived])}." if result.derived else "."
    if result.too_little_history:
        parts.append(
            f"{len(result.too_little_history)} with fewer than {MIN_DEALS_FOR_OWN_PROFILE} won "
            f"deals use the company profile: {names(result.too_little_history)}."
        )
    if result.entered_kept:
        parts.append(
            f"{len(result.entered_kept)} entered profile(s) kept: {names(result.entered_kept)}."
        )
    return " ".join(parts)


@login_required
def profile_detail(request, pk):
    """A profile's 12 weights (editable for planners) drawn against last years' shape."""
    profile = access_profile(request.user, pk)
    can_plan = _can_plan(request.user)
    initial = {"name": profile.name, "version": profile.version}
    initial |= ProfileForm.initial_weights(profile)
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and can_plan:
        saved = form_saved(
            request,
            form,
            lambda: services.profile_save(
                by=request.user,
                profile=access_profile(request.user, pk, for_write=True),
                expected_version=form.cleaned_data.get("version"),
                name=form.cleaned_data["name"],
                weights=form.weights(),
                **{d: getattr(profile, d) for d in Dimension.values},
            ),
            success="Profile saved.",
        )
        if saved:
            return redirect("planning:profile", pk=pk)
    shape = profile_shape(profile)
    chart = {
        "type": "line",
        "labels": shape["months"],
        "datasets": [
            {
                "label": "Profile weight %",
                "data": [float(w) for w in shape["weights"]],
                "borderColor": "rgb(13,110,253)",
                "backgroundColor": "rgba(13,110,253,.15)",
                "fill": True,
                "tension": 0.25,
            },
            {
                "label": "Actual share, last years %",
                "data": [float(h) if h is not None else None for h in shape["history"]],
                "borderColor": "rgb(25,135,84)",
                "borderDash": [6, 4],
                "tension": 0.25,
            },
        ],
    }
    fields = form.weight_fields()
    return render(
        request,
        "planning/profile_detail.html",
        {
            "section": "planning",
            "title": profile.name,
            "profile": profile,
            "form": form,
            "fields": fields,
            "can_plan": can_plan,
            "chart": chart,
            "shape": shape,
        },
    )


@login_required
def plan_list(request):
    plans = (
        plan_visible_to(request.user)
        .select_related("owner", "target")
        .order_by("-fiscal_year", "title")[:200]
    )
    return render(
        request,
        "planning/plan_list.html",
        {"section": "planning", "title": "Sales plans", "plans": plans},
    )


@writer_required
def plan_create_view(request):
    targets = with_members(target_visible_to(request.user)).order_by("-period_start")[:500]
    form = PlanForm(
        request.POST or None,
        targets=with_members(target_visible_to(request.user)),
        initial={"fiscal_year": fiscal_year_of(timezone.localdate())},
    )
    form.fields["target"].choices = [("", "—")] + [(t.pk, str(t)) for t in targets]
    plan = form_saved(
        request,
        form,
        lambda: services.plan_create(
            by=request.user,
            title=form.cleaned_data["title"],
            fiscal_year=form.cleaned_data["fiscal_year"],
            target=form.cleaned_data.get("target"),
            summary=form.cleaned_data["summary"],
        ),
        success="Plan started: {record}.",
    )
    if plan:
        return redirect("planning:plan", pk=plan.pk)
    return render(
        request,
        "planning/plan_form.html",
        {"section": "planning", "title": "New sales plan", "form": form},
    )


@login_required
def plan_detail(request, pk):
    """A plan: initiatives with their tasks and to-dos, progress beside attainment, and
    the owner's and the manager's actions."""
    plan = access_plan(request.user, pk)
    plan = (
        plan_visible_to(request.user)
        .select_related("owner", "target", "reviewed_by")
        .prefetch_related("initiatives__tasks__todos")
        .get(pk=plan.pk)
    )
    is_owner = plan.owner_id == request.user.pk and not request.user.is_read_only
    return render(
        request,
        "planning/plan_detail.html",
        {
            "section": "planning",
            "title": plan.title,
            "plan": plan,
            "progress": plan_progress(plan),
            "is_owner": is_owner,
            "editable": is_owner and plan.status in EDITABLE_PLAN_STATUSES,
            "can_review": plan.status == PlanStatus.SUBMITTED
            and can_review_plan(request.user, plan),
            "initiative_form": InitiativeForm(),
            "task_form": PlanTaskForm(),
            "review_form": ReviewForm(),
            "history": readable_history(plan, user=request.user, limit=20),
        },
    )


@writer_required
@require_POST
def plan_action(request, pk, action):
    """Owner actions (add an initiative or a task, submit) and the manager's review."""
    try:
        if action == "review":
            plan = get_object_or_404(plan_visible_to(request.user), pk=pk)
            form = ReviewForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose approve or send back.")
            services.plan_review(
                plan=plan,
                by=request.user,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Review saved.")
            return redirect("planning:plan", pk=pk)
        plan = access_plan(request.user, pk, for_write=True)
        if action == "submit":
            services.plan_submit(plan=plan, by=request.user)
            messages.success(request, "Plan sent to your manager.")
        elif action == "initiative":
            form = InitiativeForm(request.POST)
            if not form.is_valid():
                raise ValidationError("An initiative needs a title.")
            services.initiative_add(plan=plan, by=request.user, **form.cleaned_data)
            messages.success(request, "Initiative added.")
        elif action == "task":
            initiative = get_object_or_404(plan.initiatives, pk=request.POST.get("initiative"))
            form = PlanTaskForm(request.POST)
            if not form.is_valid():
                raise ValidationError("A task needs a title; minutes are whole numbers.")
            services.initiative_task_add(
                initiative=initiative,
                by=request.user,
                title=form.cleaned_data["title"],
                due_at=form.cleaned_data.get("due_at"),
                todos=form.todos(),
            )
            messages.success(request, "Task added.")
        else:
            raise ValidationError(f"Unknown action {action!r}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("planning:plan", pk=pk)
