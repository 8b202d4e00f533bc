"""Benchmark: attainment for every user × month of a fiscal year, beside the raw SQL floor.

    .venv/bin/python bench/planning_attainment.py                        # SQLite, 100k 1M
    .venv/bin/python bench/planning_attainment.py --db postgres          # PostgreSQL
    .venv/bin/python bench/planning_attainment.py --sizes 100000         # fewer sizes

The dataset is ``bench/dataset.py``'s (40 reps under 5 managers, deals over two years),
in its own databases (``/tmp/pipewise-bench/planning-<db>-<size>``, PostgreSQL
``pipewise_planning_bench_<size>``). Every rep gets a won-revenue target for each month
of the last whole fiscal year (480 targets). Each scenario times
``planning.selectors.attainment_report`` — the targets, then the actuals through the KPI
registry (one ``group_by=owner,month`` question), attainment, variance and run rate per
person and month — and then runs the very SQL statements it issued on a cursor: the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import worker_env  # noqa: E402

REPEAT = 15
SCENARIOS = [
    ("admin: 40 reps × 12 months", "bench-admin"),
    ("manager: 8 reps × 12 months", "bench-manager-0"),
    ("rep: 1 × 12 months", "bench-rep-0-0"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker)
        return
    print(
        "| db | opportunities | won in the year | scenario | targets | queries | p50 ms "
        "| p95 ms | raw SQL p50 ms |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        env = worker_env(
            db=args.db,
            var=f"planning-{args.db}-{size}",
            pg_database=f"pipewise_planning_bench_{size}",
        )
        result = subprocess.run(
            [sys.executable, __file__, "--worker", str(size)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(result.stderr)
        for line in result.stdout.splitlines():
            if line.startswith("|"):
                print(f"| {args.db} " + line)
        if result.returncode:
            raise SystemExit(result.returncode)


def _targets(year) -> int:
    """A won-revenue target for every bench rep and month of ``year`` (bulk: set-up only)."""
    from decimal import Decimal

    from pipewise.org.models import User
    from pipewise.planning.models import Target
    from pipewise.planning.periods import periods_in

    if Target.objects.filter(period_start__gte=year.start, period_end__lte=year.end).exists():
        return Target.objects.count()
    months = periods_in(year, "month")
    reps = User.objects.filter(username__startswith="bench-rep").order_by("pk")
    Target.objects.bulk_create(
        [
            Target(
                user=rep,
                metric="won_revenue",
                period_kind="month",
                period_start=month.start,
                period_end=month.end,
                amount=Decimal("250000.00"),
            )
            for rep in reps
            for month in months
        ]
    )
    return Target.objects.count()


def run_worker(size: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.dataset import build
    from pipewise.org.models import User
    from pipewise.pipeline.models import Opportunity
    from pipewise.planning.periods import fiscal_year, fiscal_year_of
    from pipewise.planning.selectors import attainment_report

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(size, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"  dataset ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    year = fiscal_year(fiscal_year_of(timezone.localdate()) - 1)
    _targets(year)
    won = Opportunity.objects.filter(
        status="won", closed_at__date__gte=year.start, closed_at__date__lte=year.end
    ).count()
    for label, username in SCENARIOS:
        user = User.objects.get(username=username)

        def ask(user=user):
            # A fresh user object per request, as a web request would have.
            fresh = User.objects.get(pk=user.pk)
            return attainment_report(
                fresh, metric="won_revenue", start=year.start, end=year.end, kind="month"
            )

        ask()  # warm caches
        with CaptureQueriesContext(connection) as captured:
            report = ask()
        statements = [q["sql"] for q in captured.captured_queries]
        targets = sum(len(row.standings) for row in report.rows)
        timings = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            ask()
            timings.append((time.perf_counter() - t0) * 1000)
        raw = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in statements:
                    if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                        cursor.execute(sql)
                        cursor.fetchall()
            raw.append((time.perf_counter() - t0) * 1000)
        p95 = statistics.quantiles(timings, n=20)[18]
        print(
            f"| {size:,} | {won:,} | {label} | {targets} | {len(statements)} "
            f"| {statistics.median(timings):.1f} | {p95:.1f} | {statistics.median(raw):.1f} |"
        )


if __name__ == "__main__":
    main()
