"""Writes of the integrations app: store an inbound event once, then process it once.

`inbound_event_store` is the only way a webhook delivery enters the system; the UNIQUE
(provider, event_id) constraint makes resends no-ops. `inbound_event_process` runs a stored
event through its provider's handler inside one transaction with the row locked, so the
handler's effects and the event's new status commit together: a second run sees the final
status and does nothing. Failures roll the handler's effects back and schedule a retry with
backoff until `MAX_ATTEMPTS`.
"""

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.integrations.models import InboundEvent, InboundEventStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Seconds before retry n (1-based): quick first, then backing off.
BACKOFF_SECONDS = (10, 60, 300, 900, 3600)

# Header names containing one of these never reach the database.
_SECRET_HEADER_MARKERS = ("token", "auth", "signature", "secret", "key", "cookie", "password")

Handler = Callable[..., None]


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


def inbound_event_store(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    body: bytes,
    headers: Mapping[str, str],
    tenant: Tenant | None = None,
    channel_key: str | None = None,
) -> tuple[InboundEvent, bool]:
    """Store a delivery once. Returns (event, created); a duplicate returns the first row."""
    existing = InboundEvent.objects.filter(provider=provider, event_id=event_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                provider=provider,
                event_id=event_id,
                event_type=event_type[:100],
                body=bytes(body),
                headers=safe_headers(headers),
                tenant=tenant,
                channel_key=channel_key,
            )
    except IntegrityError:
        # A concurrent delivery of the same event won the race.
        return InboundEvent.objects.get(provider=provider, event_id=event_id), False
    return event, True


def _handlers_for(provider: str) -> Mapping[str, Handler]:
    module = importlib.import_module(f"clinicrm.integrations.{provider}.handlers")
    handlers: Mapping[str, Handler] = module.HANDLERS
    return handlers


def _error_text(exc: BaseException) -> str:
    # Exception class and, for our own errors, their message (ids only, never personal data).
    return type(exc).__name__[:200]


def inbound_event_process(*, event_id: int) -> str:
    """Process the stored event with primary key `event_id`; returns its final status."""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.select_for_update().get(pk=event_id)
            if event.status in (InboundEventStatus.PROCESSED, InboundEventStatus.IGNORED):
                return str(event.status)
            if event.status == InboundEventStatus.FAILED and event.attempts >= MAX_ATTEMPTS:
                return str(event.status)
            handler = _handlers_for(event.provider).get(event.event_type)
            event.attempts += 1
            event.processed_at = timezone.now()
            if handler is None:
                event.status = InboundEventStatus.IGNORED
                event.last_error = "unhandled event type"
            else:
                try:
                    with transaction.atomic():
                        handler(event=event)
                    event.status = InboundEventStatus.PROCESSED
                    event.last_error = ""
                except EventIgnored as ignored:
                    event.status = InboundEventStatus.IGNORED
                    event.last_error = ignored.reason[:500]
            event.save(update_fields=["status", "attempts", "processed_at", "last_error", "tenant"])
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


def inbound_event_enqueue(*, event: InboundEvent, delay: dt.timedelta | None = None) -> Any:
    """Enqueue processing in the caller's transaction (the task row commits with the event)."""
    from clinicrm.integrations.tasks import inbound_event_process_task

    task = inbound_event_process_task
    if delay is not None and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + delay)
    return task.enqueue(event_id=event.pk)


def inbound_events_retry_due(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Re-enqueue pending events left behind (lost task, immediate backend): the reaper."""
    cutoff = timezone.now() - older_than
    count = 0
    for event in InboundEvent.objects.filter(
        status=InboundEventStatus.PENDING, received_at__lt=cutoff
    ).only("pk")[:500]:
        inbound_event_enqueue(event=event)
        count += 1
    return count
