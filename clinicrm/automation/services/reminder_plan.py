"""What a session reminder would be, and why it could not go: shared by the sender, the
pre-flight list and the agenda's reminder state, computed in bulk (a few queries per batch of
appointments, whatever its size).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.automation import reasons
from clinicrm.automation.models import OptOut, ReminderSettings, ReminderWindow
from clinicrm.automation.services.gate import TemplateChoice, channel_problem
from clinicrm.automation.texts import text_render
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.models import CreditBalance
from clinicrm.messaging.models import Channel, Thread
from clinicrm.messaging.services.outbox import WINDOW as CUSTOMER_WINDOW
from clinicrm.people.models import ContactPhone, EntityType

# window -> (lead, lower): due while the appointment starts in (now + lower, now + lead].
WINDOWS: dict[str, tuple[dt.timedelta, dt.timedelta]] = {
    ReminderWindow.H24: (dt.timedelta(hours=24), dt.timedelta(hours=2)),
    ReminderWindow.H2: (dt.timedelta(hours=2), dt.timedelta(0)),
}
ACTIVE_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)

DEFAULT_TEXTS: dict[str, str] = {
    ReminderWindow.H24: (
        "Olá, {paciente}! Lembrete da sua consulta com {profissional} amanhã, {data}, às {hora}. "
        "Responda 1 para confirmar ou 2 para cancelar. {clinica}"
    ),
    ReminderWindow.H2: (
        "Olá, {paciente}! Sua consulta com {profissional} é hoje às {hora}. "
        "Responda 1 para confirmar ou 2 para cancelar. {clinica}"
    ),
}


def window_enabled(settings: ReminderSettings | None, window: str) -> bool:
    if settings is None:
        return False
    return settings.enabled_24h if window == ReminderWindow.H24 else settings.enabled_2h


def reminder_values(appointment: Appointment, clinic: str) -> dict[str, str]:
    """Our variables for one appointment (`texts.REMINDER_VARIABLES`)."""
    patient = appointment.patient
    name = (patient.social_name or patient.full_name or "").split()
    start = appointment.starts_at.astimezone(SAO_PAULO)
    return {
        "paciente": name[0] if name else "",
        "profissional": appointment.professional.full_name,
        "data": f"{start:%d/%m}",
        "hora": f"{start:%H:%M}",
        "clinica": clinic,
    }


def reminder_text(settings: ReminderSettings, window: str, values: dict[str, str]) -> str:
    text = settings.text_24h if window == ReminderWindow.H24 else settings.text_2h
    return text_render(text or DEFAULT_TEXTS[window], values)


def reminder_template(
    settings: ReminderSettings, window: str, values: dict[str, str]
) -> TemplateChoice | None:
    if window == ReminderWindow.H24:
        sid, names = settings.template_24h, settings.template_vars_24h
    else:
        sid, names = settings.template_2h, settings.template_vars_2h
    if not sid:
        return None
    return TemplateChoice(content_sid=sid, values=[values.get(str(n), "") for n in names or []])


@dataclass
class PlanContext:
    """Everything the plans of a batch of appointments need, loaded once."""

    settings: dict[str, ReminderSettings] = field(default_factory=dict)  # by tenant id
    channels: dict[str, Channel] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)  # patient id -> WhatsApp E.164
    opted_out: set[tuple[str, str]] = field(default_factory=set)  # (tenant id, number)
    last_inbound: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)


def plan_context(appointments: Iterable[Appointment]) -> PlanContext:
    rows = list(appointments)
    tenant_ids = {str(a.tenant_id) for a in rows}
    patient_ids = {a.patient_id for a in rows}
    ctx = PlanContext()
    for s in ReminderSettings.objects.filter(tenant_id__in=tenant_ids):
        ctx.settings[str(s.tenant_id)] = s
    for c in Channel.objects.filter(tenant_id__in=tenant_ids, is_active=True):
        ctx.channels[str(c.tenant_id)] = c
    # The WhatsApp-linked phone of each patient, the primary one first.
    phones = (
        ContactPhone.objects.filter(
            tenant_id__in=tenant_ids,
            entity_type=EntityType.PATIENT,
            entity_id__in=patient_ids,
            whatsapp_linked=True,
        )
        .order_by("entity_id", "-is_primary", "id")
        .values_list("entity_id", "number_e164")
    )
    for patient_id, number in phones:
        ctx.phones.setdefault(patient_id, number)
    numbers = set(ctx.phones.values())
    ctx.opted_out = {
        (str(t), k)
        for t, k in OptOut.objects.filter(
            tenant_id__in=tenant_ids, thread_key__in=numbers, opted_in_at__isnull=True
        ).values_list("tenant_id", "thread_key")
    }
    twilio = [t for t, c in ctx.channels.items() if c.is_twilio]
    if twilio:
        for t, key, at in Thread.objects.filter(
            tenant_id__in=twilio, thread_key__in=numbers, last_inbound_at__isnull=False
        ).values_list("tenant_id", "thread_key", "last_inbound_at"):
            if at is not None:
                ctx.last_inbound[(str(t), key)] = at
        for t, balance in CreditBalance.objects.filter(tenant_id__in=twilio).values_list(
            "tenant_id", "balance"
        ):
            ctx.balances[str(t)] = balance
    return ctx


@dataclass(frozen=True)
class ReminderPlan:
    thread_key: str
    reason: str  # "" when it can go
    needs_template: bool


def reminder_plan(
    appointment: Appointment, window: str, ctx: PlanContext, *, send_at: dt.datetime
) -> ReminderPlan:
    """Can the `window` reminder of `appointment` go at `send_at`, and how?"""
    tenant_id = str(appointment.tenant_id)
    number = ctx.phones.get(appointment.patient_id, "")
    settings = ctx.settings.get(tenant_id)
    reason = ""
    needs_template = False
    channel = ctx.channels.get(tenant_id)
    if not window_enabled(settings, window):
        reason = reasons.DISABLED
    elif appointment.status not in ACTIVE_STATUSES:
        reason = reasons.APPOINTMENT_CANCELLED
    elif not number:
        reason = reasons.NO_WHATSAPP
    elif (tenant_id, number) in ctx.opted_out:
        reason = reasons.OPTED_OUT
    elif problem := channel_problem(channel):
        reason = problem
    elif channel is not None and channel.is_twilio:
        last = ctx.last_inbound.get((tenant_id, number))
        needs_template = last is None or send_at - last >= CUSTOMER_WINDOW
        template_sid = (
            (settings.template_24h if window == ReminderWindow.H24 else settings.template_2h)
            if settings
            else ""
        )
        if needs_template and not template_sid:
            reason = reasons.NO_TEMPLATE
        elif ctx.balances.get(tenant_id, 0) < 1:
            reason = reasons.INSUFFICIENT_CREDITS
    return ReminderPlan(thread_key=number, reason=reason, needs_template=needs_template)


def reminder_send_at(appointment: Appointment, window: str, now: dt.datetime) -> dt.datetime:
    """When the reminder goes: as the appointment enters its window (not before now)."""
    lead, _ = WINDOWS[window]
    return max(now, appointment.starts_at - lead)


def group_by_tenant(appointments: Iterable[Appointment]) -> dict[str, list[Appointment]]:
    out: dict[str, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        out[str(appointment.tenant_id)].append(appointment)
    return out
