"""`manage.py worker` and `manage.py scheduler` as real processes: heartbeats, the heartbeat
reaper, NOTIFY wake-up, and surviving a database that drops their connections."""

import datetime as dt
import signal
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core import worker as worker_module
from clinicrm.core.heartbeats import heartbeat_beat
from clinicrm.core.models import ProcessHeartbeat, ProcessKind, ScheduledRun
from clinicrm.core.scheduler import jobs_all, slot_start
from clinicrm.core.tasks_utils import INTERRUPTED, WORKER_LOST_EXCEPTION, tasks_reap_stuck
from clinicrm.core.tests._tasks import block_task, touch_task, two_writes_task
from clinicrm.core.tests.processes import manage_process, terminate_other_backends, wait_for
from clinicrm.core.worker import ResilientWorker

ON_POSTGRES = connection.vendor == "postgresql"
# Children beat fast and go stale fast so the tests wait seconds, not a minute.
FAST_BEATS = {"PROCESS_HEARTBEAT_SECONDS": "0.3", "PROCESS_STALE_SECONDS": "1.5"}
STALE = dt.timedelta(seconds=1.5)


def running(started_ago: dt.timedelta, worker: str) -> DBTaskResult:
    started = timezone.now() - started_ago
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [], "kwargs": {"seconds": 0}},
        task_path=block_task.module_path,
        queue_name="default",
        backend_name="default",
        run_after=started,
        started_at=started,
        worker_ids=[worker],
    )


@pytest.mark.django_db(transaction=True)
def test_the_reaper_trusts_a_fresh_heartbeat_and_not_a_stale_one():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        heartbeat_beat(process_id="w-alive", kind=ProcessKind.WORKER, started_at=start)
        heartbeat_beat(process_id="w-dead", kind=ProcessKind.WORKER, started_at=start)
        long_task = running(dt.timedelta(hours=2), "w-alive")  # long, but its worker beats
        orphan = running(dt.timedelta(seconds=5), "w-dead")
        legacy = running(dt.timedelta(minutes=10), "no-heartbeat-worker")

        clock.shift(dt.timedelta(seconds=25))
        heartbeat_beat(process_id="w-alive", kind=ProcessKind.WORKER, started_at=start)
        assert tasks_reap_stuck(stale_after=dt.timedelta(seconds=30)) == 0

        clock.shift(dt.timedelta(seconds=6))  # w-dead silent for 31 s
        heartbeat_beat(process_id="w-alive", kind=ProcessKind.WORKER, started_at=start)
        assert tasks_reap_stuck(stale_after=dt.timedelta(seconds=30)) == 1

        clock.shift(dt.timedelta(minutes=5))  # the heartbeat-less task passes 15 minutes
        heartbeat_beat(process_id="w-alive", kind=ProcessKind.WORKER, started_at=start)
        assert tasks_reap_stuck(stale_after=dt.timedelta(seconds=30)) == 1

    for row in (long_task, orphan, legacy):
        row.refresh_from_db()
    assert long_task.status == TaskResultStatus.RUNNING
    assert orphan.status == legacy.status == TaskResultStatus.FAILED
    assert orphan.exception_class_path == WORKER_LOST_EXCEPTION
    assert "heartbeat" in orphan.traceback
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2


@pytest.mark.concurrency
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_noticed_by_its_heartbeat(tmp_path: Path):
    with manage_process("worker", "--queue-name", "*", "--no-reload", **FAST_BEATS) as proc:
        stuck = block_task.enqueue(seconds=120)
        wait_for(
            lambda: DBTaskResult.objects.get(id=stuck.id).status == TaskResultStatus.RUNNING,
            what="the worker to claim the task",
        )
        row = DBTaskResult.objects.get(id=stuck.id)
        beat = ProcessHeartbeat.objects.get(id=row.worker_ids[-1])
        assert beat.kind == ProcessKind.WORKER and beat.pid == proc.pid
        assert tasks_reap_stuck(stale_after=STALE) == 0  # alive: a long task is not a dead worker

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        wait_for(
            lambda: tasks_reap_stuck(stale_after=STALE),
            timeout=15,
            what="the reaper to see the stale heartbeat",
        )

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    copy = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert copy.task_path == block_task.module_path
    assert copy.worker_ids == row.worker_ids  # the lost attempt counts


def _busy_worker() -> ResilientWorker:
    worker = ResilientWorker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-test",
        excluded_queue_names=[],
    )
    worker.running_task = True
    worker.reset_signals = lambda: None  # type: ignore[method-assign]  # keep pytest's handlers
    return worker


def test_a_second_signal_while_the_first_is_being_logged_forces_the_stop(monkeypatch):
    """Signals nest: the second handler can run while the first one is still writing its log
    line. It must force the stop, not count as a first signal (the worker would then finish
    the task, however long it takes)."""
    worker = _busy_worker()
    forced: list[SystemExit] = []

    def log_and_get_signalled_again(*args: object) -> None:
        monkeypatch.setattr(worker_module.logger, "warning", lambda *a: None)
        try:
            worker.shutdown(signal.SIGTERM, None)
        except SystemExit as exc:
            forced.append(exc)

    monkeypatch.setattr(worker_module.logger, "warning", log_and_get_signalled_again)
    worker.shutdown(signal.SIGTERM, None)
    assert [exc.code for exc in forced] == [1]
    assert worker._forced_stop and not worker.running


def test_one_signal_lets_the_task_finish_and_a_second_forces():
    worker = _busy_worker()
    worker.shutdown(signal.SIGTERM, None)
    assert not worker.running and not worker._forced_stop
    with pytest.raises(SystemExit) as stop:
        worker.shutdown(signal.SIGTERM, None)
    assert stop.value.code == 1 and worker._forced_stop


@pytest.mark.concurrency
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_running_task_finish(tmp_path: Path):
    done = tmp_path / "done"
    with manage_process("worker", "--queue-name", "*", "--no-reload", **FAST_BEATS) as proc:
        slow = block_task.enqueue(seconds=1.5)
        wait_for(
            lambda: DBTaskResult.objects.get(id=slow.id).status == TaskResultStatus.RUNNING,
            what="the worker to claim the task",
        )
        touch_task.enqueue(path=str(done))  # queued behind it: must not start after SIGTERM
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert DBTaskResult.objects.get(id=slow.id).status == TaskResultStatus.SUCCESSFUL
    assert not done.exists()
    assert ProcessHeartbeat.objects.get().stopped_at is not None


@pytest.mark.concurrency
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_a_forced_stop_mid_task_leaves_nothing_half_done_and_the_task_runs_again(tmp_path: Path):
    """SIGTERM, then SIGTERM again while the task is in its transaction: the worker stops at
    once, the task's first write is rolled back, and a fresh copy is queued that a new worker
    runs whole."""
    started, gate = tmp_path / "started", tmp_path / "gate"
    args = ("worker", "--queue-name", "*", "--no-reload")
    with manage_process(*args, **FAST_BEATS) as proc:
        first = two_writes_task.enqueue(started=str(started), gate=str(gate))
        # Generous: a worker's start-up on a loaded CI machine takes seconds.
        wait_for(started.exists, timeout=60, what="the task to be inside its transaction")
        proc.send_signal(signal.SIGTERM)
        assert proc.stdout is not None
        # The second signal must come after the first was handled (signals do not queue).
        while "shutting down gracefully" not in (line := proc.stdout.readline()):
            assert line, "the worker ended before acknowledging SIGTERM"
        proc.send_signal(signal.SIGTERM)
        # Rolling back and queueing the fresh copy is quick, but a loaded machine's Python
        # shutdown is not (it took over 20 s once while other suites ran).
        proc.wait(timeout=60)

    assert not ScheduledRun.objects.filter(job_name__startswith="two-writes").exists()
    row = DBTaskResult.objects.get(id=first.id)
    assert row.status == TaskResultStatus.FAILED and row.exception_class_path in INTERRUPTED
    copy = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert copy.task_path == two_writes_task.module_path and copy.worker_ids == row.worker_ids

    gate.write_text("go")
    with manage_process(*args, **FAST_BEATS):
        wait_for(
            lambda: DBTaskResult.objects.get(id=copy.id).status == TaskResultStatus.SUCCESSFUL,
            timeout=60,
            what="the copy to run",
        )
    assert sorted(
        ScheduledRun.objects.filter(job_name__startswith="two-writes").values_list(
            "job_name", flat=True
        )
    ) == ["two-writes:first", "two-writes:second"]


@pytest.mark.concurrency
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_a_task_starts_without_waiting_for_the_poll(tmp_path: Path):
    """PostgreSQL: with a 60 s poll, only the enqueue's NOTIFY can start the task within the
    wait below. SQLite: the default short poll does it."""
    done = tmp_path / "done"
    interval = ["--interval", "60"] if ON_POSTGRES else []
    with manage_process("worker", "--queue-name", "*", "--no-reload", *interval, **FAST_BEATS):
        wait_for(ProcessHeartbeat.objects.exists, what="the worker to start")
        if ON_POSTGRES:  # and to LISTEN: its first poll happens before the wait
            wait_for(lambda: _listening("tasks"), what="the worker to LISTEN")
        touch_task.enqueue(path=str(done))
        wait_for(done.exists, timeout=10, what="the task to run")


def _listening(channel: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query = %s",
            [f"LISTEN {channel}"],
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no server connections to kill")
@pytest.mark.concurrency
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_worker_and_scheduler_survive_their_connections_being_killed(tmp_path: Path):
    reaper = jobs_all()["tasks.reap_stuck"]
    with (
        manage_process("worker", "--queue-name", "*", "--no-reload", **FAST_BEATS) as worker,
        manage_process("scheduler", "--interval", "0.2", "--only", reaper.name) as scheduler,
    ):
        wait_for(lambda: ProcessHeartbeat.objects.count() == 2, what="both processes to beat")
        wait_for(ScheduledRun.objects.exists, what="the scheduler's first slot")
        for round_ in range(3):
            # The children may sit between connections at this instant (a tick
            # closes its connection when done): kill as soon as one is open.
            wait_for(lambda: terminate_other_backends() >= 1, what="a child's connection")
            done = tmp_path / f"done-{round_}"
            touch_task.enqueue(path=str(done))
            wait_for(done.exists, what=f"the worker to run a task after kill #{round_ + 1}")
            # The scheduler still claims slots: give it its current slot back to claim.
            ScheduledRun.objects.filter(
                slot=slot_start(at=timezone.now(), interval=reaper.interval)
            ).delete()
            wait_for(
                lambda: ScheduledRun.objects.filter(
                    slot=slot_start(at=timezone.now(), interval=reaper.interval)
                ).exists(),
                what=f"the scheduler to tick after kill #{round_ + 1}",
            )
        assert worker.poll() is None and scheduler.poll() is None
