"""Confirm by reply: a clear answer to a session reminder confirms or cancels the appointment,
answers the patient and tells the professional; anything else is left for the staff."""

import datetime as dt

import pytest
import time_machine

from clinicrm.agenda.extensions import appointment_badges_attach
from clinicrm.agenda.models import Appointment
from clinicrm.automation.models import AutoReplyLog, ReminderLog
from clinicrm.automation.services import reminders_enqueue_due, reminders_send_batch
from clinicrm.automation.tests.helpers import (
    appointment_for,
    automated,
    patient_with_whatsapp,
    patient_writes,
    reminders_on,
)
from clinicrm.core.models import AuditLog, Membership, Notification, Role
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.tests.factories import make_channel
from clinicrm.people.models import Professional
from conftest import make_user

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)
SENT_AT = START - dt.timedelta(hours=20)


@pytest.fixture
def reminded(tenant, adapters):
    """A sent 24 h reminder: (channel, appointment, patient's number)."""
    channel = make_channel(tenant)
    reminders_on(tenant, enabled_2h=False)
    user = make_user("helena@alfa.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.PROFESSIONAL)
    helena = Professional.objects.create(tenant=tenant, full_name="Dra. Helena", user=user)
    patient, number = patient_with_whatsapp(tenant, "Joana Prado")
    appointment = appointment_for(tenant, patient, START, professional=helena)
    with time_machine.travel(SENT_AT, tick=False):
        reminders_enqueue_due()
        reminders_send_batch(log_ids=list(ReminderLog.objects.values_list("pk", flat=True)))
    assert ReminderLog.objects.get().status == "sent"
    return channel, appointment, number


def _reply(channel, number, text, at=SENT_AT + dt.timedelta(hours=1)):
    with time_machine.travel(at, tick=False):
        return patient_writes(channel, number, text)


@pytest.mark.parametrize("text", ["1", "Sim!", "confirmo 👍", "Sim, confirmo. Obrigada"])
def test_a_yes_confirms(tenant, owner, reminded, text):
    channel, appointment, number = reminded
    reply = _reply(channel, number, text)
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    log = ReminderLog.objects.get()
    assert (log.answer, log.answer_message) == ("confirmed", reply)
    (answer,) = automated(tenant, "confirm_answer")
    assert answer.body == (
        "Obrigado! Sua consulta de 11/03 às 10:00 com Dra. Helena está confirmada. Até lá!"
    )
    (note,) = Notification.objects.filter(kind="appointment.confirmed_by_reply")
    assert note.user.email == "helena@alfa.test"  # the professional, not the managers
    assert "Joana" not in note.body and "11/03 às 10:00" in note.body
    audit = AuditLog.objects.get(action="appointment.status_change")
    assert audit.user is None and audit.details["to"] == "confirmed"
    # The agenda card says so.
    appointment_badges_attach(tenant=tenant, appointments=[appointment])
    assert [b.code for b in appointment.badges] == ["confirmed"]


@pytest.mark.parametrize("text", ["2", "Não", "cancelar", "Cancelar, por favor"])
def test_a_no_cancels(tenant, reminded, text):
    channel, appointment, number = reminded
    _reply(channel, number, text)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert ReminderLog.objects.get().answer == "cancelled"
    (answer,) = automated(tenant, "confirm_answer")
    assert "foi cancelada" in answer.body
    assert Notification.objects.filter(kind="appointment.cancelled_by_reply").count() == 1


@pytest.mark.parametrize("text", ["Sim, mas posso mudar o horário?", "1 ou 2?", "ok", "talvez"])
def test_ambiguous_replies_are_left_for_the_staff(tenant, reminded, text):
    channel, appointment, number = reminded
    _reply(channel, number, text)
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"
    assert ReminderLog.objects.get().answer == ""
    assert automated(tenant, "confirm_answer") == []
    assert not Notification.objects.exists()


def test_one_answer_per_reminder_and_only_before_the_appointment(tenant, reminded):
    channel, appointment, number = reminded
    _reply(channel, number, "1")
    _reply(channel, number, "2")  # a second answer is for the staff
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    assert len(automated(tenant, "confirm_answer")) == 1


def test_a_reply_after_the_appointment_began_changes_nothing(tenant, reminded):
    channel, appointment, number = reminded
    _reply(channel, number, "2", at=START + dt.timedelta(minutes=5))
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"


def test_a_yes_with_no_reminder_is_ordinary_text(tenant, owner, adapters):
    channel = make_channel(tenant)
    _, number = patient_with_whatsapp(tenant)
    patient_writes(channel, number, "sim")
    assert not Appointment.objects.exists() and not automated(tenant)
    assert not AutoReplyLog.objects.exists()  # auto-reply is off here
