"""Auto-reply: settings, and the decision on each stored message (every decision is logged).

Never to an opted-out number, never in answer to our own messages (group messages are never
stored: `message_ingest` keeps 1:1 contacts only), at most one per thread every
`cooldown_hours`, and only while the clinic is closed (`schedule`).
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinicrm.automation import reasons
from clinicrm.automation.models import (
    AutoReplyLog,
    AutoReplySettings,
    Decision,
    ScheduleMode,
)
from clinicrm.automation.selectors import optout_is_active
from clinicrm.automation.services.gate import AUTOREPLY, automated_send
from clinicrm.automation.services.schedule import (
    business_hours_parse,
    clinic_is_closed,
    next_opening,
    opening_label,
    settings_intervals,
)
from clinicrm.automation.texts import AUTOREPLY_VARIABLES, text_check, text_render
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.messaging.models import Direction, Message

MAX_COOLDOWN_HOURS = 24 * 30
DEFAULT_MESSAGE = (
    "Olá! Você falou com {clinica} fora do horário de atendimento. "
    "Responderemos a partir de {proxima_abertura}."
)


def autoreply_settings_save(
    *,
    tenant: Tenant,
    actor: Any,
    enabled: bool,
    message: str,
    mode: str,
    business_hours: list[dict[str, Any]],
    window_starts_at: dt.datetime | None,
    window_ends_at: dt.datetime | None,
    cooldown_hours: int,
    ip: str | None = None,
) -> AutoReplySettings:
    """Validate everything, then save (nothing is saved on any error)."""
    if mode not in ScheduleMode.values:
        raise ApplicationError("Escolha quando responder.", field="mode")
    text = text_check(text=message, allowed=AUTOREPLY_VARIABLES, field="message")
    if not 1 <= cooldown_hours <= MAX_COOLDOWN_HOURS:
        raise ApplicationError(
            f"O intervalo deve ser de 1 a {MAX_COOLDOWN_HOURS} horas.", field="cooldown_hours"
        )
    intervals = business_hours_parse(business_hours)
    if mode == ScheduleMode.BUSINESS_HOURS and not intervals:
        raise ApplicationError(
            "Informe ao menos um horário de funcionamento.", field="business_hours"
        )
    if (window_starts_at is None) != (window_ends_at is None):
        raise ApplicationError("Informe o início e o fim do período.", field="window_ends_at")
    if window_starts_at and window_ends_at and window_ends_at <= window_starts_at:
        raise ApplicationError(
            "O fim do período deve ser depois do início.", field="window_ends_at"
        )
    if mode == ScheduleMode.WINDOW and window_starts_at is None:
        raise ApplicationError("Informe o período.", field="window_starts_at")
    with transaction.atomic():
        row, _ = AutoReplySettings.objects.select_for_update().get_or_create(tenant=tenant)
        row.enabled = enabled
        row.message = text
        row.mode = mode
        row.business_hours = [i.as_json() for i in intervals]
        row.window_starts_at = window_starts_at
        row.window_ends_at = window_ends_at
        row.cooldown_hours = cooldown_hours
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        audit_log_record(
            action="autoreply.settings_update",
            user=actor,
            tenant=tenant,
            obj=row,
            ip=ip,
            details={"enabled": enabled, "mode": mode},
        )
    return row


def autoreply_text(*, settings: AutoReplySettings, at: dt.datetime) -> str:
    """The configured text with its variables filled for the instant `at`."""
    opening = next_opening(
        mode=settings.mode,
        at=at,
        intervals=settings_intervals(settings=settings),
        state=settings.tenant.state,
        window=(settings.window_starts_at, settings.window_ends_at),
    )
    return text_render(
        settings.message or DEFAULT_MESSAGE,
        {"clinica": settings.tenant.name, "proxima_abertura": opening_label(opening)},
    )


def _skip_reason(*, settings: AutoReplySettings, message: Message, now: dt.datetime) -> str:
    """Why no auto-reply goes for `message` ("" when one should)."""
    if message.direction != Direction.INBOUND or message.from_me:
        return reasons.OWN_MESSAGE
    tenant = settings.tenant
    if optout_is_active(tenant=tenant, thread_key=message.thread_key):
        return reasons.OPTED_OUT
    closed = clinic_is_closed(
        mode=settings.mode,
        at=now,
        intervals=settings_intervals(settings=settings),
        state=tenant.state,
        window=(settings.window_starts_at, settings.window_ends_at),
    )
    if not closed:
        return reasons.OPEN_NOW
    recent = AutoReplyLog.objects.filter(
        tenant=tenant,
        thread_key=message.thread_key,
        decision=Decision.SENT,
        created_at__gt=now - dt.timedelta(hours=settings.cooldown_hours),
    )
    if recent.exists():
        return reasons.COOLDOWN
    return ""


def autoreply_settings_on(*, tenant: Tenant) -> AutoReplySettings | None:
    """The clinic's auto-reply settings when auto-reply is on (None when off)."""
    settings = AutoReplySettings.objects.filter(tenant=tenant, enabled=True).first()
    if settings is not None:
        settings.tenant = tenant
    return settings


def autoreply_on_message(*, tenant: Tenant, message: Message) -> AutoReplyLog | None:
    """Decide and log (None when auto-reply is off: nothing to decide)."""
    settings = autoreply_settings_on(tenant=tenant)
    if settings is None:
        return None
    return autoreply_decide(tenant=tenant, message=message, settings=settings)


def autoreply_decide(
    *, tenant: Tenant, message: Message, settings: AutoReplySettings
) -> AutoReplyLog:
    """Decide and log with `settings` (`autoreply_settings_on`'s, e.g. read once for a drain
    group by the inbound hook)."""
    now = timezone.now()
    reason = _skip_reason(settings=settings, message=message, now=now)
    reply = None
    if not reason:
        outcome = automated_send(
            tenant=tenant,
            thread_key=message.thread_key,
            purpose=AUTOREPLY,
            text=autoreply_text(settings=settings, at=now),
        )
        reply, reason = outcome.message, outcome.reason
    return AutoReplyLog.objects.create(
        tenant=tenant,
        thread_key=message.thread_key,
        inbound_message=message,
        decision=Decision.SENT if reply is not None else Decision.SKIPPED,
        reason=reason,
        reply_message=reply,
        created_at=now,
    )
