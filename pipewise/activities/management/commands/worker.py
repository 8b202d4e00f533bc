"""``pipewise worker``: the background worker (Huey consumer) alone, without the web server.

Runs every scheduled job (the every-minute reminder scan) and queued work. Start as
many as you like, on as many hosts as you like, against one database and Redis:
the jobs are idempotent. ``pipewise serve`` starts one beside gunicorn.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (scheduled reminders, notification emails) alone."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker threads (default: HUEY_WORKERS, else 2).",
        )
        parser.add_argument("--quiet", action="store_true", help="Log warnings and errors only.")

    def handle(self, *args, workers, quiet, **options):
        storage = settings.HUEY["huey_class"].rsplit(".", 1)[-1]
        threads = workers or settings.HUEY.get("consumer", {}).get("workers", 2)
        name = settings.HUEY["name"]
        self.stdout.write(f"Pipewise worker: {storage} queue {name!r}, {threads} threads")
        self.stdout.flush()
        arguments = ["--workers", str(threads)]
        if quiet:
            arguments.append("--quiet")
        call_command("run_huey", *arguments)
