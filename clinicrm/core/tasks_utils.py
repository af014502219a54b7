"""What django-tasks-db leaves to us: retries with backoff, and a reaper for dead workers.

Retries: the package runs a task once and records SUCCESSFUL or FAILED. `task_retry_or_fail`
(or the `retrying` decorator, placed *under* `@task`) re-enqueues a fresh copy of the task with
`run_after = now + backoff` and the attempt number carried in the kwargs (`RETRY_ATTEMPT_KWARG`),
then lets the current attempt fail with its real exception, so every attempt keeps its traceback.

Reaper: a worker killed mid-task (OOM, deploy, power) leaves its row RUNNING forever.
`tasks_reap_stuck` finds such rows by the worker's heartbeat (`core.heartbeats`: stale after 30 s,
so a killed worker's task is re-queued within about a minute), or by age for workers without one;
it marks them FAILED with a conditional UPDATE (only the caller that flips the row from RUNNING
wins, so two reapers never resurrect a task twice) and enqueues one fresh copy carrying the old
worker ids, whose count is the attempt number the package itself reports
(`TaskResult.attempts`). Past `max_attempts` the row stays FAILED: a task that keeps killing its
worker must not loop forever. Tasks must be idempotent anyway: a slow-but-alive worker may still
finish the original after the copy ran.
"""

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.tasks import Task, TaskResult, TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string

from clinicrm.core.heartbeats import stale_after as heartbeat_stale_after
from clinicrm.core.models import ProcessHeartbeat, ScheduledRun
from clinicrm.core.task_wakeup import task_wakeup_send

logger = logging.getLogger(__name__)

RETRY_ATTEMPT_KWARG = "_attempt"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BASE_DELAY = dt.timedelta(seconds=30)
DEFAULT_MAX_DELAY = dt.timedelta(hours=1)
WORKER_LOST_EXCEPTION = "clinicrm.core.tasks_utils.WorkerLostError"
# What the package records on a task a forced stop interrupted (core/worker.py).
INTERRUPTED = ("builtins.SystemExit", "builtins.KeyboardInterrupt")
# Workers without a heartbeat: a task RUNNING this long is presumed orphaned.
LEGACY_RUNNING_TIMEOUT = dt.timedelta(minutes=15)


class WorkerLostError(Exception):
    """Recorded on a RUNNING row whose worker vanished (never raised by running code)."""


def task_backoff_delay(
    *,
    attempt: int,
    base_delay: dt.timedelta = DEFAULT_BASE_DELAY,
    max_delay: dt.timedelta = DEFAULT_MAX_DELAY,
) -> dt.timedelta:
    """Delay before attempt `attempt + 1`: base, 2*base, 4*base, ... capped at `max_delay`."""
    return min(base_delay * (2 ** max(attempt - 1, 0)), max_delay)


def task_retry_or_fail(
    *,
    task: Task,
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: dict[str, Any],
    exc: BaseException,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base_delay: dt.timedelta = DEFAULT_BASE_DELAY,
    max_delay: dt.timedelta = DEFAULT_MAX_DELAY,
) -> TaskResult | None:
    """Enqueue the next attempt of `task` with exponential backoff, or give up.

    `kwargs` are the current attempt's kwargs (they may carry `RETRY_ATTEMPT_KWARG`; absent means
    attempt 1). Returns the enqueued result, or None when `max_attempts` is reached. The caller
    re-raises `exc` afterwards so this attempt is recorded as FAILED with its traceback.
    """
    attempt = int(kwargs.get(RETRY_ATTEMPT_KWARG, 1))
    if attempt >= max_attempts:
        logger.warning(
            "task %s gave up after %d attempts (%s)", task.name, attempt, type(exc).__name__
        )
        return None
    delay = task_backoff_delay(attempt=attempt, base_delay=base_delay, max_delay=max_delay)
    next_kwargs = {**kwargs, RETRY_ATTEMPT_KWARG: attempt + 1}
    next_task = task
    # The immediate/dummy backends cannot defer; retrying at once keeps dev and tests usable.
    if task.get_backend().supports_defer:
        next_task = task.using(run_after=timezone.now() + delay)
    logger.info(
        "task %s attempt %d failed (%s); retry %d in %ss",
        task.name,
        attempt,
        type(exc).__name__,
        attempt + 1,
        int(delay.total_seconds()),
    )
    # Called from the wrapper, outside the task's own atomic blocks, so the new row commits even
    # though this attempt's writes were rolled back.
    return next_task.enqueue(*args, **next_kwargs)


def retrying(
    *,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base_delay: dt.timedelta = DEFAULT_BASE_DELAY,
    max_delay: dt.timedelta = DEFAULT_MAX_DELAY,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Retry a task function on `retry_on` exceptions. Use it under `@task`:

        @task(queue_name="sends")
        @retrying(retry_on=(httpx.TransportError,), max_attempts=5)
        def message_send_task(*, message_id: int) -> None: ...

    The wrapped function never sees the attempt kwarg unless it declares `_attempt` itself.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        path = f"{func.__module__}.{func.__qualname__}"

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            call_kwargs = dict(kwargs)
            attempt = call_kwargs.pop(RETRY_ATTEMPT_KWARG, 1)
            if _accepts_kwarg(func, RETRY_ATTEMPT_KWARG):
                call_kwargs[RETRY_ATTEMPT_KWARG] = attempt
            try:
                return func(*args, **call_kwargs)
            except retry_on as exc:
                # The Task object is the module attribute that `@task` put over this wrapper.
                task_obj = import_string(path)
                # A context-taking task gets its TaskContext first: never serialise it.
                task_args = args[1:] if getattr(task_obj, "takes_context", False) else args
                task_retry_or_fail(
                    task=task_obj,
                    args=task_args,
                    kwargs={**kwargs, RETRY_ATTEMPT_KWARG: attempt},
                    exc=exc,
                    max_attempts=max_attempts,
                    base_delay=base_delay,
                    max_delay=max_delay,
                )
                raise

        return wrapper

    return decorator


def _accepts_kwarg(func: Callable[..., Any], name: str) -> bool:
    code = getattr(func, "__code__", None)
    return (
        code is not None and name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    )


def tasks_reap_stuck(
    *,
    stale_after: dt.timedelta | None = None,
    older_than: dt.timedelta = LEGACY_RUNNING_TIMEOUT,
    max_attempts: int = 3,
) -> int:
    """Fail RUNNING rows whose worker is gone and enqueue one fresh copy of each.

    A worker with a heartbeat (`manage.py worker`) is gone when its heartbeat is older than
    `stale_after`; a worker without one (a plain `db_worker`, a test worker) when its task has been
    RUNNING for longer than `older_than`. Returns how many copies were enqueued. Safe to run
    concurrently from several processes.
    """
    from django_tasks_db.models import DBTaskResult

    stale_after = stale_after or heartbeat_stale_after()
    now = timezone.now()
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
            "id", "worker_ids", "started_at"
        )[:500]
    )
    last_worker = {row_id: (ids or [""])[-1] for row_id, ids, _ in running}
    beats = dict(
        ProcessHeartbeat.objects.filter(id__in=set(last_worker.values())).values_list(
            "id", "beat_at"
        )
    )
    requeued = 0
    for row_id, _, started_at in running:
        beat = beats.get(last_worker[row_id])
        if beat is not None:
            if beat >= now - stale_after:
                continue
            reason = f"worker heartbeat silent since {beat.isoformat()}"
        elif started_at is None or started_at >= now - older_than:
            continue
        else:
            reason = f"worker did not finish within {older_than}"
        if task_requeue_orphan(
            result_id=row_id, started_at=started_at, reason=reason, max_attempts=max_attempts
        ):
            requeued += 1
    return requeued


def task_requeue_orphan(
    *, result_id: Any, started_at: dt.datetime | None, reason: str, max_attempts: int = 3
) -> bool:
    """Mark a RUNNING row (claimed at `started_at`) FAILED and enqueue one fresh copy.

    The conditional UPDATE decides: only the caller that flips the row from RUNNING wins, and a
    row re-claimed meanwhile (another `started_at`) is left alone. Returns whether a copy was
    enqueued (not past `max_attempts`: a task that keeps killing its worker must not loop).
    """
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    with transaction.atomic():
        claimed = DBTaskResult.objects.filter(
            id=result_id, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST_EXCEPTION,
            traceback=f"{WORKER_LOST_EXCEPTION}: {reason}",
        )
        if not claimed:
            return False  # another reaper (or the worker itself) got there first
        row = DBTaskResult.objects.get(id=result_id)
        copy = _copy_enqueue(row=row, max_attempts=max_attempts)
    if copy is None:
        return False
    logger.warning(
        "task %s (%s) orphaned (%s); re-enqueued as %s", row.task_path, row.id, reason, copy.id
    )
    return True


def task_requeue_interrupted(*, result_id: Any, max_attempts: int = 3) -> bool:
    """A task cut short by a forced worker stop (a second SIGTERM/SIGINT raises SystemExit in
    it): the package recorded it FAILED, its transaction rolled back, nobody would run it
    again. Enqueue one fresh copy, like the reaper does for a killed worker's task."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        row = DBTaskResult.objects.select_for_update().get(id=result_id)
        if row.status != TaskResultStatus.FAILED or row.exception_class_path not in INTERRUPTED:
            return False  # it finished (or failed on its own) before the stop reached it
        copy = _copy_enqueue(row=row, max_attempts=max_attempts)
    if copy is None:
        return False
    logger.warning("task %s (%s) interrupted; re-enqueued as %s", row.task_path, row.id, copy.id)
    return True


def _copy_enqueue(*, row: Any, max_attempts: int) -> Any:
    """A fresh READY copy of task row `row` carrying its worker ids (the attempt count), or
    None past `max_attempts`. In the caller's transaction."""
    from django_tasks_db.models import DBTaskResult

    attempts = len(row.worker_ids or [])
    if attempts >= max_attempts:
        logger.error(
            "task %s (%s) lost its worker %d times; not re-enqueued",
            row.task_path,
            row.id,
            attempts,
        )
        return None
    copy = DBTaskResult.objects.create(
        args_kwargs=row.args_kwargs,
        priority=row.priority,
        task_path=row.task_path,
        queue_name=row.queue_name,
        backend_name=row.backend_name,
        run_after=timezone.now(),
        worker_ids=list(row.worker_ids or []),
    )
    task_wakeup_send()
    return copy


def housekeeping_prune(*, keep: dt.timedelta) -> dict[str, int]:
    """Delete slot rows, successful task rows and silent heartbeats older than `keep`; failed
    task rows stay for triage."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - keep
    runs, _ = ScheduledRun.objects.filter(slot__lt=cutoff).delete()
    results, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
    beats, _ = ProcessHeartbeat.objects.filter(beat_at__lt=cutoff).delete()
    return {"scheduled_runs": runs, "task_results": results, "heartbeats": beats}
