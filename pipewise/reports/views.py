"""Web pages of the reports app: the dashboards, the records behind their numbers, and the
report builder (saved reports, their results and exports)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from pipewise.reports import dashboards
from pipewise.reports.builder import (
    ENTITIES,
    MONTH,
    Definition,
    ReportResult,
    describe_filters,
    dimension_label,
    report_records,
    run_report,
)
from pipewise.reports.choices import ChartType, Dimension, Filter, Measure, Unit
from pipewise.reports.exports import CONTENT_TYPES, records_csv, records_xlsx
from pipewise.reports.exports import render as render_export
from pipewise.reports.forms import MAX_FILTER_ROWS, SalesCostForm, SavedReportForm
from pipewise.reports.kpis import registry
from pipewise.reports.kpis.base import UnknownKpi
from pipewise.reports.permissions import (
    access_saved_report,
    can_change_report,
    saved_report_visible_to,
)
from pipewise.reports.records import kpi_records
from pipewise.reports.selectors import sales_cost_list
from pipewise.reports.services import (
    sales_cost_record,
    saved_report_create,
    saved_report_delete,
    saved_report_update,
)
from pipewise.web.access import configurer_required
from pipewise.web.export import XLSX_ROW_LIMIT, XLSX_TOO_BIG
from pipewise.web.forms import add_service_errors
from pipewise.web.lists import keyset_page
from pipewise.web.templatetags.pipewise import money_symbol

RECORD_SORTS = {"id": ("Newest", "id")}
# A chart shows this many categories at most, the last one "Other" (the rest, folded; the
# ninth colour of the pie palette is grey).
CHART_CATEGORIES = 9
OTHER = "Other ({count})"
CHART_FOLDED = "The chart shows the {shown} largest of {total} groups; the table has them all."
NO_PERSON_TARGETS = (
    "No won-revenue targets for these people in this period: set them under Targets "
    "(planning), or type a total target above for the attainment figure."
)


def _chart_context(page: dashboards.Page, chart: dashboards.Chart) -> dict:
    kpi = registry.get(chart.kpi)
    unit = str(kpi.unit)
    groups = page.groups(chart.kpi, chart.group_by)
    if isinstance(groups, str):
        return {"chart": chart, "unit": unit, "missing": groups}
    targets = page.targets if (chart.attainment or chart.with_target) else None
    target_line = None
    if chart.attainment:
        if not targets:
            return {"chart": chart, "unit": unit, "missing": NO_PERSON_TARGETS}
        groups = dashboards.attainment_groups(groups, targets, page.lookups.names)
        unit = str(Unit.RATIO)
    elif chart.with_target and targets and targets.per_month:
        groups, target_line = dashboards.with_monthly_targets(groups, targets)
    if chart.ranked:
        groups = sorted(groups, key=lambda g: (g["value"] is None, -(g["value"] or 0)))
    context = {
        "chart": chart,
        "unit": unit,
        "groups": groups,
        "data": {
            "kind": chart.kind,
            "unit": unit,
            "label": "Attainment" if chart.attainment else kpi.name,
            "labels": [
                " · ".join(str(x or "—") for x in g.get("shown", g["labels"])) for g in groups
            ],
            "values": [None if g["value"] is None else float(g["value"]) for g in groups],
            "urls": [g["url"] for g in groups],
            "target": target_line,
        },
    }
    if chart.kind == "heatmap":
        context["heat"] = _heat(groups)
    return context


def _heat(groups: list[dict]) -> dict:
    """Rows × columns of a two-dimension grouping, each cell with a shade from 0 to 100."""
    rows = sorted({g["labels"][0] or "—" for g in groups})
    columns = sorted({g["labels"][1] or "—" for g in groups})
    cells = {(g["labels"][0] or "—", g["labels"][1] or "—"): g for g in groups}
    shown = {g["labels"][0] or "—": g.get("shown", g["labels"])[0] or "—" for g in groups}
    top = max((g["value"] or 0 for g in groups), default=0) or 1

    def cell(row, column):
        group = cells.get((row, column), {"value": 0, "url": None})
        value = group["value"] or 0
        shade = round(100 * value / top)
        return {"value": value, "url": group["url"], "shade": shade, "dark": shade >= 60}

    return {
        "columns": columns,
        "rows": [
            {"label": r, "shown": shown[r], "cells": [cell(r, c) for c in columns]} for r in rows
        ],
    }


def _breakdown_context(page: dashboards.Page, breakdown: dashboards.Breakdown) -> dict:
    """One row per group label, one cell per KPI (each KPI one grouped query)."""
    columns = []
    rows: dict = {}
    shown: dict = {}
    for key in breakdown.kpis:
        kpi = registry.get(key)
        groups = page.groups(key, breakdown.dimension)
        columns.append({"kpi": key, "label": kpi.name, "unit": str(kpi.unit)})
        if isinstance(groups, str):
            continue
        for group in groups:
            label = group["labels"][0]
            rows.setdefault(label, {})[key] = group
            shown.setdefault(label, group.get("shown", group["labels"])[0])
    ordered = sorted(rows, key=lambda label: (label is None, label or ""))
    return {
        "breakdown": breakdown,
        "columns": columns,
        "rows": [
            {
                "label": label,
                "shown": shown[label],
                "cells": [{"col": c, "group": rows[label].get(c["kpi"])} for c in columns],
            }
            for label in ordered
        ],
    }


@login_required
def dashboard_index(request):
    """The dashboards, one per audience."""
    return render(
        request,
        "reports/dashboard_index.html",
        {"title": "Dashboards", "section": "dashboards", "dashboards": dashboards.DASHBOARDS},
    )


@login_required
def dashboard(request, slug: str):
    """One dashboard over what the signed-in user may see, for the period and filters asked."""
    board = dashboards.DASHBOARDS.get(slug)
    if board is None:
        raise Http404
    defaults = {Filter.OWNER: str(request.user.pk)} if board.own_records else {}
    errors = {}
    try:
        selection = dashboards.read_selection(
            request.GET, default_preset=board.default_preset, defaults=defaults
        )
    except ValidationError as exc:
        errors = exc.message_dict
        selection = dashboards.read_selection(
            {}, default_preset=board.default_preset, defaults=defaults
        )
    page = dashboards.Page(request.user, selection)
    context = {
        "title": board.title,
        "section": "dashboards",
        "board": board,
        "dashboards": dashboards.DASHBOARDS,
        "selection": selection,
        "presets": dashboards.PRESETS,
        "choices": dashboards.filter_choices(request.user),
        "errors": errors,
        "figures": [page.number(f.kpi, f.label) for f in board.figures],
        "charts": [_chart_context(page, chart) for chart in board.charts],
        "breakdowns": [_breakdown_context(page, b) for b in board.breakdowns],
        "api_query": selection.params(),
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def kpi_record_list(request):
    """The records behind one dashboard number (the KPI's own rows, in one group)."""
    params = request.GET
    try:
        kpi = registry.get(params.get("kpi", ""))
        selection = dashboards.read_selection(params, default_preset="all")
        group = {
            name.removeprefix("group_"): (value or None)
            for name, value in params.items()
            if name.startswith("group_") and name.removeprefix("group_") in Dimension.values
        }
        rows = kpi_records(
            user=request.user,
            kpi_key=kpi.key,
            start=selection.start,
            end=selection.end,
            filters=selection.filters,
            group=group,
        )
    except (UnknownKpi, ValidationError) as exc:
        raise Http404(str(exc)) from None
    related = {
        "opportunities": ["account", "owner", "stage"],
        "leads": ["owner"],
        "activities": ["owner"],
        "accounts": ["owner", "territory"],
        "line items": ["opportunity", "product"],
    }[kpi.subject.name]
    page = keyset_page(request, rows.select_related(*related), sort_options=RECORD_SORTS)
    return render(
        request,
        "reports/records.html",
        {
            "title": f"Records behind: {kpi.name}",
            "section": "dashboards",
            "kpi": kpi,
            "subject": kpi.subject.name,
            "selection": selection,
            "group": group,
            "page": page,
        },
    )


# --- the report builder --------------------------------------------------------------
ADDITIVE = {Measure.COUNT, Measure.SUM}


def report_table(result: ReportResult) -> dict:
    """The result as people read it: headings, each row's group labels then its values
    with their units, and the total row (when grouped)."""
    units = result.units
    return {
        "headings": [
            {"text": text, "number": index >= result.group_count}
            for index, text in enumerate(result.headings)
        ],
        "rows": [
            {
                "labels": shown,
                "cells": list(zip(row[result.group_count :], units, strict=True)),
            }
            for row, shown in zip(result.rows, result.shown, strict=True)
        ],
        "totals": None if result.totals is None else list(zip(result.totals, units, strict=True)),
        "group_count": result.group_count,
    }


def report_chart(result: ReportResult, kind: str) -> dict | None:
    """The first measure as a chart. Months keep their order; more than
    ``CHART_CATEGORIES`` other groups become the largest ones and one "Other" (their sum,
    where the measure adds up; otherwise left out, and the page says so)."""
    if kind == ChartType.TABLE or not result.rows or not result.group_count:
        return None
    count = result.group_count
    points = [
        (" · ".join(shown), None if row[count] is None else float(row[count]))
        for row, shown in zip(result.rows, result.shown, strict=True)
    ]
    note = ""
    over_time = result.columns[0] == MONTH and count == 1
    if not over_time and len(points) > CHART_CATEGORIES:
        ranked = sorted(points, key=lambda p: (p[1] is None, -(p[1] or 0)))
        keep, rest = ranked[: CHART_CATEGORIES - 1], ranked[CHART_CATEGORIES - 1 :]
        measure = result.columns[count]
        if measure == "count" or measure.startswith(f"{Measure.SUM}("):
            keep.append((OTHER.format(count=len(rest)), sum(p[1] or 0 for p in rest)))
        else:
            note = CHART_FOLDED.format(shown=len(keep), total=len(points))
        points = keep
    unit = result.units[0]
    label = result.headings[count]
    if unit == Unit.CURRENCY:
        label = f"{label} ({money_symbol().strip()})"
    return {
        "kind": {ChartType.PIE: "doughnut"}.get(kind, kind),
        "unit": unit if unit in (Unit.RATIO, Unit.PERCENT, Unit.MULTIPLE) else "",
        "label": label,
        "labels": [p[0] for p in points],
        "values": [p[1] for p in points],
        "urls": [None for _ in points],
        "note": note,
    }


def describe_report(report) -> str:
    """What a saved report counts, in words: Opportunities by Owner × Stage · all time."""
    spec = ENTITIES[report.entity]
    text = report.get_entity_display()
    if report.group_by:
        text += " by " + " × ".join(dimension_label(spec, g) for g in report.group_by)
    period = dict(dashboards.PRESETS).get(report.period or "all", report.period)
    text = f"{text} · {str(period).lower()}"
    phrases = describe_filters(spec, report.filters or {})
    return f"{text} · where {', '.join(phrases)}" if phrases else text


@login_required
def report_list(request):
    """Saved reports the user owns or that are shared with their team or role."""
    reports = saved_report_visible_to(request.user).select_related("owner").order_by("name", "id")
    return render(
        request,
        "reports/report_list.html",
        {"title": "Reports", "section": "reports", "reports": reports},
    )


def _save_report(request, report=None):
    initial = (
        SavedReportForm.initial_of(report) if report else {"name": request.GET.get("name", "")}
    )
    entity = request.GET.get("entity") or (report.entity if report else None)
    if report is not None and entity != report.entity:
        initial = {"name": report.name}  # another kind of record: its pickers start afresh
    form = SavedReportForm(request.POST or None, entity=entity, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if report is None:
                    report = saved_report_create(by=request.user, **form.definition())
                else:
                    report = saved_report_update(
                        report=report, by=request.user, **form.definition()
                    )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                target = name if name in form.fields else None
                for message in messages:
                    form.add_error(target, message)
        else:
            return redirect("reports:report_detail", report.pk)
    return render(
        request,
        "reports/report_form.html",
        {
            "title": f"Edit {report}" if report else "New report",
            "section": "reports",
            "form": form,
            "report": report,
            "spec": form.spec,
            "next_row": max(form.filter_rows, default=-1) + 1,
        },
    )


@login_required
def report_filter_row(request):
    """One filter row of the builder for the field picked (htmx): its operators and the
    value widget that field needs; a new empty row when no field is given."""
    try:
        index = int(request.GET.get("row", ""))
    except ValueError:
        raise Http404 from None
    if not 0 <= index < MAX_FILTER_ROWS:
        raise Http404
    form = SavedReportForm(
        entity=request.GET.get("entity"), user=request.user, initial={"filter_rows": []}
    )
    form.add_filter_row(index, request.GET.get(f"filter_field_{index}", ""))
    return render(request, "reports/_filter_row.html", {"row": form.filter_row(index)})


@login_required
def report_create(request):
    """Build a new report."""
    if request.user.is_read_only:
        raise Http404
    return _save_report(request)


@login_required
def report_edit(request, pk: int):
    """Change a saved report (its owner or an administrator)."""
    return _save_report(request, access_saved_report(request.user, pk, for_write=True))


@login_required
@require_POST
def report_delete(request, pk: int):
    report = access_saved_report(request.user, pk, for_write=True)
    saved_report_delete(report=report, by=request.user)
    messages.success(request, f"Deleted the report {report.name}.")
    return redirect("reports:report_list")


def _records_export(request, report, definition, fmt: str):
    """The records behind a report as people read them (names and labels, not keys)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    records = report_records(definition, viewer=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"report-{report.pk}-records-{stamp}.{fmt}"
    if fmt == "xlsx":
        if records.order_by()[: XLSX_ROW_LIMIT + 1].count() > XLSX_ROW_LIMIT:
            messages.error(request, XLSX_TOO_BIG.format(limit=XLSX_ROW_LIMIT))
            return redirect("reports:report_detail", report.pk)
        response = HttpResponse(records_xlsx(report.entity, records), CONTENT_TYPES["xlsx"])
    else:
        response = StreamingHttpResponse(
            records_csv(report.entity, records), content_type=CONTENT_TYPES["csv"]
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def report_detail(request, pk: int):
    """A saved report's result over what the viewer may see; ?export=csv|xlsx|pdf for a
    file of the same rows, ?records=csv|xlsx for the records behind it (CSV streamed)."""
    report = access_saved_report(request.user, pk)
    definition = Definition.of(report)
    records_format = request.GET.get("records")
    if records_format:
        return _records_export(request, report, definition, records_format)
    fmt = request.GET.get("export")
    error = ""
    try:
        result = run_report(definition, viewer=request.user)
    except ValidationError as exc:
        result, error = None, " ".join(exc.messages)
    if fmt in CONTENT_TYPES and result is not None:
        body = render_export(result, fmt, report.name, report.get_entity_display())
        response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="report-{report.pk}-{stamp}.{fmt}"'
        return response
    chart = report_chart(result, report.chart) if result is not None else None
    return render(
        request,
        "reports/report_detail.html",
        {
            "title": report.name,
            "section": "reports",
            "report": report,
            "result": result,
            "pivot": result.pivot() if result else None,
            "error": error,
            "chart": chart,
            "table": report_table(result) if result is not None else None,
            "description": describe_report(report),
            "can_change": can_change_report(request.user, report),
        },
    )


@configurer_required
def sales_costs(request):
    """Sales ops and admins list and enter what selling cost per period: the divisor of
    sales efficiency and the magic number."""
    # A KPI's "enter the sales cost" link opens the form on the period it lacks.
    initial = {
        name: request.GET[name] for name in ("period_start", "period_end") if name in request.GET
    }
    form = SalesCostForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cost = sales_cost_record(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Sales cost for {date_format(cost.period_start)} – "
                f"{date_format(cost.period_end)} saved.",
            )
            return redirect("reports:sales_costs")
    return render(
        request,
        "reports/sales_costs.html",
        {
            "section": "settings_sales_costs",
            "title": "Sales costs",
            "form": form,
            "costs": sales_cost_list()[:500],
        },
    )
