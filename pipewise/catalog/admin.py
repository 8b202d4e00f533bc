from django.contrib import admin

from pipewise.catalog.models import PriceList, PriceListItem, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "product_line", "list_price", "cost", "active"]
    list_filter = ["active", "product_line"]


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 0
    raw_id_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "approval_threshold_percent", "is_default", "active"]
    inlines = [PriceListItemInline]
