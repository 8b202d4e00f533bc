"""``pipewise setup``: migrate, collect static files, load demo data the first time."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare a Pipewise installation: migrations, static files, demo data on first run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-size",
            type=int,
            default=3000,
            help="Opportunities in the demo data loaded on first run.",
        )
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, demo_size, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if no_demo:
            return
        if not get_user_model().objects.exists():
            self.stdout.write(f"First run: loading demo data ({demo_size} opportunities)…")
            call_command("demo", size=demo_size, seed=1)
        else:
            from pipewise.demo.people import print_logins

            print_logins(self.stdout)
