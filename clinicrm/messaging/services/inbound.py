"""Ingest of provider events: messages in both directions and delivery statuses (a channel's
connection state: services/channels/status.py).

Provider webhook handlers (integrations/<provider>/handlers.py) call `channel_event_parse` and
`channel_event_apply` (or the two functions below them) from inside their event's processing
transaction. Everything here is idempotent: a message is unique per (channel,
provider_message_id), statuses only move forward.
"""

import datetime as dt
import logging
from dataclasses import dataclass, replace

from django.db import transaction

from clinicrm.messaging.hooks import InboundMemo, inbound_hooks_run
from clinicrm.messaging.identity import contact_identity
from clinicrm.messaging.models import (
    MESSAGE_TEXT_MAX,
    Channel,
    Direction,
    Evidence,
    MediaStatus,
    Message,
    MessageKind,
    MessageStatus,
    StatusBacklog,
    Thread,
)
from clinicrm.messaging.providers import InboundMessage, SendResult, StatusUpdate, provider_for
from clinicrm.messaging.services.media import message_media_accept
from clinicrm.messaging.services.realtime import KIND_MESSAGE, realtime_event_emit
from clinicrm.messaging.services.sending import message_send_result_apply
from clinicrm.messaging.services.status import (
    message_status_advance,
    status_backlog_apply,
)
from clinicrm.messaging.services.threads import thread_record_message, thread_upsert
from clinicrm.messaging.sql import row_insert

logger = logging.getLogger(__name__)

# Kinds that do not count as unread nor replace the thread's last message.
_SILENT_KINDS = frozenset({MessageKind.REACTION})
# Arbiter index: the partial unique `conversation_messages_provider_id_uniq`.
_MESSAGE_CONFLICT = "(channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL"


@dataclass(frozen=True)
class EventOutcome:
    messages: int = 0
    statuses: int = 0


def _existing(channel: Channel, provider_message_id: str) -> Message | None:
    return Message.objects.filter(channel=channel, provider_message_id=provider_message_id).first()


def message_ingest(
    *, channel: Channel, inbound: InboundMessage, memo: InboundMemo | None = None
) -> Message | None:
    """Store one provider message (idempotent) and fold it into its thread.

    Returns the message (the existing one for a duplicate), or None when the address is not a
    1:1 contact (groups, broadcasts). `from_me` messages (typed on the clinic's phone, or the
    provider's echo of our own send) are stored as outbound.
    """
    identity = contact_identity(inbound.contact_raw_id, inbound.contact_alt_id)
    if identity is None or not inbound.provider_message_id:
        return None
    tenant = channel.tenant
    # No savepoint: nothing below catches an error half-way, so a failure rolls back with the
    # caller's transaction. Insert first (ON CONFLICT DO NOTHING): a duplicate delivery costs one
    # statement plus the lookup, and touches neither the thread nor the realtime feed.
    with transaction.atomic(savepoint=False):
        thread_key = identity.thread_key
        if not identity.has_phone:
            # Only the LID is known: reuse the thread that already saw this LID with a phone.
            known = (
                Thread.objects.filter(tenant=tenant, contact_lid=identity.lid)
                .values_list("thread_key", flat=True)
                .first()
            )
            thread_key = known or thread_key

        direction = Direction.OUTBOUND if inbound.from_me else Direction.INBOUND
        if inbound.from_me:
            status = inbound.status or MessageStatus.SENT
        else:
            status = MessageStatus.DELIVERED
        media = inbound.media
        message = Message(
            tenant=tenant,
            channel=channel,
            thread_key=thread_key,
            contact_raw_id=identity.raw_id or identity.lid,
            direction=direction,
            from_me=inbound.from_me,
            provider_message_id=inbound.provider_message_id,
            kind=inbound.kind,
            body=(inbound.body or "")[:MESSAGE_TEXT_MAX],
            quoted_provider_id=inbound.quoted_provider_id,
            reaction_target_id=inbound.reaction_target_id,
            extra=dict(inbound.extra),
            status=status,
            provider_timestamp=inbound.timestamp,
            media_status=MediaStatus.PENDING if media else MediaStatus.NONE,
            # Decided from the bytes once they are stored (services/media.py), never taken
            # from the sender's claim.
            media_mime="",
            media_filename=(media.filename if media else "")[:255],
            media_size=media.size if media else None,
            media_ref=dict(media.ref) if media else {},
        )
        if row_insert(message, conflict=_MESSAGE_CONFLICT) is None:
            # Already stored (a resend, or a concurrent delivery that won the race).
            existing = _existing(channel, inbound.provider_message_id)
            if existing is not None and inbound.from_me and inbound.status:
                message_status_advance(message=existing, status=inbound.status)
            return existing

        thread_id = thread_upsert(
            tenant=tenant,
            thread_key=thread_key,
            contact_raw_id=identity.raw_id,
            contact_lid=identity.lid,
            contact_name="" if inbound.from_me else inbound.contact_name,
        )

        silent = message.kind in _SILENT_KINDS
        unread = None
        if not silent:
            unread = thread_record_message(
                thread_id=thread_id, message=message, count_unread=direction == Direction.INBOUND
            )
        if inbound.from_me:
            status_backlog_apply(message=message)
        if media is not None:
            message_media_accept(message=message, inline=media.inline)
        if unread is None:
            unread = (
                Thread.objects.filter(pk=thread_id).values_list("unread_count", flat=True).first()
            )
        realtime_event_emit(
            tenant=tenant,
            kind=KIND_MESSAGE,
            payload={
                "thread": thread_id,
                "message": message.pk,
                "direction": direction,
                "kind": message.kind,
                "unread": unread or 0,
                "silent": silent,
            },
        )
        # Opt-out, confirm by reply, auto-reply (registered by automation): in this transaction.
        inbound_hooks_run(channel=channel, message=message, memo=memo)
    return message


def message_status_apply(*, channel: Channel, update: StatusUpdate) -> bool:
    """Apply a delivery status (forward-only). A status naming one of our sends (its reference)
    settles that send's provider id; other unknown provider ids wait in the backlog."""
    if not update.provider_message_id:
        return False
    reference = _reference(update.reference)
    with transaction.atomic():
        message = _existing(channel, update.provider_message_id)
        if message is None and reference is not None:
            message = _referenced_send(channel, reference, update.provider_message_id)
        if message is None:
            StatusBacklog.objects.get_or_create(
                tenant=channel.tenant,
                channel=channel,
                provider_message_id=update.provider_message_id,
                status=update.status,
                defaults={"error_code": (update.error_code or "")[:40], "reference": reference},
            )
            return False
        return message_status_advance(
            message=message,
            status=update.status,
            error_code=update.error_code,
            evidence=Evidence.CALLBACK,
        )


def _reference(value: str) -> int | None:
    """Our message id as the provider echoed it: digits of a 64-bit id, else nothing."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _referenced_send(channel: Channel, reference: int, provider_message_id: str) -> Message | None:
    """The send the provider's status names, once it holds that provider id (positive evidence
    for a send in flight or in doubt); None when it cannot take it."""
    message = Message.objects.filter(
        pk=reference,
        channel=channel,
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        provider_message_id__isnull=True,
    ).first()
    if message is None:
        return None
    result = SendResult.ok(provider_message_id)
    message_send_result_apply(message=message, result=result, evidence=Evidence.CALLBACK)
    message.refresh_from_db()
    return message if message.provider_message_id == provider_message_id else None


@dataclass(frozen=True)
class ParsedEvent:
    """What a stored provider event carries: messages worth storing (1:1 contact, provider id)
    and delivery statuses. Parsing writes nothing, so a handler can decide "ignored" first."""

    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]


def _ingestible(inbound: InboundMessage) -> bool:
    # The same test `message_ingest` starts with (it returns None otherwise).
    if not inbound.provider_message_id:
        return False
    return contact_identity(inbound.contact_raw_id, inbound.contact_alt_id) is not None


def channel_event_parse(
    *, channel: Channel, body: bytes, event_type: str, received_at: dt.datetime | None = None
) -> ParsedEvent:
    """A stored provider delivery (raw body + event type) parsed by the channel's adapter."""
    adapter = provider_for(channel)
    inbound = adapter.parse_inbound(body=body, event_type=event_type, received_at=received_at)
    statuses = adapter.parse_status(body=body, event_type=event_type, received_at=received_at)
    return ParsedEvent(
        messages=tuple(i for i in inbound if _ingestible(i)), statuses=tuple(statuses)
    )


def channel_event_apply(
    *, channel: Channel, parsed: ParsedEvent, reference: str = "", memo: InboundMemo | None = None
) -> EventOutcome:
    """Apply what a parsed delivery carries. `reference`: our message id the delivery's URL
    named (Twilio StatusCallback), which its statuses then belong to. `memo`: the drain
    group's, for the inbound hooks."""
    messages = 0
    statuses = 0
    for inbound in parsed.messages:
        if message_ingest(channel=channel, inbound=inbound, memo=memo) is not None:
            messages += 1
    for update in parsed.statuses:
        if reference and not update.reference:
            update = replace(update, reference=reference)
        message_status_apply(channel=channel, update=update)
        statuses += 1
    return EventOutcome(messages=messages, statuses=statuses)
