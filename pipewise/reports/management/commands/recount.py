"""``pipewise recount``: rebuild the running counts that pages and KPIs read."""

from django.core.management.base import BaseCommand

from pipewise.activities.daily import activity_days_rebuild
from pipewise.pipeline.services import furthest_stages_fill
from pipewise.pipeline.totals import deal_months_rebuild, stage_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recount the deal totals per owner and stage (and per territory, segment, source "
        "and month), the daily activity counts and each "
        "deal's furthest stage from the records. Run it after writing records around the "
        "services (raw SQL, a restored backup of some tables) or after changing TIME_ZONE "
        "(the counts are kept per local day)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"deal totals: {stage_totals_rebuild():,} rows")
        self.stdout.write(f"deal month totals: {deal_months_rebuild():,} rows")
        self.stdout.write(f"activity days: {activity_days_rebuild():,} rows")
        self.stdout.write(f"furthest stages: {furthest_stages_fill():,} deals")
