"""Web pages for tasks (with to-do items) and activities; writes go through the services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pipewise.activities.choices import NotificationKind, TaskPriority
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
from pipewise.activities.ical import calendar_document
from pipewise.activities.models import CalendarFeed, TodoItem
from pipewise.activities.permissions import access_task, task_visible_to
from pipewise.activities.selectors import (
    notification_preferences,
    notifications_for,
    task_timeline,
)
from pipewise.activities.services import (
    activity_log,
    calendar_feed_get_or_create,
    calendar_feed_revoke,
    calendar_feed_rotate,
    calendar_feed_touch,
    notification_mark_read,
    notification_preferences_save,
    task_complete,
    task_create,
    task_set_todos,
    task_update,
    todo_set_done,
)
from pipewise.org.choices import Role
from pipewise.org.models import User
from pipewise.org.selectors import user_and_reports_ids
from pipewise.web.access import writer_required
from pipewise.web.forms import add_service_errors, form_saved
from pipewise.web.history import readable_history
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
    task_filter = TaskFilter(request.GET, queryset=tasks)
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
            "history": readable_history(task, user=request.user, limit=20),
            "timeline": task_timeline(task),
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
    task = form_saved(
        request,
        form,
        lambda: task_create(by=user, **form.values()),
        success="Task “{record.title}” created.",
    )
    if task:
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
    saved = form_saved(
        request,
        form,
        lambda: task_update(
            task=task,
            by=user,
            expected_version=form.cleaned_data.get("version"),
            **form.values(),
        ),
        success="Task saved.",
    )
    if saved:
        return redirect("activities:task_detail", pk=saved.pk)
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


# --- notifications, preferences, profile and calendar -------------------------------


@login_required
def notification_list(request):
    """The user's notifications, newest first; unread ones stand out."""
    notifications = notifications_for(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = keyset_page(request, notifications, sort_options={}, default_sort="-id")
    return render(
        request,
        "activities/notification_list.html",
        {"title": "Notifications", "page": page, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(notifications_for(request.user), pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.POST.get("stay") or not notification.url:
        return redirect("activities:notification_list")
    return redirect(notification.url)


@login_required
@require_POST
def notification_read_all(request):
    marked = notification_mark_read(user=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return redirect("activities:notification_list")


@login_required
def notification_preferences_view(request):
    """Choose, per kind, whether it shows under the bell and whether it is emailed."""
    user = request.user
    if request.method == "POST":
        choices = {
            kind: (
                request.POST.get(f"{kind}-in_app") == "on",
                request.POST.get(f"{kind}-email") == "on",
            )
            for kind in NotificationKind.values
        }
        notification_preferences_save(user=user, choices=choices)
        messages.success(request, "Notification preferences saved.")
        return redirect("activities:notification_preferences")
    return render(
        request,
        "activities/notification_preferences.html",
        {
            "title": "Notification preferences",
            "rows": notification_preferences(user),
            "has_email": bool(user.email),
        },
    )


@login_required
def profile(request):
    """The user's own page: who they are, their calendar feed, their notification settings."""
    user = request.user
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(
        request,
        "activities/profile.html",
        {
            "title": "Your profile",
            "feed": feed,
            "feed_url": _feed_url(request, feed.token) if feed else "",
            "manager": user.manager,
            "roles": sorted(Role(key).label for key in user.role_keys),
        },
    )


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("activities:calendar_feed", args=[token]))


@login_required
@require_POST
def calendar_feed_manage(request):
    """Create, rotate or revoke the user's calendar feed URL (profile page buttons)."""
    action = request.POST.get("action")
    if action == "create":
        calendar_feed_get_or_create(user=request.user)
        messages.success(request, "Your calendar URL is ready: subscribe to it in your calendar.")
    elif action == "rotate":
        calendar_feed_rotate(user=request.user)
        messages.success(request, "New calendar URL made; the old one no longer works.")
    elif action == "revoke":
        calendar_feed_revoke(user=request.user)
        messages.success(request, "Calendar URL revoked; subscriptions to it stop updating.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("activities:profile")


@require_GET
def calendar_feed(request, token):
    """The iCalendar feed: no session, the secret token in the URL is the key."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    now = timezone.now()
    body = calendar_document(user=feed.user, base_url=request.build_absolute_uri("/"), now=now)
    calendar_feed_touch(feed=feed, at=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pipewise.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
