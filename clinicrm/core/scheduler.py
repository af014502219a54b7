"""The periodic-job registry and one scheduler tick.

Apps register jobs in a `jobs.py` module (auto-discovered, like admin.py):

    from clinicrm.core.scheduler import job_register
    job_register(name="reminders.send_due", interval=dt.timedelta(minutes=5), task=send_due_task)

`scheduler_tick` enqueues every job whose current slot has no `ScheduledRun` row yet. Slots are
aligned on the epoch in UTC, so every scheduler process computes the same slot for the same
moment. A slot missed while no scheduler was running is not caught up: jobs are written to
look at "what is due now" rather than "what happened in my slot".
"""

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from clinicrm.core.models import ScheduledRun

logger = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    name: str
    interval: dt.timedelta
    task: Task
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    # When true the task receives `slot=<ISO UTC>`, handy to make its work idempotent per slot.
    pass_slot: bool = False


JOBS: dict[str, Job] = {}
_discovered = False


def job_register(
    *,
    name: str,
    interval: dt.timedelta,
    task: Task,
    kwargs: Mapping[str, Any] | None = None,
    pass_slot: bool = False,
) -> Job:
    if interval < dt.timedelta(seconds=1):
        raise ValueError("a job interval must be at least one second")
    job = Job(
        name=name, interval=interval, task=task, kwargs=dict(kwargs or {}), pass_slot=pass_slot
    )
    JOBS[name] = job
    return job


def jobs_all() -> dict[str, Job]:
    """Every registered job, importing each installed app's `jobs` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True
    return dict(JOBS)


def slot_start(*, at: dt.datetime, interval: dt.timedelta) -> dt.datetime:
    """UTC start of the `interval`-long slot containing `at`, aligned on the Unix epoch."""
    elapsed = at.astimezone(dt.UTC) - EPOCH
    return EPOCH + (elapsed // interval) * interval


def scheduled_run_claim(*, job: Job, slot: dt.datetime) -> ScheduledRun | None:
    """Insert the (job, slot) row and enqueue the task atomically; None if the slot was taken."""
    kwargs = dict(job.kwargs)
    if job.pass_slot:
        kwargs["slot"] = slot.isoformat()
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job_name=job.name, slot=slot)
            result = job.task.enqueue(**kwargs)
            run.task_result_id = str(result.id)
            run.save(update_fields=["task_result_id"])
    except IntegrityError:
        return None  # another scheduler took this slot first
    return run


def scheduler_tick(
    *, now: dt.datetime | None = None, jobs: Mapping[str, Job] | None = None
) -> list[str]:
    """Enqueue every due job once for its current slot. Returns the names enqueued."""
    now = now or timezone.now()
    jobs = jobs if jobs is not None else jobs_all()
    enqueued: list[str] = []
    for job in jobs.values():
        slot = slot_start(at=now, interval=job.interval)
        # Cheap pre-check so a steady state does not fail an INSERT every few seconds.
        if ScheduledRun.objects.filter(job_name=job.name, slot=slot).exists():
            continue
        if scheduled_run_claim(job=job, slot=slot) is not None:
            logger.info("scheduler enqueued %s for slot %s", job.name, slot.isoformat())
            enqueued.append(job.name)
    return enqueued
