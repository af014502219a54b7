"""Periodic jobs of the platform itself. Other apps add theirs in their own `jobs.py`."""

import datetime as dt

from clinicrm.automation.scheduler import job_register
from clinicrm.automation.tasks import housekeeping_prune_task, tasks_reap_stuck_task

# A task RUNNING for longer than this is presumed orphaned by a dead worker.
REAP_AFTER_SECONDS = 15 * 60

job_register(
    name="tasks.reap_stuck",
    interval=dt.timedelta(minutes=1),
    task=tasks_reap_stuck_task,
    kwargs={"older_than_seconds": REAP_AFTER_SECONDS},
)
job_register(
    name="housekeeping.prune",
    interval=dt.timedelta(days=1),
    task=housekeeping_prune_task,
    kwargs={"keep_days": 14},
)
