"""The one processing road of webhooks: one drain task per stream, not one task per event.

Every provider's deliveries take it. A stream is a messaging channel (its events in order), or
a provider's single stream (Asaas: "asaas").

Web side (`inbound_drain_request`, in the webhook's transaction, after the event row is
inserted): read the channel's `InboundDrain.queued` flag; if it is down, raise it and enqueue
`inbound_events_drain_task`. While a drain is queued, deliveries only insert their event.

Worker side (`inbound_events_drain`): lower the flag first, then process the channel's pending
events in id order, `DRAIN_GROUP` events per transaction: one locking SELECT, one UPDATE of
their statuses and one commit per group instead of per event. A crash mid-group leaves the whole
group pending (nothing of it was committed; processing is idempotent and the retry job
re-enqueues drains for stale pending events); an error in one event rolls the group back and
re-runs its events one transaction each, so only the faulty one is recorded as failed. Up to
`DRAIN_LIMIT` events per run, then it asks for a follow-up drain so one busy channel never holds
a worker forever.

The race that matters: a delivery reads "queued" while the drain has already finished its last
scan, so nobody processes it. On PostgreSQL every delivery takes a shared transaction-level
advisory lock on the channel before reading the flag and the drain takes it exclusively to
lower the flag: lowering waits for every in-flight delivery that saw the flag up, so their events
are committed before the drain's first scan; a delivery that starts after sees the flag down and
enqueues a new drain. On SQLite writers are serialised (BEGIN IMMEDIATE), which gives the same
ordering without locks.
"""

import datetime as dt
import logging
import zlib
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from clinicrm.integrations.models import InboundDrain, InboundEvent, InboundEventStatus
from clinicrm.integrations.services import (
    inbound_event_apply,
    inbound_event_enqueue,
    inbound_event_insert,
    inbound_event_process,
    inbound_event_values,
    stream_channel,
)
from clinicrm.messaging.hooks import InboundMemo

logger = logging.getLogger(__name__)

# Events per query of pending ids, and per drain run before handing over to a follow-up drain.
DRAIN_BATCH = 100
DRAIN_LIMIT = 2000
# Events per processing transaction. Small enough that realtime events (delivered at commit)
# reach browsers within a fraction of a second; 1 = one transaction per event.
DRAIN_GROUP = 20
# pg_advisory_xact_lock(classid, objid): classid marks our locks ("ID" = inbound drain).
_ADVISORY_CLASS = 0x4944


def drain_key(*, provider: str, channel_key: str) -> str:
    return f"{provider}:{channel_key}"


def _advisory_args(key: str) -> list[int]:
    return [_ADVISORY_CLASS, zlib.crc32(key.encode()) - 2**31]


def drain_lock_args(*, provider: str, channel_key: str) -> list[int]:
    """Arguments of `pg_advisory_xact_lock_shared(%s, %s)` for the channel: the webhook folds
    the delivery side's lock into its INSERT statement so it costs no round trip."""
    return _advisory_args(drain_key(provider=provider, channel_key=channel_key))


def inbound_drain_request(*, provider: str, channel_key: str, locked: bool = False) -> bool:
    """Make sure a drain of the channel is queued (call in the transaction that stored the
    event). Returns whether this call enqueued it. `locked`: the caller already holds the shared
    advisory lock (taken with the INSERT)."""
    key = drain_key(provider=provider, channel_key=channel_key)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres and not locked:
            cursor.execute(
                "SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared(%s, %s)) AS l",
                _advisory_args(key),
            )
        # A new statement: on PostgreSQL its snapshot is taken after the lock was granted.
        cursor.execute("SELECT queued FROM inbound_drains WHERE key = %s", [key])
        row = cursor.fetchone()
        if row is not None and row[0]:
            return False
        cursor.execute(
            "INSERT INTO inbound_drains (key, queued, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET queued = excluded.queued,"
            " updated_at = excluded.updated_at WHERE NOT inbound_drains.queued RETURNING key",
            [key, True, timezone.now()],
        )
        flipped = cursor.fetchone() is not None
    if flipped:
        inbound_events_drain_task.enqueue(provider=provider, channel_key=channel_key)
    return flipped


def inbound_event_receive(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    body: bytes,
    headers: Mapping[str, str],
    tenant_id: Any,
    channel_key: str,
    reference: str = "",
) -> int | None:
    """Store a delivery once and make sure a drain of its stream will process it, in one
    transaction: INSERT (+ the shared lock, same statement), flag read, COMMIT when a drain is
    already queued. Returns the new event id, or None for a duplicate."""
    _, params = inbound_event_values(
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        body=body,
        headers=headers,
        tenant_id=tenant_id,
        channel_key=channel_key,
        reference=reference,
    )
    with transaction.atomic():
        pk = inbound_event_insert(
            params=params, lock_args=drain_lock_args(provider=provider, channel_key=channel_key)
        )
        if pk is not None:
            inbound_drain_request(provider=provider, channel_key=channel_key, locked=True)
    return pk


def _lower_flag(key: str) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM (SELECT pg_advisory_xact_lock(%s, %s)) AS l", _advisory_args(key)
                )
        InboundDrain.objects.filter(key=key, queued=True).update(
            queued=False, updated_at=timezone.now()
        )


def _pending_ids(*, provider: str, channel_key: str, after: int) -> list[int]:
    # attempts=0: events that failed once wait for their own backoff task instead.
    return list(
        InboundEvent.objects.filter(
            provider=provider,
            channel_key=channel_key,
            status=InboundEventStatus.PENDING,
            attempts=0,
            pk__gt=after,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:DRAIN_BATCH]
    )


def _process_group(ids: list[int]) -> dict[str, int]:
    """Process pending events `ids` (one stream's) in one transaction; returns their statuses'
    counts. Events another worker holds (or already finished) are skipped, like
    `inbound_event_process` does with `skip_locked`."""
    if len(ids) == 1:
        return {inbound_event_process(event_id=ids[0], skip_locked=True): 1}
    found = InboundEvent.objects.filter(
        pk__in=ids, status=InboundEventStatus.PENDING, attempts=0
    ).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        found = found.select_for_update(skip_locked=True)
    else:
        found = found.select_for_update()
    try:
        with transaction.atomic():
            events = list(found)
            # One read of the stream's channel for the group, in its transaction.
            first = events[0] if events else None
            channel = (
                stream_channel(provider=first.provider, channel_key=first.channel_key)
                if first is not None
                else None
            )
            # The hooks' per-tenant reads (auto-reply settings, keywords): once per group.
            memo = InboundMemo()
            for event in events:
                inbound_event_apply(event=event, channel=channel, memo=memo)
            _results_save(events)
    except Exception:
        # Nothing of the group was committed: one transaction per event isolates the failure.
        logger.warning("drain group of %d events failed; processing one by one", len(ids))
        counts: dict[str, int] = {}
        for pk in ids:
            status = inbound_event_process(event_id=pk, skip_locked=True)
            counts[status] = counts.get(status, 0) + 1
        return counts
    counts = {}
    for event in events:
        counts[str(event.status)] = counts.get(str(event.status), 0) + 1
    return counts


def _results_save(events: list[InboundEvent]) -> None:
    """Save the group's result fields (`EVENT_RESULT_FIELDS`): one UPDATE per distinct outcome
    (usually one for the whole group) instead of `bulk_update`'s CASE per row and field, whose
    building cost more CPU than the events' handlers. The group shares one `processed_at`."""
    processed_at = timezone.now()
    outcomes: dict[tuple[Any, ...], list[int]] = {}
    for event in events:
        event.processed_at = processed_at
        key = (event.status, event.attempts, event.last_error, event.tenant_id)
        outcomes.setdefault(key, []).append(event.pk)
    for (status, attempts, last_error, tenant_id), pks in outcomes.items():
        InboundEvent.objects.filter(pk__in=pks).update(
            status=status,
            attempts=attempts,
            last_error=last_error,
            tenant_id=tenant_id,
            processed_at=processed_at,
        )


def inbound_events_drain(
    *, provider: str, channel_key: str, limit: int = DRAIN_LIMIT
) -> dict[str, int]:
    """Process the channel's pending events (see the module docstring). Returns counts."""
    key = drain_key(provider=provider, channel_key=channel_key)
    _lower_flag(key)
    counts: dict[str, int] = {}
    done = 0
    last = 0
    while done < limit:
        ids = _pending_ids(provider=provider, channel_key=channel_key, after=last)
        if not ids:
            return counts
        for start in range(0, len(ids), DRAIN_GROUP):
            for status, n in _process_group(ids[start : start + DRAIN_GROUP]).items():
                counts[status] = counts.get(status, 0) + n
        done += len(ids)
        last = ids[-1]
    # Limit reached with events possibly left: hand over to a fresh drain.
    with transaction.atomic():
        inbound_drain_request(provider=provider, channel_key=channel_key)
    return counts


@task(queue_name="webhooks")
def inbound_events_drain_task(*, provider: str, channel_key: str) -> dict[str, int]:
    return inbound_events_drain(provider=provider, channel_key=channel_key)


def inbound_events_retry_due(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Re-enqueue pending events left behind (lost task, immediate backend): the reaper.

    Streams with never-tried events get a drain task each, which also lowers a flag a lost
    drain left up; events that failed before get their own processing task again.
    """
    cutoff = timezone.now() - older_than
    stale = InboundEvent.objects.filter(status=InboundEventStatus.PENDING, received_at__lt=cutoff)
    count = 0
    channels = (
        stale.filter(attempts=0, channel_key__isnull=False)
        .order_by()
        .values_list("provider", "channel_key")
        .distinct()
    )
    for provider, channel_key in channels[:500]:
        inbound_events_drain_task.enqueue(provider=provider, channel_key=str(channel_key))
        count += 1
    for event in stale.exclude(attempts=0, channel_key__isnull=False).only("pk")[:500]:
        inbound_event_enqueue(event=event)
        count += 1
    return count


@task()
def inbound_events_retry_due_task(*, older_than_seconds: int) -> int:
    return inbound_events_retry_due(older_than=dt.timedelta(seconds=older_than_seconds))
