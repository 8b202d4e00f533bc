"""``pipewise serve``: the web server (gunicorn) and the background worker (Huey), together."""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Pipewise with gunicorn and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker (run it elsewhere).",
        )

    def handle(self, *args, port, host, workers, no_worker, **options):
        python = sys.executable
        children = []
        if not no_worker:
            children.append(subprocess.Popen([python, "-m", "pipewise.cli", "run_huey", "--quiet"]))
        web = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "pipewise.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
            ]
        )
        children.append(web)
        self.stdout.write(f"Pipewise is serving on http://{host}:{port}/  (Ctrl-C to stop)")
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
