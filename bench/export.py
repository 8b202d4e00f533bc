"""Benchmark: stream a million records out as CSV, through the web and the CLI.

    .venv/bin/python bench/export.py --db postgres                 # 1M opportunities
    .venv/bin/python bench/export.py --db sqlite --size 100000
    .venv/bin/python bench/export.py --db postgres --via cli       # `pipewise export` only

The dataset is ``bench/dataset.py``'s (org, accounts, N opportunities), built once
per size as the PostgreSQL database ``pipewise_export_<size>`` (or under
``/tmp/pipewise-bench/export-<db>-<size>``) and reused.

``web``: the records behind a saved report over every opportunity, as the admin
(``/reports/{id}/?records=csv``, Django test client in-process: routing, auth,
visibility, the report's queryset, the streamed response), read to the end.
``cli``: ``export_records`` of every opportunity to a file, as ``pipewise export
opportunities --output FILE`` does. For each: time, rows/s, and the process's
resident memory before, after 10 % of the rows and at the end (flat memory = the
last two are close), plus the peak (ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import worker_env  # noqa: E402

VIAS = ("web", "cli")
HEADER = (
    "| db | via | rows exported | seconds | rows/s | RSS before MB | RSS at 10 % MB "
    "| RSS at end MB | peak RSS MB |"
)
SEPARATOR = "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000, help="opportunities")
    parser.add_argument("--via", choices=[*VIAS, "both"], default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    vias = VIAS if args.via == "both" else (args.via,)
    if args.worker:
        run_worker(args.size, vias)
        return
    env = worker_env(
        db=args.db, var=f"export-{args.db}-{args.size}", pg_database=f"pipewise_export_{args.size}"
    )
    command = [sys.executable, __file__, "--worker", "--size", str(args.size), "--via", args.via]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(result.stderr)
    for line in result.stdout.splitlines():
        print(line.replace("| DB |", f"| {args.db} |"))
    if result.returncode:
        raise SystemExit(result.returncode)


def run_worker(size: int, vias: tuple[str, ...]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.dataset import build

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    build(size, progress=log)
    log(f"  dataset ready in {time.perf_counter() - started:.0f} s")
    print(HEADER)
    print(SEPARATOR)
    for via in vias:
        print(table_row(via, *(export_web if via == "web" else export_cli)(size)), flush=True)


def table_row(via: str, rows: int, elapsed: float, before: float, at_tenth: float) -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"| DB | {via} | {rows:,} | {elapsed:.1f} | {rows / elapsed:,.0f} | {before:.0f} "
        f"| {at_tenth:.0f} | {rss_mb():.0f} | {peak:.0f} |"
    )


def rss_mb() -> float:
    """The resident memory of this process now, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def export_web(size: int) -> tuple[int, float, float, float]:
    """Stream the records behind a saved report over every opportunity, as the admin;
    return (data rows, seconds, RSS before, RSS at 10 % of the rows)."""
    from django.test import Client

    from pipewise.org.models import User
    from pipewise.reports.models import SavedReport
    from pipewise.reports.services import saved_report_create

    admin = User.objects.get(username="bench-admin")
    report = SavedReport.objects.filter(owner=admin, name="Bench: all deals").first()
    if report is None:
        report = saved_report_create(
            by=admin, name="Bench: all deals", entity="opportunities", measures=[{"op": "count"}]
        )
    client = Client()
    client.force_login(admin)
    before = rss_mb()
    t0 = time.perf_counter()
    response = client.get(f"/reports/{report.pk}/", {"records": "csv"})
    assert response.status_code == 200, response.status_code
    lines, at_tenth = 0, None
    for part in response.streaming_content:
        lines += part.count(b"\n")
        if at_tenth is None and lines >= size // 10:
            at_tenth = rss_mb()
    return lines - 1, time.perf_counter() - t0, before, at_tenth or 0.0


def export_cli(size: int) -> tuple[int, float, float, float]:
    """``export_records`` of every opportunity to a CSV file (the ``pipewise export``
    command's path); RSS at 10 % is read by a wrapper around the output file."""
    from pipewise.core.transfer import export_records, get_kind

    class Watched:
        """The output file, counting lines to note the memory after a tenth of the rows."""

        def __init__(self, handle):
            self.handle, self.lines, self.at_tenth = handle, 0, None

        def write(self, text: str) -> int:
            self.lines += text.count("\n")
            if self.at_tenth is None and self.lines >= size // 10:
                self.at_tenth = rss_mb()
            return self.handle.write(text)

    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as handle:
        out = Watched(handle)
        before = rss_mb()
        t0 = time.perf_counter()
        count = export_records(get_kind("opportunities"), out)
        elapsed = time.perf_counter() - t0
    return count, elapsed, before, out.at_tenth or 0.0


if __name__ == "__main__":
    main()
