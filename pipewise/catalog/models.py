"""What we sell: products in product lines, with list prices, and price lists."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pipewise.core.money import MoneyField


class Product(models.Model):
    """A product or service that can be put on an opportunity's line items."""

    sku = models.CharField("SKU", max_length=60, unique=True)
    name = models.CharField(max_length=200)
    product_line = models.ForeignKey(
        "org.ProductLine", null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    description = models.TextField(blank=True)
    list_price = MoneyField()
    cost = MoneyField(
        null=True,
        blank=True,
        help_text="What one unit costs us (purchase or production); empty = unknown. "
        "Gross margin counts only line items whose product has a cost.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_price__gte=0), name="product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="product_cost_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class PriceList(models.Model):
    """A set of prices for the products (e.g. "Standard 2026", "Partner"), with its discount rule.

    A line item on a deal that uses this price list and gives more than
    ``approval_threshold_percent`` discount needs a manager's approval before
    the quote is issued or the deal is won.
    """

    name = models.CharField(max_length=120, unique=True)
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 code.")
    is_default = models.BooleanField(
        default=False, help_text="Used by deals that do not name a price list."
    )
    active = models.BooleanField(default=True)
    approval_threshold_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="A discount above this percentage needs a manager's approval.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="pricelist_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(approval_threshold_percent__gte=0)
                & models.Q(approval_threshold_percent__lte=100),
                name="pricelist_threshold_0_100",
            ),
        ]

    def __str__(self):
        return self.name


class PriceListItem(models.Model):
    """The price of one product in one price list (products not listed keep their list price)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_list_items")
    unit_price = MoneyField()

    class Meta:
        ordering = ["price_list", "product"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="pricelistitem_unique"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="pricelistitem_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product} in {self.price_list}: {self.unit_price}"
