"""A reminder sent whose message fails later (status callback `failed`, or refused when it is
performed) tells the clinic staff once per message, in pt-BR, without personal data."""

import datetime as dt

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from clinicrm.automation.models import ReminderLog, ReminderStatus
from clinicrm.automation.services import reminders_enqueue_due, reminders_send_batch
from clinicrm.automation.tests.helpers import appointment_for, patient_with_whatsapp, reminders_on
from clinicrm.core.models import Notification, Role
from clinicrm.core.timeutils import SAO_PAULO
from clinicrm.messaging.models import Message, MessageStatus
from clinicrm.messaging.providers import SendResult, StatusUpdate
from clinicrm.messaging.services import message_send, message_send_perform, message_status_apply
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db

PATIENT = "Joana Prado"
START = dt.datetime(2026, 3, 11, 10, 0, tzinfo=SAO_PAULO)


@pytest.fixture
def staff(tenant, owner, member_factory):
    return {
        Role.OWNER: owner,
        Role.SECRETARY: member_factory(Role.SECRETARY),
        Role.PROFESSIONAL: member_factory(Role.PROFESSIONAL),
    }


def _sent_reminder(tenant) -> tuple[Message, str]:
    reminders_on(tenant)
    patient, number = patient_with_whatsapp(tenant, name=PATIENT)
    appointment_for(tenant, patient, START)
    now = START - dt.timedelta(hours=20)
    assert reminders_enqueue_due(now=now) == 1
    rows = DBTaskResult.objects.filter(task_path__endswith="reminders_send_batch_task")
    ids = [i for r in rows for i in r.args_kwargs["kwargs"]["log_ids"]]
    with time_machine.travel(now, tick=False):
        assert reminders_send_batch(log_ids=ids) == 1
    log = ReminderLog.objects.select_related("message").get()
    assert log.status == ReminderStatus.SENT and log.message is not None
    return log.message, number


def _told() -> list[Notification]:
    return list(Notification.objects.filter(kind="reminders.failed").select_related("user"))


def test_a_failed_status_callback_tells_the_clinic_once(tenant, staff, adapters):
    channel = make_channel(tenant)
    message, number = _sent_reminder(tenant)
    assert message_send_perform(message_id=message.pk) == "ok"
    message.refresh_from_db()
    assert message.provider_message_id and _told() == []

    update = StatusUpdate(message.provider_message_id, MessageStatus.FAILED, error_code="131026")
    assert message_status_apply(channel=channel, update=update)
    assert not message_status_apply(channel=channel, update=update)  # delivered twice
    told = _told()
    assert {n.user.email for n in told} == {staff[Role.OWNER].email, staff[Role.SECRETARY].email}
    assert len(told) == 2  # one per recipient, not one per delivery
    note = told[0]
    assert note.title == "Falha na entrega de lembrete"
    assert note.body.startswith("1 lembrete de sessão enviado não foi entregue")
    assert note.url == "/configuracoes/lembretes-sessao#log"
    text = f"{note.title} {note.body} {note.url}"
    for needle in (PATIENT, "Joana", number, number.lstrip("+")):
        assert needle not in text


def test_a_reminder_the_provider_refuses_when_performed_tells_the_clinic(tenant, staff, adapters):
    channel = make_channel(tenant)
    message, _ = _sent_reminder(tenant)
    adapters.script(channel, SendResult.failed("131026"))
    assert message_send_perform(message_id=message.pk) == "failed"
    assert len(_told()) == 2


def test_a_failed_message_that_is_not_a_reminder_tells_nobody(tenant, owner, staff, adapters):
    channel = make_channel(tenant)
    _, number = patient_with_whatsapp(tenant, name=PATIENT)
    message = message_send(tenant=tenant, actor=owner, thread_key=number, text="Olá")
    assert message_send_perform(message_id=message.pk) == "ok"
    message.refresh_from_db()
    update = StatusUpdate(message.provider_message_id or "", MessageStatus.FAILED)
    assert message_status_apply(channel=channel, update=update)
    assert _told() == []
