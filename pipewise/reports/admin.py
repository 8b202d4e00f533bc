from django.contrib import admin

from pipewise.reports.models import SalesCost


@admin.register(SalesCost)
class SalesCostAdmin(admin.ModelAdmin):
    list_display = ["period_start", "period_end", "amount", "note"]
    date_hierarchy = "period_start"
