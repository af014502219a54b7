"""Outbound media from the send box: validate an upload, store it privately, queue the send.

Limits come from a table (`DEFAULT_OUTBOUND_MEDIA`, overridable with the setting
`MESSAGING_OUTBOUND_MEDIA`) built from docs/providers/twilio.md §2.3: WhatsApp images JPG/PNG/WEBP
<= 5 MB, audio OGG/AMR/3GP/AAC/MPEG <= 16 MB, video MP4/3GPP <= 16 MB, documents
PDF/DOC(X)/XLS(X)/PPTX/TXT. WhatsApp itself takes documents up to 100 MB (Evolution sends them), but
a Twilio message is capped at 16 MB, so kinds carry per-provider caps. The type is decided on the
file's name and must be what its bytes are (`mediatypes.py`, the same decision `/midia/` makes when
serving it): the browser's Content-Type is the client's word, and Twilio refuses media whose bytes
don't match the type we serve. Nothing is stored before every check passed, and a refused send (no
channel, window closed, no credits) removes the stored file.
"""

import logging
import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from clinicrm.core.body_limit import FORM_ROOM_BYTES
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide
from clinicrm.messaging.models import Message, MessageKind, Provider
from clinicrm.messaging.providers import OutboundMedia
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services.outbox import message_send

logger = logging.getLogger(__name__)

MB = 1024 * 1024

# kind -> allowed MIME types, extensions, default cap and per-provider caps, and whether the
# provider shows a caption for it (Twilio: WhatsApp ignores Body on audio/video/documents).
DEFAULT_OUTBOUND_MEDIA: dict[str, dict[str, Any]] = {
    "image": {
        "label": "Imagens",
        "types": {
            "image/jpeg": (".jpg", ".jpeg"),
            "image/png": (".png",),
            "image/webp": (".webp",),
        },
        "max_bytes": 5 * MB,
        "caption": ("evolution", "twilio"),
    },
    "audio": {
        "label": "Áudios",
        "types": {
            "audio/ogg": (".ogg", ".oga", ".opus"),
            "audio/mpeg": (".mp3",),
            "audio/mp4": (".m4a",),
            "audio/aac": (".aac",),
            "audio/amr": (".amr",),
        },
        "max_bytes": 16 * MB,
        "caption": (),
    },
    "video": {
        "label": "Vídeos",
        "types": {"video/mp4": (".mp4",), "video/3gpp": (".3gp",)},
        "max_bytes": 16 * MB,
        "caption": ("evolution",),
    },
    "document": {
        "label": "Documentos",
        "types": {
            "application/pdf": (".pdf",),
            "application/msword": (".doc",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
            "application/vnd.ms-excel": (".xls",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
            "text/plain": (".txt",),
        },
        "max_bytes": 100 * MB,
        "provider_max_bytes": {"twilio": 16 * MB},
        "caption": ("evolution",),
    },
}

NOT_ALLOWED_MESSAGE = (
    "Tipo de arquivo não aceito pelo WhatsApp. Envie imagem (JPG, PNG, WEBP), áudio (OGG, MP3, "
    "M4A, AAC, AMR), vídeo (MP4, 3GP) ou documento (PDF, DOC, DOCX, XLS, XLSX, PPTX, TXT)."
)
MISMATCH_MESSAGE = "O conteúdo do arquivo não corresponde à extensão do nome. Confira o arquivo."
EMPTY_MESSAGE = "O arquivo está vazio."
VOICE_NOT_AUDIO_MESSAGE = "Mensagem de voz precisa ser um arquivo de áudio."
NO_CAPTION_MESSAGE = (
    "Este tipo de arquivo é entregue sem legenda pelo WhatsApp. Envie o texto em outra mensagem."
)


@dataclass(frozen=True)
class MediaRule:
    kind: str
    mime: str
    max_bytes: int
    caption: bool


def outbound_media_table() -> dict[str, dict[str, Any]]:
    return getattr(settings, "MESSAGING_OUTBOUND_MEDIA", None) or DEFAULT_OUTBOUND_MEDIA


def media_limits_for(*, provider: str) -> list[tuple[str, str, int]]:
    """(label, extensions, max MB) per kind for the send box's help text."""
    out = []
    for rule in outbound_media_table().values():
        exts = sorted({e for group in rule["types"].values() for e in group})
        cap = (rule.get("provider_max_bytes") or {}).get(provider, rule["max_bytes"])
        out.append((rule["label"], " ".join(e.lstrip(".").upper() for e in exts), cap // MB))
    return out


def upload_body_max() -> int:
    """The largest request body the send box accepts: the largest file any rule allows (for any
    provider) plus room for the form's other fields. Bigger bodies are refused in front of
    Django, before they are spooled (core/body_limit.py)."""
    largest = 0
    for rule in outbound_media_table().values():
        caps = [rule["max_bytes"], *(rule.get("provider_max_bytes") or {}).values()]
        largest = max(largest, *caps)
    return int(largest) + FORM_ROOM_BYTES


def accept_attribute() -> str:
    """The file input's `accept`: extensions and MIME types of the table."""
    items: list[str] = []
    for rule in outbound_media_table().values():
        for mime, exts in rule["types"].items():
            items.extend([*exts, mime])
    return ",".join(items)


def media_rule_for(*, filename: str, provider: str) -> MediaRule:
    """The table row of a file name's extension, or ApplicationError (pt-BR)."""
    ext = ("." + filename.rsplit(".", 1)[1].lower()) if "." in filename else ""
    for kind, rule in outbound_media_table().items():
        for mime, exts in rule["types"].items():
            if ext and ext in exts:
                cap = (rule.get("provider_max_bytes") or {}).get(provider, rule["max_bytes"])
                return MediaRule(kind, mime, int(cap), provider in rule.get("caption", ()))
    raise ApplicationError(NOT_ALLOWED_MESSAGE, field="media")


def _clean_filename(name: str, rule: MediaRule) -> str:
    """The name shown to the patient: no path, no control characters, an extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip().strip(".") or "arquivo"
    if "." not in base:
        base += mimetypes.guess_extension(rule.mime) or ".bin"
    if len(base) > 120:
        stem, ext = base.rsplit(".", 1)
        base = f"{stem[: 119 - len(ext)]}.{ext}"
    return base


def outbound_media_validate(
    *, upload: UploadedFile, provider: str, voice: bool = False, caption: str = ""
) -> tuple[MediaRule, str]:
    """Check type, content and size of an upload; returns (rule, clean filename)."""
    name = upload.name or ""
    rule = media_rule_for(filename=name, provider=provider)
    size = int(upload.size or 0)
    if size <= 0:
        raise ApplicationError(EMPTY_MESSAGE, field="media")
    if size > rule.max_bytes:
        label = outbound_media_table()[rule.kind]["label"]
        raise ApplicationError(
            f"Arquivo grande demais: {label.lower()} podem ter no máximo "
            f"{rule.max_bytes // MB} MB neste canal.",
            field="media",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    # The bytes must be what the name says: a .jpg holding HTML or SVG is refused.
    if media_mime_decide(kind=rule.kind, head=head, filename=name) != rule.mime:
        raise ApplicationError(MISMATCH_MESSAGE, field="media")
    if voice and rule.kind != "audio":
        raise ApplicationError(VOICE_NOT_AUDIO_MESSAGE, field="media")
    if caption.strip() and not rule.caption:
        raise ApplicationError(NO_CAPTION_MESSAGE, field="text")
    return rule, _clean_filename(name, rule)


def _store_upload(*, tenant: Tenant, upload: UploadedFile, rule: MediaRule) -> str:
    """Stream the upload to private storage at `<tenant>/<yyyy>/<mm>/<uuid>.<ext>`."""
    ext = mimetypes.guess_extension(rule.mime) or ".bin"
    if rule.mime == "audio/ogg":
        ext = ".ogg"
    now = timezone.now()
    upload.seek(0)
    return default_storage.save(f"{tenant.pk}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{ext}", upload)


def message_send_upload(
    *,
    tenant: Tenant,
    actor: User | None,
    thread_key: str,
    upload: UploadedFile,
    caption: str = "",
    voice: bool = False,
    confirmed: bool = False,
    ip: str | None = None,
) -> Message:
    """Validate, store and queue one file (image/audio/voice/video/document) with its caption.

    Raises ApplicationError (pt-BR); when it does, no file is left in storage and no message
    exists.
    """
    channel = channel_active_get(tenant=tenant)
    provider = channel.provider if channel else Provider.EVOLUTION
    rule, filename = outbound_media_validate(
        upload=upload, provider=provider, voice=voice, caption=caption
    )
    path = _store_upload(tenant=tenant, upload=upload, rule=rule)
    kind = MessageKind.VOICE if voice else MessageKind(rule.kind)
    media = OutboundMedia(
        kind=kind,
        storage_path=path,
        mime=rule.mime,
        filename=filename,
        size=int(upload.size or 0),
        caption=caption.strip(),
    )
    try:
        return message_send(
            tenant=tenant,
            actor=actor,
            thread_key=thread_key,
            media=media,
            confirmed=confirmed,
            ip=ip,
        )
    except Exception:
        # The send was refused and rolled back: the file must not outlive it.
        default_storage.delete(path)
        raise
