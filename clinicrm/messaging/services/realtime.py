"""Realtime events: small per-tenant rows the SSE endpoint streams to members' browsers.

Payloads carry ids, statuses and counts only (never message text or phone numbers). On
PostgreSQL each insert also sends the whole event as `NOTIFY realtime, '{"t":..,"k":..,"p":..,
"i":..}'` in the same statement (delivered at commit): one channel for every tenant, so each
ASGI process needs a single LISTEN (`messaging/hub.py`) that feeds its streams from memory.
"""

import datetime as dt
from typing import Any

from django.db import connection

from clinicrm.core.models import Tenant
from clinicrm.messaging.hub import REALTIME_CHANNEL, notify_message
from clinicrm.messaging.models import RealtimeEvent
from clinicrm.messaging.sql import row_insert

KIND_MESSAGE = "message"
KIND_STATUS = "status"
KIND_THREAD = "thread"
KIND_MEDIA = "media"
KIND_CHANNEL = "channel"


# NOTIFY is transactional: queued by this statement, delivered at COMMIT (after the row is
# visible), dropped on rollback. Folding it into the INSERT saves the separate round trip an
# on_commit hook used to cost. The text is built here (`hub.notify_message`) but for the id.
_NOTIFY_PREFIX = "WITH ins AS ("
_NOTIFY_SUFFIX = ") SELECT ins.id, pg_notify(%s, %s::text || ins.id::text || '}') FROM ins"


def realtime_event_emit(*, tenant: Tenant, kind: str, payload: dict[str, Any]) -> RealtimeEvent:
    """Record one event in the caller's transaction (it becomes visible, and on PostgreSQL
    its NOTIFY is delivered, when that commits)."""
    event = RealtimeEvent(tenant=tenant, kind=kind, payload=payload)
    if connection.vendor == "postgresql":
        row_insert(
            event,
            conflict=None,
            prefix=_NOTIFY_PREFIX,
            suffix=_NOTIFY_SUFFIX,
            params=[
                REALTIME_CHANNEL,
                notify_message(tenant_id=tenant.pk, kind=kind, payload=payload)[0],
            ],
        )
    else:
        event.save()
    return event


def realtime_events_prune(*, cutoff: dt.datetime) -> int:
    """Delete every clinic's events created before `cutoff`; returns how many. Only the
    retention job calls it (`compliance/retention.py`: the period is
    `RETENTION_REALTIME_DAYS`, and the purge is audited)."""
    deleted, _ = RealtimeEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
