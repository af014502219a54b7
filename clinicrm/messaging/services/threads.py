"""Keeping the `conversation_threads` cache row right, in the same transaction as each message.

Every update is a conditional UPDATE (F expressions, timestamp guards) so concurrent ingests of
one thread neither lose unread increments nor move `last_message_at` backwards when deliveries
arrive out of order.
"""

from django.db import connection
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.core.search import search_text_of
from clinicrm.messaging.models import Direction, Message, MessageKind, Thread
from clinicrm.messaging.sql import THREAD_RECORD_SQL, THREAD_UPSERT_ACTION, row_insert

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
    # The latest address the provider used is the one sends must use (docs/providers/evolution.md
    # §6).
    if contact_raw_id and thread.contact_raw_id != contact_raw_id:
        changes["contact_raw_id"] = contact_raw_id
    if contact_lid and thread.contact_lid != contact_lid:
        changes["contact_lid"] = contact_lid
    if contact_name and not thread.contact_name:
        changes["contact_name"] = contact_name[:200]
    if "contact_name" in changes:
        changes["search_text"] = search_text_of(changes["contact_name"], thread.thread_key)
    if changes:
        Thread.objects.filter(pk=thread.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(thread, name, value)
    return thread


def thread_upsert(
    *,
    tenant: Tenant,
    thread_key: str,
    contact_raw_id: str = "",
    contact_lid: str = "",
    contact_name: str = "",
) -> int:
    """`thread_get_or_create` for the ingest path, in one statement; returns the thread id.

    No SELECT and no savepoint: `INSERT .. ON CONFLICT (tenant, thread_key) DO UPDATE` also
    settles a race with a concurrent first message of the same contact.
    """
    thread = Thread(
        tenant=tenant,
        thread_key=thread_key,
        contact_raw_id=contact_raw_id,
        contact_lid=contact_lid,
        contact_name=contact_name[:200],
    )
    row = row_insert(thread, conflict="(tenant_id, thread_key)", action=THREAD_UPSERT_ACTION)
    assert row is not None  # DO UPDATE always returns the row
    return int(row[0])


def thread_record_message(
    *,
    message: Message,
    count_unread: bool,
    thread: Thread | None = None,
    thread_id: int | None = None,
) -> int | None:
    """Fold `message` into its thread row (last message, unread, 24-hour window); returns the
    thread's unread count.

    One UPDATE (it used to be three, plus a SELECT of the count): every SET expression sees the
    row as it was, so the guards are the same as before: the last message only moves forward in
    provider time, the inbound window only forward, the unread increment is atomic.
    """
    field = Thread._meta.get_field("last_message_at")
    ts = field.get_db_prep_value(message.provider_timestamp, connection)
    now = field.get_db_prep_value(timezone.now(), connection)
    inbound = message.direction == Direction.INBOUND
    params = [
        ts,
        message_preview(message),
        ts,
        message.direction,
        ts,
        message.pk,
        ts,
        now,
        ts,
        ts,
        inbound,
        ts,
        ts,
        1 if inbound and count_unread else 0,
        thread_id if thread is None else thread.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(THREAD_RECORD_SQL, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def thread_mark_read(*, thread: Thread) -> bool:
    """Reset the unread counter; returns whether anything changed."""
    return bool(
        Thread.objects.filter(pk=thread.pk, unread_count__gt=0).update(
            unread_count=0, updated_at=timezone.now()
        )
    )
