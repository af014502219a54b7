"""Session reminders: each due reminder is claimed once and sent once, skipped with a reason
when it cannot go, with a Twilio template outside the 24-hour window (credit deducted, refunded
when the send fails)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.automation import reasons
from clinicrm.automation.models import OptOut, ReminderLog, ReminderSettings, ReminderStatus
from clinicrm.automation.services import (
    reminder_settings_save,
    reminders_enqueue_due,
    reminders_requeue_stale,
    reminders_send_batch,
)
from clinicrm.automation.tests.helpers import (
    appointment_for,
    automated,
    patient_with_whatsapp,
    patient_writes,
    reminders_on,
)
from clinicrm.core.errors import ApplicationError
from clinicrm.core.scheduler import jobs_all
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.messaging.models import ChannelStatus, MessageStatus, Provider
from clinicrm.messaging.providers import SendResult
from clinicrm.messaging.services import message_send_perform
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)  # Wednesday 10:00
TEMPLATE_SID = "HX" + "c" * 32


def _batch_tasks(exclude: frozenset[str] = frozenset()) -> list[list[int]]:
    rows = DBTaskResult.objects.filter(task_path__endswith="reminders_send_batch_task")
    return [r.args_kwargs["kwargs"]["log_ids"] for r in rows if str(r.pk) not in exclude]


def _task_ids() -> frozenset[str]:
    return frozenset(str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True))


def _run(now: dt.datetime) -> int:
    """One job run at `now` and the sends it enqueued (what the worker would do)."""
    before = _task_ids()
    with time_machine.travel(now, tick=False):
        claimed = reminders_enqueue_due()
        for ids in _batch_tasks(exclude=before):
            reminders_send_batch(log_ids=ids)
    return claimed


def test_the_job_is_registered_every_five_minutes():
    assert jobs_all()["automation.reminders_enqueue_due"].interval == dt.timedelta(minutes=5)


def test_each_window_is_claimed_once_and_sent_once(tenant, adapters):
    make_channel(tenant)
    reminders_on(tenant, text_24h="Olá, {paciente}! Amanhã, {data} às {hora}, com {profissional}.")
    patient, number = patient_with_whatsapp(tenant, "Joana Prado Lima")
    appointment = appointment_for(tenant, patient, START)

    assert reminders_enqueue_due(now=START - dt.timedelta(hours=24, minutes=1)) == 0
    now = START - dt.timedelta(hours=23, minutes=58)
    assert reminders_enqueue_due(now=now) == 1
    assert reminders_enqueue_due(now=now) == 0  # the same run again
    assert reminders_enqueue_due(now=now + dt.timedelta(minutes=5)) == 0  # the next run
    (ids,) = _batch_tasks()
    with time_machine.travel(now, tick=False):
        assert reminders_send_batch(log_ids=ids) == 1
        assert reminders_send_batch(log_ids=ids) == 0  # a re-run task sends nothing

    log = ReminderLog.objects.get()
    assert (log.appointment, log.window, log.status, log.thread_key) == (
        appointment,
        "24h",
        ReminderStatus.SENT,
        number,
    )
    (message,) = automated(tenant, "reminder")
    assert log.message == message
    name = appointment.professional.full_name
    assert message.body == f"Olá, Joana! Amanhã, 11/03 às 10:00, com {name}."

    # Two hours before: the 2 h reminder, once.
    assert _run(START - dt.timedelta(hours=1, minutes=59)) == 1
    assert _run(START - dt.timedelta(hours=1, minutes=54)) == 0
    assert ReminderLog.objects.filter(window="2h", status="sent").count() == 1
    assert len(automated(tenant, "reminder")) == 2
    # Once the appointment has begun nothing is due any more.
    assert reminders_enqueue_due(now=START + dt.timedelta(minutes=1)) == 0


def test_a_booking_made_late_gets_only_the_reminders_still_ahead(tenant, adapters):
    make_channel(tenant)
    reminders_on(tenant)
    patient, _ = patient_with_whatsapp(tenant)
    appointment_for(tenant, patient, START)
    assert _run(START - dt.timedelta(minutes=90)) == 1
    assert list(ReminderLog.objects.values_list("window", flat=True)) == ["2h"]


def test_disabled_windows_and_cancelled_appointments_are_not_claimed(tenant, adapters):
    make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    patient, _ = patient_with_whatsapp(tenant)
    appointment_for(tenant, patient, START + dt.timedelta(hours=5), status="cancelled")
    soon = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START)
    later = appointment_for(tenant, patient_with_whatsapp(tenant)[0], START + dt.timedelta(hours=5))
    # `soon` is in its 2 h window (off), `later` in its 24 h one; the cancelled one in neither.
    assert reminders_enqueue_due(now=START - dt.timedelta(hours=1)) == 1
    log = ReminderLog.objects.get()
    assert (log.appointment, log.window) == (later, "24h")
    assert soon.pk


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("no_whatsapp", reasons.NO_WHATSAPP),
        ("opted_out", reasons.OPTED_OUT),
        ("disconnected", reasons.CHANNEL_DISCONNECTED),
        ("no_channel", reasons.NO_CHANNEL),
        ("cancelled_after_claim", reasons.APPOINTMENT_CANCELLED),
        ("moved_after_claim", reasons.APPOINTMENT_CANCELLED),
    ],
)
def test_reminders_that_cannot_go_are_skipped_with_the_reason(
    tenant, owner, adapters, setup, reason
):
    channel = make_channel(tenant)
    reminders_on(tenant)
    patient, number = patient_with_whatsapp(tenant, linked=setup != "no_whatsapp")
    appointment = appointment_for(tenant, patient, START)
    now = START - dt.timedelta(hours=20)
    if setup == "opted_out":
        OptOut.objects.create(tenant=tenant, thread_key=number, opted_out_at=now, source="manual")
    if setup == "disconnected":
        channel.status = ChannelStatus.DISCONNECTED
        channel.save()
    if setup == "no_channel":
        channel.is_active = False
        channel.save()
    assert reminders_enqueue_due(now=now) == 1
    if setup == "cancelled_after_claim":
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    if setup == "moved_after_claim":
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=START + dt.timedelta(days=2), ends_at=START + dt.timedelta(days=2, hours=1)
        )
    (ids,) = _batch_tasks()
    with time_machine.travel(now, tick=False):
        assert reminders_send_batch(log_ids=ids) == 0
    log = ReminderLog.objects.get()
    assert (log.status, log.reason) == (ReminderStatus.SKIPPED, reason)
    assert automated(tenant, "reminder") == []


def test_a_moved_appointment_is_reminded_again_for_its_new_time(tenant, adapters):
    make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    patient, _ = patient_with_whatsapp(tenant)
    appointment = appointment_for(tenant, patient, START)
    assert _run(START - dt.timedelta(hours=20)) == 1
    later = START + dt.timedelta(days=1)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=later, ends_at=later + dt.timedelta(minutes=50)
    )
    assert _run(later - dt.timedelta(hours=20)) == 1
    assert ReminderLog.objects.filter(status="sent").count() == 2


def _twilio(tenant, credits: int = 3):
    channel = make_channel(tenant, Provider.TWILIO)
    channel.config = {
        "account_sid": "AC" + "1" * 32,
        "sender": "+5511999990000",
        "templates": [
            {
                "name": "Lembrete de sessão",
                "content_sid": TEMPLATE_SID,
                "variables": ["nome", "data", "hora"],
                "body": "Olá, {{1}}! Sua sessão é em {{2}} às {{3}}. Responda 1 ou 2.",
            }
        ],
    }
    channel.save()
    if credits:
        credits_add(tenant=tenant, amount=credits, kind="adjustment", note="teste")
    return channel


def test_twilio_uses_the_approved_template_outside_the_window_and_charges(tenant, owner, adapters):
    channel = _twilio(tenant)
    reminder_settings_save(
        tenant=tenant,
        actor=owner,
        enabled_24h=True,
        enabled_2h=True,
        text_24h="Olá, {paciente}: amanhã às {hora}.",
        text_2h="Olá, {paciente}: hoje às {hora}.",
        template_24h=TEMPLATE_SID,
        template_vars_24h=["paciente", "data", "hora", ""],
    )
    outside, _ = patient_with_whatsapp(tenant, "Bruno Araújo")
    inside, inside_number = patient_with_whatsapp(tenant, "Carla Mendes")
    appointment_for(tenant, outside, START)
    appointment_for(tenant, inside, START + dt.timedelta(minutes=50))
    now = START - dt.timedelta(hours=20)
    with time_machine.travel(now - dt.timedelta(hours=2), tick=False):
        patient_writes(channel, inside_number, "Oi, confirmo amanhã sim")  # opens the window

    assert _run(now) == 2
    by_name = {m.body: m for m in automated(tenant, "reminder")}
    template = by_name["Olá, Bruno! Sua sessão é em 11/03 às 10:00. Responda 1 ou 2."]
    assert template.kind == "template" and template.extra["content_sid"] == TEMPLATE_SID
    assert template.extra["variables"] == {"1": "Bruno", "2": "11/03", "3": "10:00"}
    assert "Olá, Carla: amanhã às 10:50." in by_name  # free text inside the window
    assert ReminderLog.objects.get(message=template).used_template
    assert credits_balance_get(tenant=tenant).balance == 1

    # A send the provider refuses is refunded once.
    adapters.script(channel, SendResult.failed("63016"))
    assert message_send_perform(message_id=template.pk) == "failed"
    template.refresh_from_db()
    assert template.status == MessageStatus.FAILED
    assert credits_balance_get(tenant=tenant).balance == 2

    # The 2 h reminder has no template: outside the window it cannot go.
    assert _run(START - dt.timedelta(hours=1, minutes=55)) == 1
    skipped = ReminderLog.objects.get(window="2h", appointment__patient=outside)
    assert (skipped.status, skipped.reason) == ("skipped", reasons.NO_TEMPLATE)


def test_twilio_without_credits_skips(tenant, owner, adapters):
    channel = _twilio(tenant, credits=0)
    reminders_on(tenant, template_24h=TEMPLATE_SID, template_vars_24h=["paciente", "data", "hora"])
    patient, _ = patient_with_whatsapp(tenant)
    appointment_for(tenant, patient, START)
    _run(START - dt.timedelta(hours=20))
    assert ReminderLog.objects.get().reason == reasons.INSUFFICIENT_CREDITS
    assert channel.pk and automated(tenant) == []


def test_rows_left_queued_are_enqueued_again(tenant, adapters):
    make_channel(tenant)
    reminders_on(tenant)
    patient, _ = patient_with_whatsapp(tenant)
    appointment_for(tenant, patient, START)
    now = START - dt.timedelta(hours=20)
    reminders_enqueue_due(now=now)  # its batch task is "lost"
    assert reminders_requeue_stale(now=now + dt.timedelta(minutes=5)) == 0
    assert reminders_requeue_stale(now=now + dt.timedelta(minutes=11)) == 1
    ids = _batch_tasks()[-1]  # the same rows as the lost one
    with time_machine.travel(now + dt.timedelta(minutes=11), tick=False):
        assert reminders_send_batch(log_ids=ids) == 1


def test_settings_refuse_unknown_variables_and_unapproved_templates(tenant, owner):
    base = {
        "tenant": tenant,
        "actor": owner,
        "enabled_24h": True,
        "enabled_2h": False,
        "text_24h": "Olá {paciente}",
        "text_2h": "Olá {paciente}",
    }
    with pytest.raises(ApplicationError) as excinfo:
        reminder_settings_save(**{**base, "text_24h": "Olá {nome}, até {hora}"})
    assert excinfo.value.field == "text_24h" and "{nome}" in excinfo.value.message
    with pytest.raises(ApplicationError) as excinfo:
        reminder_settings_save(**{**base, "text_2h": ""})
    assert excinfo.value.field == "text_2h"
    _twilio(tenant)
    with pytest.raises(ApplicationError) as excinfo:
        reminder_settings_save(**{**base, "template_24h": "HX" + "9" * 32})
    assert excinfo.value.field == "template_24h"
    with pytest.raises(ApplicationError) as excinfo:
        reminder_settings_save(
            **{**base, "template_24h": TEMPLATE_SID, "template_vars_24h": ["paciente", "x", ""]}
        )
    assert excinfo.value.field == "template_vars_24h"
    assert not ReminderSettings.objects.exists()
    saved = reminder_settings_save(
        **{**base, "template_24h": TEMPLATE_SID, "template_vars_24h": ["paciente", "data", "hora"]}
    )
    assert saved.template_vars_24h == ["paciente", "data", "hora"]
    assert timezone.now()
