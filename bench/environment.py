"""Where a benchmark's worker process runs: production-like settings and its own database.

Every benchmark starts one worker process per (database, size) with these
settings, so the figures come from DEBUG off, a real secret and the static
manifest, as served in production; and each dataset lives in its own SQLite
file under ``WORKDIR`` or its own PostgreSQL database, kept between runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WORKDIR = Path("/tmp/pipewise-bench")
PG_BASE = "postgres://postgres@127.0.0.1:5432"
BENCH_SECRET = "bench-only-secret-key-not-for-production-0123456789"


def worker_env(*, db: str, var: str, pg_database: str, **extra: str) -> dict[str, str]:
    """The environment of a worker: SQLite under ``WORKDIR / var``, or ``pg_database``."""
    env = dict(
        os.environ,
        DEBUG="0",
        SECRET_KEY=BENCH_SECRET,
        ALLOWED_HOSTS="testserver",
        PIPEWISE_VAR=str(WORKDIR / var),
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
        **extra,
    )
    if db == "postgres":
        ensure_pg_database(pg_database)
        env["DATABASE_URL"] = f"{PG_BASE}/{pg_database}"
    else:
        env.pop("DATABASE_URL", None)
    return env


def ensure_pg_database(name: str) -> None:
    """Create the PostgreSQL database ``name`` unless it exists (datasets are kept)."""
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class PageTiming:
    """One page measured: the SQL one request issued, and per run the wall and CPU time of
    the request and the time of its SELECTs run straight on a cursor (the floor), in ms."""

    statements: list[str]
    timings: list[float]
    cpu: list[float]
    raw: list[float]


def measure_page(client, url: str, repeat: int) -> PageTiming:
    """Request ``url`` once to warm caches and once to record its SQL, then ``repeat`` times
    timed, then run its SELECTs ``repeat`` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warm = client.get(url)
    assert warm.status_code == 200, warm.content[:300]
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [q["sql"] for q in captured.captured_queries]
    timings, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    raw = [_selects_ms(statements) for _ in range(repeat)]
    return PageTiming(statements, timings, cpu, raw)


def _selects_ms(statements: list[str]) -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(sql)
                cursor.fetchall()
    return (time.perf_counter() - t0) * 1000


def print_slowest(label: str, statements: list[str], count: int) -> None:
    """Each SELECT of the request on its own (median of 5 runs), slowest first."""
    from django.db import connection

    timed = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()
            runs.append((time.perf_counter() - t0) * 1000)
        timed.append((statistics.median(runs), sql))
    print(f"  {label}: slowest statements", file=sys.stderr)
    for ms, sql in sorted(timed, reverse=True)[:count]:
        print(f"    {ms:8.1f} ms  {sql[:400]}", file=sys.stderr)
