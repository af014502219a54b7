"""Writes of the integrations app: store an inbound event once, then process it once.

`inbound_event_insert` is the only way a webhook delivery enters the system (through
`services_drain.inbound_event_receive`); the UNIQUE (provider, event_id) constraint makes
resends no-ops. `inbound_event_process` runs a stored
event through its provider's handler inside one transaction with the row locked, so the
handler's effects and the event's new status commit together: a second run sees the final
status and does nothing. Failures roll the handler's effects back and schedule a retry with
backoff until `MAX_ATTEMPTS`.
"""

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from clinicrm.core.log_context import log_tenant_set
from clinicrm.integrations.models import InboundEvent, InboundEventStatus
from clinicrm.integrations.registry import provider_handlers
from clinicrm.messaging.hooks import InboundMemo
from clinicrm.messaging.models import Channel

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Seconds before retry n (1-based): quick first, then backing off.
BACKOFF_SECONDS = (10, 60, 300, 900, 3600)

# Header names containing one of these never reach the database.
_SECRET_HEADER_MARKERS = ("token", "auth", "signature", "secret", "key", "cookie", "password")


class EventIgnored(Exception):
    """Raised by a handler when the event is valid but has nothing to act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Keep only non-secret headers, names lower-cased."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        low = name.lower()
        if any(marker in low for marker in _SECRET_HEADER_MARKERS):
            continue
        out[low] = str(value)[:500]
    return out


_INSERT_FIELDS = (
    "provider",
    "event_id",
    "event_type",
    "tenant",
    "channel_key",
    "headers",
    "body",
    "reference",
    "received_at",
    "status",
    "attempts",
    "last_error",
)


def _concrete(name: str) -> Any:
    return InboundEvent._meta.get_field(name)


def _insert_sql() -> str:
    """`INSERT .. ON CONFLICT (provider, event_id) DO NOTHING RETURNING id` (PostgreSQL and
    SQLite >= 3.35): one round trip, no dedup SELECT, no savepoint."""
    meta = InboundEvent._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_concrete(name).column) for name in _INSERT_FIELDS)
    marks = ", ".join(["%s"] * len(_INSERT_FIELDS))
    # Built from model metadata only; every value is a parameter.
    return (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        f" ON CONFLICT ({qn('provider')}, {qn('event_id')}) DO NOTHING RETURNING {qn('id')}"
    )


def inbound_event_values(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    body: bytes,
    headers: Mapping[str, str],
    tenant_id: Any = None,
    channel_key: str | None = None,
    reference: str = "",
) -> tuple[dict[str, Any], list[Any]]:
    """The new row's field values, and the same adapted for the database (in `_INSERT_FIELDS`
    order)."""
    values: dict[str, Any] = {
        "provider": provider,
        "event_id": event_id,
        "event_type": event_type[:100],
        "tenant": tenant_id,
        "channel_key": channel_key,
        "headers": safe_headers(headers),
        "body": bytes(body),
        "reference": reference[:40],
        "received_at": timezone.now(),
        "status": InboundEventStatus.PENDING.value,
        "attempts": 0,
        "last_error": "",
    }
    params = [_concrete(name).get_db_prep_save(values[name], connection) for name in _INSERT_FIELDS]
    return values, params


_LOCKED_SUFFIX = (
    ") SELECT ins.id FROM ins CROSS JOIN (SELECT pg_advisory_xact_lock_shared(%s, %s)) AS l"
)


def inbound_event_insert(
    *,
    params: list[Any],
    lock_args: Sequence[int] = (),
) -> int | None:
    """Insert once; returns the new id, or None for a duplicate.

    `lock_args` (PostgreSQL): also take `pg_advisory_xact_lock_shared(*lock_args)` in the same
    statement, only when a row was inserted.
    """
    sql = _insert_sql()
    args = list(params)
    if lock_args and connection.vendor == "postgresql":
        # sql is built from model metadata only; every value is a parameter.
        sql = "".join(("WITH ins AS (", sql, _LOCKED_SUFFIX))
        args.extend(lock_args)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def stream_channel(*, provider: str, channel_key: str | None) -> Channel | None:
    """The messaging channel of a stream (`channel_key` = its pk, set by the webhook), read
    with its tenant; None for a provider's own stream (Asaas) or a channel that is gone. A
    drain reads it once per group, in the group's transaction, and hands it to each handler."""
    key = channel_key or ""
    if not key.isdigit():
        return None
    return Channel.objects.select_related("tenant").filter(pk=key, provider=provider).first()


def event_channel(*, event: InboundEvent, provider: str, channel: Channel | None = None) -> Channel:
    """The channel a stored event belongs to: `channel` when the drain passed the stream's
    (checked against the event), else read; `EventIgnored` when it is gone. Sets
    `event.tenant`."""
    if channel is None or channel.provider != provider or str(channel.pk) != event.channel_key:
        channel = stream_channel(provider=provider, channel_key=event.channel_key)
    if channel is None:
        raise EventIgnored("channel not found")
    event.tenant = channel.tenant
    return channel


def raw_event(event: InboundEvent) -> dict[str, Any]:
    """What a provider adapter parses of a stored event: raw body, event type, arrival time."""
    return {
        "body": event.body_bytes,
        "event_type": event.event_type,
        "received_at": event.received_at,
    }


def _error_text(exc: BaseException) -> str:
    # Exception class and, for our own errors, their message (ids only, never personal data).
    return type(exc).__name__[:200]


# What `inbound_event_apply` changes on the event row.
EVENT_RESULT_FIELDS = ("status", "attempts", "processed_at", "last_error", "tenant")


def inbound_event_apply(
    *, event: InboundEvent, channel: Channel | None = None, memo: InboundMemo | None = None
) -> None:
    """Run the locked, still-to-process `event` through its handler in the caller's
    transaction and set its result fields (`EVENT_RESULT_FIELDS`) without saving them. Errors
    other than `EventIgnored` propagate: the caller rolls back and records the failure.
    `channel`: the event's stream channel (`stream_channel`), passed on to the handler with
    `memo` (the group's `InboundMemo`)."""
    log_tenant_set(event.tenant_id)  # this event's lines name its clinic (drains mix none)
    handler = provider_handlers(event.provider).get(event.event_type)
    event.attempts += 1
    event.processed_at = timezone.now()
    if handler is None:
        event.status = InboundEventStatus.IGNORED
        event.last_error = "unhandled event type"
        return
    try:
        # A handler may write and then raise EventIgnored: its savepoint undoes those writes.
        with transaction.atomic():
            if channel is not None:
                handler(event=event, channel=channel, memo=memo)
            else:
                handler(event=event)
        event.status = InboundEventStatus.PROCESSED
        event.last_error = ""
    except EventIgnored as ignored:
        event.status = InboundEventStatus.IGNORED
        event.last_error = ignored.reason[:500]


def inbound_event_process(*, event_id: int, skip_locked: bool = False) -> str:
    """Process the stored event with primary key `event_id`; returns its final status.

    `skip_locked` (drains): an event another worker is processing right now is left to it
    ("locked") instead of waiting for its lock.
    """
    try:
        with transaction.atomic():
            if skip_locked and connection.features.has_select_for_update_skip_locked:
                found = InboundEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id)
                event = found.first()
                if event is None:
                    return (
                        "locked"
                        if InboundEvent.objects.filter(pk=event_id).exists()
                        else ("missing")
                    )
            else:
                event = InboundEvent.objects.select_for_update().get(pk=event_id)
            if event.status in (InboundEventStatus.PROCESSED, InboundEventStatus.IGNORED):
                return str(event.status)
            if event.status == InboundEventStatus.FAILED and event.attempts >= MAX_ATTEMPTS:
                return str(event.status)
            inbound_event_apply(
                event=event,
                channel=stream_channel(provider=event.provider, channel_key=event.channel_key),
            )
            event.save(update_fields=list(EVENT_RESULT_FIELDS))
            return str(event.status)
    except InboundEvent.DoesNotExist:
        return "missing"
    except Exception as exc:
        logger.exception("inbound event %s failed", event_id)
        return _record_failure(event_id=event_id, exc=exc)


def _record_failure(*, event_id: int, exc: BaseException) -> str:
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_id)
        event.attempts += 1
        event.last_error = _error_text(exc)
        if event.attempts >= MAX_ATTEMPTS:
            event.status = InboundEventStatus.FAILED
        event.save(update_fields=["status", "attempts", "last_error"])
        if event.status == InboundEventStatus.PENDING:
            delay = BACKOFF_SECONDS[min(event.attempts, len(BACKOFF_SECONDS)) - 1]
            inbound_event_enqueue(event=event, delay=dt.timedelta(seconds=delay))
        return str(event.status)


@task(queue_name="webhooks")
def inbound_event_process_task(*, event_id: int) -> str:
    """One event on its own: the retry of an event that failed in its drain (with backoff)."""
    return inbound_event_process(event_id=event_id)


def inbound_event_enqueue(*, event: InboundEvent, delay: dt.timedelta | None = None) -> Any:
    """Enqueue processing in the caller's transaction (the task row commits with the event)."""
    task_ = inbound_event_process_task
    if delay is not None and task_.get_backend().supports_defer:
        task_ = task_.using(run_after=timezone.now() + delay)
    return task_.enqueue(event_id=event.pk)
