"""Background processing of stored webhook deliveries (thin: the service does the work)."""

import datetime as dt

from django.tasks import task

from clinicrm.integrations.services import inbound_event_process, inbound_events_retry_due


@task(queue_name="webhooks")
def inbound_event_process_task(*, event_id: int) -> str:
    return inbound_event_process(event_id=event_id)


@task()
def inbound_events_retry_due_task(*, older_than_seconds: int) -> int:
    return inbound_events_retry_due(older_than=dt.timedelta(seconds=older_than_seconds))


@task(queue_name="webhooks")
def inbound_events_drain_task(*, provider: str, channel_key: str) -> dict[str, int]:
    from clinicrm.integrations.services_drain import inbound_events_drain

    return inbound_events_drain(provider=provider, channel_key=channel_key)
