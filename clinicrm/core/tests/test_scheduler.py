"""The scheduler runs each job once per slot, even with several schedulers at once."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clinicrm.core.models import ScheduledRun
from clinicrm.core.scheduler import jobs_all, scheduled_run_claim, scheduler_tick, slot_start
from clinicrm.core.tasks import tasks_reap_stuck_task
from clinicrm.core.tests.processes import subprocess_env

NOON = dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC)
REAPER = "tasks.reap_stuck"


def reaper_only() -> dict:
    return {REAPER: jobs_all()[REAPER]}


def test_slots_are_aligned_on_the_epoch_in_utc():
    minute = dt.timedelta(minutes=1)
    assert slot_start(at=NOON, interval=minute) == dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    sao_paulo = NOON.astimezone(dt.timezone(dt.timedelta(hours=-3)))
    assert slot_start(at=sao_paulo, interval=minute) == slot_start(at=NOON, interval=minute)
    day = slot_start(at=NOON, interval=dt.timedelta(days=1))
    assert day == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_the_reaper_is_registered_every_half_minute():
    job = jobs_all()[REAPER]
    assert job.interval == dt.timedelta(seconds=30)
    assert job.task is tasks_reap_stuck_task


@pytest.mark.django_db
def test_two_ticks_in_the_same_slot_enqueue_once():
    assert scheduler_tick(now=NOON, jobs=reaper_only()) == [REAPER]
    assert scheduler_tick(now=NOON + dt.timedelta(seconds=20), jobs=reaper_only()) == []

    run = ScheduledRun.objects.get()
    assert run.slot == dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC)
    task_row = DBTaskResult.objects.get()
    assert str(task_row.id) == run.task_result_id
    assert task_row.task_path == tasks_reap_stuck_task.module_path

    # The next minute is a new slot.
    assert scheduler_tick(now=NOON + dt.timedelta(minutes=1), jobs=reaper_only()) == [REAPER]
    assert ScheduledRun.objects.count() == 2
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_a_taken_slot_enqueues_nothing():
    """The race: another scheduler inserted the row after our pre-check."""
    job = jobs_all()[REAPER]
    slot = slot_start(at=NOON, interval=job.interval)
    ScheduledRun.objects.create(job_name=REAPER, slot=slot)

    assert scheduled_run_claim(job=job, slot=slot) is None
    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 0  # the enqueue rolled back with the insert


@pytest.mark.django_db
def test_scheduler_command_once_enqueues_once():
    call_command("scheduler", "--once", "--at", NOON.isoformat(), "--only", REAPER)
    call_command("scheduler", "--once", "--at", NOON.isoformat(), "--only", REAPER)
    assert ScheduledRun.objects.filter(job_name=REAPER).count() == 1
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.args_kwargs["kwargs"] == {"stale_after_seconds": 30, "older_than_seconds": 900}


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_share_a_slot_without_double_work():
    manage = Path(settings.BASE_DIR) / "manage.py"
    cmd = [
        sys.executable,
        str(manage),
        "scheduler",
        "--once",
        "--at",
        NOON.isoformat(),
        "--only",
        REAPER,
    ]
    env = subprocess_env()
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs

    assert ScheduledRun.objects.filter(job_name=REAPER).count() == 1
    assert DBTaskResult.objects.count() == 1
    enqueued = [out for out, _ in outputs if f"enqueued {REAPER}" in out]
    assert len(enqueued) == 1, outputs
