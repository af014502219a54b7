"""Tasks the worker tests enqueue (importable by a worker subprocess)."""

import time
from pathlib import Path

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from clinicrm.core.models import Membership, ScheduledRun


@task()
def touch_task(*, path: str) -> str:
    Path(path).write_text("done")
    return path


@task()
def block_task(*, seconds: float) -> None:
    time.sleep(seconds)


@task()
def visible_tenants_task() -> list[str]:
    """The tenants whose memberships this task can see (row-level security tests)."""
    return sorted({str(t) for t in Membership.objects.values_list("tenant_id", flat=True)})


@task()
def two_writes_task(*, started: str, gate: str) -> None:
    """Two rows in one transaction, with a pause between them until `gate` exists (at most
    60 s): a stop in the pause must leave neither row."""
    with transaction.atomic():
        ScheduledRun.objects.create(job_name="two-writes:first", slot=timezone.now())
        Path(started).write_text("in the transaction")
        deadline = time.monotonic() + 60
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        ScheduledRun.objects.create(job_name="two-writes:second", slot=timezone.now())
