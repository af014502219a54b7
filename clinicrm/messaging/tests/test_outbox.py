import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core.errors import ApplicationError
from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.services import InsufficientCredits, credits_add, credits_balance_get
from clinicrm.messaging.errors import WINDOW_CLOSED_MESSAGE
from clinicrm.messaging.models import Message, MessageStatus, Provider, RealtimeEvent, Thread
from clinicrm.messaging.providers import SendResult, StatusUpdate, TemplateRef
from clinicrm.messaging.services import (
    message_ingest,
    message_reconcile,
    message_send,
    message_send_perform,
    message_status_apply,
)
from clinicrm.messaging.tests.factories import inbound_text, make_channel

pytestmark = pytest.mark.django_db

PHONE = "+5511988887777"


def _balance(tenant) -> int:
    return credits_balance_get(tenant=tenant).balance


def _twilio_ready(tenant, credits: int = 5):
    channel = make_channel(tenant, Provider.TWILIO)
    if credits:
        credits_add(tenant=tenant, amount=credits, kind="adjustment", note="teste")
    # An inbound message opens the 24-hour window.
    message_ingest(channel=channel, inbound=inbound_text(jid="whatsapp:+5511988887777"))
    return channel


def _send_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="message_send_task").count()


def test_send_creates_pending_message_charges_and_enqueues(tenant, owner):
    _twilio_ready(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key="(11) 98888-7777", text=" Oi ")
    assert (msg.status, msg.direction, msg.body, msg.thread_key) == ("pending", "out", "Oi", PHONE)
    assert msg.credit_charged
    assert _balance(tenant) == 4
    assert _send_tasks() == 1
    thread = Thread.objects.get(tenant=tenant)
    assert thread.last_direction == "out"
    assert thread.contact_raw_id == "whatsapp:+5511988887777"
    assert msg.contact_raw_id == "whatsapp:+5511988887777"


def test_insufficient_credits_creates_nothing(tenant, owner):
    _twilio_ready(tenant, credits=0)
    before_messages = Message.objects.count()
    before_events = RealtimeEvent.objects.count()
    with pytest.raises(InsufficientCredits) as excinfo:
        message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    assert "insuficiente" in excinfo.value.message
    assert Message.objects.count() == before_messages
    assert RealtimeEvent.objects.count() == before_events
    assert _send_tasks() == 0
    assert Thread.objects.get().last_direction == "in"


def test_evolution_sends_are_free(tenant, owner):
    make_channel(tenant, Provider.EVOLUTION)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    assert not msg.credit_charged
    assert not CreditTransaction.objects.exists()


def test_no_active_channel_is_refused(tenant, owner):
    make_channel(tenant, Provider.EVOLUTION, active=False)
    with pytest.raises(ApplicationError, match="Nenhum canal"):
        message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    assert not Message.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * 4097])
def test_bad_text_is_refused(tenant, owner, text):
    make_channel(tenant)
    with pytest.raises(ApplicationError):
        message_send(tenant=tenant, actor=owner, thread_key=PHONE, text=text)
    assert not Message.objects.exists()


def test_twilio_window_closed_refuses_free_text_but_allows_templates(tenant, owner):
    _twilio_ready(tenant)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        with pytest.raises(ApplicationError) as excinfo:
            message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
        assert excinfo.value.message == WINDOW_CLOSED_MESSAGE
        assert Message.objects.filter(direction="out").count() == 0
        assert _balance(tenant) == 5
        msg = message_send(
            tenant=tenant,
            actor=owner,
            thread_key=PHONE,
            template=TemplateRef(content_sid="HX" + "a" * 32, variables={"1": "12/1"}),
        )
    assert msg.kind == "template"
    assert _balance(tenant) == 4


def test_window_never_opened_refuses_free_text(tenant, owner):
    make_channel(tenant, Provider.TWILIO)
    credits_add(tenant=tenant, amount=5, kind="adjustment", note="teste")
    with pytest.raises(ApplicationError, match="janela de 24 horas"):
        message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")


def test_evolution_refuses_templates(tenant, owner):
    make_channel(tenant)
    with pytest.raises(ApplicationError, match="Oficial"):
        message_send(
            tenant=tenant, actor=owner, thread_key=PHONE, template=TemplateRef(content_sid="HX1")
        )


def test_perform_ok_records_provider_id_once(tenant, owner, adapters):
    channel = _twilio_ready(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapter = adapters.script(channel, SendResult.ok("SM1", status="pending"))
    assert message_send_perform(message_id=msg.pk) == "ok"
    # A re-run (reaper, duplicate enqueue) never calls the provider again.
    assert message_send_perform(message_id=msg.pk) == "skipped"
    assert len(adapter.calls) == 1
    msg.refresh_from_db()
    assert (msg.provider_message_id, msg.needs_reconciliation) == ("SM1", False)
    message_status_apply(channel=channel, update=StatusUpdate("SM1", "read"))
    msg.refresh_from_db()
    assert msg.status == "read"
    assert _balance(tenant) == 4


def test_provable_failure_marks_failed_and_refunds_once(tenant, owner, adapters):
    channel = _twilio_ready(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapters.script(channel, SendResult.failed("21211"))
    assert message_send_perform(message_id=msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.status == MessageStatus.FAILED
    assert msg.error_message == "O número do destinatário é inválido."
    assert _balance(tenant) == 5
    # A later failed callback for the same message refunds nothing more.
    Message.objects.filter(pk=msg.pk).update(provider_message_id="SMX")
    message_status_apply(channel=channel, update=StatusUpdate("SMX", "failed"))
    assert _balance(tenant) == 5
    assert (
        CreditTransaction.objects.filter(conversation_message_id=msg.pk, kind="refund").count() == 1
    )


def test_async_failure_callback_refunds_once(tenant, owner, adapters):
    channel = _twilio_ready(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapters.script(channel, SendResult.ok("SM9"))
    message_send_perform(message_id=msg.pk)
    for _ in range(3):
        message_status_apply(channel=channel, update=StatusUpdate("SM9", "failed", "63016"))
    assert _balance(tenant) == 5
    msg.refresh_from_db()
    assert msg.error_message == WINDOW_CLOSED_MESSAGE


def test_adapter_exception_is_an_unknown_outcome(tenant, owner, adapters):
    channel = _twilio_ready(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapter = adapters.script(channel)
    adapter.send_text = lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
    assert message_send_perform(message_id=msg.pk) == "unknown"
    msg.refresh_from_db()
    assert (msg.status, msg.needs_reconciliation) == ("pending", True)


def test_lost_task_is_requeued_by_reconcile(tenant, owner, adapters):
    make_channel(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    DBTaskResult.objects.all().delete()  # the worker lost the task row
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        assert message_reconcile()["requeued"] == 1
    assert _send_tasks() == 1
    assert message_send_perform(message_id=msg.pk) == "ok"


def test_echo_ingested_before_send_result_is_folded_in(tenant, owner, adapters):
    channel = make_channel(tenant)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    # Evolution's send.message / messages.update beat the HTTP response of sendText.
    message_ingest(channel=channel, inbound=inbound_text("3EB0AA", from_me=True, status="pending"))
    message_status_apply(channel=channel, update=StatusUpdate("3EB0AA", "delivered"))
    adapters.script(channel, SendResult.ok("3EB0AA", contact_raw_id="5511988887777@s.whatsapp.net"))
    message_send_perform(message_id=msg.pk)
    rows = Message.objects.filter(direction="out")
    assert rows.count() == 1
    msg.refresh_from_db()
    assert (msg.provider_message_id, msg.status) == ("3EB0AA", "delivered")
    assert msg.contact_raw_id == "5511988887777@s.whatsapp.net"
