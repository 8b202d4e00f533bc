"""``pipewise serve``: the web server (gunicorn) and the background worker (Huey), together.

Stopping it (Ctrl-C, or SIGTERM from a service manager) stops both children and
waits for them, so the port is free when the command returns; if either child
exits on its own, the other is stopped too.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# How long gunicorn and the worker get to finish their requests and jobs.
GRACE_SECONDS = 10
# How often the command checks that both children are still running.
POLL_SECONDS = 0.2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(Exception):
    """A stop signal arrived: shut the children down."""


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def stop_children(children: list[subprocess.Popen], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every child still running, wait up to ``grace`` seconds, then kill the rest."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


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
        children: list[subprocess.Popen] = []
        previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
        try:
            if not no_worker:
                children.append(
                    subprocess.Popen([python, "-m", "pipewise.cli", "run_huey", "--quiet"])
                )
            children.append(
                subprocess.Popen(
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
                        str(GRACE_SECONDS),
                    ]
                )
            )
            self.stdout.write(f"Pipewise is serving on http://{host}:{port}/  (Ctrl-C to stop)")
            while all(child.poll() is None for child in children):
                time.sleep(POLL_SECONDS)
        except Stop:
            pass
        finally:
            # A second Ctrl-C while stopping must not leave the children behind.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            stop_children(children)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Pipewise stopped.")
