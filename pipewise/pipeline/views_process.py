"""Web pages of the process matrix and of quotes and orders.

Deal pages: the milestone checklist (htmx), discount approval, quotes, order.
Managers: the approvals inbox. Everyone: the process map (server-side SVG,
printable) and the milestone report. Admins and sales ops: the stage playbook
settings (goal, criteria, milestones, tools, follow-ups) and price lists.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pipewise.catalog.models import PriceList
from pipewise.core.services import configuration_save
from pipewise.org.selectors import user_and_reports_ids
from pipewise.pipeline.choices import (
    REQUIRABLE_FIELDS,
    DiscountApprovalStatus,
    OrderStatus,
    StageKind,
)
from pipewise.pipeline.forms_process import (
    DecisionForm,
    FollowUpFormSet,
    MilestoneFormSet,
    PriceListForm,
    PriceListItemFormSet,
    StagePlaybookForm,
    StageToolFormSet,
)
from pipewise.pipeline.models import (
    DiscountApproval,
    Milestone,
    Opportunity,
    Order,
    Pipeline,
    Quote,
    Stage,
)
from pipewise.pipeline.permissions import (
    access_opportunity,
    can_decide_discount,
    can_use_approvals,
    can_use_orders,
    deal_records_visible_to,
)
from pipewise.pipeline.process import GROUPINGS, milestone_report, process_map
from pipewise.pipeline.selectors import discount_status, milestone_checklist
from pipewise.pipeline.services import (
    discount_approval_decide,
    discount_approval_request,
    opportunity_milestone_set,
    order_set_status,
    quote_create,
)
from pipewise.web.access import configurer_required, writer_required

PAGE_LIMIT = 200


# --- on the deal page -----------------------------------------------------------------------------
def process_context(user, opportunity: Opportunity) -> dict:
    """What the deal page shows of the process matrix, discounts, quotes and order."""
    stage = opportunity.stage
    last_change = opportunity.stage_changes.order_by("-changed_at", "-id").first()
    order = Order.objects.filter(opportunity=opportunity).prefetch_related("lines").first()
    discount = discount_status(opportunity)
    latest = discount["latest"]
    return {
        "playbook_stage": stage,
        "playbook_tools": list(stage.tools.all()),
        "checklist": milestone_checklist(opportunity),
        "move_warnings": last_change.warnings.splitlines() if last_change else [],
        "discount": discount,
        "can_decide_discount": latest is not None
        and latest.status == DiscountApprovalStatus.PENDING
        and can_decide_discount(user, opportunity),
        "quotes": list(opportunity.quotes.select_related("created_by")[:20]),
        "order": order,
        "order_statuses": OrderStatus.choices,
        "required_labels": [REQUIRABLE_FIELDS[name] for name in stage.required_fields],
        "stage_days_over": _days_over(opportunity),
    }


def _days_over(opportunity: Opportunity) -> int:
    """Days the deal has spent in its stage beyond the stage's expected duration (0: within)."""
    stage = opportunity.stage
    if stage.kind != StageKind.OPEN or stage.expected_days is None:
        return 0
    return max(0, (timezone.now() - opportunity.stage_entered_at).days - stage.expected_days)


@writer_required
@require_POST
def opportunity_milestone_toggle(request, pk, milestone_id):
    """Tick or untick a milestone (htmx: answers the checklist again)."""
    opportunity = access_opportunity(request.user, pk, for_write=True)
    milestone = get_object_or_404(Milestone.objects.select_related("stage"), pk=milestone_id)
    error = ""
    try:
        opportunity_milestone_set(
            opportunity=opportunity,
            milestone=milestone,
            by=request.user,
            reached=request.POST.get("reached") == "1",
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(
            request,
            "pipeline/_milestones.html",
            {
                "opp": opportunity,
                "checklist": milestone_checklist(opportunity),
                "can_change": True,
                "checklist_error": error,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("pipeline:detail", pk=pk)


def _service_call(request, call, success: str) -> bool:
    """Run one service call; flash its refusal as a message. True when it went through."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


@writer_required
@require_POST
def discount_request_view(request, pk):
    opportunity = access_opportunity(request.user, pk, for_write=True)
    _service_call(
        request,
        lambda: discount_approval_request(
            opportunity=opportunity, by=request.user, comment=request.POST.get("comment", "")
        ),
        "Approval requested; the owner's manager was told.",
    )
    return redirect("pipeline:detail", pk=pk)


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@writer_required
@require_POST
def discount_decide_view(request, approval_id):
    """Approve or reject (managers above the deal's owner; others get 403 from the service)."""
    approval = get_object_or_404(
        deal_records_visible_to(request.user, DiscountApproval), pk=approval_id
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
    else:
        approve = form.cleaned_data["decision"] == "approve"
        _service_call(
            request,
            lambda: discount_approval_decide(
                approval=approval,
                by=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            ),
            "Discount approved." if approve else "Discount rejected.",
        )
    return _back(request, "pipeline:approvals")


@writer_required
@require_POST
def quote_create_view(request, pk):
    opportunity = access_opportunity(request.user, pk, for_write=True)
    _service_call(
        request,
        lambda: quote_create(opportunity=opportunity, by=request.user),
        "Quote issued.",
    )
    return redirect("pipeline:detail", pk=pk)


@login_required
def quote_pdf(request, quote_id):
    quote = get_object_or_404(deal_records_visible_to(request.user, Quote), pk=quote_id)
    return FileResponse(
        quote.pdf.open("rb"), content_type="application/pdf", filename=f"{quote.number}.pdf"
    )


@writer_required
@require_POST
def order_status_view(request, order_id):
    order = get_object_or_404(deal_records_visible_to(request.user, Order), pk=order_id)
    access_opportunity(request.user, order.opportunity_id, for_write=True)
    status = request.POST.get("status", "")
    if status not in OrderStatus.values:
        messages.error(request, "Choose an order status.")
    else:
        _service_call(
            request,
            lambda: order_set_status(order=order, by=request.user, status=status),
            f"Order {order.number} is now {OrderStatus(status).label.lower()}.",
        )
    return _back(request, "pipeline:orders")


# --- inboxes --------------------------------------------------------------------------------------
@login_required
def approval_list(request):
    """Discount requests: those waiting for me (deals of people below me), then the recent ones."""
    user = request.user
    if not can_use_approvals(user):
        raise Http404
    approvals = deal_records_visible_to(user, DiscountApproval).select_related(
        "opportunity__owner", "opportunity__account", "requested_by", "decided_by"
    )
    below = user_and_reports_ids(user) - {user.pk}
    waiting = [
        a
        for a in approvals.filter(
            status=DiscountApprovalStatus.PENDING, opportunity__owner__in=below
        )
        if can_decide_discount(user, a.opportunity)
    ]
    return render(
        request,
        "pipeline/approval_list.html",
        {
            "section": "approvals",
            "title": "Discount approvals",
            "waiting": waiting,
            "recent": list(approvals.order_by("-requested_at", "-id")[:PAGE_LIMIT]),
        },
    )


@login_required
def order_list(request):
    if not can_use_orders(request.user):
        raise Http404
    orders = deal_records_visible_to(request.user, Order).select_related(
        "opportunity__account", "opportunity__owner"
    )
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return render(
        request,
        "pipeline/order_list.html",
        {
            "section": "orders",
            "title": "Orders",
            "orders": list(orders.order_by("-created_at", "-id")[:PAGE_LIMIT]),
            "statuses": OrderStatus.choices,
            "status": status,
            "limit": PAGE_LIMIT,
        },
    )


# --- process map ----------------------------------------------------------------------------------
BOX_W, BOX_H, GAP, TOP, SIDE, LINE, PER_ROW = 168, 112, 56, 30, 72, 15, 5


def map_layout(figures) -> dict:
    """Positions for the SVG: the open stages and Won snake left to right, then right to left
    (five per row), Lost just below Won; each arrow carries the conversion of the stage it
    leaves."""
    open_stages = [f for f in figures.stages if f.stage.kind == StageKind.OPEN]
    won = [f for f in figures.stages if f.stage.kind == StageKind.WON]
    lost = [f for f in figures.stages if f.stage.kind == StageKind.LOST]
    chain = open_stages + won[:1]
    deepest_list = max((len(f.milestones) for f in figures.stages), default=0)
    row_height = BOX_H + deepest_list * LINE + 56
    nodes = []
    for index, stage in enumerate(chain):
        row, col = divmod(index, PER_ROW)
        if row % 2:
            col = PER_ROW - 1 - col
        nodes.append(_node(stage, SIDE + col * (BOX_W + GAP), TOP + row * row_height, row))
    arrows = [
        _arrow(left, right, left["figures"].conversion)
        for left, right in zip(nodes, nodes[1:], strict=False)
    ]
    for stage in lost[:1]:
        anchor = nodes[-1] if won else None
        if anchor is None or not open_stages:
            continue
        below = _node(stage, anchor["x"], anchor["y"] + BOX_H + 40, anchor["row"])
        source = nodes[len(open_stages) - 1]
        # From the side of the last open stage that faces Won, down to Lost's near corner.
        leftwards = source["x"] > below["x"]
        x1 = source["x"] if leftwards else source["x"] + BOX_W
        x2 = below["x"] + BOX_W + 4 if leftwards else below["x"] - 4
        path = f"M {x1} {source['y'] + BOX_H - 14} L {x2} {below['y'] + 18}"
        arrows.append({"d": path, "label": None, "dashed": True})
        nodes.append(below)
    columns = min(len(chain), PER_ROW) or 1
    bottom = max((n["y"] + BOX_H + len(n["milestones"]) * LINE for n in nodes), default=TOP)
    return {
        "nodes": nodes,
        "arrows": [a for a in arrows if a["d"]],
        "width": 2 * SIDE + columns * BOX_W + (columns - 1) * GAP,
        "height": bottom + 30,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }


def _node(figures, x: int, y: int, row: int) -> dict:
    return {
        "figures": figures,
        "x": x,
        "y": y,
        "row": row,
        "cx": x + BOX_W // 2,
        "milestones": [
            {"name": m.name, "y": y + BOX_H + 16 + index * LINE}
            for index, m in enumerate(figures.milestones)
        ],
        "kind": figures.stage.kind,
    }


def _arrow(left: dict, right: dict, label) -> dict:
    """Along the row, or round the end of the row down to the next one (the snake's turn)."""
    mid = BOX_H // 2
    if left["row"] == right["row"]:
        forward = right["x"] > left["x"]
        x1 = left["x"] + BOX_W if forward else left["x"]
        x2 = right["x"] - 4 if forward else right["x"] + BOX_W + 4
        y = left["y"] + mid
        return {
            "d": f"M {x1} {y} L {x2} {y}",
            "label": label,
            "lx": (x1 + x2) // 2,
            "ly": y - 6,
            "anchor": "middle",
            "dashed": False,
        }
    on_right = left["x"] + BOX_W + GAP > SIDE + (PER_ROW - 1) * (BOX_W + GAP)
    edge = left["x"] + BOX_W if on_right else left["x"]
    out = 22 if on_right else -22
    y1, y2 = left["y"] + mid, right["y"] + mid
    tip = edge + (4 if on_right else -4)
    return {
        "d": f"M {edge} {y1} h {out} V {y2} H {tip}",
        "label": label,
        "lx": edge + out + (4 if on_right else -4),
        "ly": (y1 + y2) // 2,
        "anchor": "start" if on_right else "end",
        "dashed": False,
    }


@login_required
def process_map_view(request, pipeline_id=None):
    """Each sales process drawn as a diagram with its figures from the stage history."""
    pipelines = list(Pipeline.objects.filter(active=True).order_by("-is_default", "name"))
    if pipeline_id is None:
        if not pipelines:
            raise Http404
        pipeline = pipelines[0]
    else:
        pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    figures = process_map(pipeline=pipeline, user=request.user)
    return render(
        request,
        "pipeline/process_map.html",
        {
            "section": "process",
            "title": f"Process map · {pipeline.name}",
            "pipeline": pipeline,
            "pipelines": pipelines,
            "figures": figures,
            "layout": map_layout(figures),
            "generated_at": timezone.now(),
        },
    )


# --- milestone report -----------------------------------------------------------------------------
def _period(request) -> tuple[datetime.date, datetime.date, list[str]]:
    errors = []
    end = timezone.localdate()
    start = end - datetime.timedelta(days=29)
    values = {"from": start, "to": end}
    for name in values:
        raw = request.GET.get(name, "")
        if raw:
            parsed = parse_date(raw)
            if parsed is None:
                errors.append(f"“{raw}” is not a date; use YYYY-MM-DD.")
            else:
                values[name] = parsed
    if values["to"] < values["from"]:
        errors.append("The period ends before it starts; showing the last 30 days.")
        values = {"from": start, "to": end}
    return values["from"], values["to"], errors


@login_required
def milestone_report_view(request):
    start, end, errors = _period(request)
    pipelines = list(Pipeline.objects.filter(active=True).order_by("-is_default", "name"))
    raw = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == raw), None)
    group_by = request.GET.get("group_by") or None
    if group_by not in GROUPINGS:
        group_by = None
    report = milestone_report(
        user=request.user, start=start, end=end, pipeline=pipeline, group_by=group_by
    )
    top = max((max(r["current"], r["previous"]) for r in report["rows"]), default=0) or 1
    return render(
        request,
        "pipeline/milestone_report.html",
        {
            "section": "process",
            "title": "Milestone report",
            "report": report,
            "top": top,
            "errors": errors,
            "pipelines": pipelines,
            "pipeline": pipeline,
            "groupings": GROUPINGS,
            "group_by": group_by or "",
            "group_label": GROUPINGS.get(group_by or "", ""),
        },
    )


# --- settings: stage playbook and price lists -----------------------------------------------------
def _formset_save(stage: Stage, formset) -> None:
    """Save a stage's inline rows (milestones, tools or follow-ups) through configuration_save."""
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        if formset.can_delete and formset._should_delete_form(form):
            if form.instance.pk:
                form.instance.delete()
            continue
        if not form.has_changed():
            continue
        values = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
        if "file" in values and values["file"] is None:
            values.pop("file")
        if values.get("file") is False:  # "clear" ticked
            values["file"] = None
        values["stage"] = stage
        configuration_save(instance=form.instance, values=values)


@configurer_required
def stage_playbook_edit(request, pk, stage_id):
    """One stage of the matrix: goal, exit criteria, milestones, tools, duration, follow-ups."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    stage = get_object_or_404(Stage, pk=stage_id, pipeline=pipeline)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = StagePlaybookForm(data, instance=stage, prefix="stage")
    milestones = MilestoneFormSet(data, instance=stage, prefix="milestones")
    tools = StageToolFormSet(data, files, instance=stage, prefix="tools")
    follow_ups = FollowUpFormSet(data, instance=stage, prefix="followups")
    sets = [milestones, tools, follow_ups]
    if request.method == "POST" and form.is_valid() and all(s.is_valid() for s in sets):
        try:
            with transaction.atomic():
                values = {name: form.cleaned_data[name] for name in form.Meta.fields}
                configuration_save(instance=stage, values=values)
                for formset in sets:
                    _formset_save(stage, formset)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Stage “{stage.name}” saved.")
            return redirect("pipeline:stage_playbook", pk=pipeline.pk, stage_id=stage.pk)
    return render(
        request,
        "pipeline/settings_stage_form.html",
        {
            "section": "settings_pipelines",
            "title": f"{pipeline.name} · {stage.name}",
            "pipeline": pipeline,
            "stage": stage,
            "form": form,
            "milestones": milestones,
            "tools": tools,
            "follow_ups": follow_ups,
            "stages": list(pipeline.stages.order_by("order")),
        },
    )


@configurer_required
def price_list_list(request):
    return render(
        request,
        "pipeline/settings_price_lists.html",
        {
            "section": "settings_pipelines",
            "title": "Price lists",
            "price_lists": PriceList.objects.prefetch_related("items__product").order_by(
                "-is_default", "name"
            ),
        },
    )


@configurer_required
def price_list_edit(request, price_list_id=None):
    price_list = get_object_or_404(PriceList, pk=price_list_id) if price_list_id else PriceList()
    data = request.POST if request.method == "POST" else None
    form = PriceListForm(data, instance=price_list, prefix="list")
    items = PriceListItemFormSet(data, instance=price_list, prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        try:
            with transaction.atomic():
                values = {name: form.cleaned_data[name] for name in form.Meta.fields}
                if values["is_default"]:
                    PriceList.objects.exclude(pk=price_list.pk).update(is_default=False)
                saved = configuration_save(instance=price_list, values=values)
                for item in items.forms:
                    if items._should_delete_form(item):
                        if item.instance.pk:
                            item.instance.delete()
                        continue
                    if item.has_changed() and item.cleaned_data.get("product"):
                        values = {
                            "product": item.cleaned_data["product"],
                            "unit_price": item.cleaned_data["unit_price"],
                            "price_list": saved,
                        }
                        configuration_save(instance=item.instance, values=values)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Price list “{saved}” saved.")
            return redirect("pipeline:price_list_edit", price_list_id=saved.pk)
    return render(
        request,
        "pipeline/settings_price_list_form.html",
        {
            "section": "settings_pipelines",
            "title": f"Price list · {price_list.name}" if price_list.pk else "New price list",
            "form": form,
            "items": items,
            "price_list": price_list if price_list.pk else None,
        },
    )
