"""The send task: claim the message, call the provider once, record what it answered.

`message_send_perform` claims an outbound message with a conditional UPDATE that sets
`send_attempted_at`, `needs_reconciliation` and a first `reconcile_at`, and commits it, so a
re-run task (reaper, duplicate enqueue) never calls the provider twice and a worker killed
during the call leaves a message that reconciliation (reconcile.py) will look at. Then:
ok -> provider id saved, a status check scheduled in case every callback is lost; provable
failure -> failed + one refund; unknown (timeout, 5xx after the request) -> in doubt
("verificando entrega"), the credit kept reserved until positive evidence settles it.
`message_send_result_apply` also records what reconciliation or a correlated callback found.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from clinicrm.core.log_context import log_tenant_set
from clinicrm.messaging.errors import ErrorCode, error_normalize
from clinicrm.messaging.hooks import send_guards_run
from clinicrm.messaging.models import (
    STATUS_RANK,
    ChannelStatus,
    Direction,
    Evidence,
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
from clinicrm.messaging.services.channels.status import channel_status_set
from clinicrm.messaging.services.status import (
    message_fail,
    message_status_advance,
    message_status_emit,
    status_backlog_apply,
)
from clinicrm.messaging.signing import media_signed_url

logger = logging.getLogger(__name__)


def _dispatch(message: Message) -> SendResult:
    adapter = provider_for(message.channel)
    to = Recipient(thread_key=message.thread_key, raw_id=message.contact_raw_id)
    ref = str(message.pk)
    if message.kind == MessageKind.TEXT:
        return adapter.send_text(
            to=to, text=message.body, quoted_provider_id=message.quoted_provider_id, reference=ref
        )
    if message.kind == MessageKind.TEMPLATE:
        template = TemplateRef(
            content_sid=str(message.extra.get("content_sid", "")),
            variables=dict(message.extra.get("variables") or {}),
            name=str(message.extra.get("template_name", "")),
            preview=message.body,
        )
        return adapter.send_template(to=to, template=template, reference=ref)
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
        return adapter.send_voice(to=to, media=media, reference=ref)
    return adapter.send_media(to=to, media=media, reference=ref)


def _public_media_url(message: Message) -> str:
    return media_signed_url(message=message, absolute=True)


def message_send_perform(*, message_id: int) -> str:
    """Task body: claim, call the provider once, record the outcome. Returns the outcome."""
    now = timezone.now()
    first_check = now + dt.timedelta(seconds=settings.MESSAGING_RECONCILE_AFTER_SECONDS)
    claimed = Message.objects.filter(
        pk=message_id,
        direction=Direction.OUTBOUND,
        status=MessageStatus.PENDING,
        send_attempted_at__isnull=True,
    ).update(
        send_attempted_at=now,
        needs_reconciliation=True,
        reconcile_at=first_check,
        updated_at=now,
    )
    if not claimed:
        return "skipped"
    message = Message.objects.select_related("channel", "tenant").get(pk=message_id)
    log_tenant_set(message.tenant_id)
    refused = send_guards_run(message=message)
    if refused:
        # E.g. an automated message queued before the patient opted out: never sent, refunded.
        message_fail(message=message, error_code=refused, evidence=Evidence.REFUSED)
        return "refused"
    try:
        result = _dispatch(message)
    except Exception:
        # An adapter bug or an unexpected transport error: we cannot prove it was not sent.
        logger.exception("send of message %s raised; left for reconciliation", message_id)
        result = SendResult.unknown("adapter_error")
    return message_send_result_apply(message=message, result=result)


def message_send_result_apply(
    *, message: Message, result: SendResult, evidence: str = Evidence.SEND
) -> str:
    """Record a provider's answer to a send, or the evidence reconciliation found for it."""
    if result.outcome == SendOutcome.OK and result.provider_message_id:
        _record_ok(message=message, result=result, evidence=evidence)
    elif result.outcome == SendOutcome.FAILED:
        message_fail(
            message=message, error_code=result.error_code or ErrorCode.UNKNOWN, evidence=evidence
        )
        if error_normalize(result.error_code) == ErrorCode.AUTH_FAILED:
            # The provider refused the channel's credentials (revoked token, changed key):
            # every send will fail alike, so the channel says so and the clinic is told.
            channel_status_set(channel=message.channel, status=ChannelStatus.INVALID)
    else:
        logger.warning(
            "send of message %s has an unknown outcome (%s); credit kept reserved",
            message.pk,
            result.reason or "unknown",
        )
        message_doubt_mark(message=message)
        return SendOutcome.UNKNOWN
    return str(result.outcome)


def message_doubt_mark(*, message: Message) -> bool:
    """The send's outcome is unclear: staff see "verificando entrega" from now on."""
    now = timezone.now()
    marked = Message.objects.filter(
        pk=message.pk,
        status=MessageStatus.PENDING,
        provider_message_id__isnull=True,
        doubt_since__isnull=True,
    ).update(doubt_since=now, updated_at=now)
    if marked:
        message.doubt_since = now
        message_status_emit(message=message)
    return bool(marked)


def _record_ok(*, message: Message, result: SendResult, evidence: str) -> None:
    pid = str(result.provider_message_id)
    now = timezone.now()
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
            "doubt_since": None,
            # Accepted: if every status callback is lost, reconciliation fetches the status.
            "reconcile_at": now
            + dt.timedelta(seconds=settings.MESSAGING_STATUS_CHECK_AFTER_SECONDS),
            "reconcile_attempts": 0,
            "updated_at": now,
        }
        if not message.settled_by:
            fields["settled_by"] = evidence
        if result.contact_raw_id:
            fields["contact_raw_id"] = result.contact_raw_id[:120]
        Message.objects.filter(pk=message.pk).update(**fields)
        message.refresh_from_db()
        for status in (result.status, carried):
            if status and status != MessageStatus.PENDING and status in STATUS_RANK:
                message_status_advance(message=message, status=status, evidence=evidence)
        status_backlog_apply(message=message)
        if result.contact_raw_id:
            Thread.objects.filter(
                tenant_id=message.tenant_id, thread_key=message.thread_key
            ).update(contact_raw_id=result.contact_raw_id[:120])
        message.refresh_from_db()
        message_status_emit(message=message)


@task(queue_name="sends")
def message_send_task(*, message_id: int) -> str:
    return message_send_perform(message_id=message_id)
