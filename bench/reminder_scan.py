"""Benchmark: the every-minute reminder scan over 1M open tasks and 1M opportunities.

    .venv/bin/python bench/reminder_scan.py                   # PostgreSQL, 1M + 1M
    .venv/bin/python bench/reminder_scan.py --db sqlite       # the embedded default
    .venv/bin/python bench/reminder_scan.py --size 100000     # smaller

Builds (once, reused later) a sales org with ``--size`` opportunities (bench/dataset.py)
and ``--tasks`` open tasks due from 90 days ago to 90 days ahead, then times
``reminders_scan`` (what ``scan_reminders`` runs every minute in the worker):

1. the first run: no scan marks yet, so it looks back a whole day;
2. the next minute's run (the steady state);
3. a run with the scan marks wiped at the first run's time: a fresh worker
   re-reading the whole day must write nothing (the unique key ignores it all);
4. the managers' daily digests alone (also part of run 1).

It then checks no (recipient, kind, subject, occasion) was written twice. Emails go
to Django's in-memory backend; the mail job runs apart from the scan (as in the worker)
and is timed on its own.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import worker_env  # noqa: E402 - the same places and database set-up

TARGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000, help="opportunities")
    parser.add_argument("--tasks", type=int, default=1_000_000, help="open tasks")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.size, args.tasks)
        return
    env = worker_env(
        db=args.db,
        var=f"reminders-{args.db}-{args.size}-{args.tasks}",
        pg_database=f"pipewise_reminders_{args.size}_{args.tasks}",
        EMAIL_URL="locmem://",
    )
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            "--size",
            str(args.size),
            "--tasks",
            str(args.tasks),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(result.stderr)
    for line in result.stdout.splitlines():
        print(line.replace("| DB ", f"| {args.db} ", 1))
    if result.returncode:
        raise SystemExit(result.returncode)


def build_tasks(size: int, *, seed: int = 11, progress=print) -> None:
    """Top the open tasks up to ``size`` rows (raw ``executemany``, like bench/dataset.py)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pipewise.activities.models import Task
    from pipewise.org.models import User

    have = Task.all_objects.count()
    if have >= size:
        return
    rng = random.Random(seed + have)
    reps = list(User.objects.filter(username__startswith="bench-rep").values_list("id", flat=True))
    now = timezone.now()
    columns = [
        "title",
        "description",
        "due_at",
        "priority",
        "status",
        "assignee_id",
        "created_by_id",
        "recurrence",
        "created_at",
        "updated_at",
        "version",
    ]
    table = Task._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
    for start in range(have, size, 10000):
        rows = []
        for n in range(start, min(size, start + 10000)):
            created = now - datetime.timedelta(days=2 + rng.randrange(120), seconds=n % 86400)
            rep = rng.choice(reps)
            rows.append(
                (
                    f"Follow up {n}",
                    "",
                    now + datetime.timedelta(seconds=rng.randrange(-90 * 86400, 90 * 86400)),
                    rng.choice(["low", "normal", "normal", "high"]),
                    "open" if n % 5 else "in_progress",
                    rep,
                    rep,
                    "",
                    created,
                    created,
                    1,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        progress(f"  tasks: {start + len(rows):,}/{size:,}")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE")


def steady_state() -> None:
    """Make the dataset look lived-in rather than just imported, and give people email.

    bench/dataset.py stamps every deal ``updated_at`` = build time; a real database's
    deals were last edited over months. Left as is, the first scan would treat every
    open deal with a past close date as just edited (which is right after a mass
    import: it reminds each owner once). Reps also opt in to overdue-task emails,
    so the runs send mail the way a busy team would.
    """
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from pipewise.activities.choices import NotificationKind
    from pipewise.activities.models import NotificationPreference
    from pipewise.org.models import User
    from pipewise.pipeline.models import Opportunity

    Opportunity.all_objects.filter(updated_at__gt=F("created_at")).update(
        updated_at=F("created_at")
    )
    User.objects.filter(username__startswith="bench-", email="").update(
        email=Concat("username", Value("@example.com"))
    )
    reps = User.objects.filter(username__startswith="bench-rep")
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(
                user=rep, kind=NotificationKind.TASK_OVERDUE, in_app=True, email=True
            )
            for rep in reps
        ],
        ignore_conflicts=True,
    )


def run_worker(size: int, tasks: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from bench.dataset import build
    from pipewise.activities.choices import DIGEST_HOUR
    from pipewise.activities.models import Notification, ScanMark
    from pipewise.activities.services import digests_send, reminders_scan
    from pipewise.activities.tasks import send_notification_emails

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(size, progress=log)
    build_tasks(tasks, progress=log)
    steady_state()
    log(f"  dataset ready in {time.perf_counter() - started:.0f} s")
    Notification.objects.all().delete()
    ScanMark.objects.all().delete()

    # What a worker does once at start-up: import the URL map (notification links).
    reverse("activities:task_detail", args=[1])

    now = timezone.localtime()
    if now.hour < DIGEST_HOUR:  # measure the worst minute: the one that also sends digests
        now = now.replace(hour=DIGEST_HOUR + 1)
    minute = datetime.timedelta(minutes=1)

    print(
        f"{size:,} opportunities, {tasks:,} open tasks "
        f"({connection.vendor}, {datetime.date.today():%Y-%m-%d})"
    )
    print()
    print("| db | run | seconds | CPU s | new notifications (seconds per rule) | under 5 s |")
    print("| --- | --- | ---: | ---: | --- | --- |")

    def timed(label: str, run) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        written, seconds = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        detail = (
            ", ".join(
                f"{k} {v:,} ({seconds[k]:.2f} s)" if k in seconds else f"{k} {v:,}"
                for k, v in written.items()
                if v or seconds.get(k, 0) >= 0.05
            )
            or "none"
        )
        ok = "yes" if wall < TARGET_SECONDS else "NO"
        print(f"| DB | {label} | {wall:.2f} | {cpu:.2f} | {detail} | {ok} |")

    def scan(at, *, forget: bool = False):
        if forget:
            ScanMark.objects.all().delete()
        report = reminders_scan(now=at)
        return report.written, report.seconds

    timed("1. first run (looks back a day; digests due)", lambda: scan(now))
    timed("2. next minute", lambda: scan(now + minute))
    timed("3. scan marks wiped, first run again", lambda: scan(now, forget=True))
    Notification.objects.filter(kind="team_digest").delete()
    timed(
        "4. digests alone (5 managers)",
        lambda: ({"team_digest": digests_send(now=now, seconds=60)}, {}),
    )

    waiting = Notification.objects.filter(email_state="pending").count()
    wall = time.perf_counter()
    sent = send_notification_emails.call_local()
    wall = time.perf_counter() - wall
    print()
    print(
        f"Mail job (apart from the scan, Django's in-memory backend): {sent:,} of {waiting:,} "
        f"waiting emails in {wall:.2f} s"
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM activities_notification GROUP BY "
            "recipient_id, kind, subject_type, subject_id, occasion HAVING count(*) > 1) d"
        )
        twice = cursor.fetchone()[0]
    total = Notification.objects.count()
    print()
    print(f"{total:,} notifications in all; written twice: {twice}")
    if twice:
        raise SystemExit("a notification was written twice")


if __name__ == "__main__":
    main()
