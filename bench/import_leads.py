"""Benchmark: ``pipewise import leads`` of a 100k-row CSV (run by hand, not in the suite).

    PIPEWISE_VAR=/tmp/bench_import .venv/bin/python bench/import_leads.py [--rows 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_import PIPEWISE_VAR=/tmp/bench_import \
        .venv/bin/python bench/import_leads.py

Generates a deterministic lead list (seeded) under /tmp, prepares a fresh
database (SQLite under $PIPEWISE_VAR; and the PostgreSQL of $DATABASE_URL when
set, flushed first) with the owners and territories the file names, then times
the real command in a child process: a first import (everything created), the
same file again (everything unchanged: the upsert path) and a dry run. Peak RSS
is the child's own (``os.wait4``), so it shows whether memory stays flat.
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


def prepare_database(env: dict) -> None:
    if env.get("DATABASE_URL"):
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


def timed_import(env: dict, path: Path, *extra: str) -> tuple[float, int, str]:
    """Run the command in a child; return (seconds, the child's peak RSS in MiB, its summary)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [PYTHON, "-m", "pipewise.cli", "import", "leads", str(path), "-v0", "--skip-checks"]
            + list(extra),
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            sys.exit(f"import failed:\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss // 1024, out.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    options = parser.parse_args()

    var = os.environ.get("PIPEWISE_VAR", "/tmp/bench_import")
    Path(var).mkdir(parents=True, exist_ok=True)
    path = Path(f"/tmp/bench_leads_{options.rows}_{options.seed}.csv")
    if not path.exists():
        write_leads(path, options.rows, options.seed)
    size = path.stat().st_size / 2**20

    databases = [("SQLite", {k: v for k, v in os.environ.items() if k != "DATABASE_URL"})]
    if os.environ.get("DATABASE_URL"):
        databases.append(("PostgreSQL", dict(os.environ)))
    results = []
    for label, env in databases:
        env = {**env, "PIPEWISE_VAR": var, "DJANGO_SETTINGS_MODULE": "pipewise.settings"}
        prepare_database(env)
        for step, extra in (
            ("first import (create)", ()),
            ("same file again (unchanged)", ()),
            ("dry run", ("--dry-run",)),
        ):
            seconds, peak, summary = timed_import(env, path, *extra)
            results.append((label, step, options.rows, seconds, peak, summary))

    print(f"\npipewise import leads — {options.rows} rows, {size:.1f} MiB CSV ({path})\n")
    header = (
        f"{'database':<11} {'run':<28} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, step, rows, seconds, peak, _ in results:
        print(
            f"{label:<11} {step:<28} {rows:>8} {seconds:>8.1f} {rows / seconds:>8.0f} {peak:>6} MiB"
        )
    print()
    for label, step, *_, summary in results:
        print(f"{label}, {step}: {summary}")


if __name__ == "__main__":
    main()
