from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pipewise.pipeline.models import Opportunity, Pipeline, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    inlines = [StageInline]


@admin.register(Opportunity)
class OpportunityAdmin(SimpleHistoryAdmin):
    """Read-only: every change of a deal goes through the services (web pages or API), which
    keep stage history, running totals, follow-ups and notifications in step."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = ["name", "account", "stage", "amount", "close_date", "owner"]
    list_select_related = ["account", "stage", "owner"]
    raw_id_fields = ["account", "contact", "lead", "owner"]
    readonly_fields = ["pipeline", "stage", "status", "closed_at"]
    search_fields = ["name"]
    show_full_result_count = False
