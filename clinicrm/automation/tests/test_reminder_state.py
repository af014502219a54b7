"""What the staff see of reminders: the badge on each agenda card (scheduled, queued, sent,
delivered, read, failed, skipped and why, confirmed or cancelled by reply, a problem ahead) and the
day-before pre-flight list of reminders that cannot go, with the reason, plus its notification."""

import datetime as dt

import pytest
import time_machine

from clinicrm.agenda.extensions import appointment_badges_attach
from clinicrm.automation import reasons
from clinicrm.automation.models import (
    OptOut,
    ReminderAnswer,
    ReminderLog,
    ReminderStatus,
)
from clinicrm.automation.reminder_state import reminder_badges, reminder_preflight
from clinicrm.automation.services.preflight import reminders_preflight_notify
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.automation.tests.test_reminders import TEMPLATE_SID, _twilio
from clinicrm.core.models import Notification
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.models import ChannelStatus, Message, MessageStatus
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)  # Wednesday 10:00
EVENING_BEFORE = dt.datetime(2026, 3, 10, 21, 0, tzinfo=SAO_PAULO)


def _badge(tenant, appointment, now):
    out = reminder_badges(tenant=tenant, appointments=[appointment], now=now)
    (badge,) = out[appointment.pk]
    return badge


def _log(tenant, appointment, **fields) -> ReminderLog:
    values: dict[str, object] = {
        "tenant": tenant,
        "appointment": appointment,
        "appointment_starts_at": appointment.starts_at,
        "window": "24h",
        "status": ReminderStatus.QUEUED,
        "thread_key": "",
        "created_at": START - dt.timedelta(days=1),
        "updated_at": START - dt.timedelta(days=1),
    }
    values.update(fields)
    return ReminderLog.objects.create(**values)


def test_a_reminder_ahead_is_scheduled_with_its_time(tenant):
    make_channel(tenant)
    settings = reminders_on(tenant)
    patient, _ = patient_with_whatsapp(tenant)
    appointment = appointment_for(tenant, patient, START)
    badge = _badge(tenant, appointment, START - dt.timedelta(days=3))
    assert (badge.code, badge.label) == ("scheduled", "Lembrete agendado")
    assert badge.title == "Lembrete de 24 h: 10/03 às 10:00"
    # Reminders off: no badge at all.
    settings.enabled_24h = settings.enabled_2h = False
    settings.save()
    assert reminder_badges(tenant=tenant, appointments=[appointment], now=START) == {}


@pytest.mark.parametrize(
    ("status", "code", "label"),
    [
        (MessageStatus.PENDING, "reminder_pending", "Lembrete sendo enviado"),
        (MessageStatus.SENT, "reminder_sent", "Lembrete enviado"),
        (MessageStatus.DELIVERED, "reminder_delivered", "Lembrete entregue"),
        (MessageStatus.READ, "reminder_read", "Lembrete lido"),
        (MessageStatus.FAILED, "reminder_failed", "Lembrete falhou"),
    ],
)
def test_a_sent_reminder_follows_its_message(tenant, status, code, label):
    channel = make_channel(tenant)
    reminders_on(tenant)
    patient, number = patient_with_whatsapp(tenant)
    appointment = appointment_for(tenant, patient, START)
    message = Message.objects.create(
        tenant=tenant,
        channel=channel,
        thread_key=number,
        direction="out",
        from_me=True,
        provider_timestamp=START - dt.timedelta(hours=20),
        body="Lembrete",
        status=status,
        error_message="Número inválido" if status == MessageStatus.FAILED else "",
    )
    _log(tenant, appointment, status=ReminderStatus.SENT, message=message, thread_key=number)
    badge = _badge(tenant, appointment, START - dt.timedelta(hours=20))
    assert (badge.code, badge.label) == (code, label)
    if status == MessageStatus.FAILED:
        assert badge.title == "Número inválido"


def test_queued_skipped_and_answered_reminders(tenant):
    make_channel(tenant)
    reminders_on(tenant)
    now = START - dt.timedelta(hours=20)
    queued = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    _log(tenant, queued)
    skipped = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    _log(tenant, skipped, status=ReminderStatus.SKIPPED, reason=reasons.OPTED_OUT)
    confirmed = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    _log(tenant, confirmed, status=ReminderStatus.SENT, answer=ReminderAnswer.CONFIRMED)
    cancelled = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    _log(tenant, cancelled, status=ReminderStatus.SENT, answer=ReminderAnswer.CANCELLED)

    appointments = [queued, skipped, confirmed, cancelled]
    appointment_badges_attach(tenant=tenant, appointments=appointments)
    got = [(b.code, b.label) for a in appointments for b in a.badges]  # type: ignore[attr-defined]
    assert got == [
        ("queued", "Lembrete na fila"),
        ("skipped", "Lembrete não enviado: descadastrado (LGPD)"),
        ("confirmed", "Confirmada pelo paciente"),
        ("cancelled_by_reply", "Cancelada pelo paciente"),
    ]
    assert _badge(tenant, skipped, now).title == reasons.LABELS[reasons.OPTED_OUT]


def test_a_log_of_the_old_time_does_not_describe_a_moved_appointment(tenant):
    make_channel(tenant)
    reminders_on(tenant)
    appointment = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    _log(tenant, appointment, status=ReminderStatus.SENT, answer=ReminderAnswer.CONFIRMED)
    appointment.starts_at = START + dt.timedelta(days=3)
    appointment.ends_at = appointment.starts_at + dt.timedelta(minutes=50)
    appointment.save()
    assert _badge(tenant, appointment, START).code == "scheduled"


@pytest.mark.parametrize(
    ("setup", "reason", "short"),
    [
        ("no_whatsapp", reasons.NO_WHATSAPP, "sem WhatsApp"),
        ("opted_out", reasons.OPTED_OUT, "descadastrado (LGPD)"),
        ("disconnected", reasons.CHANNEL_DISCONNECTED, "WhatsApp desconectado"),
        ("no_channel", reasons.NO_CHANNEL, "sem canal de WhatsApp"),
        ("twilio_no_template", reasons.NO_TEMPLATE, "sem modelo aprovado"),
        ("twilio_no_credits", reasons.INSUFFICIENT_CREDITS, "sem créditos"),
    ],
)
def test_preflight_lists_each_reminder_that_cannot_go_with_the_reason(
    tenant, owner, setup, reason, short
):
    if setup.startswith("twilio"):
        _twilio(tenant, credits=0 if setup == "twilio_no_credits" else 3)
        template = TEMPLATE_SID if setup == "twilio_no_credits" else ""
        reminders_on(tenant, enabled_2h=False, template_24h=template)
    else:
        channel = make_channel(tenant)
        reminders_on(tenant, enabled_2h=False)
        if setup == "disconnected":
            channel.status = ChannelStatus.DISCONNECTED
            channel.save()
        if setup == "no_channel":
            channel.is_active = False
            channel.save()
    patient, number = patient_with_whatsapp(tenant, "Rui Barros", linked=setup != "no_whatsapp")
    if setup == "opted_out":
        OptOut.objects.create(
            tenant=tenant, thread_key=number, opted_out_at=EVENING_BEFORE, source="manual"
        )
    appointment = appointment_for(tenant, patient, START)
    fine = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    if setup in ("no_channel", "disconnected") or setup.startswith("twilio"):
        fine.delete()  # these reasons are the clinic's: every reminder shares them

    (row,) = reminder_preflight(tenant=tenant, now=EVENING_BEFORE)
    assert (row.appointment, row.window, row.reason) == (appointment, "24h", reason)
    assert row.reason_label == reasons.LABELS[reason]
    assert row.send_at == EVENING_BEFORE  # already inside the 24 h window: it would go now
    badge = _badge(tenant, appointment, EVENING_BEFORE - dt.timedelta(days=2))
    assert (badge.code, badge.label) == ("preflight_problem", f"Lembrete: {short}")


def test_preflight_skips_what_was_already_handled_and_what_is_far(tenant):
    make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    patient, _ = patient_with_whatsapp(tenant, linked=False)
    handled = appointment_for(tenant, patient, START)
    _log(tenant, handled, status=ReminderStatus.SKIPPED, reason=reasons.NO_WHATSAPP)
    appointment_for(tenant, patient, START + dt.timedelta(days=3))  # beyond 48 h
    appointment_for(tenant, patient, START, status="cancelled")
    assert reminder_preflight(tenant=tenant, now=EVENING_BEFORE) == []


def test_the_evening_notification_counts_and_names_no_patient(tenant, owner, member_factory):
    make_channel(tenant)
    reminders_on(tenant)
    secretary = member_factory(role="secretary")
    professional = member_factory(role="professional")
    for name in ("Otávio Sem Zap", "Lia Sem Zap"):
        patient, _ = patient_with_whatsapp(tenant, name, linked=False)
        appointment_for(tenant, patient, START)
    with time_machine.travel(EVENING_BEFORE, tick=False):
        assert reminders_preflight_notify() == 1
    notes = Notification.objects.filter(kind="reminders.preflight")
    assert {n.user_id for n in notes} == {owner.pk, secretary.pk}
    assert professional.pk not in {n.user_id for n in notes}
    note = notes.first()
    assert note is not None
    assert note.body.startswith("2 lembretes das próximas 48 horas não poderão ser enviados")
    assert "Sem Zap" not in note.body
    assert note.url.endswith("/configuracoes/lembretes-sessao#preflight")
    # Nothing wrong: nobody is told.
    Notification.objects.all().delete()
    with time_machine.travel(START + dt.timedelta(days=5), tick=False):
        assert reminders_preflight_notify() == 0
    assert not Notification.objects.exists()


def test_one_reminder_that_cannot_go_is_told_in_the_singular(tenant, owner):
    make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    patient, _ = patient_with_whatsapp(tenant, "Otávio Sem Zap", linked=False)
    appointment_for(tenant, patient, START)
    with time_machine.travel(EVENING_BEFORE, tick=False):
        assert reminders_preflight_notify() == 1
    (note,) = Notification.objects.filter(kind="reminders.preflight")
    assert note.body == (
        "1 lembrete das próximas 48 horas não poderá ser enviado. "
        "Veja os motivos e avise os pacientes."
    )
