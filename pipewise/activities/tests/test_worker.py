"""The background worker: the scheduled scan in immediate mode, then real ``pipewise worker``
processes (two at once) on SQLite and on Redis, proving the scan ran and wrote once."""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from pipewise.activities.choices import NotificationKind
from pipewise.activities.models import Notification, ScanMark
from pipewise.activities.services import notification_preferences_save, task_create
from pipewise.activities.tasks import scan_reminders, send_notification_emails

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WAIT_SECONDS = 90  # a busy machine starts two Django processes slowly; the loop ends early


@pytest.fixture
def immediate():
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


def test_the_periodic_scan_writes_each_reminder_once(people, immediate):
    notification_preferences_save(
        user=people.ae, choices={NotificationKind.TASK_OVERDUE: (True, True)}
    )
    due = timezone.now() - datetime.timedelta(hours=1)
    task_create(by=people.ae, title="Send contract", due_at=due)
    scan_reminders()
    sent = len(mail.outbox)
    scan_reminders()
    [overdue] = Notification.objects.filter(kind=NotificationKind.TASK_OVERDUE)
    assert overdue.recipient == people.ae and overdue.email_state == "sent"
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count(f"[Pipewise] {overdue.title}") == 1
    assert len(mail.outbox) == sent  # the second run sent nothing
    assert set(ScanMark.objects.values_list("rule", flat=True)) == {
        NotificationKind.TASK_DUE_SOON,
        NotificationKind.TASK_OVERDUE,
        NotificationKind.OPPORTUNITY_STALLED,
        NotificationKind.CLOSE_DATE_PASSED,
    }


def test_the_email_job_sends_what_is_waiting(people, immediate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task_create(by=people.manager, title="Visit Alpen", assignee=people.ae)
    assert send_notification_emails().get() == 1
    assert send_notification_emails().get() == 0
    assert [m.to for m in mail.outbox] == [["ae@example.com"]]


# --- real worker processes ------------------------------------------------------------

SEED = """
import datetime
from django.utils import timezone
from pipewise.activities.services import notification_preferences_save, task_create
from pipewise.org.services import user_save
rep = user_save(username="rep", email="rep@example.com", roles=["account_executive"],
                password="correct-horse-battery")
notification_preferences_save(user=rep, choices={"task_overdue": (True, True)})
task_create(by=rep, title="Worker proof task", due_at=timezone.now() - datetime.timedelta(hours=1))
"""


def _env(var: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        PIPEWISE_VAR=str(var),
        EMAIL_URL="console://",
        HUEY_IMMEDIATE="0",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="pipewise.settings",
        **extra,
    )
    return env


def _cli(var: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pipewise.cli", *args],
        env=_env(var),
        check=True,
        capture_output=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A migrated SQLite file with one rep and one overdue task (built once, copied per test).

    When the suite itself runs on SQLite, its migrated test database is copied (SQLite's
    backup API, a blink); on PostgreSQL the file is migrated from scratch.
    """
    from django.db import connection

    var = tmp_path_factory.mktemp("worker-template")
    copied = False
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            connection.ensure_connection()
            target = sqlite3.connect(var / "pipewise.sqlite3")
            connection.connection.backup(target)
            copied = bool(
                target.execute("SELECT 1 FROM sqlite_master WHERE name = 'org_user'").fetchone()
            )
            target.close()
    if not copied:
        (var / "pipewise.sqlite3").unlink(missing_ok=True)
        _cli(var, "migrate", "-v0")
    _cli(var, "shell", "-c", SEED)
    return var / "pipewise.sqlite3"


def _run_two_workers(tmp_path: Path, template: Path, **env) -> tuple[str, sqlite3.Connection]:
    """Start two workers against one database and queue; return their output once two
    scheduled scans and the two mail jobs they queued have run, and the database."""
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(template, var / "pipewise.sqlite3")
    logs = [var / "worker-1.log", var / "worker-2.log"]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "pipewise.cli", "worker", "--workers", "1"],
            env=_env(var, **env),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        output = ""
        while time.monotonic() < deadline:
            output = "".join(log.read_text() for log in logs)
            if _executed(output, "scan_reminders") >= 2 and (
                _executed(output, "send_notification_emails") >= 2
            ):
                break
            assert all(w.poll() is None for w in workers), output
            time.sleep(0.2)
        else:
            pytest.fail(f"the workers did not run two scans in {WAIT_SECONDS}s:\n{output}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
    output = "".join(log.read_text() for log in logs)
    return output, sqlite3.connect(var / "pipewise.sqlite3")


def _executed(output: str, task: str) -> int:
    return sum(1 for line in output.splitlines() if task in line and "executed in" in line)


def _assert_written_once(output: str, db: sqlite3.Connection) -> None:
    assert "Pipewise worker:" in output
    rows = db.execute(
        "SELECT title, email_state FROM activities_notification WHERE kind = 'task_overdue'"
    ).fetchall()
    assert len(rows) == 1, rows
    assert rows[0][0].startswith("Task overdue: Worker proof task") and rows[0][1] == "sent"
    assert output.count("Subject: [Pipewise] Task overdue: Worker proof task") == 1
    marks = db.execute("SELECT count(*) FROM activities_scanmark").fetchone()[0]
    assert marks == 4


def test_two_real_workers_on_sqlite_scan_and_write_once(seeded_database, tmp_path):
    output, db = _run_two_workers(tmp_path, seeded_database)
    assert "SqliteHuey" in output
    _assert_written_once(output, db)


def test_two_real_workers_on_redis_scan_and_write_once(seeded_database, tmp_path):
    from huey import RedisHuey

    name = f"pipewise-test-{uuid.uuid4().hex[:12]}"
    queue = RedisHuey(name, url=REDIS_URL)
    try:
        output, db = _run_two_workers(
            tmp_path, seeded_database, REDIS_URL=REDIS_URL, HUEY_NAME=name
        )
        assert f"RedisHuey queue '{name}'" in output
        _assert_written_once(output, db)
    finally:
        queue.flush()
        queue.storage.conn.delete(*queue.storage.conn.keys(f"*{name}*") or ["-"])
