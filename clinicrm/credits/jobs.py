"""Periodic jobs of the credits app (found by the scheduler's autodiscovery)."""

import datetime as dt

from clinicrm.core.scheduler import job_register
from clinicrm.credits.tasks import credits_ledger_check_task

# Balance == sum of rows per tenant; a difference is reported to the SaaS staff. One pass is a
# single aggregate query, so hourly is cheap and a divergence is seen the same day.
job_register(
    name="credits.ledger_check",
    interval=dt.timedelta(hours=1),
    task=credits_ledger_check_task,
)
