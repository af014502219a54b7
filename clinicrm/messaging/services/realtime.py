"""Realtime events: small per-tenant rows the SSE endpoint streams to members' browsers.

Payloads carry ids, statuses and counts only (never message text or phone numbers). On
PostgreSQL each insert also sends `NOTIFY realtime_<tenant hex>` after commit so a LISTEN-based
stream can wake up at once; the polling stream works everywhere without it.
"""

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import RealtimeEvent

logger = logging.getLogger(__name__)

KIND_MESSAGE = "message"
KIND_STATUS = "status"
KIND_THREAD = "thread"
KIND_MEDIA = "media"
KIND_CHANNEL = "channel"


def realtime_channel_name(tenant_id: Any) -> str:
    return f"realtime_{str(tenant_id).replace('-', '')}"


def realtime_event_emit(*, tenant: Tenant, kind: str, payload: dict[str, Any]) -> RealtimeEvent:
    """Record one event in the caller's transaction (it becomes visible when that commits)."""
    event = RealtimeEvent.objects.create(tenant=tenant, kind=kind, payload=payload)
    if connection.vendor == "postgresql":
        name = realtime_channel_name(tenant.pk)
        event_id = event.pk

        def _notify() -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_notify(%s, %s)", [name, str(event_id)])
            except Exception:  # a lost wake-up only delays the poll fallback
                logger.warning("pg_notify failed for realtime event %s", event_id)

        transaction.on_commit(_notify)
    return event


def realtime_events_prune(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Delete old events (reconnecting browsers only replay recent history)."""
    deleted, _ = RealtimeEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
