from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pipewise.activities.models import Activity, Task, TodoItem


class TodoInline(admin.TabularInline):
    model = TodoItem
    extra = 0


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    inlines = [TodoInline]
    list_display = ["title", "assignee", "due_at", "status"]
    list_select_related = ["assignee"]
    raw_id_fields = ["assignee", "created_by", "lead", "contact", "account", "opportunity"]
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "type", "owner", "occurred_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "lead", "contact", "account", "opportunity"]
    show_full_result_count = False
