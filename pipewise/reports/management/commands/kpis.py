"""``pipewise kpis``: list the KPI registry, or print its Markdown reference."""

from django.core.management.base import BaseCommand

from pipewise.reports.kpis import registry
from pipewise.reports.kpis.reference import registry_markdown


class Command(BaseCommand):
    help = "List every KPI (key, unit, name); --markdown prints the reference for docs/kpis.md."

    def add_arguments(self, parser):
        parser.add_argument(
            "--markdown", action="store_true", help="Print the reference section of docs/kpis.md."
        )

    def handle(self, *args, markdown=False, **options):
        if markdown:
            self.stdout.write(registry_markdown())
            return
        for kpi in registry:
            self.stdout.write(f"{kpi.key:32} {kpi.unit:18} {kpi.name}")
