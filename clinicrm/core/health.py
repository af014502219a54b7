"""Liveness and readiness for load balancers and orchestrators (no authentication, no personal
data: only check names and "ok"/"fail").

`/healthz`: the process answers (no I/O), so a hung or crashed process is restarted.
`/readyz`: this process can do its job: the database answers, every migration is applied (checked
until it once succeeds, since applied migrations do not go away), the media storage accepts a
write, and a task worker and a scheduler have beaten their heartbeat within
PROCESS_STALE_SECONDS (without them webhooks pile up and reminders never go). 503 otherwise.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

from clinicrm.core.heartbeats import heartbeats_fresh
from clinicrm.core.models import ProcessKind

logger = logging.getLogger(__name__)

_migrated = False


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _migrations() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def _storage() -> bool:
    name = default_storage.save(f"_readyz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)
    return True


def _worker() -> bool:
    return heartbeats_fresh(kind=ProcessKind.WORKER) > 0


def _scheduler() -> bool:
    return heartbeats_fresh(kind=ProcessKind.SCHEDULER) > 0


CHECKS: dict[str, Callable[[], bool]] = {
    "database": _database,
    "migrations": _migrations,
    "storage": _storage,
    "worker": _worker,
    "scheduler": _scheduler,
}


def readiness_check() -> dict[str, str]:
    """Each check's result, "ok" or "fail" (a failing check's cause goes to the log, by class
    name only)."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            ok = check()
        except Exception as exc:
            logger.warning("readiness check %s failed (%s)", name, type(exc).__name__)
            ok = False
        results[name] = "ok" if ok else "fail"
        if name == "database" and not ok:  # nothing else can pass without it
            results.update({other: "fail" for other in CHECKS if other not in results})
            break
    return results
