"""Background tasks of messaging (thin: the services do the work)."""

import datetime as dt

from django.tasks import task

from clinicrm.messaging.services.media import message_media_fetch
from clinicrm.messaging.services.outbox import message_reconcile, message_send_perform
from clinicrm.messaging.services.realtime import realtime_events_prune


@task(queue_name="sends")
def message_send_task(*, message_id: int) -> str:
    return message_send_perform(message_id=message_id)


@task(queue_name="default")
def message_media_fetch_task(*, message_id: int) -> str:
    return message_media_fetch(message_id=message_id)


@task(queue_name="default")
def message_reconcile_task() -> dict[str, int]:
    return message_reconcile()


@task(queue_name="default")
def realtime_events_prune_task(*, keep_hours: int) -> int:
    return realtime_events_prune(older_than=dt.timedelta(hours=keep_hours))
