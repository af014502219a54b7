"""Inbound and outbound media: private storage under <tenant>/<yyyy>/<mm>/, limits, retries.

A download that fails for a transient reason (timeout, 5xx, connection error: the adapter's
`MediaFetchError.retryable`) is retried by the task with backoff, `MEDIA_FETCH_ATTEMPTS` attempts
over ~10 minutes, while the timeline shows "Baixando". After that, or at once for a permanent
error, the message gets `media_status=failed`, the error code and a pt-BR reason (the timeline
shows them in a placeholder with a retry button); it never blocks the thread: the message row
exists before any download.
"""

import datetime as dt
import logging
import mimetypes
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.tasks_utils import retrying
from clinicrm.messaging.errors import ErrorCode, media_error_friendly
from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide
from clinicrm.messaging.models import MediaStatus, Message
from clinicrm.messaging.providers import MediaFetchError, provider_for
from clinicrm.messaging.services.realtime import KIND_MEDIA, realtime_event_emit
from clinicrm.messaging.services.status import _thread_id

logger = logging.getLogger(__name__)

MAX_MEDIA_BYTES = 16 * 1024 * 1024  # WhatsApp's limit per message
# Attempts at 0, +200 s and +600 s (task_backoff_delay doubles the base each time).
MEDIA_FETCH_ATTEMPTS = 3
MEDIA_FETCH_BASE_DELAY = dt.timedelta(seconds=200)
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
    """The placeholder with "Tentar novamente", and why (code + pt-BR reason on the message)."""
    Message.objects.filter(pk=message.pk).exclude(media_status=MediaStatus.STORED).update(
        media_status=MediaStatus.FAILED,
        error_code=code[:40],
        error_message=media_error_friendly(code)[:300],
        updated_at=timezone.now(),
    )
    logger.warning("media of message %s not stored (%s)", message.pk, code)


def message_media_accept(*, message: Message, inline: bytes | None) -> None:
    """Called by ingest: store bytes that came in the delivery, else enqueue the download."""
    if inline is not None:
        try:
            _store(message=message, content=inline, filename="")
        except ApplicationError:
            _media_failed(message=message, code=ErrorCode.MEDIA_TOO_LARGE)
        return
    # Enqueued in the ingest transaction: the task row commits with the message.
    message_media_fetch_task.enqueue(message_id=message.pk)


def message_media_fetch(*, message_id: int, retry_transient: bool = False) -> str:
    """Download a message's media through its channel's adapter; returns the media status.

    With `retry_transient` (an attempt that is not the task's last), a transient failure
    (timeout, 5xx, connection error) raises MediaFetchError and leaves the download pending: the
    task's retry helper schedules the next attempt. Any other failure marks it failed.
    """
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
    except MediaFetchError as exc:
        if retry_transient and exc.retryable:
            logger.info("media of message %s: transient failure (%s)", message.pk, exc.code)
            raise
        code = str(exc.code)
    except ApplicationError:
        code = ErrorCode.MEDIA_TOO_LARGE
    with transaction.atomic():
        _media_failed(message=message, code=code)
        _emit(message)
    return MediaStatus.FAILED


def message_media_retry(*, tenant: Tenant, message: Message) -> None:
    """Put a failed download back in the queue (the timeline's retry button)."""
    if message.tenant_id != tenant.pk or message.media_status != MediaStatus.FAILED:
        raise ApplicationError("Esta mídia não pode ser baixada novamente.")
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            media_status=MediaStatus.PENDING,
            error_code="",
            error_message="",
            updated_at=timezone.now(),
        )
        # One attempt: the member is watching, and sees the reason at once if it fails again.
        message_media_fetch_task.enqueue(message_id=message.pk, retry=False)


def _emit(message: Message) -> None:
    realtime_event_emit(
        tenant=message.tenant,
        kind=KIND_MEDIA,
        payload={"thread": _thread_id(message), "message": message.pk},
    )


@task(queue_name="default")
@retrying(
    retry_on=(MediaFetchError,),
    max_attempts=MEDIA_FETCH_ATTEMPTS,
    base_delay=MEDIA_FETCH_BASE_DELAY,
)
def message_media_fetch_task(*, message_id: int, retry: bool = True, _attempt: int = 1) -> str:
    # Transient failures raise (and are retried) until the last attempt, which records them.
    last = not retry or _attempt >= MEDIA_FETCH_ATTEMPTS
    return message_media_fetch(message_id=message_id, retry_transient=not last)
