"""The demo's automation: reminders on in both clinics, auto-reply ready, and agenda cards that
show reminder states which agree with the inbox (sent, delivered, read, confirmed by reply, an
opted-out patient whose reminder cannot go)."""

import datetime as dt

import pytest
import time_machine

from clinicrm.agenda.extensions import appointment_badges_attach
from clinicrm.agenda.models import Appointment, AppointmentStatus
from clinicrm.automation import reasons
from clinicrm.automation.models import (
    AutoReplySettings,
    OptOut,
    ReminderAnswer,
    ReminderLog,
    ReminderSettings,
)
from clinicrm.automation.reminder_state import reminder_preflight
from clinicrm.core.models import Tenant
from clinicrm.devtools.seed import seed_demo
from clinicrm.messaging.models import Message
from clinicrm.people.models import ContactPhone

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 11, 13, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in São Paulo


@pytest.fixture
def seeded(db):
    with time_machine.travel(NOW, tick=False):
        yield seed_demo()


def test_reminders_on_and_auto_reply_ready_in_both_clinics(seeded):
    for tenant in Tenant.objects.all():
        row = ReminderSettings.objects.get(tenant=tenant)
        assert row.enabled_24h and row.enabled_2h
        auto = AutoReplySettings.objects.get(tenant=tenant)
        assert not auto.enabled and "{proxima_abertura}" in auto.message
    # The Twilio clinic reminds outside the 24-hour window with its approved template.
    assert ReminderSettings.objects.get(tenant__slug="dra-ana-lima").template_24h


def test_agenda_cards_show_reminder_states_that_agree_with_the_inbox(seeded):
    tenant = Tenant.objects.get(slug="bem-estar")
    logs = list(ReminderLog.objects.filter(tenant=tenant).select_related("message"))
    sent = [log for log in logs if log.message is not None]
    assert len(sent) == 3
    for log in sent:
        appointment = Appointment.objects.get(pk=log.appointment_id)
        assert log.message is not None and log.message.thread_key == log.thread_key
        assert log.message.extra["automation"] == "reminder"
        assert log.created_at == appointment.starts_at - dt.timedelta(hours=24) < NOW
        assert "amanhã" in log.message.body and appointment.patient.full_name.split()[0] in (
            log.message.body
        )
    (confirmed,) = [log for log in logs if log.answer]
    assert confirmed.answer == ReminderAnswer.CONFIRMED and confirmed.answer_message is not None
    assert confirmed.answer_message.body == "1"
    appointment = Appointment.objects.get(pk=confirmed.appointment_id)
    assert appointment.status == AppointmentStatus.CONFIRMED
    answer = Message.objects.filter(tenant=tenant, extra__automation="confirm_answer").get()
    assert "está confirmada" in answer.body and answer.thread_key == confirmed.thread_key

    with time_machine.travel(NOW, tick=False):
        rows = list(Appointment.objects.filter(pk__in=[log.appointment_id for log in sent]))
        appointment_badges_attach(tenant=tenant, appointments=rows)
    codes = sorted(b.code for a in rows for b in a.badges)  # type: ignore[attr-defined]
    assert codes == ["confirmed", "reminder_delivered", "reminder_read"]


def test_an_opted_out_patient_is_told_apart_on_the_agenda(seeded):
    for tenant in Tenant.objects.all():
        (optout,) = OptOut.objects.filter(tenant=tenant)
        # Not a patient of the seeded inbox: nobody chats after asking not to get messages.
        assert not Message.objects.filter(tenant=tenant, thread_key=optout.thread_key).exists()
        patient_ids = ContactPhone.objects.filter(
            tenant=tenant, number_e164=optout.thread_key, is_primary=True
        ).values_list("entity_id", flat=True)
        with time_machine.travel(NOW, tick=False):
            rows = list(
                Appointment.objects.filter(
                    tenant=tenant, patient_id__in=patient_ids, starts_at__gt=NOW
                )
            )
            appointment_badges_attach(tenant=tenant, appointments=rows)
            problems = reminder_preflight(tenant=tenant)
        badges = [b for a in rows for b in a.badges]  # type: ignore[attr-defined]
        assert badges and all("descadastrado (LGPD)" in b.label for b in badges)
        assert badges[0].code in ("skipped", "preflight_problem")
        assert any(p.reason == reasons.OPTED_OUT for p in problems) or (
            ReminderLog.objects.filter(tenant=tenant, reason=reasons.OPTED_OUT).exists()
        )


def test_seed_twice_changes_no_automation_row(seeded):
    before = (ReminderLog.objects.count(), OptOut.objects.count(), Message.objects.count())
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        seed_demo()
    assert (ReminderLog.objects.count(), OptOut.objects.count(), Message.objects.count()) == before
