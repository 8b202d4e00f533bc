"""Helpers for the import/export tests of every app (no tests of its own).

``run_import`` and ``import_problems`` run the real ``pipewise import`` command
in-process; ``snapshot`` counts every table an import may write, so a test can
prove that a refused file wrote nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipewise.activities.models import Activity
from pipewise.customers.models import Account, Contact
from pipewise.leads.models import Lead, LeadStatusChange
from pipewise.org.models import User, UserRole
from pipewise.pipeline.models import Opportunity, StageChange

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write_csv(path: Path, header: list[str], *rows: list, delimiter: str = ",") -> Path:
    """A CSV file as a spreadsheet program saves it."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(kind: str, path: Path, *args: str, verbosity: int = 0) -> str:
    """Run ``pipewise import`` in-process; return its summary line."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import", kind, str(path), *args, stdout=out, stderr=err, verbosity=verbosity)
    return out.getvalue().strip()


def import_problems(kind: str, path: Path, *args: str) -> list[str]:
    """Run an import that must fail; return its problem lines (``row N, column C: ...``)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", kind, str(path), *args, stdout=out, stderr=err, verbosity=0)
    return [line for line in err.getvalue().splitlines() if line.strip()]


def run_export(kind: str, *args: str) -> str:
    """``pipewise export KIND`` to stdout, as text."""
    out = io.StringIO()
    call_command("export", kind, *args, stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


def exported_rows(kind: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run_export(kind))))


def snapshot() -> dict[str, int]:
    """How many rows every table an import writes holds (history tables included)."""
    models = [User, UserRole, Account, Contact, Lead, LeadStatusChange, Opportunity, StageChange]
    counts = {model.__name__: model._base_manager.count() for model in models}
    counts["Activity"] = Activity._base_manager.count()
    for model in (Account, Contact, Lead, Opportunity):
        counts[f"history of {model.__name__}"] = model.history.count()
    return counts
