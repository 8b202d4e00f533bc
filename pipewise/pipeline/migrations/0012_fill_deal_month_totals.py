"""Fill the month totals of a database whose deals predate them (0011 created the table
empty): the same recount as ``pipeline.totals.deal_months_rebuild``."""

from django.db import migrations
from django.db.models import Case, Count, DateField, F, Sum, When
from django.db.models.functions import TruncDate


def fill_deal_months(apps, schema_editor):
    Opportunity = apps.get_model("pipeline", "Opportunity")
    DealMonthTotal = apps.get_model("pipeline", "DealMonthTotal")
    if DealMonthTotal.objects.exists():
        return
    grouped = (
        Opportunity.objects.filter(deleted_at__isnull=True)
        .order_by()
        .annotate(
            day=Case(
                When(status="open", then=F("close_date")),
                When(closed_at__isnull=True, then=F("close_date")),
                default=TruncDate("closed_at"),
                output_field=DateField(),
            )
        )
        .values(
            "owner_id", "stage_id", "account__territory_id", "account__segment_id", "source", "day"
        )
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    months = {}
    for row in grouped.iterator(chunk_size=2000):
        key = (
            row["owner_id"],
            row["stage_id"],
            row["account__territory_id"],
            row["account__segment_id"],
            row["source"],
            row["day"].replace(day=1),
        )
        found = months.setdefault(key, [0, 0])
        found[0] += row["n"]
        found[1] += row["total"] or 0
    DealMonthTotal.objects.bulk_create(
        (
            DealMonthTotal(
                owner_id=owner,
                stage_id=stage,
                territory_id=territory,
                segment_id=segment,
                source=source,
                month=month,
                count=count,
                amount=amount,
            )
            for (owner, stage, territory, segment, source, month), (count, amount) in months.items()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0011_deal_month_totals")]

    operations = [migrations.RunPython(fill_deal_months, migrations.RunPython.noop)]
