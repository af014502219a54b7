"""The delivery status machine: forward-only conditional UPDATEs, failure with a single refund.

pending -> sent -> delivered -> read (-> played), or pending/sent -> failed. A status is applied
with `UPDATE ... WHERE status_rank < new_rank` (and, except for `failed`, `status <> 'failed'`),
so callbacks in any order, or twice, end in the highest status reached. Only the call that
actually flips a message to failed refunds its credit, and the ledger itself refuses a second
refund of the same message; the refund's note names the evidence that settled the failure.
A move out of `pending` ends the doubt about a send; a final status also ends reconciliation.
"""

import logging

from django.db import transaction
from django.utils import timezone

from clinicrm.messaging.errors import ErrorCode, error_friendly, error_normalize
from clinicrm.messaging.hooks import message_failed_hooks_run
from clinicrm.messaging.models import (
    STATUS_RANK,
    Evidence,
    Message,
    MessageStatus,
    StatusBacklog,
    Thread,
)
from clinicrm.messaging.services.realtime import KIND_STATUS, realtime_event_emit

logger = logging.getLogger(__name__)


def _thread_id(message: Message) -> int | None:
    return (
        Thread.objects.filter(tenant_id=message.tenant_id, thread_key=message.thread_key)
        .values_list("pk", flat=True)
        .first()
    )


def message_status_emit(*, message: Message) -> None:
    realtime_event_emit(
        tenant=message.tenant,
        kind=KIND_STATUS,
        payload={
            "thread": _thread_id(message),
            "message": message.pk,
            "status": message.status,
            "direction": message.direction,
        },
    )


# Statuses after which nothing about the send is left to find out.
FINAL_STATUSES = frozenset(
    {MessageStatus.FAILED, MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED}
)


def refund_note(*, evidence: str, error_code: str) -> str:
    """The ledger note of a refund: which evidence proved the send failed (pt-BR, no data)."""
    label = Evidence(evidence).label if evidence in Evidence.values else "provedor"
    if error_code == ErrorCode.UNCONFIRMED:
        return f"Reembolso — evidência: {label}, que não tem esta mensagem após o prazo."
    return f"Reembolso — evidência: {label} (código {error_code or 'desconhecido'})."


def message_status_advance(
    *,
    message: Message,
    status: str,
    error_code: str = "",
    emit: bool = True,
    evidence: str = Evidence.CALLBACK,
) -> bool:
    """Move `message` to `status` if that is forward; returns whether the row changed.

    A move to `failed` records the friendly error and refunds the message's credit once, with
    `evidence` in the refund's note.
    """
    if status not in STATUS_RANK:
        raise ValueError(f"unknown status {status!r}")
    rank = STATUS_RANK[status]
    qs = Message.objects.filter(pk=message.pk, status_rank__lt=rank)
    fields: dict[str, object] = {
        "status": status,
        "needs_reconciliation": False,
        "doubt_since": None,
        "updated_at": timezone.now(),
    }
    if status in FINAL_STATUSES:
        fields["reconcile_at"] = None
    if status == MessageStatus.FAILED:
        code = error_normalize(error_code)
        fields["error_code"] = str(error_code or code)[:40]
        fields["error_message"] = error_friendly(code)[:300]
        if not message.settled_by:
            fields["settled_by"] = evidence
    else:
        qs = qs.exclude(status=MessageStatus.FAILED)
    with transaction.atomic():
        if not qs.update(**fields):
            return False
        message.refresh_from_db()
        if status == MessageStatus.FAILED and message.credit_charged:
            from clinicrm.credits.services import credits_refund

            note = refund_note(evidence=evidence, error_code=message.error_code)
            credits_refund(tenant=message.tenant, message_id=message.pk, note=note)
        if status == MessageStatus.FAILED:  # only the call that flipped it: once per message
            message_failed_hooks_run(message=message)
        if emit:
            message_status_emit(message=message)
    return True


def message_fail(*, message: Message, error_code: str, evidence: str) -> bool:
    """Mark a pending/sent message failed (provable failure) and refund once."""
    return message_status_advance(
        message=message, status=MessageStatus.FAILED, error_code=error_code, evidence=evidence
    )


def status_backlog_apply(*, message: Message) -> int:
    """Apply statuses that arrived before `message` had its provider id; returns how many."""
    if not message.provider_message_id:
        return 0
    rows = list(
        StatusBacklog.objects.filter(
            channel_id=message.channel_id, provider_message_id=message.provider_message_id
        )
    )
    for row in sorted(rows, key=lambda r: STATUS_RANK.get(r.status, 0)):
        message_status_advance(
            message=message,
            status=row.status,
            error_code=row.error_code,
            evidence=Evidence.BACKLOG,
        )
    if rows:
        StatusBacklog.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)
