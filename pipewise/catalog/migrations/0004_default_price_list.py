"""Create the default price list: list prices, discounts above 15 % need a manager's approval."""

from decimal import Decimal

from django.db import migrations


def create_default_price_list(apps, schema_editor):
    PriceList = apps.get_model("catalog", "PriceList")
    if PriceList.objects.filter(is_default=True).exists():
        return
    PriceList.objects.create(
        name="Standard price list",
        currency="EUR",
        is_default=True,
        approval_threshold_percent=Decimal("15.00"),
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_price_lists")]

    operations = [migrations.RunPython(create_default_price_list, migrations.RunPython.noop)]
