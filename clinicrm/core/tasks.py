"""Background tasks of the platform itself (kept thin: they call services)."""

import datetime as dt

from django.tasks import task

from clinicrm.core.tasks_utils import housekeeping_prune, tasks_reap_stuck


@task()
def tasks_reap_stuck_task(*, stale_after_seconds: int = 30, older_than_seconds: int = 900) -> int:
    return tasks_reap_stuck(
        stale_after=dt.timedelta(seconds=stale_after_seconds),
        older_than=dt.timedelta(seconds=older_than_seconds),
    )


@task()
def housekeeping_prune_task(*, keep_days: int) -> dict[str, int]:
    return housekeeping_prune(keep=dt.timedelta(days=keep_days))
