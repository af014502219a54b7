"""Background tasks of messaging (thin: the services do the work)."""

import datetime as dt

from django.tasks import task

from clinicrm.core.tasks_utils import retrying
from clinicrm.messaging.providers import MediaFetchError
from clinicrm.messaging.services.media import (
    MEDIA_FETCH_ATTEMPTS,
    MEDIA_FETCH_BASE_DELAY,
    message_media_fetch,
)
from clinicrm.messaging.services.realtime import realtime_events_prune
from clinicrm.messaging.services.reconcile import message_reconcile
from clinicrm.messaging.services.sending import message_send_perform


@task(queue_name="sends")
def message_send_task(*, message_id: int) -> str:
    return message_send_perform(message_id=message_id)


@task(queue_name="default")
@retrying(
    retry_on=(MediaFetchError,),
    max_attempts=MEDIA_FETCH_ATTEMPTS,
    base_delay=MEDIA_FETCH_BASE_DELAY,
)
def message_media_fetch_task(*, message_id: int, retry: bool = True, _attempt: int = 1) -> str:
    # Transient failures raise (and are retried) until the last attempt, which records them.
    last = not retry or _attempt >= MEDIA_FETCH_ATTEMPTS
    return message_media_fetch(message_id=message_id, retry_transient=not last)


@task(queue_name="default")
def message_reconcile_task() -> dict[str, int]:
    return message_reconcile()


@task(queue_name="default")
def realtime_events_prune_task(*, keep_hours: int) -> int:
    return realtime_events_prune(older_than=dt.timedelta(hours=keep_hours))
