"""Benchmark: ``pipewise import leads`` of a 100k-row CSV (run by hand, not in the suite).

    PIPEWISE_VAR=/tmp/bench_import .venv/bin/python bench/import_leads.py [--sizes 10000,100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_import PIPEWISE_VAR=/tmp/bench_import \
        .venv/bin/python bench/import_leads.py

Generates a deterministic lead list (seeded) under /tmp, prepares a fresh
database (SQLite under $PIPEWISE_VAR; and the PostgreSQL of $DATABASE_URL when
set, flushed first) with the owners and territories the file names, then times
the real commands in a child process at each size: a first import (everything
created), the same file again (everything unchanged: the upsert path), a dry
run, and an export of the leads to CSV and to XLSX. Peak RSS and CPU time are the child's own
(``os.wait4``): compare the sizes to see that memory stays flat. The machine
may be shared: CPU seconds show the cost even when wall-clock seconds do not.
The target: 100k leads, validated and de-duplicated, in under 30 s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
OWNERS = [f"rep{n:02d}" for n in range(40)]
TERRITORIES = [("EMEA", "EMEA", "region", None), ("DE", "Germany", "country", "EMEA")]
TERRITORIES += [("AMER", "AMER", "region", None), ("US", "United States", "country", "AMER")]
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas"]
LAST = ["Bauer", "Huber", "Meier", "Schmidt", "Fischer", "Weber", "Wagner", "Becker", "Lee"]
COMPANIES = ["Alpen", "Nordwind", "Pacific", "Rhein", "Summit", "Vista", "Kraft", "Delta"]
SUFFIXES = ["GmbH", "AG", "Inc", "Ltd", "SE"]
INDUSTRIES = ["Manufacturing", "Logistics", "Retail", "Software", "Energy", "Healthcare"]
SOURCES = ["website", "referral", "cold_call", "event", "advertising", "partner", "directory"]
RATINGS = ["cold", "warm", "hot"]
STATUSES = ["new"] * 6 + ["working"] * 3 + ["qualified", "disqualified"]
COLUMNS = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "country",
    "territory",
    "source",
    "campaign",
    "rating",
    "status",
    "owner",
    "created_at",
    "disqualification_reason",
]


def write_leads(path: Path, rows: int, seed: int = 42) -> None:
    """A deterministic lead list: same seed and size, same bytes."""
    rng = random.Random(seed)
    start = datetime.datetime(2024, 1, 1, 8, 0, tzinfo=datetime.UTC)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(1, rows + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(COMPANIES)} {n % 5000} {rng.choice(SUFFIXES)}"
            country = rng.choice(["DE", "US"])
            status = rng.choice(STATUSES)
            created = start + datetime.timedelta(minutes=7 * n + rng.randrange(60))
            writer.writerow(
                [
                    f"L-{n:07d}",
                    first,
                    last,
                    f"{first}.{last}.{n}@example{n % 97}.com".lower(),
                    f"+49 89 {rng.randrange(10**6, 10**7)}",
                    company,
                    rng.choice(["CEO", "Head of Purchasing", "Plant manager", ""]),
                    rng.choice(INDUSTRIES),
                    country,
                    country,
                    rng.choice(SOURCES),
                    f"Campaign {n % 12}",
                    rng.choice(RATINGS),
                    status,
                    rng.choice(OWNERS),
                    created.isoformat(),
                    "No budget" if status == "disqualified" else "",
                ]
            )


SETUP = """
from pipewise.org.services import territory_save, user_save
from pipewise.org.models import Territory, User
made = {}
for code, name, level, parent in %(territories)r:
    made[code] = Territory.objects.filter(code=code).first() or territory_save(
        name=name, code=code, level=level, parent=made.get(parent))
for username in %(owners)r:
    if not User.objects.filter(username=username).exists():
        user_save(username=username, email=username + "@example.com", roles=["sdr"])
"""


def pipewise(env: dict, *args: str) -> None:
    subprocess.run(
        [PYTHON, "-m", "pipewise.cli", *args, "--skip-checks"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def create_postgres_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if it is not there yet."""
    from urllib.parse import urlparse

    import psycopg

    name = urlparse(url).path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def prepare_database(env: dict) -> None:
    if env.get("DATABASE_URL"):
        create_postgres_database(env["DATABASE_URL"])
        pipewise(env, "migrate", "-v0")
        pipewise(env, "flush", "--no-input", "-v0")
    else:
        var = Path(env["PIPEWISE_VAR"])
        for name in ("pipewise.sqlite3", "pipewise.sqlite3-wal", "pipewise.sqlite3-shm"):
            (var / name).unlink(missing_ok=True)
        pipewise(env, "migrate", "-v0")
    code = SETUP % {"territories": TERRITORIES, "owners": OWNERS}
    subprocess.run(
        [PYTHON, "-m", "pipewise.cli", "shell", "-c", code],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(env: dict, *arguments: str) -> tuple[float, float, int, str]:
    """Run ``pipewise ARGUMENTS`` in a child; return (seconds, its CPU seconds, its peak RSS in
    MiB, its summary line)."""
    command = [PYTHON, "-m", "pipewise.cli", *arguments, "-v0"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            sys.exit(f"import failed:\n{err.read()[-3000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return seconds, cpu, usage.ru_maxrss // 1024, out.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="rows per file, comma-separated")
    parser.add_argument("--seed", type=int, default=42)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]

    var = os.environ.get("PIPEWISE_VAR", "/tmp/bench_import")
    Path(var).mkdir(parents=True, exist_ok=True)
    databases = [("SQLite", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"})]
    if os.environ.get("DATABASE_URL"):
        databases.append(("PostgreSQL", dict(os.environ)))
    load_before = os.getloadavg()[0]
    results = []
    for label, env in databases:
        env = {**env, "PIPEWISE_VAR": var, "DJANGO_SETTINGS_MODULE": "pipewise.settings"}
        for size in sizes:
            path = Path(f"/tmp/bench_leads_{size}_{options.seed}.csv")
            if not path.exists():
                write_leads(path, size, options.seed)
            prepare_database(env)
            leads = ("import", "leads", str(path))
            runs = [
                ("import (all created)", leads),
                ("same file again (unchanged)", leads),
                ("dry run", (*leads, "--dry-run")),
                ("export CSV", ("export", "leads", "-o", "/tmp/bench_export.csv")),
                ("export XLSX", ("export", "leads", "-o", "/tmp/bench_export.xlsx")),
            ]
            for step, arguments in runs:
                seconds, cpu, peak, summary = timed(env, *arguments)
                results.append((label, size, step, seconds, cpu, peak, summary))

    print(
        f"\npipewise import leads (CSV, {len(COLUMNS)} columns; load average "
        f"{load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)\n"
    )
    header = (
        f"{'database':<11} {'rows':>7}  {'run':<28} {'seconds':>8} {'rows/s':>7} "
        f"{'CPU s':>6} {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, size, step, seconds, cpu, peak, _ in results:
        print(
            f"{label:<11} {size:>7}  {step:<28} {seconds:>8.1f} {size / seconds:>7.0f} "
            f"{cpu:>6.1f} {peak:>5} MiB"
        )
    print("\n(seconds and CPU s: the whole command, start-up included; peak RSS: the child's)")
    for label, size, step, *_, summary in results:
        if summary:
            print(f"{label}, {size}, {step}: {summary}")


if __name__ == "__main__":
    main()
