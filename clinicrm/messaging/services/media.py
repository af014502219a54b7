"""Inbound and outbound media: private storage under <tenant>/<yyyy>/<mm>/, limits, retries.

A failed download leaves `media_status=failed` on the message (the timeline shows a placeholder
with a retry button) and never blocks the thread: the message row exists before any download.
"""

import logging
import mimetypes
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide
from clinicrm.messaging.models import MediaStatus, Message
from clinicrm.messaging.providers import MediaFetchError, provider_for
from clinicrm.messaging.services.realtime import KIND_MEDIA, realtime_event_emit

logger = logging.getLogger(__name__)

MAX_MEDIA_BYTES = 16 * 1024 * 1024  # WhatsApp's limit per message
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def media_check(*, size: int, mime: str) -> None:
    """Raise ApplicationError (pt-BR) when a file is over the size limit of its (decided) type."""
    limit = MAX_IMAGE_BYTES if mime.startswith("image/") else MAX_MEDIA_BYTES
    if size > limit:
        raise ApplicationError(
            f"Arquivo grande demais (máximo {limit // (1024 * 1024)} MB).", field="media"
        )


def media_save(*, tenant: Tenant, content: bytes, mime: str) -> str:
    """Write bytes to private storage; returns the path `<tenant>/<yyyy>/<mm>/<uuid>.<ext>`.

    The extension follows the decided type, never the sender's file name.
    """
    ext = mimetypes.guess_extension(mime) or ".bin"
    now = timezone.now()
    path = f"{tenant.pk}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{ext}"
    return default_storage.save(path, ContentFile(content))


def _store(*, message: Message, content: bytes, filename: str) -> None:
    filename = (filename or message.media_filename)[:255]
    # The type comes from the bytes and the message kind (mediatypes.py), whatever the sender or
    # the provider's download said.
    mime = media_mime_decide(kind=message.kind, head=content[:SNIFF_BYTES], filename=filename)
    media_check(size=len(content), mime=mime)
    path = media_save(tenant=message.tenant, content=content, mime=mime)
    Message.objects.filter(pk=message.pk).update(
        media_status=MediaStatus.STORED,
        media_path=path,
        media_mime=mime,
        media_size=len(content),
        media_filename=filename,
        updated_at=timezone.now(),
    )


def _media_failed(*, message: Message, code: str) -> None:
    Message.objects.filter(pk=message.pk).exclude(media_status=MediaStatus.STORED).update(
        media_status=MediaStatus.FAILED, updated_at=timezone.now()
    )
    logger.warning("media of message %s not stored (%s)", message.pk, code)


def message_media_accept(*, message: Message, inline: bytes | None) -> None:
    """Called by ingest: store bytes that came in the delivery, else enqueue the download."""
    if inline is not None:
        try:
            _store(message=message, content=inline, filename="")
        except ApplicationError:
            _media_failed(message=message, code="limits")
        return
    from clinicrm.messaging.tasks import message_media_fetch_task

    # Enqueued in the ingest transaction: the task row commits with the message.
    message_media_fetch_task.enqueue(message_id=message.pk)


def message_media_fetch(*, message_id: int) -> str:
    """Download a message's media through its channel's adapter; returns the media status."""
    message = Message.objects.select_related("channel", "tenant").filter(pk=message_id).first()
    if message is None:
        return "missing"
    if message.media_status == MediaStatus.STORED:
        return str(message.media_status)
    try:
        fetched = provider_for(message.channel).fetch_media(ref=message.media_ref)
        with transaction.atomic():
            _store(message=message, content=fetched.content, filename=fetched.filename)
            _emit(message)
        return MediaStatus.STORED
    except (MediaFetchError, ApplicationError) as exc:
        code = getattr(exc, "code", "limits")
        with transaction.atomic():
            _media_failed(message=message, code=str(code))
            _emit(message)
        return MediaStatus.FAILED


def message_media_retry(*, tenant: Tenant, message: Message) -> None:
    """Put a failed download back in the queue (the timeline's retry button)."""
    if message.tenant_id != tenant.pk or message.media_status != MediaStatus.FAILED:
        raise ApplicationError("Esta mídia não pode ser baixada novamente.")
    from clinicrm.messaging.tasks import message_media_fetch_task

    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            media_status=MediaStatus.PENDING, updated_at=timezone.now()
        )
        message_media_fetch_task.enqueue(message_id=message.pk)


def _emit(message: Message) -> None:
    from clinicrm.messaging.services.status import _thread_id

    realtime_event_emit(
        tenant=message.tenant,
        kind=KIND_MEDIA,
        payload={"thread": _thread_id(message), "message": message.pk},
    )
