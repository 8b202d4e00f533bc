"""Web pages for opportunities: list with totals, pipeline board, detail, create/edit, moves.

Settings pages for sales processes and their stages are here too (admins and sales ops).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pipewise.activities.choices import TaskStatus
from pipewise.activities.permissions import task_visible_to
from pipewise.core.concurrency import ConcurrentUpdate
from pipewise.core.services import configuration_save
from pipewise.leads.permissions import lead_visible_to
from pipewise.org.models import User
from pipewise.org.permissions import can_change_owned
from pipewise.org.selectors import user_and_reports_ids
from pipewise.pipeline.choices import ForecastCategory, OpportunityStatus, StageKind
from pipewise.pipeline.filters import OpportunityFilter
from pipewise.pipeline.forms import (
    LOST_REASON_CHOICES,
    CloseForm,
    LineItemFormSet,
    MoveForm,
    OpportunityForm,
    PipelineForm,
    ReopenForm,
    StageFormSet,
)
from pipewise.pipeline.models import Pipeline, Stage
from pipewise.pipeline.permissions import (
    access_opportunity,
    can_reopen,
    deal_activities_visible_to,
    opportunity_owners_visible_to,
    opportunity_visible_to,
    reopen_deadline,
)
from pipewise.pipeline.selectors import (
    closing_concerns,
    default_pipeline,
    opportunity_list,
    opportunity_totals,
    outcome_stage,
    stage_before_closing,
    stalled_condition,
)
from pipewise.pipeline.services import (
    opportunity_close_lost,
    opportunity_close_won,
    opportunity_create,
    opportunity_move_interactive,
    opportunity_reopen,
    opportunity_set_line_items,
    opportunity_update,
)
from pipewise.pipeline.totals import ZERO, StageFigure, filtered_totals, stage_totals
from pipewise.pipeline.views_process import process_context
from pipewise.web.access import configurer_required, writer_required
from pipewise.web.export import export_response
from pipewise.web.forms import CHANGED_BY_SOMEONE_ELSE, add_service_errors, form_saved
from pipewise.web.history import readable_history
from pipewise.web.lists import keyset_page
from pipewise.web.lookup import lookup_options
from pipewise.web.templatetags.pipewise import money_short

OPPORTUNITY_SORTS = {
    "name": ("Name", "name"),
    "amount": ("Amount", "amount"),
    "close_date": ("Close date", "close_date"),
    "created": ("Created", "created_at"),
}
CARDS_PER_COLUMN = 10
CLOSED_DAYS = 30


def _people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


# --- list ---------------------------------------------------------------------------------------
@login_required
def opportunity_list_view(request):
    """The visible deals the URL's filters keep (the open ones by default), with their totals."""
    opportunities = opportunity_visible_to(request.user)
    opportunity_filter = OpportunityFilter(request.GET, queryset=opportunities)
    filtered = opportunity_filter.qs
    if request.GET.get("export"):
        return export_response(request, "opportunities", filtered)
    page = keyset_page(
        request,
        opportunity_list(filtered),
        sort_options=OPPORTUNITY_SORTS,
        default_sort="-id",
    )
    pipeline_id = request.GET.get("pipeline", "")
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__name", "order")
    if pipeline_id.isdigit():
        stages = stages.filter(pipeline_id=pipeline_id)
    totals = _list_totals(request.user, opportunity_filter, filtered)
    return render(
        request,
        "pipeline/opportunity_list.html",
        {
            "section": "opportunities",
            "title": "Opportunities",
            "page": page,
            "filter": opportunity_filter,
            "totals": totals,
            "counted": _counted(opportunity_filter, totals["count"]),
            "forecast_categories": ForecastCategory.choices,
            "pipelines": Pipeline.objects.filter(active=True),
            "stages": stages,
            "people": _people(),
        },
    )


def _list_totals(user, opportunity_filter, filtered) -> dict:
    """The filtered list's totals: from the running totals when its filters allow, else summed."""
    if opportunity_filter.is_valid():
        totals = filtered_totals(
            owner_ids=opportunity_owners_visible_to(user),
            cleaned=opportunity_filter.form.cleaned_data,
            statuses=opportunity_filter.kept_statuses(),
            stages=Stage.objects.all(),
        )
        if totals is not None:
            return totals
    return opportunity_totals(filtered)


def _counted(opportunity_filter, count: int) -> str:
    """What the list counts, in words: "1,234 open deals", "12 stalled deals", "3 deals"."""
    kind = ""
    if opportunity_filter.is_valid():
        statuses = opportunity_filter.kept_statuses()
        if opportunity_filter.form.cleaned_data.get("stalled"):
            kind = "stalled "
        elif statuses is not None and len(statuses) == 1:
            kind = f"{OpportunityStatus(statuses[0]).label.lower()} "
    return f"{count:,} {kind}deal{'' if count == 1 else 's'}"


# --- board --------------------------------------------------------------------------------------
def _closed_since() -> datetime.date:
    """The first (local) day whose closed deals a board still shows."""
    return timezone.localdate() - datetime.timedelta(days=CLOSED_DAYS)


def _stalled_only(params) -> bool:
    """Whether the board shows only the stalled deals (``?stalled=true``, as on the list)."""
    return params.get("stalled", "") == "true"


def _board_queryset(user, pipeline: Pipeline, owner_id: str, *, stalled: bool = False):
    """The deals a board shows: open ones, plus those closed in the last ``CLOSED_DAYS``;
    with ``stalled``, only the open deals longer in their stage than it expects."""
    since = timezone.make_aware(datetime.datetime.combine(_closed_since(), datetime.time.min))
    deals = (
        opportunity_visible_to(user)
        .filter(pipeline=pipeline)
        .filter(Q(status=OpportunityStatus.OPEN) | Q(closed_at__gte=since))
    )
    if owner_id and owner_id.isdigit():
        deals = deals.filter(owner_id=int(owner_id))
    if stalled:
        deals = deals.filter(stalled_condition(timezone.now()))
    return deals


def _column_figures(
    user, pipeline: Pipeline, stages: list[Stage], owner_id: str, *, stalled: bool
) -> dict[int, StageFigure]:
    """Count and amount per stage of what the board shows: the running totals, or — stalled
    deals only — summed from those deals (one grouped query; the running totals keep no
    time in stage)."""
    if not stalled:
        return _column_totals(user, stages, owner_id)
    grouped = (
        _board_queryset(user, pipeline, owner_id, stalled=True)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    return {row["stage_id"]: StageFigure(row["n"], row["total"] or ZERO) for row in grouped}


def _column_totals(user, stages: list[Stage], owner_id: str) -> dict[int, StageFigure]:
    """Count and amount per stage of the board's deals, from the running totals (one query)."""
    owners = opportunity_owners_visible_to(user)
    if owner_id and owner_id.isdigit():
        wanted = int(owner_id)
        owners = [wanted] if owners is None or wanted in owners else []
    return stage_totals(
        owner_ids=owners, stage_ids=[stage.pk for stage in stages], closed_since=_closed_since()
    )


def _cards(deals, stage: Stage, after: int | None = None):
    cards = deals.filter(stage=stage)
    if after:
        cards = cards.filter(id__lt=after)
    rows = list(cards.select_related("account", "owner").order_by("-id")[: CARDS_PER_COLUMN + 1])
    _mark_stalled(rows, stage)
    return rows[:CARDS_PER_COLUMN], len(rows) > CARDS_PER_COLUMN


def _mark_stalled(cards, stage: Stage) -> None:
    """Flag the open deals that have sat in ``stage`` longer than its expected duration."""
    stalled_before = stage.stalled_before(timezone.now())
    for card in cards:
        card.stalled = (
            card.status == OpportunityStatus.OPEN and card.stage_entered_at < stalled_before
        )


def _card_context(request, pipeline, stages):
    """What every card needs; URLs are built from one prefix (a reverse() per card is slow)."""
    return {
        "opportunities_url": reverse("pipeline:list"),
        "today": timezone.localdate(),
        "stages": stages,
        "pipeline": pipeline,
        "read_only": request.user.is_read_only,
    }


@login_required
def board(request, pipeline_id=None):
    """The pipeline board: a column per stage with its count and sum, cards to drag."""
    user = request.user
    pipelines = list(Pipeline.objects.filter(active=True))
    if pipeline_id is None and request.GET.get("pipeline", "").isdigit():
        pipeline_id = int(request.GET["pipeline"])
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id) if pipeline_id else default_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    owner_id = request.GET.get("owner", "")
    stalled = _stalled_only(request.GET)
    deals = _board_queryset(user, pipeline, owner_id, stalled=stalled)
    totals = _column_figures(user, pipeline, stages, owner_id, stalled=stalled)
    columns = []
    for stage in stages:
        cards, more = _cards(deals, stage)
        figure = totals.get(stage.pk, StageFigure())
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "more": more,
                "count": figure.count,
                "amount": figure.amount,
            }
        )
    open_totals = [c for c in columns if c["stage"].kind == StageKind.OPEN]
    team_ids = user_and_reports_ids(user)
    people = (
        _people()
        if user.sees_everything
        else User.objects.filter(pk__in=team_ids).order_by("first_name")
    )
    return render(
        request,
        "pipeline/board.html",
        {
            "section": "board",
            "title": f"Board · {pipeline.name}",
            "pipeline": pipeline,
            "pipelines": pipelines,
            "columns": columns,
            "open_count": sum(c["count"] for c in open_totals),
            "open_amount": sum((c["amount"] or 0) for c in open_totals),
            "people": people if len(people) > 1 else [],
            "owner_id": owner_id,
            "stalled": stalled,
            "lost_reasons": LOST_REASON_CHOICES,
            "closed_days": CLOSED_DAYS,
            **_card_context(request, pipeline, stages),
        },
    )


@login_required
def board_column(request, pipeline_id, stage_id):
    """ "Load more" for one column (htmx): the next cards and a new "load more" button."""
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    stage = get_object_or_404(Stage, pk=stage_id, pipeline=pipeline)
    owner_id = request.GET.get("owner", "")
    stalled = _stalled_only(request.GET)
    after = request.GET.get("after", "")
    deals = _board_queryset(request.user, pipeline, owner_id, stalled=stalled)
    cards, more = _cards(deals, stage, int(after) if after.isdigit() else None)
    stages = list(pipeline.stages.order_by("order"))
    return render(
        request,
        "pipeline/_column_cards.html",
        {
            "cards": cards,
            "more": more,
            "stage": stage,
            "owner_id": owner_id,
            "stalled": stalled,
            **_card_context(request, pipeline, stages),
        },
    )


@writer_required
@require_POST
def opportunity_move(request, pk):
    """Move a deal to another stage through ``opportunity_move_interactive`` (into Won it is
    a win, which the board cannot confirm; out of Won or Lost a reopen).

    The board calls it with ``Accept: application/json`` and gets the refusal
    reason, or the new card and the fresh column totals; the detail page's stage
    path posts a plain form and is redirected back.
    """
    user = request.user
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        opportunity = access_opportunity(user, pk, for_write=True)
    except PermissionDenied as exc:
        if wants_json:
            return JsonResponse({"ok": False, "message": str(exc)}, status=403)
        raise
    except Http404:
        if wants_json:
            return JsonResponse({"ok": False, "message": "Not found."}, status=404)
        raise
    form = MoveForm(request.POST)
    message = ""
    moved = None
    if form.is_valid():
        try:
            moved = opportunity_move_interactive(
                opportunity=opportunity,
                by=user,
                to_stage=form.cleaned_data["stage"],
                expected_version=form.cleaned_data.get("version"),
                lost_reason=form.cleaned_data.get("lost_reason", ""),
                competitor=form.cleaned_data.get("competitor") or None,
            )
        except PermissionDenied as exc:  # reopening after the grace period
            message = str(exc)
        except ValidationError as exc:
            message = " ".join(exc.messages)
            if isinstance(exc, ConcurrentUpdate):
                message = (
                    "Someone else changed this deal since the board was loaded; "
                    "it was not moved. Reload the board to see the current state."
                )
    else:
        message = "Choose a stage to move the deal to."
    warnings = moved.stage_change.warnings if moved else ""
    if not wants_json:
        if moved:
            messages.success(request, f"Moved to {moved.stage.name}.")
            if warnings:
                messages.warning(request, "Moved with unmet exit criteria — " + warnings)
        else:
            messages.error(request, message)
        return redirect("pipeline:detail", pk=pk)
    pipeline = opportunity.pipeline
    stages = list(pipeline.stages.order_by("order"))
    totals = _column_figures(
        user, pipeline, stages, request.POST.get("owner", ""), stalled=_stalled_only(request.POST)
    )
    columns = {}
    for stage in stages:
        figure = totals.get(stage.pk, StageFigure())
        columns[str(stage.pk)] = {"count": figure.count, "amount": money_short(figure.amount)}
    if moved is None:
        return JsonResponse({"ok": False, "message": message, "columns": columns}, status=422)
    moved = opportunity_list(opportunity_visible_to(user)).get(pk=moved.pk)
    _mark_stalled([moved], moved.stage)
    card = render_to_string(
        "pipeline/_card.html",
        {"opp": moved, **_card_context(request, pipeline, stages)},
        request=request,
    )
    return JsonResponse(
        {
            "ok": True,
            "message": f"“{moved.name}” moved to {moved.stage.name}."
            + (f" Unmet exit criteria: {warnings}" if warnings else ""),
            "warnings": warnings.splitlines(),
            "version": moved.version,
            "card": card,
            "columns": columns,
        }
    )


# --- detail -------------------------------------------------------------------------------------
def _stage_history(opportunity):
    """Each stage the deal was in, with how long it stayed there."""
    changes = list(
        opportunity.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "changed_at", "id"
        )
    )
    now = timezone.now()
    rows = []
    for index, change in enumerate(changes):
        if index + 1 < len(changes):
            spent = changes[index + 1].changed_at - change.changed_at
        elif change.to_stage.kind == StageKind.OPEN:
            spent = now - change.changed_at
        else:
            spent = None
        rows.append({"change": change, "spent": spent, "current": index + 1 == len(changes)})
    rows.reverse()
    return rows


@login_required
def opportunity_detail(request, pk):
    user = request.user
    opportunity = get_object_or_404(
        opportunity_list(opportunity_visible_to(user)).select_related("lead__owner"), pk=pk
    )
    stages = list(opportunity.pipeline.stages.order_by("order"))
    current = opportunity.stage
    line_items = list(opportunity.line_items.select_related("product"))
    formset = LineItemFormSet(
        prefix="lines",
        initial=[
            {
                "product": item.product_id,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "discount_percent": item.discount_percent,
            }
            for item in line_items
        ],
    )
    return render(
        request,
        "pipeline/opportunity_detail.html",
        {
            "section": "opportunities",
            "title": opportunity.name,
            "opp": opportunity,
            "stages": stages,
            "current_order": current.order,
            "line_items": line_items,
            "line_formset": formset,
            "activities": list(
                deal_activities_visible_to(user, opportunity)
                .select_related("owner", "opportunity", "account", "contact", "lead")
                .order_by("-occurred_at")[:50]
            ),
            "tasks": list(
                task_visible_to(user)
                .filter(opportunity=opportunity)
                .exclude(status=TaskStatus.CANCELLED)  # the list link shows them
                .select_related("assignee", "opportunity")
                .order_by("status", "due_at")[:30]
            ),
            "stage_history": _stage_history(opportunity),
            "history": readable_history(opportunity, user=request.user, limit=30),
            "can_change": can_change_owned(user, opportunity.owner_id),
            "lost_reasons": LOST_REASON_CHOICES,
            "lost_stage": next((s for s in stages if s.kind == StageKind.LOST), None),
            "won_stage": next((s for s in stages if s.kind == StageKind.WON), None),
            "overdue": opportunity.status == OpportunityStatus.OPEN
            and opportunity.close_date < timezone.localdate(),
            "lead_visible": opportunity.lead_id is not None
            and lead_visible_to(user).filter(pk=opportunity.lead_id).exists(),
            **_reopen_context(user, opportunity, stages),
            **process_context(user, opportunity),
        },
    )


def _reopen_context(user, opportunity, stages) -> dict:
    """The Reopen control of a closed deal: whether the reader may, until when, into which stage."""
    if opportunity.status == OpportunityStatus.OPEN:
        return {"can_reopen": False}
    allowed = can_reopen(user, opportunity, now=timezone.now())
    return {
        "can_reopen": allowed,
        "reopen_deadline": reopen_deadline(opportunity),
        "reopen_stages": [s for s in stages if s.kind == StageKind.OPEN],
        "reopen_into": stage_before_closing(opportunity) if allowed else None,
    }


CLOSE_OUTCOMES = {StageKind.WON: "won", StageKind.LOST: "lost"}


@writer_required
def opportunity_close_view(request, pk, outcome):
    """Win or lose a deal from its page, through ``opportunity_close_won``/``_lost``.

    A plain click closes at once when nothing is passed over; when stages are
    skipped, exit criteria unmet or tasks still open, the confirmation step
    shows them, with "close N open tasks" ticked.
    """
    if outcome not in CLOSE_OUTCOMES:
        raise Http404
    user = request.user
    opportunity = access_opportunity(user, pk, for_write=True)
    stage = outcome_stage(opportunity.pipeline, outcome)
    if stage is None or opportunity.status != OpportunityStatus.OPEN:
        messages.info(request, f"This deal is {opportunity.get_status_display().lower()}.")
        return redirect("pipeline:detail", pk=pk)
    concerns = closing_concerns(opportunity, stage)
    asked = request.method == "POST" and (
        request.POST.get("confirm") or not (concerns.needs_confirmation or concerns.open_task_ids)
    )
    form = CloseForm(request.POST if asked else None)
    if asked and form.is_valid():
        values = form.cleaned_data
        common = {
            "opportunity": opportunity,
            "by": user,
            "expected_version": values["version"],
            "close_open_tasks": values["close_open_tasks"],
        }
        try:
            if outcome == StageKind.WON:
                closed = opportunity_close_won(**common, confirmed=values["confirm"])
            else:
                closed = opportunity_close_lost(
                    **common, reason=values["lost_reason"], competitor=values["competitor"] or None
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _closed_message(closed))
            return redirect("pipeline:detail", pk=pk)
    tasks = task_visible_to(user).filter(pk__in=concerns.open_task_ids).select_related("assignee")
    return render(
        request,
        "pipeline/opportunity_close.html",
        {
            "section": "opportunities",
            "title": f"Mark “{opportunity.name}” as {CLOSE_OUTCOMES[outcome]}",
            "opp": opportunity,
            "outcome": outcome,
            "concerns": concerns,
            "open_tasks": list(tasks.order_by("due_at", "id")),
            "form": form,
            "lost_reasons": LOST_REASON_CHOICES,
            "chosen_reason": request.POST.get("lost_reason", ""),
            "chosen_competitor": request.POST.get("competitor", ""),
            "grace_days": settings.PIPEWISE_REOPEN_GRACE_DAYS,
        },
    )


def _closed_message(closed) -> str:
    parts = [f"Marked as {closed.get_status_display().lower()}."]
    if closed.tasks_closed:
        count = closed.tasks_closed
        parts.append(f"{count} open task{'' if count == 1 else 's'} cancelled.")
    order = getattr(closed, "order", None) if closed.status == OpportunityStatus.WON else None
    if order is not None:
        parts.append(f"{order} created.")
    deadline = reopen_deadline(closed)
    parts.append(f"You can reopen it until {timezone.localtime(deadline):%-d %b %Y}.")
    return " ".join(parts)


@writer_required
@require_POST
def opportunity_reopen_view(request, pk):
    """Undo a win or a loss through ``opportunity_reopen``."""
    user = request.user
    opportunity = access_opportunity(user, pk, for_write=True)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an open stage of this deal's sales process.")
        return redirect("pipeline:detail", pk=pk)
    try:
        reopened = opportunity_reopen(
            opportunity=opportunity,
            by=user,
            to_stage=form.cleaned_data["stage"],
            expected_version=form.cleaned_data["version"],
        )
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, ConcurrentUpdate):
            messages.error(request, CHANGED_BY_SOMEONE_ELSE)
        else:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("pipeline:detail", pk=pk)
    parts = [f"Reopened in {reopened.stage.name}."]
    if reopened.order_cancelled is not None:
        parts.append(f"{reopened.order_cancelled} cancelled.")
    if reopened.tasks_closed:
        count = reopened.tasks_closed
        parts.append(f"{count} task{'' if count == 1 else 's'} the win had created cancelled.")
    messages.success(request, " ".join(parts))
    return redirect("pipeline:detail", pk=pk)


@writer_required
def opportunity_create_view(request):
    user = request.user
    initial = {}
    for name in ("account", "contact"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    form = OpportunityForm(request.POST or None, user=user, initial=initial)
    opportunity = form_saved(
        request,
        form,
        lambda: opportunity_create(by=user, **form.values()),
        success="Opportunity “{record}” created.",
    )
    if opportunity:
        return redirect("pipeline:detail", pk=opportunity.pk)
    return render(
        request,
        "pipeline/opportunity_form.html",
        {"section": "opportunities", "title": "New opportunity", "form": form},
    )


@writer_required
def opportunity_edit(request, pk):
    user = request.user
    opportunity = access_opportunity(user, pk, for_write=True)
    form = OpportunityForm(request.POST or None, instance=opportunity, user=user)
    saved = form_saved(
        request,
        form,
        lambda: opportunity_update(
            opportunity=opportunity,
            by=user,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        ),
        success="Opportunity saved.",
    )
    if saved:
        return redirect("pipeline:detail", pk=saved.pk)
    return render(
        request,
        "pipeline/opportunity_form.html",
        {
            "section": "opportunities",
            "title": f"Edit {opportunity}",
            "form": form,
            "opp": opportunity,
        },
    )


@writer_required
@require_POST
def opportunity_line_items(request, pk):
    """Replace the line items; the amount becomes their total."""
    user = request.user
    opportunity = access_opportunity(user, pk, for_write=True)
    formset = LineItemFormSet(request.POST, prefix="lines")
    if not formset.is_valid():
        problems = []
        for index, form in enumerate(formset.forms):
            for name, errors in form.errors.items():
                problems.append(f"line {index + 1}, {name.replace('_', ' ')}: {' '.join(errors)}")
        messages.error(request, "Line items not saved — " + "; ".join(problems))
        return redirect("pipeline:detail", pk=pk)
    items = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("product"):
            continue
        item = {
            "product": data["product"],
            "quantity": data["quantity"],
            "discount_percent": data.get("discount_percent") or 0,
        }
        if data.get("unit_price") is not None:
            item["unit_price"] = data["unit_price"]
        items.append(item)
    version = request.POST.get("version", "")
    try:
        opportunity_set_line_items(
            opportunity=opportunity,
            by=user,
            items=items,
            expected_version=int(version) if version.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, "Line items not saved — " + " ".join(exc.messages))
    else:
        messages.success(request, "Line items saved; the amount is their total.")
    return redirect("pipeline:detail", pk=pk)


@login_required
def opportunity_lookup(request):
    return lookup_options(
        request,
        opportunity_visible_to(request.user).select_related("account"),
        ["name", "account__name"],
    )


# --- settings: sales processes and stages -----------------------------------------------------
@configurer_required
def pipeline_list(request):
    pipelines = Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name")
    return render(
        request,
        "pipeline/settings_pipeline_list.html",
        {"section": "settings_pipelines", "title": "Pipelines & stages", "pipelines": pipelines},
    )


def _save_pipeline(form: PipelineForm) -> Pipeline:
    values = {name: form.cleaned_data[name] for name in form.Meta.fields}
    with transaction.atomic():
        if values["is_default"]:
            Pipeline.objects.filter(is_default=True).exclude(pk=form.instance.pk).update(
                is_default=False
            )
        return configuration_save(instance=form.instance, values=values)


@configurer_required
def pipeline_edit(request, pk=None):
    """A sales process and its stages (order, probability, open/won/lost), on one page."""
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else Pipeline()
    form = PipelineForm(request.POST or None, instance=pipeline, prefix="pipeline")
    stage_qs = pipeline.stages.order_by("order") if pk else Stage.objects.none()
    formset = StageFormSet(request.POST or None, queryset=stage_qs, prefix="stages")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                saved = _save_pipeline(form)
                _save_stages(saved, formset)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Sales process “{saved}” saved.")
            return redirect("pipeline:pipeline_edit", pk=saved.pk)
    return render(
        request,
        "pipeline/settings_pipeline_form.html",
        {
            "section": "settings_pipelines",
            "title": f"Sales process · {pipeline.name}" if pk else "New sales process",
            "form": form,
            "formset": formset,
            "pipeline": pipeline if pk else None,
        },
    )


TEMPORARY_ORDER = 10000


def _save_stages(pipeline: Pipeline, formset) -> None:
    """Save changed and new stages; orders are parked first so that a re-order never collides."""
    forms_to_save = [f for f in formset.forms if f.has_changed() and f.cleaned_data.get("name")]
    for index, form in enumerate(forms_to_save):
        if form.instance.pk:
            configuration_save(instance=form.instance, values={"order": TEMPORARY_ORDER + index})
    for form in forms_to_save:
        names = ("order", "name", "probability", "kind", "expected_days")
        values = {name: form.cleaned_data[name] for name in names}
        values["pipeline"] = pipeline
        try:
            configuration_save(instance=form.instance, values=values)
        except ValidationError as exc:
            raise ValidationError(
                {"__all__": [f"Stage “{values['name']}”: {m}" for m in exc.messages]}
            ) from exc
