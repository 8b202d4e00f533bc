from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from pipewise.org.models import (
    OrganisationSettings,
    ProductLine,
    Segment,
    Team,
    Territory,
    User,
    UserRole,
)


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [UserRoleInline]
    list_display = ["username", "first_name", "last_name", "manager", "team", "is_active"]
    list_select_related = ["manager", "team"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Sales organisation", {"fields": ("title", "manager", "team", "territories")}),
    )
    filter_horizontal = ["territories", "groups", "user_permissions"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]


admin.site.register([Team, Segment, ProductLine, OrganisationSettings])
