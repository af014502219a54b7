"""Realtime events: small per-tenant rows the SSE endpoint streams to members' browsers.

Payloads carry ids, statuses and counts only (never message text or phone numbers). On
PostgreSQL each insert also sends `NOTIFY realtime, '<tenant hex>:<event id>'` after commit: one
channel for every tenant, so each ASGI process needs a single LISTEN (`messaging/listen.py`) that
wakes its streams at once; the polling stream works everywhere without it.
"""

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.messaging.listen import REALTIME_CHANNEL, notify_payload
from clinicrm.messaging.models import RealtimeEvent

logger = logging.getLogger(__name__)

KIND_MESSAGE = "message"
KIND_STATUS = "status"
KIND_THREAD = "thread"
KIND_MEDIA = "media"
KIND_CHANNEL = "channel"


def realtime_event_emit(*, tenant: Tenant, kind: str, payload: dict[str, Any]) -> RealtimeEvent:
    """Record one event in the caller's transaction (it becomes visible when that commits)."""
    event = RealtimeEvent.objects.create(tenant=tenant, kind=kind, payload=payload)
    if connection.vendor == "postgresql":
        payload_text = notify_payload(tenant_id=tenant.pk, event_id=event.pk)
        event_id = event.pk

        def _notify() -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_notify(%s, %s)", [REALTIME_CHANNEL, payload_text])
            except Exception:  # a lost wake-up only delays the poll fallback
                logger.warning("pg_notify failed for realtime event %s", event_id)

        transaction.on_commit(_notify)
    return event


def realtime_events_prune(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Delete old events (reconnecting browsers only replay recent history)."""
    deleted, _ = RealtimeEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
