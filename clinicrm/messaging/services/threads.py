"""Keeping the `conversation_threads` cache row right, in the same transaction as each message.

Every update is a conditional UPDATE (F expressions, timestamp guards) so concurrent ingests of
one thread neither lose unread increments nor move `last_message_at` backwards when deliveries
arrive out of order.
"""

import datetime as dt

from django.db.models import F, Q
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Direction, Message, MessageKind, Thread

PREVIEW_LENGTH = 100

_KIND_PREVIEW = {
    MessageKind.IMAGE: "📷 Foto",
    MessageKind.AUDIO: "🎵 Áudio",
    MessageKind.VOICE: "🎤 Mensagem de voz",
    MessageKind.VIDEO: "🎬 Vídeo",
    MessageKind.DOCUMENT: "Documento",
    MessageKind.LOCATION: "📍 Localização",
    MessageKind.CONTACTS: "👤 Contato",
    MessageKind.TEMPLATE: "📋 Modelo",
    MessageKind.UNSUPPORTED: "Mensagem não suportada",
}


def message_preview(message: Message) -> str:
    label = _KIND_PREVIEW.get(MessageKind(message.kind), "")
    body = " ".join((message.body or "").split())
    text = f"{label}: {body}" if label and body else (label or body)
    if len(text) > PREVIEW_LENGTH:
        text = text[: PREVIEW_LENGTH - 1] + "…"
    return text


def thread_get_or_create(
    *,
    tenant: Tenant,
    thread_key: str,
    contact_raw_id: str = "",
    contact_lid: str = "",
    contact_name: str = "",
) -> Thread:
    thread, created = Thread.objects.get_or_create(
        tenant=tenant,
        thread_key=thread_key,
        defaults={
            "contact_raw_id": contact_raw_id,
            "contact_lid": contact_lid,
            "contact_name": contact_name[:200],
        },
    )
    if created:
        return thread
    changes: dict[str, str] = {}
    # The latest address the provider used is the one sends must use (evolution.md §6).
    if contact_raw_id and thread.contact_raw_id != contact_raw_id:
        changes["contact_raw_id"] = contact_raw_id
    if contact_lid and thread.contact_lid != contact_lid:
        changes["contact_lid"] = contact_lid
    if contact_name and not thread.contact_name:
        changes["contact_name"] = contact_name[:200]
    if changes:
        Thread.objects.filter(pk=thread.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(thread, name, value)
    return thread


def thread_record_message(*, thread: Thread, message: Message, count_unread: bool) -> None:
    """Fold `message` into its thread row (last message, unread, 24-hour window)."""
    ts: dt.datetime = message.provider_timestamp
    now = timezone.now()
    Thread.objects.filter(pk=thread.pk).filter(
        Q(last_message_at__isnull=True) | Q(last_message_at__lte=ts)
    ).update(
        last_message_at=ts,
        last_message_preview=message_preview(message),
        last_direction=message.direction,
        last_message_id=message.pk,
        updated_at=now,
    )
    if message.direction == Direction.INBOUND:
        Thread.objects.filter(pk=thread.pk).filter(
            Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=ts)
        ).update(last_inbound_at=ts)
        if count_unread:
            Thread.objects.filter(pk=thread.pk).update(unread_count=F("unread_count") + 1)


def thread_mark_read(*, thread: Thread) -> bool:
    """Reset the unread counter; returns whether anything changed."""
    return bool(
        Thread.objects.filter(pk=thread.pk, unread_count__gt=0).update(
            unread_count=0, updated_at=timezone.now()
        )
    )
