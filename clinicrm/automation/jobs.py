"""Periodic jobs of automation (found by the scheduler's autodiscovery)."""

import datetime as dt

from clinicrm.automation.tasks import (
    reminders_enqueue_due_task,
    reminders_preflight_notify_task,
    reminders_requeue_stale_task,
)
from clinicrm.core.scheduler import job_register

# Session reminders: each run claims what entered its window since the last one (a reminder
# goes at most 5 minutes after its appointment enters the window, and exactly once).
job_register(
    name="automation.reminders_enqueue_due",
    interval=dt.timedelta(minutes=5),
    task=reminders_enqueue_due_task,
)
job_register(
    name="automation.reminders_requeue_stale",
    interval=dt.timedelta(minutes=10),
    task=reminders_requeue_stale_task,
)
# Slots are aligned on UTC midnight: 21:00 in São Paulo, the evening before.
job_register(
    name="automation.reminders_preflight",
    interval=dt.timedelta(days=1),
    task=reminders_preflight_notify_task,
)
