"""API for products."""

from rest_framework import serializers

from pipewise.catalog.models import Product
from pipewise.org.api import ConfigurationViewSet


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "name", "product_line", "description", "list_price", "active"]


class ProductViewSet(ConfigurationViewSet):
    """What we sell. Everyone reads; admins and sales ops change."""

    queryset = Product.objects.select_related("product_line")
    serializer_class = ProductSerializer
    filterset_fields = ["product_line", "active"]
    search_fields = ["name", "sku"]
    ordering_fields = ["id", "name", "sku", "list_price"]
