"""Web pages for tasks (with to-do items) and activities; writes go through the services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pipewise.activities.choices import OPEN_TASK_STATUSES, TaskPriority, TaskStatus
from pipewise.activities.filters import TaskFilter
from pipewise.activities.forms import (
    DUE_CHOICES,
    ActivityForm,
    QuickCallForm,
    QuickTaskForm,
    TaskForm,
    TodoFormSet,
    due_window,
)
from pipewise.activities.models import TodoItem
from pipewise.activities.permissions import access_task, task_visible_to
from pipewise.activities.services import (
    activity_log,
    task_complete,
    task_create,
    task_set_todos,
    task_update,
    todo_set_done,
)
from pipewise.core.api import history_entries
from pipewise.org.models import User
from pipewise.org.selectors import user_and_reports_ids
from pipewise.web.access import writer_required
from pipewise.web.forms import add_service_errors
from pipewise.web.lists import keyset_page

TASK_SORTS = {
    "due": ("Due", "due_at"),
    "title": ("Title", "title"),
    "created": ("Created", "created_at"),
}


@login_required
def task_list(request):
    """My tasks or my team's, filtered by due window, status, priority and linked record."""
    user = request.user
    scope = request.GET.get("scope", "mine")
    tasks = task_visible_to(user)
    if scope == "team":
        tasks = tasks.filter(assignee_id__in=user_and_reports_ids(user))
    elif scope != "all":
        scope = "mine"
        tasks = tasks.filter(assignee=user)
    params = request.GET.copy()
    if "status" not in params:
        tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    task_filter = TaskFilter(params, queryset=tasks)
    due = request.GET.get("due", "")
    filtered = task_filter.qs.filter(**due_window(due)).select_related(
        "assignee", "opportunity", "account", "contact", "lead"
    )
    page = keyset_page(request, filtered, sort_options=TASK_SORTS, default_sort="due")
    context = {
        "section": "tasks",
        "title": "Tasks",
        "page": page,
        "filter": task_filter,
        "scope": scope,
        "due": due,
        "due_choices": DUE_CHOICES,
        "status_choices": TaskStatus.choices,
        "priority_choices": TaskPriority.choices,
        "has_team": len(user_and_reports_ids(user)) > 1,
        "show_assignee": scope != "mine",
        "people": User.objects.filter(pk__in=user_and_reports_ids(user)).order_by("first_name")
        if scope == "team"
        else [],
    }
    return render(request, "activities/task_list.html", context)


@login_required
def task_detail(request, pk):
    user = request.user
    task = get_object_or_404(
        task_visible_to(user)
        .select_related("assignee", "created_by", "opportunity", "account", "contact", "lead")
        .prefetch_related(Prefetch("todos", queryset=TodoItem.objects.order_by("position", "id"))),
        pk=pk,
    )
    todos = list(task.todos.all())
    formset = TodoFormSet(
        prefix="todos",
        initial=[
            {
                "text": t.text,
                "planned_minutes": t.planned_minutes,
                "resources": t.resources,
                "measured_result": t.measured_result,
                "done": t.done,
            }
            for t in todos
        ],
    )
    return render(
        request,
        "activities/task_detail.html",
        {
            "section": "tasks",
            "title": task.title,
            "task": task,
            "todos": todos,
            "formset": formset,
            "planned_total": sum(t.planned_minutes or 0 for t in todos),
            "history": history_entries(task, limit=20),
        },
    )


@writer_required
def task_create_view(request):
    user = request.user
    initial = {
        k: request.GET[k]
        for k in ("opportunity", "account", "contact", "lead")
        if request.GET.get(k, "").isdigit()
    }
    form = TaskForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_create(by=user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Task “{task.title}” created.")
            return redirect("activities:task_detail", pk=task.pk)
    return render(
        request,
        "activities/task_form.html",
        {"section": "tasks", "title": "New task", "form": form},
    )


@writer_required
def task_edit(request, pk):
    user = request.user
    task = access_task(user, pk, for_write=True)
    form = TaskForm.for_task(task, user=user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_update(
                task=task,
                by=user,
                expected_version=form.cleaned_data.get("version"),
                **form.values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Task saved.")
            return redirect("activities:task_detail", pk=task.pk)
    return render(
        request,
        "activities/task_form.html",
        {"section": "tasks", "title": f"Edit {task.title}", "form": form, "task": task},
    )


@writer_required
@require_POST
def task_complete_view(request, pk):
    """Complete in place: the htmx button swaps the task's row for its done state."""
    user = request.user
    task = access_task(user, pk, for_write=True)
    version = request.POST.get("version")
    error = ""
    try:
        task = task_complete(task=task, by=user, expected_version=int(version) if version else None)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        task.refresh_from_db()
    if request.htmx:
        template = (
            "activities/_task_table_row.html"
            if request.POST.get("layout") == "table"
            else "activities/_task_row.html"
        )
        response = render(
            request,
            template,
            {"task": task, "error": error, "show_assignee": request.POST.get("show_assignee")},
        )
        if error:
            response["HX-Trigger"] = _toast(error, "danger")
        else:
            response["HX-Trigger"] = _toast(f"Done: {task.title}", "success")
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Task “{task.title}” completed.")
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("activities:task_detail", pk=task.pk)


def _toast(message: str, tone: str) -> str:
    """An ``HX-Trigger`` header value that makes the page show a toast."""
    return json.dumps({"toast": {"message": message, "tone": tone}})


@writer_required
@require_POST
def todo_toggle(request, pk):
    """Tick or untick one to-do item in place."""
    user = request.user
    todo = get_object_or_404(TodoItem.objects.select_related("task"), pk=pk)
    access_task(user, todo.task_id, for_write=True)
    todo = todo_set_done(todo=todo, by=user, done=request.POST.get("done") == "on")
    return render(request, "activities/_todo_item.html", {"todo": todo, "task": todo.task})


@writer_required
@require_POST
def task_todos(request, pk):
    """Replace the to-do items of a task (text, planned time, resources, measured result)."""
    user = request.user
    task = access_task(user, pk, for_write=True)
    formset = TodoFormSet(request.POST, prefix="todos")
    if formset.is_valid():
        items = [
            {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in formset.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("text")
        ]
        try:
            task_set_todos(
                task=task,
                by=user,
                todos=items,
                expected_version=int(request.POST["version"])
                if request.POST.get("version", "").isdigit()
                else None,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "To-do items saved.")
            return redirect("activities:task_detail", pk=task.pk)
    else:
        messages.error(
            request,
            "Some to-do items are not valid: "
            + "; ".join(
                f"row {i + 1}: " + ", ".join(f"{k} {' '.join(v)}" for k, v in f.errors.items())
                for i, f in enumerate(formset.forms)
                if f.errors
            ),
        )
    return redirect("activities:task_detail", pk=task.pk)


@writer_required
def activity_create(request):
    """Log an activity about a record (the link comes from the page it was opened on)."""
    user = request.user
    initial = {
        k: request.GET[k]
        for k in ("opportunity", "account", "contact", "lead")
        if request.GET.get(k, "").isdigit()
    }
    if request.GET.get("type"):
        initial["type"] = request.GET["type"]
    form = ActivityForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = activity_log(by=user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{activity.get_type_display()} logged.")
            target = request.POST.get("next") or request.GET.get("next")
            if target and target.startswith("/") and not target.startswith("//"):
                return redirect(target)
            return redirect("web:my_day")
    return render(
        request,
        "activities/activity_form.html",
        {"title": "Log an activity", "form": form, "next": request.GET.get("next", "")},
    )


@writer_required
@require_POST
def quick_call(request):
    """My day's "log a call" (htmx): answers with a fresh form, or the form with its errors."""
    user = request.user
    form = QuickCallForm(request.POST, user=user, prefix="call")
    if form.is_valid():
        try:
            activity_log(by=user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = render(
                request,
                "activities/_quick_call.html",
                {"form": QuickCallForm(user=user, prefix="call"), "saved": True},
            )
            response["HX-Trigger"] = _toast("Call logged.", "success")
            return response
    return render(request, "activities/_quick_call.html", {"form": form}, status=422)


@writer_required
@require_POST
def quick_task(request):
    """My day's "add a task" (htmx)."""
    user = request.user
    form = QuickTaskForm(request.POST, user=user, prefix="task")
    if form.is_valid():
        try:
            task = task_create(by=user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = render(
                request,
                "activities/_quick_task.html",
                {"form": QuickTaskForm(user=user, prefix="task"), "saved": task},
            )
            response["HX-Trigger"] = _toast(f"Task “{task.title}” added.", "success")
            return response
    return render(request, "activities/_quick_task.html", {"form": form}, status=422)
