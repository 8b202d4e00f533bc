"""API for products and price lists."""

from rest_framework import serializers

from pipewise.catalog.models import PriceList, PriceListItem, Product
from pipewise.org.api import ConfigurationViewSet


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "product_line",
            "description",
            "list_price",
            "cost",
            "active",
        ]
        extra_kwargs = {"list_price": {"min_value": 0}, "cost": {"min_value": 0}}


class ProductViewSet(ConfigurationViewSet):
    """What we sell. Everyone reads; admins and sales ops change."""

    queryset = Product.objects.select_related("product_line")
    serializer_class = ProductSerializer
    filterset_fields = ["product_line", "active"]
    search_fields = ["name", "sku"]
    ordering_fields = ["id", "name", "sku", "list_price"]


class PriceListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceListItem
        fields = ["id", "price_list", "product", "unit_price"]


class PriceListSerializer(serializers.ModelSerializer):
    items = PriceListItemSerializer(many=True, read_only=True)

    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "currency",
            "is_default",
            "active",
            "approval_threshold_percent",
            "items",
        ]


class PriceListViewSet(ConfigurationViewSet):
    """Price lists and their discount approval threshold. Everyone reads; admins and ops change."""

    queryset = PriceList.objects.prefetch_related("items")
    serializer_class = PriceListSerializer
    filterset_fields = ["active", "is_default"]
    ordering_fields = ["id", "name"]


class PriceListItemViewSet(ConfigurationViewSet):
    """The price of a product in a price list."""

    queryset = PriceListItem.objects.all()
    serializer_class = PriceListItemSerializer
    filterset_fields = ["price_list", "product"]
    ordering_fields = ["id"]
