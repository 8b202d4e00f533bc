from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pipewise.leads.models import Lead


@admin.register(Lead)
class LeadAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "company", "rating", "status", "owner"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "account", "contact"]
    search_fields = ["last_name", "company", "email"]
    show_full_result_count = False
