"""The send pipeline (outbox): create + charge + enqueue in one transaction, then talk.

1. `message_send` validates, then in ONE transaction creates the outbound message (pending),
   deducts 1 credit when the active channel charges (Twilio), updates the thread and enqueues
   `message_send_task`. InsufficientCredits rolls everything back: nothing is created.
2. `message_send_perform` (the task) first claims the message with a conditional UPDATE that
   sets `send_attempted_at` and `needs_reconciliation` and commits it, so a re-run task (reaper,
   duplicate enqueue) never calls the provider twice. Then it calls the adapter:
   ok -> provider id saved, marker cleared; provable failure -> failed + one refund;
   unknown (timeout, crash after the call) -> left pending with the marker and the credit
   reserved.
3. `message_reconcile` (periodic) settles marked messages: status by provider id when known,
   otherwise `find_sent`; past the deadline with no answer, failed + refund.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.errors import (
    INSUFFICIENT_CREDITS_MESSAGE,
    WINDOW_CLOSED_MESSAGE,
    ErrorCode,
    error_friendly,
)
from clinicrm.messaging.hooks import send_checks_run, send_guards_run
from clinicrm.messaging.identity import LID_KEY_PREFIX
from clinicrm.messaging.models import (
    STATUS_RANK,
    Channel,
    Direction,
    MediaStatus,
    Message,
    MessageKind,
    MessageStatus,
    Thread,
)
from clinicrm.messaging.providers import (
    OutboundMedia,
    Recipient,
    SendOutcome,
    SendResult,
    TemplateRef,
    provider_for,
)
from clinicrm.messaging.services.realtime import KIND_MESSAGE, realtime_event_emit
from clinicrm.messaging.services.status import (
    message_fail,
    message_status_advance,
    status_backlog_apply,
)
from clinicrm.messaging.services.threads import thread_get_or_create, thread_record_message
from clinicrm.people.phones import phone_canonicalize

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
WINDOW = dt.timedelta(hours=24)
NO_CHANNEL_MESSAGE = (
    "Nenhum canal de WhatsApp ativo. Configure um em Configurações > WhatsApp para enviar."
)


def channel_active_for(*, tenant: Tenant) -> Channel | None:
    return Channel.objects.filter(tenant=tenant, is_active=True).first()


def thread_window_open(*, thread: Thread, now: dt.datetime | None = None) -> bool:
    """Twilio's customer service window: 24 h after the last inbound message."""
    if thread.last_inbound_at is None:
        return False
    return (now or timezone.now()) - thread.last_inbound_at < WINDOW


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
) -> Message:
    """Queue one outbound message through the tenant's active channel (see module docstring).

    `media` must already be in private storage (`services.media.media_save`); its caption is
    the message body. Raises ApplicationError (pt-BR) for every refusal; nothing is created then.
    `automation` names the automated purpose of a message no person typed (kept in `extra`, so
    the send guards can stop it later); `confirmed` says the person confirmed a warning a send
    check raised (`hooks.SendNeedsConfirmation`).
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
    channel = channel_active_for(tenant=tenant)
    if channel is None:
        raise ApplicationError(NO_CHANNEL_MESSAGE)
    if template is not None and not channel.is_twilio:
        raise ApplicationError(error_friendly(ErrorCode.TEMPLATE_UNSUPPORTED), field="template")
    send_checks_run(
        tenant=tenant, thread_key=key, actor=actor, automation=automation, confirmed=confirmed
    )
    if automation:
        extra["automation"] = automation

    now = timezone.now()
    with transaction.atomic():
        thread = thread_get_or_create(tenant=tenant, thread_key=key)
        if channel.is_twilio and template is None and not thread_window_open(thread=thread):
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
            status_rank=STATUS_RANK[MessageStatus.PENDING],
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
        from clinicrm.messaging.tasks import message_send_task

        message_send_task.enqueue(message_id=message.pk)
        audit_log_record(
            action="message.send",
            user=actor,
            tenant=tenant,
            obj=message,
            details={"kind": kind, "provider": channel.provider, "charged": channel.is_twilio},
        )
    return message


def _dispatch(message: Message) -> SendResult:
    adapter = provider_for(message.channel)
    to = Recipient(thread_key=message.thread_key, raw_id=message.contact_raw_id)
    if message.kind == MessageKind.TEXT:
        return adapter.send_text(
            to=to, text=message.body, quoted_provider_id=message.quoted_provider_id
        )
    if message.kind == MessageKind.TEMPLATE:
        template = TemplateRef(
            content_sid=str(message.extra.get("content_sid", "")),
            variables=dict(message.extra.get("variables") or {}),
            name=str(message.extra.get("template_name", "")),
            preview=message.body,
        )
        return adapter.send_template(to=to, template=template)
    media = OutboundMedia(
        kind=message.kind,
        storage_path=message.media_path,
        mime=message.media_mime,
        filename=message.media_filename,
        size=message.media_size or 0,
        caption=message.body,
        public_url=_public_media_url(message),
    )
    if message.kind == MessageKind.VOICE:
        return adapter.send_voice(to=to, media=media)
    return adapter.send_media(to=to, media=media)


def _public_media_url(message: Message) -> str:
    try:
        from clinicrm.messaging.signing import media_signed_url
    except ImportError:
        return ""
    return media_signed_url(message=message, absolute=True)


def message_send_perform(*, message_id: int) -> str:
    """Task body: claim, call the provider once, record the outcome. Returns the outcome."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id,
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        send_attempted_at__isnull=True,
    ).update(send_attempted_at=now, needs_reconciliation=True, updated_at=now)
    if not claimed:
        return "skipped"
    message = Message.objects.select_related("channel", "tenant").get(pk=message_id)
    refused = send_guards_run(message=message)
    if refused:
        # E.g. an automated message queued before the patient opted out: never sent, refunded.
        message_fail(message=message, error_code=refused)
        return "refused"
    try:
        result = _dispatch(message)
    except Exception:
        # An adapter bug or an unexpected transport error: we cannot prove it was not sent.
        logger.exception("send of message %s raised; left for reconciliation", message_id)
        result = SendResult.unknown("adapter_error")
    return message_send_result_apply(message=message, result=result)


def message_send_result_apply(*, message: Message, result: SendResult) -> str:
    """Record a provider's answer to a send (used by the task and by reconciliation)."""
    if result.outcome == SendOutcome.OK and result.provider_message_id:
        _record_ok(message=message, result=result)
    elif result.outcome == SendOutcome.FAILED:
        message_fail(message=message, error_code=result.error_code or ErrorCode.UNKNOWN)
    else:
        logger.warning(
            "send of message %s has an unknown outcome (%s); credit kept reserved",
            message.pk,
            result.reason or "unknown",
        )
        return SendOutcome.UNKNOWN
    return str(result.outcome)


def _record_ok(*, message: Message, result: SendResult) -> None:
    pid = str(result.provider_message_id)
    with transaction.atomic():
        # The provider's echo of this very send (Evolution `send.message`) may have been
        # ingested first as a phone-typed message: fold it into ours, keeping its status.
        echo = (
            Message.objects.filter(channel_id=message.channel_id, provider_message_id=pid)
            .exclude(pk=message.pk)
            .first()
        )
        carried = MessageStatus.PENDING
        if echo is not None:
            if (
                echo.direction == Direction.OUTBOUND
                and echo.sent_by_id is None
                and not echo.credit_charged
            ):
                carried = MessageStatus(echo.status)
                echo.delete()
            else:
                logger.error("provider id of message %s already used by %s", message.pk, echo.pk)
                return
        fields: dict[str, Any] = {
            "provider_message_id": pid,
            "needs_reconciliation": False,
            "updated_at": timezone.now(),
        }
        if result.contact_raw_id:
            fields["contact_raw_id"] = result.contact_raw_id[:120]
        Message.objects.filter(pk=message.pk).update(**fields)
        message.refresh_from_db()
        for status in (result.status, carried):
            if status and status != MessageStatus.PENDING and status in STATUS_RANK:
                message_status_advance(message=message, status=status)
        status_backlog_apply(message=message)
        if result.contact_raw_id:
            Thread.objects.filter(
                tenant_id=message.tenant_id, thread_key=message.thread_key
            ).update(contact_raw_id=result.contact_raw_id[:120])
        message.refresh_from_db()
        from clinicrm.messaging.services.status import message_status_emit

        message_status_emit(message=message)


def message_reconcile(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Settle outbound messages left in doubt. Safe to run concurrently and repeatedly."""
    now = now or timezone.now()
    after = dt.timedelta(seconds=settings.MESSAGING_RECONCILE_AFTER_SECONDS)
    deadline = dt.timedelta(seconds=settings.MESSAGING_SEND_DEADLINE_SECONDS)
    counts = {"requeued": 0, "sent": 0, "failed": 0, "status": 0, "waiting": 0}
    from clinicrm.messaging.tasks import message_send_task

    # 1. Never attempted (task row lost): enqueue again; the claim prevents a double send.
    for pk in Message.objects.filter(
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        send_attempted_at__isnull=True,
        created_at__lt=now - after,
    ).values_list("pk", flat=True)[:limit]:
        message_send_task.enqueue(message_id=pk)
        counts["requeued"] += 1

    # 2. Attempted with an unknown outcome.
    doubtful = Message.objects.select_related("channel", "tenant").filter(
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        needs_reconciliation=True,
        send_attempted_at__lt=now - after,
    )[:limit]
    for message in doubtful:
        adapter = provider_for(message.channel)
        result: SendResult | None
        try:
            if message.provider_message_id:
                update = adapter.fetch_status(provider_message_id=message.provider_message_id)
                if update is not None and message_status_advance(
                    message=message, status=update.status, error_code=update.error_code
                ):
                    counts["status"] += 1
                    continue
                result = None
            else:
                result = adapter.find_sent(message=message)
        except Exception:
            logger.exception("reconciliation of message %s failed", message.pk)
            result = None
        if result is not None and result.outcome != SendOutcome.UNKNOWN:
            outcome = message_send_result_apply(message=message, result=result)
            counts["sent" if outcome == SendOutcome.OK else "failed"] += 1
        elif message.send_attempted_at and message.send_attempted_at < now - deadline:
            if message_fail(message=message, error_code=ErrorCode.UNCONFIRMED):
                counts["failed"] += 1
        else:
            counts["waiting"] += 1
    return counts
