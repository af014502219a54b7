"""What the staff see of session reminders: the state on each agenda card, and the pre-flight
list of reminders that cannot go (so someone can call the patient, reconnect the phone, buy
credits or approve a template before it is too late). Reads only."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from clinicrm.agenda.extensions import AppointmentBadge
from clinicrm.agenda.models import Appointment
from clinicrm.automation import reasons
from clinicrm.automation.models import ReminderAnswer, ReminderLog, ReminderStatus, ReminderWindow
from clinicrm.automation.services.reminder_plan import (
    ACTIVE_STATUSES,
    WINDOWS,
    plan_context,
    reminder_plan,
    reminder_send_at,
    window_enabled,
)
from clinicrm.core.models import Tenant
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.models import MessageStatus

PREFLIGHT_HOURS = 48
# Short forms for the cards (the pages show `reasons.LABELS`).
SHORT_REASONS: dict[str, str] = {
    reasons.NO_WHATSAPP: "sem WhatsApp",
    reasons.OPTED_OUT: "descadastrado (LGPD)",
    reasons.NO_CHANNEL: "sem canal de WhatsApp",
    reasons.CHANNEL_DISCONNECTED: "WhatsApp desconectado",
    reasons.NO_TEMPLATE: "sem modelo aprovado",
    reasons.INSUFFICIENT_CREDITS: "sem créditos",
    reasons.APPOINTMENT_CANCELLED: "consulta cancelada",
    reasons.SEND_REFUSED: "envio recusado",
}
MESSAGE_STATES: dict[str, tuple[str, str, str]] = {
    MessageStatus.PENDING: ("Lembrete sendo enviado", "primary", "reminder_pending"),
    MessageStatus.SENT: ("Lembrete enviado", "primary", "reminder_sent"),
    MessageStatus.DELIVERED: ("Lembrete entregue", "ok", "reminder_delivered"),
    MessageStatus.READ: ("Lembrete lido", "ok", "reminder_read"),
    MessageStatus.PLAYED: ("Lembrete lido", "ok", "reminder_read"),
    MessageStatus.FAILED: ("Lembrete falhou", "danger", "reminder_failed"),
}
WINDOW_SHORT: dict[str, str] = {ReminderWindow.H24: "24 h", ReminderWindow.H2: "2 h"}


def _log_badge(log: ReminderLog) -> AppointmentBadge:
    window = WINDOW_SHORT.get(log.window, log.window)
    if log.answer == ReminderAnswer.CONFIRMED:
        return AppointmentBadge(
            "Confirmada pelo paciente", "ok", "Respondeu ao lembrete", "confirmed"
        )
    if log.answer == ReminderAnswer.CANCELLED:
        return AppointmentBadge(
            "Cancelada pelo paciente", "danger", "Respondeu ao lembrete", "cancelled_by_reply"
        )
    if log.status == ReminderStatus.QUEUED:
        return AppointmentBadge("Lembrete na fila", "primary", f"Lembrete de {window}", "queued")
    if log.status == ReminderStatus.SKIPPED:
        short = SHORT_REASONS.get(log.reason, log.reason)
        return AppointmentBadge(
            f"Lembrete não enviado: {short}", "warn", reasons.reason_label(log.reason), "skipped"
        )
    status = log.message.status if log.message is not None else MessageStatus.PENDING
    label, tone, code = MESSAGE_STATES.get(status, MESSAGE_STATES[MessageStatus.PENDING])
    title = f"Lembrete de {window}"
    if status == MessageStatus.FAILED and log.message is not None:
        title = log.message.error_message or title
    return AppointmentBadge(label, tone, title, code)


def _next_window(appointment: Appointment, settings: object, now: dt.datetime) -> str | None:
    """The next reminder window of an appointment that has not begun, if one is on."""
    for window in (ReminderWindow.H24, ReminderWindow.H2):
        lead, _ = WINDOWS[window]
        if window_enabled(settings, window) and appointment.starts_at - lead > now:  # type: ignore[arg-type]
            return window
    return None


def reminder_badges(
    *, tenant: Tenant, appointments: Iterable[Appointment], now: dt.datetime | None = None
) -> dict[int, list[AppointmentBadge]]:
    """Badge provider of the agenda (registered in apps.py): one badge per appointment."""
    now = now or timezone.now()
    rows = list(appointments)
    logs: dict[int, list[ReminderLog]] = defaultdict(list)
    for log in (
        ReminderLog.objects.filter(tenant=tenant, appointment_id__in=[a.pk for a in rows])
        .select_related("message")
        .order_by("created_at", "pk")
    ):
        logs[log.appointment_id].append(log)
    upcoming = [a for a in rows if a.starts_at > now and a.status in ACTIVE_STATUSES]
    ctx = plan_context(upcoming) if upcoming else None
    out: dict[int, list[AppointmentBadge]] = {}
    for appointment in rows:
        mine = [
            log
            for log in logs.get(appointment.pk, [])
            if log.appointment_starts_at == appointment.starts_at
        ]
        answered = [log for log in mine if log.answer]
        if answered or mine:
            out[appointment.pk] = [_log_badge((answered or mine)[-1])]
            continue
        if ctx is None or appointment not in upcoming:
            continue
        window = _next_window(appointment, ctx.settings.get(str(tenant.pk)), now)
        if window is None:
            continue
        send_at = reminder_send_at(appointment, window, now)
        plan = reminder_plan(appointment, window, ctx, send_at=send_at)
        if plan.reason:
            out[appointment.pk] = [
                AppointmentBadge(
                    f"Lembrete: {SHORT_REASONS.get(plan.reason, plan.reason)}",
                    "warn",
                    reasons.reason_label(plan.reason),
                    "preflight_problem",
                )
            ]
        else:
            local = send_at.astimezone(SAO_PAULO)
            out[appointment.pk] = [
                AppointmentBadge(
                    "Lembrete agendado",
                    "",
                    f"Lembrete de {WINDOW_SHORT[window]}: {local:%d/%m às %H:%M}",
                    "scheduled",
                )
            ]
    return out


@dataclass(frozen=True)
class PreflightRow:
    appointment: Appointment
    window: str
    send_at: dt.datetime  # São Paulo
    reason: str

    @property
    def reason_label(self) -> str:
        return reasons.reason_label(self.reason)

    @property
    def window_label(self) -> str:
        return ReminderWindow(self.window).label


def reminder_preflight(
    *, tenant: Tenant, now: dt.datetime | None = None, hours: int = PREFLIGHT_HOURS
) -> list[PreflightRow]:
    """Reminders of the next `hours` not sent yet that cannot go, with the reason."""
    now = now or timezone.now()
    appointments = list(
        Appointment.objects.filter(
            tenant=tenant,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=hours),
            status__in=ACTIVE_STATUSES,
        )
        .select_related("patient", "professional")
        .order_by("starts_at", "pk")
    )
    if not appointments:
        return []
    done = set(
        ReminderLog.objects.filter(
            tenant=tenant, appointment_id__in=[a.pk for a in appointments]
        ).values_list("appointment_id", "window", "appointment_starts_at")
    )
    ctx = plan_context(appointments)
    settings = ctx.settings.get(str(tenant.pk))
    rows = []
    for appointment in appointments:
        for window, (_lead, lower) in WINDOWS.items():
            if not window_enabled(settings, window) or appointment.starts_at - lower <= now:
                continue
            if (appointment.pk, window, appointment.starts_at) in done:
                continue
            send_at = reminder_send_at(appointment, window, now)
            plan = reminder_plan(appointment, window, ctx, send_at=send_at)
            if plan.reason:
                rows.append(
                    PreflightRow(appointment, window, send_at.astimezone(SAO_PAULO), plan.reason)
                )
                break  # one line per appointment: the first reminder that cannot go
    return rows
