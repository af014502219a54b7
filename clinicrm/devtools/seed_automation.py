"""Demo automation: reminders on, auto-reply ready to switch on, and an agenda whose cards show
reminder states (sent, delivered, read, confirmed by reply, skipped for an opted-out patient).

Runs after the conversations (`seed_conversations`), so the history it adds comes last in the
inbox. Reminder messages are history, like the conversations: ingested as the provider would
report them (`message_ingest` + `message_status_apply`), never sent and never charged. The
patient's "1" is ingested before its reminder's log row exists, so the live hooks see no
reminder to answer and send nothing; the log then records the answer, as confirm-by-reply
would have. Reminders of the next 24 hours left without a row are the live demo's: the
scheduler of `bin/run` sends them through the fake provider on its first run.

Idempotent: a tenant that already has reminder settings is left alone.
"""

import datetime as dt
from typing import Any

from django.utils import timezone

from clinicrm.agenda.models import Appointment
from clinicrm.agenda.services import appointment_set_status
from clinicrm.automation import reasons
from clinicrm.automation.models import (
    ReminderAnswer,
    ReminderLog,
    ReminderSettings,
    ReminderStatus,
    ReminderWindow,
    ScheduleMode,
)
from clinicrm.automation.services import (
    autoreply_settings_save,
    optout_manual_create,
    reminder_settings_save,
)
from clinicrm.automation.services.reminder_plan import (
    ACTIVE_STATUSES,
    DEFAULT_TEXTS,
    reminder_values,
)
from clinicrm.automation.texts import CONFIRMED_TEXT, text_render
from clinicrm.core.models import Tenant, User
from clinicrm.devtools.seed_conversations import (
    DELIVERED,
    READ,
    _advance,
)
from clinicrm.devtools.seed_data import SeedReport
from clinicrm.messaging.models import (
    Channel,
    Message,
    MessageKind,
    MessageStatus,
    Provider,
    Thread,
)
from clinicrm.messaging.providers import InboundMessage
from clinicrm.messaging.services import message_ingest, thread_mark_read
from clinicrm.messaging.services.templates import channel_templates
from clinicrm.messaging.services.threads import thread_get_or_create
from clinicrm.people.models import ContactPhone, EntityType, Patient

AUTOREPLY_TEXT = (
    "Olá! Você falou com {clinica} fora do horário de atendimento. Respondemos a partir de "
    "{proxima_abertura}. Em caso de emergência, ligue 192."
)


def automation_seed(
    *, tenant: Tenant, owner: User, patients: list[Patient], report: SeedReport
) -> None:
    if ReminderSettings.objects.filter(tenant=tenant).exists():
        return
    channel = Channel.objects.filter(tenant=tenant, is_active=True).first()
    _settings(tenant, owner, channel)
    report.count("automation settings")
    if channel is None:
        return
    now = timezone.now()
    # Patients whose primary phone is WhatsApp-linked: patient id -> number.
    pool = dict(
        ContactPhone.objects.filter(
            tenant=tenant, entity_type=EntityType.PATIENT, is_primary=True, whatsapp_linked=True
        ).values_list("entity_id", "number_e164")
    )
    upcoming = (
        Appointment.objects.filter(
            tenant=tenant,
            patient_id__in=list(pool),
            starts_at__gt=now + dt.timedelta(hours=4),
            starts_at__lte=now + dt.timedelta(hours=48),
            status__in=ACTIVE_STATUSES,
        )
        .select_related("patient", "professional")
        .order_by("starts_at", "pk")
    )
    # One story per patient, each in a thread of its own: not the patients of the seeded inbox
    # (an opted-out patient chatting along, or a reminder inside another conversation, would
    # contradict the history).
    chatting = set(Thread.objects.filter(tenant=tenant).values_list("thread_key", flat=True))
    seen: set[int] = set()
    stories: list[Appointment] = []
    for appointment in upcoming:
        number = pool[appointment.patient_id]
        if appointment.patient_id in seen or number in chatting:
            continue
        seen.add(appointment.patient_id)
        appointment.whatsapp_number = number  # type: ignore[attr-defined]
        stories.append(appointment)
    # Reminders sent exactly 24 h before (at least half an hour ago), so "amanhã" is true.
    cutoff = now + dt.timedelta(hours=23, minutes=30)
    within_day = [a for a in stories if a.starts_at <= cutoff]
    later = [a for a in stories if a.starts_at > cutoff]
    # The 24 h reminder went out: read and confirmed with "1", read, delivered. (Not on Twilio:
    # there it would be a template outside the window; its demo shows the live sends.)
    if channel.provider == Provider.TWILIO:
        within_day, later = [], within_day + later
    for appointment, story in zip(within_day, ("confirmed", READ, DELIVERED), strict=False):
        _reminder_history(tenant, channel, appointment, story, now, report)
    # A patient who asked not to get messages: the agenda says why no reminder goes.
    opted = (within_day[3:] or later[:1])[:1]
    for appointment in opted:
        optout_manual_create(
            tenant=tenant,
            actor=owner,
            number=appointment.whatsapp_number,  # type: ignore[attr-defined]
            reason="Pediu por telefone para não receber mensagens.",
        )
        report.count("opt-outs")
        if appointment in within_day:
            _log(appointment, now, status=ReminderStatus.SKIPPED, reason=reasons.OPTED_OUT)


def _settings(tenant: Tenant, owner: User, channel: Channel | None) -> None:
    template = ""
    variables: list[str] = []
    if channel is not None and channel.provider == Provider.TWILIO:
        options = channel_templates(channel=channel)
        if options:
            template = options[0].content_sid
            variables = ["paciente", "data", "hora"][: len(options[0].variables)]
    reminder_settings_save(
        tenant=tenant,
        actor=owner,
        enabled_24h=True,
        enabled_2h=True,
        text_24h=DEFAULT_TEXTS[ReminderWindow.H24],
        text_2h=DEFAULT_TEXTS[ReminderWindow.H2],
        template_24h=template,
        template_vars_24h=variables,
    )
    # Ready, but off: the demo's visitors switch it on (README) and write from the simulator.
    autoreply_settings_save(
        tenant=tenant,
        actor=owner,
        enabled=False,
        message=AUTOREPLY_TEXT,
        mode=ScheduleMode.AGENDA,
        business_hours=[],
        window_starts_at=None,
        window_ends_at=None,
        cooldown_hours=4,
    )


def _log(appointment: Appointment, at: dt.datetime, **fields: Any) -> ReminderLog:
    return ReminderLog.objects.create(
        tenant_id=appointment.tenant_id,
        appointment=appointment,
        window=ReminderWindow.H24,
        appointment_starts_at=appointment.starts_at,
        thread_key=appointment.whatsapp_number,  # type: ignore[attr-defined]
        created_at=at,
        updated_at=at,
        **fields,
    )


def _ingest(
    channel: Channel, appointment: Appointment, seq: str, body: str, at: dt.datetime, out: bool
) -> Message:
    number = appointment.whatsapp_number  # type: ignore[attr-defined]
    digits = number.lstrip("+")
    twilio = channel.provider == Provider.TWILIO
    message = message_ingest(
        channel=channel,
        inbound=InboundMessage(
            provider_message_id=f"DEMO-{appointment.tenant.slug}-reminder-{appointment.pk}-{seq}",
            contact_raw_id=f"whatsapp:{number}" if twilio else f"{digits}@s.whatsapp.net",
            contact_alt_id=digits if twilio else "",
            contact_name="" if out else appointment.patient.full_name,
            timestamp=at,
            kind=MessageKind.TEXT,
            body=body,
            from_me=out,
            extra={"automation": "reminder" if seq == "r" else "confirm_answer"} if out else {},
            status=MessageStatus.SENT if out else None,
        ),
    )
    assert message is not None, "demo addresses are 1:1 phone numbers"
    return message


def _reminder_history(
    tenant: Tenant,
    channel: Channel,
    appointment: Appointment,
    story: str,
    now: dt.datetime,
    report: SeedReport,
) -> None:
    """The 24 h reminder as it went out when the appointment entered its window."""
    sent_at = appointment.starts_at - dt.timedelta(hours=24)
    patient = appointment.patient.full_name.split()
    thread_get_or_create(
        tenant=tenant,
        thread_key=appointment.whatsapp_number,  # type: ignore[attr-defined]
        contact_name=f"{patient[0]} {patient[-1]}",
    )
    values = reminder_values(appointment, tenant.name)
    body = text_render(DEFAULT_TEXTS[ReminderWindow.H24], values)
    reminder = _ingest(channel, appointment, "r", body, sent_at, out=True)
    final = DELIVERED if story == DELIVERED else READ
    _advance(channel, reminder.provider_message_id or "", final, sent_at)
    log = _log(appointment, sent_at, status=ReminderStatus.SENT, message=reminder)
    report.count("reminders")
    if story != "confirmed":
        return
    replied_at = sent_at + dt.timedelta(minutes=12)
    reply = _ingest(channel, appointment, "a", "1", replied_at, out=False)
    appointment_set_status(appointment=appointment, actor=None, status="confirmed")
    answer = _ingest(
        channel, appointment, "c", text_render(CONFIRMED_TEXT, values), replied_at, out=True
    )
    _advance(channel, answer.provider_message_id or "", READ, replied_at)
    ReminderLog.objects.filter(pk=log.pk).update(
        answer=ReminderAnswer.CONFIRMED, answered_at=replied_at, answer_message=reply
    )
    thread_mark_read(thread=Thread.objects.get(tenant=tenant, thread_key=reply.thread_key))
