"""Waking task workers the moment a task is enqueued (PostgreSQL), instead of at their next poll.

Every enqueue on the database backend sends `NOTIFY tasks` on the enqueuing connection. NOTIFY
is transactional: inside the outbox transaction it is delivered when the task row commits (and
dropped on rollback), so a woken worker always finds the row. Each worker LISTENs on its own
direct connection (`TaskWakeup`) and waits on it between polls; the poll stays as the fallback
for deferred tasks (`run_after`), a lost connection and SQLite, which has no NOTIFY.
"""

import contextlib
import logging
import time
from typing import Any

import psycopg
from django.db import connection
from django_tasks_db.backend import DatabaseBackend

from clinicrm.core.dbutil import is_postgresql, listen_connection_params

logger = logging.getLogger(__name__)

TASKS_CHANNEL = "tasks"


def task_wakeup_send() -> None:
    """NOTIFY the workers (PostgreSQL; delivered at the caller's commit). No-op elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [TASKS_CHANNEL])


def on_task_enqueued(sender: Any, **kwargs: Any) -> None:
    """`task_enqueued` receiver (connected in CoreConfig.ready) for the database backend."""
    if isinstance(sender, type) and issubclass(sender, DatabaseBackend):
        task_wakeup_send()


class TaskWakeup:
    """A worker's LISTEN session: `wait(timeout)` returns early when a task is enqueued.

    Falls back to sleeping when not on PostgreSQL or while the session cannot be opened (it
    reconnects at the next wait, so a database restart costs no worker restart).
    """

    def __init__(self) -> None:
        self._conn: Any = None
        self.enabled = is_postgresql()

    def wait(self, timeout: float) -> None:
        if not self.enabled or not self._connected():
            time.sleep(timeout)
            return
        try:
            # Returns at the first NOTIFY or after `timeout`; extra NOTIFYs queued meanwhile
            # only cost one more (empty) poll.
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                break
        except Exception as exc:
            logger.warning("task wake-up connection lost (%s)", type(exc).__name__)
            self.close()

    def _connected(self) -> bool:
        if self._conn is not None and not self._conn.closed:
            return True
        try:
            self._conn = psycopg.connect(**listen_connection_params(), connect_timeout=5)
            self._conn.execute(f"LISTEN {TASKS_CHANNEL}")
        except Exception as exc:
            logger.warning("task wake-up cannot LISTEN (%s); polling", type(exc).__name__)
            self.close()
            return False
        return True

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None
