"""The task worker (`manage.py worker`): django-tasks-db's worker, made to survive and to start
tasks promptly.

What the package's `db_worker` lacks, and this adds:
- **It exits on the first database error** ("too many clients", a restart, a dropped
  connection) and stays down. Here such an error is logged (class name only) and the loop
  retries with backoff (`dbutil.BACKOFF_SECONDS`); the worker never exits on its own.
- **It polls every `interval` seconds**, so a new task waits between 0 and `interval` (plus the
  previous task's run time) before it starts. Against a steady sender that wait drifts: the
  sender's period and the poll's beat against each other, so the webhook-to-event latency grows
  message after message up to the full interval, then falls back (the "drift" measured in issue
  16). Here the wait is `TaskWakeup.wait`: on PostgreSQL every enqueue NOTIFYs and the worker
  wakes at once; the poll remains for deferred tasks and as a fallback. SQLite polls often.
- **Nobody notices when it dies mid-task**: a `HeartbeatThread` beats every 10 s; the reaper
  re-queues the RUNNING task of a worker whose heartbeat is stale (`tasks_utils`).
- Each task runs under the row-level-security scope it was enqueued with (`core.rls`).
- A task whose result could not be recorded because the database went away is re-queued by
  the worker itself once the database is back (it would otherwise stay RUNNING under a live
  heartbeat).

Kept from the package: claiming (`SELECT .. FOR UPDATE SKIP LOCKED`, an exclusive transaction
on SQLite), running, recording, and graceful stop: SIGTERM/SIGINT let the running task finish,
then the worker exits. A second signal stops at once: the package raises SystemExit inside the
task (its transaction rolls back) and records the task FAILED, after which nothing would run it
again; here the worker enqueues a fresh copy before exiting (`task_requeue_interrupted`), as the
reaper does for a killed worker's task.
"""

import logging
import signal
import sys
import time
from types import FrameType
from typing import Any

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from clinicrm.core.dbutil import DATABASE_UNAVAILABLE, backoff_delay, connections_discard
from clinicrm.core.heartbeats import HeartbeatThread
from clinicrm.core.log_context import log_task_begin
from clinicrm.core.models import ProcessKind
from clinicrm.core.rls import SNAPSHOT_KEY, rls_restored
from clinicrm.core.task_wakeup import TaskWakeup
from clinicrm.core.tasks_utils import task_requeue_interrupted, task_requeue_orphan

logger = logging.getLogger(__name__)


class ResilientWorker(Worker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wakeup = TaskWakeup()
        self._failures = 0
        # (id, started_at) of a claimed task whose outcome could not be written.
        self._unrecorded: tuple[Any, Any] | None = None
        self._forced_stop = False

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        # The package's handler, with `running` cleared before the log line: a second signal
        # handled while the first handler is still logging must force the stop, not be taken
        # for a first one (and whoever waits for the line may then signal again at once).
        name = signal.strsignal(signum)
        if self.running:
            self.running = False
            logger.warning("Received %s - shutting down gracefully (a second signal forces)", name)
            if not self.running_task:
                sys.exit(0)  # idle, perhaps asleep in a wait: nothing to finish
            return
        if self.running_task:
            self._forced_stop = True  # SystemExit is raised inside the task below
        logger.warning("Received %s - terminating current task.", name)
        self.reset_signals()
        sys.exit(1)

    def run(self) -> None:
        logger.info("worker %s starting (queues %s)", self.worker_id, ",".join(self.queue_names))
        heartbeat = HeartbeatThread(process_id=self.worker_id, kind=ProcessKind.WORKER)
        heartbeat.start()
        try:
            self._loop()
        finally:
            self.wakeup.close()
            heartbeat.stop()

    def _loop(self) -> None:
        while self.running:
            try:
                self._settle_unrecorded()
                task_result, retrieved = self._claim_next()
                if task_result is not None:
                    self._run_claimed(task_result)
                self._failures = 0
            except DATABASE_UNAVAILABLE as exc:
                self._backoff(exc)
                continue
            if self.batch and retrieved and task_result is None:
                logger.info("worker %s: no more tasks, exiting", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("worker %s ran %d tasks, exiting", self.worker_id, self._run_tasks)
                return
            close_old_connections()
            if self.running and task_result is None:
                self.wakeup.wait(self.interval)

    def _claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """The next ready task, claimed for this worker; and whether the queue was read."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):  # SQLite busy: try again at the next turn
                return None, False
            raise
        return task_result, True

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # Under the row-level-security scope of whoever enqueued it (core/task_backend.py).
        with rls_restored((db_task_result.args_kwargs or {}).get(SNAPSHOT_KEY)):
            super().run_task(db_task_result)

    def _run_claimed(self, task_result: DBTaskResult) -> None:
        # The task's lines name it (and its clinic once the task knows it); the worker's own
        # lines between tasks name none.
        log_task_begin(task_result.id)
        try:
            self.run_task(task_result)
        except DATABASE_UNAVAILABLE:
            # The task ran (or failed) but its outcome could not be written: re-queue it once
            # the database is back (tasks are idempotent; the reaper would not, the heartbeat
            # being alive).
            self._unrecorded = (task_result.id, task_result.started_at)
            raise
        finally:
            log_task_begin("")
        if self._forced_stop:
            task_requeue_interrupted(result_id=task_result.id)

    def _settle_unrecorded(self) -> None:
        if self._unrecorded is None:
            return
        result_id, started_at = self._unrecorded
        task_requeue_orphan(
            result_id=result_id,
            started_at=started_at,
            reason="outcome lost with the database connection",
        )
        self._unrecorded = None

    def _backoff(self, exc: BaseException) -> None:
        self._failures += 1
        delay = backoff_delay(self._failures)
        logger.warning(
            "worker %s: database unavailable (%s); retry %d in %.1fs",
            self.worker_id,
            type(exc).__name__,
            self._failures,
            delay,
        )
        connections_discard()
        self.wakeup.close()
        deadline = time.monotonic() + delay
        while self.running and time.monotonic() < deadline:
            time.sleep(min(0.2, delay))
