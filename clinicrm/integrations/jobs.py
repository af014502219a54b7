"""Periodic jobs of the integrations app (found by the scheduler's autodiscovery)."""

import datetime as dt

from clinicrm.core.scheduler import job_register
from clinicrm.integrations.services_drain import inbound_events_retry_due_task

# A webhook delivery still pending after this long lost its task (dead worker): enqueue it again.
# Processing locks the event row and skips processed ones, so a second enqueue is harmless.
job_register(
    name="integrations.retry_pending_events",
    interval=dt.timedelta(minutes=5),
    task=inbound_events_retry_due_task,
    kwargs={"older_than_seconds": 10 * 60},
)
