"""Background processes (task workers, schedulers) say they are alive.

A `HeartbeatThread` upserts the process's `ProcessHeartbeat` row every PROCESS_HEARTBEAT_SECONDS
from a daemon thread, so a long task does not silence it. The thread opens a connection per beat and
closes it (an idle process holds no connection), and a beat that fails because the database is
away is retried sooner, never fatal. The reaper (`tasks_utils.tasks_reap_stuck`) treats a row
older than PROCESS_STALE_SECONDS as a dead process.
"""

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from clinicrm.core.dbutil import DATABASE_UNAVAILABLE
from clinicrm.core.models import ProcessHeartbeat, ProcessKind

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


def heartbeat_seconds() -> float:
    return float(settings.PROCESS_HEARTBEAT_SECONDS)


def stale_after() -> dt.timedelta:
    """Three missed beats: the process is gone (or cut off from the database, which amounts
    to the same for the work it holds)."""
    return dt.timedelta(seconds=float(settings.PROCESS_STALE_SECONDS))


def heartbeat_beat(*, process_id: str, kind: ProcessKind, started_at: dt.datetime) -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.update_or_create(
        id=process_id,
        defaults={
            "kind": kind,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": now,
            "stopped_at": None,
        },
    )


def heartbeat_stop(*, process_id: str) -> None:
    ProcessHeartbeat.objects.filter(id=process_id).update(stopped_at=timezone.now())


def heartbeats_fresh(*, kind: ProcessKind, within: dt.timedelta | None = None) -> int:
    """How many processes of `kind` beat within `within` and have not stopped."""
    return ProcessHeartbeat.objects.filter(
        kind=kind, beat_at__gte=timezone.now() - (within or stale_after()), stopped_at__isnull=True
    ).count()


class HeartbeatThread(threading.Thread):
    """Beats for one process until `stop()`; then marks the row stopped."""

    def __init__(self, *, process_id: str, kind: ProcessKind) -> None:
        super().__init__(name=f"heartbeat-{kind}", daemon=True)
        self.process_id = process_id
        self.kind = kind
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        self._ok = False

    def start(self) -> None:
        # The first beat before any work: a task claimed right away has a live heartbeat.
        self._ok = self._beat()
        super().start()

    def run(self) -> None:
        while not self._stopping.wait(heartbeat_seconds() if self._ok else RETRY_SECONDS):
            self._ok = self._beat()
        self._call(heartbeat_stop)

    def _beat(self) -> bool:
        return self._call(heartbeat_beat, kind=self.kind, started_at=self.started_at)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def _call(self, func: Callable[..., None], **kwargs: Any) -> bool:
        try:
            func(process_id=self.process_id, **kwargs)
            return True
        except DATABASE_UNAVAILABLE as exc:
            logger.warning("heartbeat of %s failed (%s)", self.kind, type(exc).__name__)
            return False
        finally:
            # One short connection per beat: this thread never sits on an idle connection.
            try:
                connection.close()
            except DATABASE_UNAVAILABLE:
                close_old_connections()
