"""Benchmark: GET /api/v1/opportunities/ at several table sizes, beside the raw SQL floor.

    .venv/bin/python bench/api_list.py                       # SQLite, 10k 100k 1M
    .venv/bin/python bench/api_list.py --db postgres         # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/api_list.py --sizes 10000 100000  # fewer sizes
    .venv/bin/python bench/api_list.py --suite web           # board, list, My day pages

Each (database, size) runs in its own process with its own DATABASE_URL. For
every scenario it times the request in-process (Django test client: URL
routing, auth, visibility, queries, serialisation — the server time without
the network) and then runs the very SQL statements that request issued,
directly on a cursor: that is the floor no ORM could beat.

Wall-clock times suffer when other work shares the machine; the CPU columns
(time the request spent on this process's CPU) do not, and are the figures to
compare between runs on a busy machine. On PostgreSQL the database's own CPU
time is not in them (it runs in the server process).
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

from bench.environment import measure_page, print_slowest, worker_env  # noqa: E402

REPEAT = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--suite",
        choices=sorted(SUITES),
        default="api",
        help="api: GET /api/v1/opportunities/; web: board, list and My day pages",
    )
    parser.add_argument(
        "--slowest",
        type=int,
        default=0,
        metavar="N",
        help="also print each scenario's N slowest SQL statements (to stderr)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.suite, args.slowest)
        return
    print(
        "| db | opportunities | scenario | queries | p50 ms | p95 ms | CPU p50 ms "
        "| CPU p95 ms | raw SQL p50 ms |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        env = worker_env(db=args.db, var=f"{args.db}-{size}", pg_database=f"pipewise_bench_{size}")
        result = subprocess.run(
            [sys.executable, __file__, "--worker", str(size), "--suite", args.suite]
            + ["--slowest", str(args.slowest)],
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


# Scenarios per suite: (label, username, url); url None = API page 20 by cursor.
SUITES = {
    "api": [
        ("admin, first page", "bench-admin", "/api/v1/opportunities/"),
        ("manager (8 reps), first page", "bench-manager-0", "/api/v1/opportunities/"),
        ("rep, first page", "bench-rep-0-0", "/api/v1/opportunities/"),
        (
            "admin, open deals by close date",
            "bench-admin",
            "/api/v1/opportunities/?status=open&ordering=close_date",
        ),
        ("admin, page 20 (cursor)", "bench-admin", None),
    ],
    "web": [
        ("board, manager (team)", "bench-manager-0", "/board/"),
        ("board, admin (everyone)", "bench-admin", "/board/"),
        ("opportunity list, manager", "bench-manager-0", "/opportunities/"),
        ("opportunity list, admin", "bench-admin", "/opportunities/"),
        ("My day, rep", "bench-rep-0-0", "/"),
        ("My day, manager", "bench-manager-0", "/"),
    ],
}


def run_worker(size: int, suite: str, slowest: int = 0) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.dataset import build
    from pipewise.org.models import User

    call_command("migrate", verbosity=0)
    if suite == "web":  # pages need the static-file manifest (DEBUG is off)
        call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    build(size, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"  dataset ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    scenarios = []
    for label, username, url in SUITES[suite]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        if url is None:
            url = "/api/v1/opportunities/"
            for _ in range(19):
                url = client.get(url).json()["next"]
        scenarios.append((label, client, url))

    for label, client, url in scenarios:
        page = measure_page(client, url, REPEAT)
        statements, timings, cpu, raw = page.statements, page.timings, page.cpu, page.raw
        if slowest:
            print_slowest(label, statements, slowest)
        p95 = statistics.quantiles(timings, n=20)[18]
        cpu_p95 = statistics.quantiles(cpu, n=20)[18]
        print(
            f"| {size:,} | {label} | {len(statements)} | {statistics.median(timings):.1f} "
            f"| {p95:.1f} | {statistics.median(cpu):.1f} | {cpu_p95:.1f} "
            f"| {statistics.median(raw):.1f} |"
        )


if __name__ == "__main__":
    main()
