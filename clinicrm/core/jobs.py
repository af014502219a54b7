"""Periodic jobs of the platform itself. Other apps add theirs in their own `jobs.py`."""

import datetime as dt

from clinicrm.core.heartbeats import stale_after
from clinicrm.core.scheduler import job_register
from clinicrm.core.tasks import housekeeping_prune_task, tasks_reap_stuck_task
from clinicrm.core.tasks_utils import LEGACY_RUNNING_TIMEOUT

# Every 30 s with a 30 s staleness (PROCESS_STALE_SECONDS): a task whose worker was killed runs
# again within about a minute.
job_register(
    name="tasks.reap_stuck",
    interval=dt.timedelta(seconds=30),
    task=tasks_reap_stuck_task,
    kwargs={
        "stale_after_seconds": int(stale_after().total_seconds()),
        "older_than_seconds": int(LEGACY_RUNNING_TIMEOUT.total_seconds()),
    },
)
job_register(
    name="housekeeping.prune",
    interval=dt.timedelta(days=1),
    task=housekeeping_prune_task,
    kwargs={"keep_days": 14},
)
