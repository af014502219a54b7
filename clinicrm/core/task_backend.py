"""django-tasks-db's backend, with the row-level-security scope of whoever enqueued the task.

The scope (`core.rls.rls_snapshot`: a tenant, or the explicit bypass) rides in the task row's
`args_kwargs` under its own key, beside the package's `args` and `kwargs`, so task functions keep
their signatures; the worker restores it around the run (`core.worker`). With RLS off nothing is
added and the row is the package's own.
"""

from typing import Any

from django.tasks import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult

from clinicrm.core.rls import SNAPSHOT_KEY, rls_snapshot


def _fields(backend: "ScopedDatabaseBackend", task: Task, args: Any, kwargs: Any) -> dict[str, Any]:
    args_kwargs: dict[str, Any] = {"args": args, "kwargs": kwargs}
    snapshot = rls_snapshot()
    if snapshot:
        args_kwargs[SNAPSHOT_KEY] = snapshot
    return {
        "id": backend._get_id(),
        "args_kwargs": normalize_json(args_kwargs),
        "priority": task.priority,
        "task_path": task.module_path,
        "queue_name": task.queue_name,
        "run_after": task.run_after,
        "backend_name": backend.alias,
    }


class ScopedDatabaseBackend(DatabaseBackend):
    def _task_to_db_task(self, task: Task, args: Any, kwargs: Any) -> DBTaskResult:
        return DBTaskResult.objects.create(**_fields(self, task, args, kwargs))

    async def _atask_to_db_task(self, task: Task, args: Any, kwargs: Any) -> DBTaskResult:
        return await DBTaskResult.objects.acreate(**_fields(self, task, args, kwargs))
