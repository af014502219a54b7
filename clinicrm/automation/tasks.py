"""Background tasks of the automation app (kept thin: they call services)."""

import datetime as dt

from django.tasks import task

from clinicrm.automation.services import housekeeping_prune
from clinicrm.core.tasks_utils import tasks_reap_stuck


@task()
def tasks_reap_stuck_task(*, older_than_seconds: int) -> int:
    return tasks_reap_stuck(older_than=dt.timedelta(seconds=older_than_seconds))


@task()
def housekeeping_prune_task(*, keep_days: int) -> dict[str, int]:
    return housekeeping_prune(keep=dt.timedelta(days=keep_days))
