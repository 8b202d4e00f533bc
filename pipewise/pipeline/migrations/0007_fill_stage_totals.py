"""Fill the running stage totals of a database whose deals predate them (0005 created the
table empty): the same recount as ``pipeline.totals.stage_totals_rebuild``."""

from django.db import migrations
from django.db.models import Case, Count, DateField, Sum, When
from django.db.models.functions import TruncDate


def fill_stage_totals(apps, schema_editor):
    Opportunity = apps.get_model("pipeline", "Opportunity")
    StageTotal = apps.get_model("pipeline", "StageTotal")
    if StageTotal.objects.exists():
        return  # kept by the services since 0005
    grouped = (
        Opportunity.objects.filter(deleted_at__isnull=True)
        .order_by()
        .annotate(
            day=Case(
                When(status="open", then=None),
                default=TruncDate("closed_at"),
                output_field=DateField(),
            )
        )
        .values("owner_id", "stage_id", "day")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    StageTotal.objects.bulk_create(
        (
            StageTotal(
                owner_id=row["owner_id"],
                stage_id=row["stage_id"],
                closed_on=row["day"],
                count=row["n"],
                amount=row["total"] or 0,
            )
            for row in grouped.iterator(chunk_size=2000)
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0006_opportunity_live_index")]

    operations = [migrations.RunPython(fill_stage_totals, migrations.RunPython.noop)]
