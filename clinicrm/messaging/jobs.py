"""Periodic jobs of messaging (found by the scheduler's autodiscovery)."""

import datetime as dt

from clinicrm.core.scheduler import job_register
from clinicrm.messaging.tasks import message_reconcile_task, realtime_events_prune_task

# Settles sends whose outcome was unclear (timeouts, a worker killed mid-send) and fetches the
# status of accepted messages whose callbacks were lost, on the provider's evidence only
# (services/reconcile.py).
job_register(
    name="messaging.reconcile_sends",
    interval=dt.timedelta(minutes=1),
    task=message_reconcile_task,
)
# Browsers replay at most a few minutes of history through Last-Event-ID; keep two days.
job_register(
    name="messaging.prune_realtime_events",
    interval=dt.timedelta(hours=6),
    task=realtime_events_prune_task,
    kwargs={"keep_hours": 48},
)
