from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pipewise.customers.models import Account, Contact


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ["name", "type", "territory", "owner"]
    list_select_related = ["territory", "owner"]
    raw_id_fields = ["owner"]
    search_fields = ["name", "domain"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "account", "email"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "owner"]
    search_fields = ["last_name", "email"]
    show_full_result_count = False
