"""The send pipeline (outbox): create + charge + enqueue in one transaction, then talk.

1. `message_send` validates, then in ONE transaction creates the outbound message (pending),
   deducts 1 credit when the active channel charges (Twilio), updates the thread and enqueues
   `message_send_task`. InsufficientCredits rolls everything back: nothing is created.
2. `message_send_perform` (the task, sending.py) claims the message, calls the provider once
   and records the answer; an unclear answer leaves the message in doubt with its credit
   reserved.
3. `services/reconcile.py` settles what is left, on positive evidence only.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.errors import (
    INSUFFICIENT_CREDITS_MESSAGE,
    WINDOW_CLOSED_MESSAGE,
    ErrorCode,
    error_friendly,
)
from clinicrm.messaging.hooks import send_checks_run
from clinicrm.messaging.identity import LID_KEY_PREFIX
from clinicrm.messaging.models import (
    Direction,
    MediaStatus,
    Message,
    MessageKind,
    MessageStatus,
    Thread,
)
from clinicrm.messaging.providers import OutboundMedia, TemplateRef
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services.realtime import KIND_MESSAGE, realtime_event_emit
from clinicrm.messaging.services.sending import message_send_task
from clinicrm.messaging.services.threads import thread_get_or_create, thread_record_message
from clinicrm.people.phones import phone_canonicalize

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
WINDOW = dt.timedelta(hours=24)
NO_CHANNEL_MESSAGE = (
    "Nenhum canal de WhatsApp ativo. Configure um em Configurações > WhatsApp para enviar."
)


def duration_label(left: dt.timedelta) -> str:
    minutes = int(left.total_seconds() // 60)
    if minutes < 1:
        return "menos de 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class WindowState:
    is_open: bool
    closes_at: dt.datetime | None  # UTC; None when the patient never wrote

    @property
    def closes_at_local(self) -> dt.datetime | None:
        return self.closes_at.astimezone(SAO_PAULO) if self.closes_at else None

    def remaining(self, now: dt.datetime | None = None) -> dt.timedelta:
        if not self.closes_at:
            return dt.timedelta(0)
        return max(dt.timedelta(0), self.closes_at - (now or timezone.now()))

    def label(self, now: dt.datetime | None = None) -> str:
        """pt-BR: "Janela de 24 h: fecha em 5 h 12 min" or "Janela fechada" (the JS mirrors it)."""
        left = self.remaining(now)
        if not self.is_open or left <= dt.timedelta(0):
            return "Janela fechada"
        return f"Janela de 24 h: fecha em {duration_label(left)}"


def thread_window_state(*, thread: Thread, now: dt.datetime | None = None) -> WindowState:
    if thread.last_inbound_at is None:
        return WindowState(is_open=False, closes_at=None)
    closes_at = thread.last_inbound_at + WINDOW
    return WindowState(is_open=(now or timezone.now()) < closes_at, closes_at=closes_at)


def _normalize_key(thread_key: str) -> str:
    key = (thread_key or "").strip()
    if key.startswith(LID_KEY_PREFIX):
        return key
    try:
        # Typed numbers: Brazilian by default, other countries with "+".
        return phone_canonicalize(key, field="thread_key")
    except ApplicationError as exc:
        raise ApplicationError("Número de WhatsApp inválido.", field="thread_key") from exc


def message_send(
    *,
    tenant: Tenant,
    actor: User | None,
    thread_key: str,
    text: str | None = None,
    media: OutboundMedia | None = None,
    template: TemplateRef | None = None,
    quoted_provider_id: str | None = None,
    automation: str = "",
    confirmed: bool = False,
    ip: str | None = None,
) -> Message:
    """Queue one outbound message through the tenant's active channel (see module docstring).

    `media` must already be in private storage (`services.media.media_save`); its caption is
    the message body. Raises ApplicationError (pt-BR) for every refusal; nothing is created then.
    `automation` names the automated purpose of a message no person typed (kept in `extra`, so
    the send guards can stop it later); `confirmed` says the person confirmed a warning a send
    check raised (`hooks.SendNeedsConfirmation`); `ip` is the sender's address for its audit.
    """
    given = [x for x in (text, media, template) if x is not None]
    if len(given) != 1:
        raise ApplicationError("Informe o texto, um arquivo ou um modelo.", field="text")
    body = ""
    kind = MessageKind.TEXT
    extra: dict[str, Any] = {}
    if text is not None:
        body = text.strip()
        if not body:
            raise ApplicationError("Escreva uma mensagem.", field="text")
        if len(body) > MAX_TEXT_LENGTH:
            raise ApplicationError(
                f"A mensagem pode ter no máximo {MAX_TEXT_LENGTH} caracteres.", field="text"
            )
    elif media is not None:
        body = (media.caption or "").strip()[:MAX_TEXT_LENGTH]
        kind = MessageKind(media.kind)
    elif template is not None:
        if not template.content_sid:
            raise ApplicationError("Escolha um modelo aprovado.", field="template")
        kind = MessageKind.TEMPLATE
        body = template.preview[:MAX_TEXT_LENGTH]
        extra = {
            "content_sid": template.content_sid,
            "variables": dict(template.variables),
            "template_name": template.name,
        }

    key = _normalize_key(thread_key)
    channel = channel_active_get(tenant=tenant)
    if channel is None:
        raise ApplicationError(NO_CHANNEL_MESSAGE)
    if template is not None and not channel.is_twilio:
        raise ApplicationError(error_friendly(ErrorCode.TEMPLATE_UNSUPPORTED), field="template")
    send_checks_run(
        tenant=tenant,
        thread_key=key,
        actor=actor,
        automation=automation,
        confirmed=confirmed,
        ip=ip,
    )
    if automation:
        extra["automation"] = automation

    now = timezone.now()
    with transaction.atomic():
        thread = thread_get_or_create(tenant=tenant, thread_key=key)
        window_open = thread_window_state(thread=thread).is_open
        if channel.is_twilio and template is None and not window_open:
            raise ApplicationError(WINDOW_CLOSED_MESSAGE, field="text")
        message = Message.objects.create(
            tenant=tenant,
            channel=channel,
            thread_key=key,
            contact_raw_id=thread.contact_raw_id,
            direction=Direction.OUTBOUND,
            from_me=True,
            kind=kind,
            body=body,
            extra=extra,
            quoted_provider_id=quoted_provider_id,
            status=MessageStatus.PENDING,
            provider_timestamp=now,
            sent_by=actor,
            media_status=MediaStatus.STORED if media else MediaStatus.NONE,
            media_path=media.storage_path if media else "",
            media_mime=media.mime if media else "",
            media_size=media.size if media else None,
            media_filename=media.filename if media else "",
        )
        if channel.is_twilio:
            from clinicrm.credits.services import InsufficientCredits, credits_deduct

            try:
                credits_deduct(tenant=tenant, message_id=message.pk, amount=1)
            except InsufficientCredits as exc:
                # Raising inside the atomic block rolls the message back: nothing is created.
                raise InsufficientCredits(INSUFFICIENT_CREDITS_MESSAGE) from exc
            Message.objects.filter(pk=message.pk).update(credit_charged=True)
            message.credit_charged = True
        thread_record_message(thread=thread, message=message, count_unread=False)
        realtime_event_emit(
            tenant=tenant,
            kind=KIND_MESSAGE,
            payload={
                "thread": thread.pk,
                "message": message.pk,
                "direction": Direction.OUTBOUND,
                "kind": kind,
                "unread": thread.unread_count,
                "silent": False,
            },
        )
        message_send_task.enqueue(message_id=message.pk)
        audit_log_record(
            action="message.send",
            user=actor,
            tenant=tenant,
            obj=message,
            details={"kind": kind, "provider": channel.provider, "charged": channel.is_twilio},
        )
    return message
