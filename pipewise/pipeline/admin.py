from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pipewise.pipeline.models import (
    DiscountApproval,
    FollowUpTemplate,
    Milestone,
    Opportunity,
    Order,
    OrderLine,
    Pipeline,
    Quote,
    Stage,
    StageTool,
)


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


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class StageToolInline(admin.TabularInline):
    model = StageTool
    extra = 0


class FollowUpTemplateInline(admin.TabularInline):
    model = FollowUpTemplate
    extra = 0


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    """The process matrix of one stage (the settings pages edit the same rows)."""

    list_display = ["name", "pipeline", "order", "probability", "kind", "expected_days"]
    list_filter = ["pipeline"]
    inlines = [MilestoneInline, StageToolInline, FollowUpTemplateInline]


@admin.register(DiscountApproval)
class DiscountApprovalAdmin(admin.ModelAdmin):
    """Read-only: requests and decisions go through the services."""

    list_display = ["opportunity", "discount_percent", "status", "requested_by", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["opportunity", "requested_by", "decided_by"]
    readonly_fields = [f.name for f in DiscountApproval._meta.fields]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "version", "amount", "currency", "created_at"]
    raw_id_fields = ["opportunity", "created_by"]
    readonly_fields = [f.name for f in Quote._meta.fields]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = [f.name for f in OrderLine._meta.fields]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "status", "amount", "currency", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["opportunity", "created_by"]
    readonly_fields = ["amount", "gross_amount", "currency", "created_at"]
    inlines = [OrderLineInline]
