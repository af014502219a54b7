"""Periodic jobs of messaging (found by the scheduler's autodiscovery)."""

import datetime as dt

from clinicrm.core.scheduler import job_register
from clinicrm.messaging.services.reconcile import message_reconcile_task

# Settles sends whose outcome was unclear (timeouts, a worker killed mid-send) and fetches the
# status of accepted messages whose callbacks were lost, on the provider's evidence only
# (services/reconcile.py).
job_register(
    name="messaging.reconcile_sends",
    interval=dt.timedelta(minutes=1),
    task=message_reconcile_task,
)
# Old realtime events are deleted by the retention job (`compliance.retention_purge`, period
# `RETENTION_REALTIME_DAYS`, audited), not here: one period, one purge, one audit row.
