"""Benchmark: the manager dashboard over many opportunities and activities, and a streamed
export of a million rows.

    .venv/bin/python bench/dashboard.py --db postgres                      # 1M deals, 5M activities
    .venv/bin/python bench/dashboard.py --db postgres --activities 1000000
    .venv/bin/python bench/dashboard.py --db sqlite --size 100000 --activities 500000

The dataset is ``bench/dataset.py``'s (org, accounts, N opportunities by raw
``executemany``) plus activities inserted here in chunks (``COPY`` on PostgreSQL,
where ``executemany`` managed only ~1 000 rows/s; ``executemany`` on SQLite). It is built once per
size, as the PostgreSQL database ``pipewise_dash_<size>`` (or under
``/tmp/pipewise-bench/dash-<db>-<size>``), and reused.

Dashboards: each page is requested in-process (Django test client: routing, auth,
visibility, every KPI's aggregate query, template) and timed; then the SQL the
request issued is run directly on a cursor — the floor. Export: the records behind
a saved report (all opportunities, as the admin) are streamed as CSV and read to
the end, measured as ``bench/export.py --via web`` does (time, resident memory
after 10 % of the rows and at the end, peak).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import measure_page, print_slowest, worker_env  # noqa: E402

REPEAT = 10
ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "note"]
SCENARIOS = [
    ("manager dashboard, manager (8 reps)", "bench-manager-0", "/dashboards/manager/"),
    ("manager dashboard, admin (everyone)", "bench-admin", "/dashboards/manager/"),
    ("rep dashboard, rep", "bench-rep-0-0", "/dashboards/rep/"),
    ("company dashboard, admin", "bench-admin", "/dashboards/executive/"),
    ("company dashboard, manager", "bench-manager-0", "/dashboards/executive/"),
    ("company dashboard, rep", "bench-rep-0-0", "/dashboards/executive/"),
    ("board report, admin", "bench-admin", "/dashboards/board/"),
    ("deal page, rep", "bench-rep-0-0", "deal"),
    ("deal page, admin", "bench-admin", "deal"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000, help="opportunities")
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--period", default="this_year", help="the dashboards' period preset")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="timed requests per page")
    parser.add_argument(
        "--only", default="", help="run only the scenarios whose label contains this text"
    )
    parser.add_argument(
        "--slowest",
        type=int,
        default=0,
        metavar="N",
        help="also print each scenario's N slowest SQL statements (to stderr)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(
            args.size,
            args.activities,
            export=not args.skip_export,
            repeat=args.repeat,
            only=args.only,
            slowest=args.slowest,
            period=args.period,
        )
        return
    env = worker_env(
        db=args.db, var=f"dash-{args.db}-{args.size}", pg_database=f"pipewise_dash_{args.size}"
    )
    command = [sys.executable, __file__, "--worker", "--size", str(args.size)]
    command += ["--activities", str(args.activities)]
    command += ["--skip-export"] if args.skip_export else []
    command += ["--repeat", str(args.repeat), "--only", args.only]
    command += ["--slowest", str(args.slowest), "--period", args.period]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(result.stderr)
    for line in result.stdout.splitlines():
        print(line.replace("| DB |", f"| {args.db} |"))
    if result.returncode:
        raise SystemExit(result.returncode)


def build_activities(size: int, *, seed: int = 11, progress=print) -> None:
    """Top the activities up to ``size`` rows (raw ``executemany``, like bench/dataset.py),
    owned by the bench reps, spread over the last two years, some on opportunities."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pipewise.activities.models import Activity
    from pipewise.org.models import User
    from pipewise.pipeline.models import Opportunity

    have = Activity.all_objects.count() if hasattr(Activity, "all_objects") else 0
    if have >= size:
        _days_ready(progress)
        return
    rng = random.Random(seed + have)
    reps = list(User.objects.filter(username__startswith="bench-rep").values_list("id", flat=True))
    first_deal = Opportunity.all_objects.order_by("id").values_list("id", flat=True).first()
    last_deal = Opportunity.all_objects.order_by("-id").values_list("id", flat=True).first()
    now = timezone.now()
    columns = [
        "created_at",
        "updated_at",
        "version",
        "type",
        "subject",
        "notes",
        "outcome",
        "occurred_at",
        "duration_minutes",
        "opportunity_id",
        "owner_id",
    ]
    table = Activity._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
    chunk = 20000
    started = time.perf_counter()
    for start in range(have, size, chunk):
        rows = []
        for n in range(start, min(size, start + chunk)):
            when = now - datetime.timedelta(days=rng.randrange(730), minutes=n % 1440)
            rows.append(
                (
                    when,
                    when,
                    1,
                    ACTIVITY_TYPES[n % 5],
                    f"Activity {n}",
                    "",
                    "",
                    when,
                    rng.choice([None, 15, 30, 60]),
                    rng.randint(first_deal, last_deal) if n % 3 == 0 else None,
                    rng.choice(reps),
                )
            )
        _insert(connection, transaction, table, columns, sql, rows)
        done = start + len(rows)
        if done % 500_000 < chunk or done == size:
            rate = (done - have) / (time.perf_counter() - started)
            progress(f"  activities: {done:,}/{size:,} ({rate:,.0f}/s)")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE")
    _days_ready(progress, rebuild=True)


def _days_ready(progress, *, rebuild: bool = False) -> None:
    """The daily activity counts that activity KPIs read: the raw inserts went around the
    services."""
    from pipewise.activities.daily import activity_days_rebuild
    from pipewise.activities.models import ActivityDay

    if rebuild or not ActivityDay.objects.exists():
        started = time.perf_counter()
        rows = activity_days_rebuild()
        progress(f"  activity days: {rows:,} rows ({time.perf_counter() - started:.1f} s)")


def _insert(connection, transaction, table, columns, sql, rows) -> None:
    """One chunk: COPY on PostgreSQL (executemany there runs at ~1k rows/s with the
    table's six indexes), executemany on SQLite."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)


def _busiest_deal() -> int:
    """The id of bench-rep-0-0's deal with the most activities (the heaviest deal page)."""
    from django.db.models import Count

    from pipewise.activities.models import Activity

    logged = Activity.objects.filter(opportunity__owner__username="bench-rep-0-0")
    busiest = logged.values("opportunity").annotate(n=Count("id")).order_by("-n")
    return busiest.values_list("opportunity", flat=True)[0]


def run_worker(
    size: int,
    activities: int,
    *,
    export: bool,
    repeat: int,
    only: str,
    slowest: int = 0,
    period: str = "this_year",
) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from bench.dataset import build
    from pipewise.org.models import User

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    build(size, progress=log)
    build_activities(activities, progress=log)
    log(f"  dataset ready in {time.perf_counter() - started:.0f} s")

    print(
        "| db | opportunities | activities | scenario | queries | p50 ms | p95 ms | max ms "
        "| CPU p50 ms | raw SQL p50 ms | page ÷ raw |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, username, url in SCENARIOS:
        if only not in label:
            continue
        client = Client()
        client.force_login(User.objects.get(username=username))
        if url == "deal":  # the rep's deal with the most activities
            url = reverse("pipeline:detail", args=[_busiest_deal()])
        else:
            url = f"{url}?period={period}"
        measured = measure_page(client, url, repeat)
        statements, timings, cpu, raw = (
            measured.statements,
            measured.timings,
            measured.cpu,
            measured.raw,
        )
        page, floor = statistics.median(timings), statistics.median(raw)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        print(
            f"| DB | {size:,} | {activities:,} | {label} | {len(statements)} | {page:.0f} "
            f"| {p95:.0f} | {max(timings):.0f} | {statistics.median(cpu):.0f} "
            f"| {floor:.0f} | {page / floor:.2f} |"
        )
        if slowest:
            print_slowest(label, statements, slowest)
    if export:
        # The web measurement of bench/export.py, over this dataset.
        from bench.export import HEADER, SEPARATOR, export_web, table_row

        print()
        print(HEADER)
        print(SEPARATOR)
        print(table_row("web", *export_web(size)))


if __name__ == "__main__":
    main()
