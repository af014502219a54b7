"""Periodic jobs of the compliance app (see core/scheduler.py)."""

import datetime as dt

from clinicrm.compliance.tasks import retention_purge_task
from clinicrm.core.scheduler import job_register

job_register(
    name="compliance.retention_purge", interval=dt.timedelta(hours=6), task=retention_purge_task
)
