"""LGPD opt-out and opt-in (Art. 18 §2): by the patient's own message or by staff.

A number that opted out gets ONE automatic acknowledgement and then no automated message of any
kind: the gate refuses new ones, `optout_send_guard` fails those already queued (refunded), and
`optout_send_check` makes staff confirm (audited) before writing to it by hand.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicrm.automation.models import OptOut, OptOutSource
from clinicrm.automation.selectors import optout_active_get
from clinicrm.automation.services.gate import (
    OPTIN_ACK,
    OPTOUT_ACK,
    REACHES_OPTED_OUT,
    automated_send,
)
from clinicrm.automation.texts import OPTIN_ACK_TEXT, OPTOUT_ACK_TEXT, text_render
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.core.services import audit_log_record
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.errors import ErrorCode, error_friendly
from clinicrm.messaging.hooks import SendNeedsConfirmation
from clinicrm.messaging.models import Message
from clinicrm.people.phones import phone_canonicalize

MAX_REASON_LENGTH = 300


def _open(
    *,
    tenant: Tenant,
    thread_key: str,
    source: str,
    keyword: str = "",
    message: Message | None = None,
    reason: str = "",
    actor: Any = None,
    ip: str | None = None,
) -> OptOut | None:
    """Open an opt-out period; None when the number is already opted out."""
    try:
        with transaction.atomic():
            row = OptOut.objects.create(
                tenant=tenant,
                thread_key=thread_key,
                opted_out_at=timezone.now(),
                source=source,
                keyword=keyword,
                message=message,
                reason=reason,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None  # an open period exists (the partial unique index)
    audit_log_record(
        action="optout.create",
        user=actor,
        tenant=tenant,
        obj=row,
        ip=ip,
        details={"source": source},
    )
    return row


def _close(
    *,
    row: OptOut,
    source: str,
    keyword: str = "",
    message: Message | None = None,
    reason: str = "",
    actor: Any = None,
    ip: str | None = None,
) -> bool:
    closed = OptOut.objects.filter(pk=row.pk, opted_in_at__isnull=True).update(
        opted_in_at=timezone.now(),
        opted_in_source=source,
        opted_in_keyword=keyword,
        opted_in_message=message,
        opted_in_reason=reason,
        opted_in_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if closed:
        audit_log_record(
            action="optout.close",
            user=actor,
            tenant=row.tenant,
            obj=row,
            ip=ip,
            details={"source": source},
        )
    return bool(closed)


def optout_by_message(*, tenant: Tenant, message: Message, keyword: str) -> OptOut | None:
    """The patient asked to stop: open the period and acknowledge it once. None when the number
    was already opted out (no second acknowledgement)."""
    row = _open(
        tenant=tenant,
        thread_key=message.thread_key,
        source=OptOutSource.KEYWORD,
        keyword=keyword,
        message=message,
    )
    if row is None:
        return None
    outcome = automated_send(
        tenant=tenant,
        thread_key=row.thread_key,
        purpose=OPTOUT_ACK,
        text=text_render(OPTOUT_ACK_TEXT, {"clinica": tenant.name}),
    )
    if outcome.message is not None:
        OptOut.objects.filter(pk=row.pk).update(acknowledgement=outcome.message)
        row.acknowledgement = outcome.message
    return row


def optin_by_message(*, tenant: Tenant, message: Message, keyword: str) -> OptOut | None:
    """The patient asked to receive messages again: close the open period and acknowledge it.
    None when the number was not opted out (then "voltar" is ordinary conversation)."""
    row = optout_active_get(tenant=tenant, thread_key=message.thread_key)
    if row is None or not _close(
        row=row, source=OptOutSource.KEYWORD, keyword=keyword, message=message
    ):
        return None
    automated_send(
        tenant=tenant,
        thread_key=row.thread_key,
        purpose=OPTIN_ACK,
        text=text_render(OPTIN_ACK_TEXT, {"clinica": tenant.name}),
    )
    return row


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApplicationError("Informe o motivo.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ApplicationError(
            f"O motivo pode ter no máximo {MAX_REASON_LENGTH} caracteres.", field="reason"
        )
    return reason


def optout_manual_create(
    *, tenant: Tenant, actor: User, number: str, reason: str, ip: str | None = None
) -> OptOut:
    """Staff records an opt-out (e.g. asked by phone). No acknowledgement is sent."""
    reason = _reason(reason)
    thread_key = phone_canonicalize(number, field="number")
    row = _open(
        tenant=tenant,
        thread_key=thread_key,
        source=OptOutSource.MANUAL,
        reason=reason,
        actor=actor,
        ip=ip,
    )
    if row is None:
        raise ApplicationError("Este número já está descadastrado.", field="number")
    return row


def optout_manual_close(*, row: OptOut, actor: User, reason: str, ip: str | None = None) -> OptOut:
    """Staff records that the number may receive messages again (e.g. asked in person)."""
    reason = _reason(reason)
    if not _close(row=row, source=OptOutSource.MANUAL, reason=reason, actor=actor, ip=ip):
        raise ApplicationError("Este número já voltou a receber mensagens.")
    row.refresh_from_db()
    return row


# --- registered into messaging (apps.py) ---------------------------------------------------------
def optout_send_check(
    *,
    tenant: Tenant,
    thread_key: str,
    actor: User | None,
    automation: str,
    confirmed: bool,
    ip: str | None = None,
) -> None:
    """Before any message is created: an automated one never goes to an opted-out number (the
    acknowledgement excepted); a person must confirm, and the confirmation is audited."""
    if automation in REACHES_OPTED_OUT:
        return
    row = optout_active_get(tenant=tenant, thread_key=thread_key)
    if row is None:
        return
    if automation:
        raise ApplicationError(error_friendly(ErrorCode.OPTED_OUT))
    if not confirmed:
        since = row.opted_out_at.astimezone(SAO_PAULO)
        raise SendNeedsConfirmation(
            f"Este contato pediu para não receber mensagens (LGPD) em {since:%d/%m/%Y}. "
            "Envie apenas se for necessário e confirme o envio."
        )
    audit_log_record(
        action="optout.manual_send_confirmed",
        user=actor,
        tenant=tenant,
        obj=row,
        ip=ip,
        details={"optout_source": row.source},
    )


def optout_send_guard(*, message: Message) -> str | None:
    """Just before the provider call: an automated message queued before the opt-out arrived
    is failed (and refunded) instead of sent."""
    purpose = (message.extra or {}).get("automation")
    if not purpose or purpose in REACHES_OPTED_OUT:
        return None
    active = OptOut.objects.filter(
        tenant_id=message.tenant_id, thread_key=message.thread_key, opted_in_at__isnull=True
    ).exists()
    return ErrorCode.OPTED_OUT if active else None
