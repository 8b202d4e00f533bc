"""Create the default sales process: the customer's eight steps, then Won and Lost."""

from django.db import migrations

STAGES = [
    ("Prospecting", 5, "open"),
    ("Qualifying", 10, "open"),
    ("Gathering information", 20, "open"),
    ("Approach", 30, "open"),
    ("Presentation", 45, "open"),
    ("Needs research", 60, "open"),
    ("Closing", 80, "open"),
    ("Follow-up & after-sales", 90, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
]


def create_default_process(apps, schema_editor):
    Pipeline = apps.get_model("pipeline", "Pipeline")
    Stage = apps.get_model("pipeline", "Stage")
    if Pipeline.objects.filter(is_default=True).exists():
        return
    pipeline = Pipeline.objects.create(
        name="Standard sales process",
        description="Prospecting to follow-up, as the sales team works today.",
        is_default=True,
    )
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, order=index, probability=probability, kind=kind)
        for index, (name, probability, kind) in enumerate(STAGES, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]

    operations = [migrations.RunPython(create_default_process, migrations.RunPython.noop)]
