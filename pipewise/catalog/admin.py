from django.contrib import admin

from pipewise.catalog.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "product_line", "list_price", "active"]
    list_filter = ["active", "product_line"]
