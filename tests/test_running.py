"""Running the demo: ``make run`` serves with DEBUG off on the PORT asked for, mail goes
to files rather than the console, and ``pipewise serve`` stops cleanly — SIGTERM (a
service manager, ``kill``) or Ctrl-C stops gunicorn and the worker and frees the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

# Starting gunicorn and the worker imports Django twice; a loaded machine needs a while.
START_SECONDS = 90
STOP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def can_listen(port: int) -> bool:
    """A new server can listen on ``port`` (as gunicorn would: connections that just
    closed may linger in TIME_WAIT, which SO_REUSEADDR allows)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split()
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# What ``make run`` sets, and the outside settings a demo must not pick up.
DEMO = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "DJANGO_SETTINGS_MODULE": "pipewise.settings",
}
OUTSIDE = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_URL"}


def demo_env(var: Path) -> dict:
    """The environment ``make run`` gives Pipewise, with its data under ``var``."""
    inherited = {name: value for name, value in os.environ.items() if name not in OUTSIDE}
    return {**inherited, **DEMO, "PIPEWISE_VAR": str(var)}


def setting(var: Path, expression: str) -> str:
    """A setting as a fresh process started in the demo environment reads it."""
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code], env=demo_env(var), check=True, capture_output=True, text=True
    ).stdout.strip()


def test_it_runs_the_demo_with_debug_off_on_the_port_asked_for():
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8080"],
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    serve = next(line for line in plan.splitlines() if "pipewise serve" in line)
    assert "DEBUG=0" in serve and serve.endswith("serve --port 8080")


def test_it_writes_demo_mail_to_files_and_keeps_one_secret_key(tmp_path):
    assert setting(tmp_path, "settings.EMAIL_BACKEND") == (
        "django.core.mail.backends.filebased.EmailBackend"
    )
    assert setting(tmp_path, "settings.EMAIL_FILE_PATH") == str(tmp_path / "mail")
    key = setting(tmp_path, "settings.SECRET_KEY")
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert setting(tmp_path, "settings.SECRET_KEY") == key  # the same key on every start


def test_it_stops_gunicorn_and_the_worker_and_frees_the_port_on_sigterm(tmp_path):
    port = free_port()
    env = demo_env(tmp_path)
    serve = subprocess.Popen(
        [sys.executable, "-m", "pipewise.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not accepts(port):
            assert serve.poll() is None, serve.stdout.read()
            assert time.monotonic() < deadline, f"serve did not listen in {START_SECONDS}s"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as health:
            assert health.status == 200  # gunicorn answers with DEBUG off
        children = descendants(serve.pid)
        # The worker, gunicorn's master and its worker process.
        assert len(children) >= 3, children
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=STOP_SECONDS) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
    output = serve.stdout.read()
    assert "Pipewise stopped." in output
    assert not [pid for pid in children if alive(pid)], output
    assert not accepts(port)
    assert can_listen(port)
