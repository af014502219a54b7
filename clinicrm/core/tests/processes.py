"""Real `manage.py` child processes on the test database (workers, schedulers)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child `manage.py` that must use this test's database."""
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env.update(extra)
    return env


@contextmanager
def manage_process(*args: str, **env: str) -> Iterator[subprocess.Popen[str]]:
    """Run `manage.py <args>` until the block ends (then SIGTERM, then SIGKILL)."""
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    with child_process([sys.executable, manage, *args], env) as proc:
        yield proc


@contextmanager
def child_process(cmd: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Run `cmd` on the test database until the block ends (then SIGTERM, then SIGKILL)."""
    proc = subprocess.Popen(
        cmd,
        cwd=settings.BASE_DIR,
        env=subprocess_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def wait_for(condition: Callable[[], object], *, timeout: float = 20.0, what: str = "") -> None:
    """Poll `condition` until it is truthy (no fixed sleeps before assertions)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def terminate_other_backends() -> int:
    """PostgreSQL: kill every other session on the test database (the children's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])
