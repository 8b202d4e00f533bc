"""What we sell: products in product lines, with list prices."""

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
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_price__gte=0), name="product_price_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"
