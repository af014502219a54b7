"""Periodic tasks of automation (thin: the services do the work). The send batches a job
enqueues live beside their service (`services.reminders.reminders_send_batch_task`)."""

from django.tasks import task

from clinicrm.automation.services.preflight import reminders_preflight_notify
from clinicrm.automation.services.reminders import reminders_enqueue_due, reminders_requeue_stale


@task(queue_name="default")
def reminders_enqueue_due_task() -> int:
    return reminders_enqueue_due()


@task(queue_name="default")
def reminders_requeue_stale_task() -> int:
    return reminders_requeue_stale()


@task(queue_name="default")
def reminders_preflight_notify_task() -> int:
    return reminders_preflight_notify()
