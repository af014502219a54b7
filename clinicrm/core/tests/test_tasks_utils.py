"""Retries with backoff and the stuck-task reaper, on the real database backend."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.tasks import TaskResultStatus, task
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core.tasks_utils import (
    RETRY_ATTEMPT_KWARG,
    WORKER_LOST_EXCEPTION,
    retrying,
    task_backoff_delay,
    tasks_reap_stuck,
)
from clinicrm.core.tests.worker import run_worker

CALLS: Counter[str] = Counter()


@task()
@retrying(retry_on=(ConnectionError,), max_attempts=3)
def flaky_task(*, key: str, fail_times: int) -> str:
    CALLS[key] += 1
    if CALLS[key] <= fail_times:
        raise ConnectionError("provider down")
    return f"ok after {CALLS[key]}"


@task()
@retrying(retry_on=(ConnectionError,), max_attempts=3)
def picky_task(*, key: str) -> None:
    CALLS[key] += 1
    raise ValueError("bad input is not worth retrying")


@task()
def plain_task(*, key: str) -> str:
    CALLS[key] += 1
    return key


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


def rows(task_name: str) -> list[DBTaskResult]:
    """The task's rows by attempt number (enqueued_at ties under a frozen clock)."""
    found = DBTaskResult.objects.filter(task_path__endswith=f".{task_name}")
    return sorted(found, key=lambda r: r.args_kwargs["kwargs"].get(RETRY_ATTEMPT_KWARG, 1))


def test_backoff_doubles_and_is_capped():
    delays = [task_backoff_delay(attempt=n) for n in range(1, 9)]
    assert delays[:4] == [dt.timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays[-1] == dt.timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_failed_attempt_is_retried_later_with_backoff_until_success():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        flaky_task.enqueue(key="a", fail_times=2)
        run_worker()

        first, second = rows("flaky_task")
        assert first.status == TaskResultStatus.FAILED
        assert first.exception_class_path == "builtins.ConnectionError"
        assert second.status == TaskResultStatus.READY
        assert second.args_kwargs["kwargs"] == {"key": "a", "fail_times": 2, RETRY_ATTEMPT_KWARG: 2}
        assert second.run_after == start + dt.timedelta(seconds=30)

        # Not due yet: the worker leaves it alone.
        run_worker()
        assert CALLS["a"] == 1

        traveller.shift(dt.timedelta(seconds=31))
        run_worker()
        third = rows("flaky_task")[2]
        assert third.run_after == timezone.now() + dt.timedelta(seconds=60)

        traveller.shift(dt.timedelta(seconds=61))
        run_worker()

    statuses = [r.status for r in rows("flaky_task")]
    assert statuses == [TaskResultStatus.FAILED, TaskResultStatus.FAILED, "SUCCESSFUL"]
    assert rows("flaky_task")[2].return_value == "ok after 3"
    assert CALLS["a"] == 3


@pytest.mark.django_db(transaction=True)
def test_retries_stop_at_max_attempts():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        flaky_task.enqueue(key="b", fail_times=99)
        for _ in range(6):
            run_worker()
            traveller.shift(dt.timedelta(hours=2))

    assert CALLS["b"] == 3
    assert [r.status for r in rows("flaky_task")] == [TaskResultStatus.FAILED] * 3


@pytest.mark.django_db(transaction=True)
def test_exception_outside_retry_on_fails_once():
    picky_task.enqueue(key="c")
    run_worker()
    (only,) = rows("picky_task")
    assert only.status == TaskResultStatus.FAILED
    assert only.exception_class_path == "builtins.ValueError"
    assert CALLS["c"] == 1


@override_settings(
    TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
)
def test_immediate_backend_retries_at_once():
    result = flaky_task.enqueue(key="d", fail_times=1)
    assert result.status == TaskResultStatus.FAILED
    assert CALLS["d"] == 2  # the retry ran synchronously and succeeded


def make_running(*, started_ago: dt.timedelta, worker_ids: list[str]) -> DBTaskResult:
    started = timezone.now() - started_ago
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [], "kwargs": {"key": "reaped"}},
        task_path=plain_task.module_path,
        queue_name="default",
        backend_name="default",
        run_after=started,
        started_at=started,
        worker_ids=worker_ids,
    )


@pytest.mark.django_db(transaction=True)
def test_reaper_requeues_a_stuck_task_exactly_once():
    stuck = make_running(started_ago=dt.timedelta(hours=1), worker_ids=["dead-worker"])
    alive = make_running(started_ago=dt.timedelta(seconds=20), worker_ids=["busy-worker"])

    assert tasks_reap_stuck(older_than=dt.timedelta(minutes=15)) == 1
    assert tasks_reap_stuck(older_than=dt.timedelta(minutes=15)) == 0

    stuck.refresh_from_db()
    alive.refresh_from_db()
    assert stuck.status == TaskResultStatus.FAILED
    assert stuck.exception_class_path == WORKER_LOST_EXCEPTION
    assert alive.status == TaskResultStatus.RUNNING
    (copy,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert copy.args_kwargs == stuck.args_kwargs
    assert copy.task_path == stuck.task_path

    run_worker()
    copy.refresh_from_db()
    assert copy.status == TaskResultStatus.SUCCESSFUL
    assert CALLS["reaped"] == 1
    # The dead worker's attempt counts: this was the second attempt.
    assert copy.task_result.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_reaper_gives_up_after_max_attempts():
    stuck = make_running(started_ago=dt.timedelta(hours=1), worker_ids=["w1", "w2", "w3"])
    assert tasks_reap_stuck(older_than=dt.timedelta(minutes=15), max_attempts=3) == 0
    stuck.refresh_from_db()
    assert stuck.status == TaskResultStatus.FAILED
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
