"""Reconciliation settles sends on positive evidence only (services/reconcile.py).

The provider is the scripted adapter (unit edge): what it "knows" is a dict of ProviderMessage.
The real HTTP paths against the fake providers are in integrations/*/tests/test_reconcile*.py.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.messaging.models import Evidence, Message, MessageStatus, Provider, StatusBacklog
from clinicrm.messaging.providers import ProviderMessage, SendResult, StatusUpdate
from clinicrm.messaging.services import (
    message_ingest,
    message_reconcile,
    message_send,
    message_send_perform,
    message_status_apply,
)
from clinicrm.messaging.tests.factories import (
    ScriptedAdapter,
    inbound_text,
    make_channel,
    thread_url,
)

pytestmark = pytest.mark.django_db

PHONE = "+5511988887777"
FUNDS = 5


def _balance(tenant) -> int:
    return credits_balance_get(tenant=tenant).balance


def _refund_notes(message: Message) -> list[str]:
    rows = CreditTransaction.objects.filter(conversation_message_id=message.pk, kind="refund")
    return [row.note or "" for row in rows]


@pytest.fixture
def channel(tenant):
    channel = make_channel(tenant, Provider.TWILIO)
    credits_add(tenant=tenant, amount=FUNDS, kind="adjustment", note="teste")
    message_ingest(channel=channel, inbound=inbound_text(jid=f"whatsapp:{PHONE}"))
    return channel


def _in_doubt(
    tenant, owner, adapters, channel, text: str = "Oi"
) -> tuple[Message, ScriptedAdapter]:
    message = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text=text)
    adapter = adapters.script(channel, SendResult.unknown("timeout"))
    assert message_send_perform(message_id=message.pk) == "unknown"
    message.refresh_from_db()
    return message, adapter


def _listed(pid: str, *, at: dt.datetime | None, body: str = "Oi", status: str = "pending"):
    return ProviderMessage(provider_message_id=pid, status=status, created_at=at, body=body)


def _later(minutes: float) -> time_machine.travel:
    return time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False)


def test_timeout_leaves_the_message_in_doubt_with_its_credit(tenant, owner, adapters, channel):
    message, _ = _in_doubt(tenant, owner, adapters, channel)
    assert message.in_doubt and message.needs_reconciliation
    assert message.status == MessageStatus.PENDING and not message.provider_message_id
    assert _balance(tenant) == FUNDS - 1
    # Too early: reconciliation has nothing due yet and asks the provider nothing.
    assert message_reconcile()["waiting"] == 0


def test_listing_finds_the_message_it_is_sent(tenant, owner, adapters, channel):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    adapter.known["SM1"] = _listed("SM1", at=message.send_attempted_at, status="delivered")
    with _later(5):
        assert message_reconcile()["sent"] == 1
    message.refresh_from_db()
    assert (message.provider_message_id, message.status) == ("SM1", MessageStatus.DELIVERED)
    assert message.settled_by == Evidence.LISTING and not message.in_doubt
    assert _balance(tenant) == FUNDS - 1  # charged once, never refunded


def test_absent_is_proof_only_after_the_deadline(tenant, owner, adapters, channel, settings):
    message, _ = _in_doubt(tenant, owner, adapters, channel)
    with _later(5):
        assert message_reconcile()["waiting"] == 1
    message.refresh_from_db()
    assert message.in_doubt and _balance(tenant) == FUNDS - 1
    with _later(settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 + 1):
        assert message_reconcile()["failed"] == 1
        assert message_reconcile()["failed"] == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.settled_by == Evidence.LISTING
    assert _balance(tenant) == FUNDS
    [note] = _refund_notes(message)
    assert "lista de mensagens do provedor" in note and "não tem esta mensagem" in note


def test_unreachable_provider_keeps_it_in_doubt_and_backs_off(
    tenant, owner, adapters, channel, settings
):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    adapter.unavailable = True
    far = settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 * 4
    with _later(far):
        assert message_reconcile()["unreachable"] == 1
        assert message_reconcile()["unreachable"] == 0  # backed off: not due again at once
    message.refresh_from_db()
    assert message.in_doubt and message.status == MessageStatus.PENDING
    assert message.reconcile_attempts == 1
    assert message.reconcile_at is not None and message.reconcile_at > timezone.now()
    assert _balance(tenant) == FUNDS - 1 and _refund_notes(message) == []
    # The provider answers again and lists the message: settled as sent, never refunded.
    adapter.unavailable = False
    adapter.known["SM2"] = _listed("SM2", at=message.send_attempted_at)
    with _later(far * 3):
        assert message_reconcile()["sent"] == 1
    assert _balance(tenant) == FUNDS - 1


def test_incomplete_listing_is_never_proof(tenant, owner, adapters, channel, settings):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    adapter.complete = False  # Evolution without stored history: absence says nothing
    with _later(settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 * 3):
        assert message_reconcile()["waiting"] == 1
    message.refresh_from_db()
    assert message.in_doubt and _balance(tenant) == FUNDS - 1


def test_older_and_known_provider_messages_are_not_candidates(
    tenant, owner, adapters, channel, settings
):
    earlier = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapters.script(channel, SendResult.ok("SM-OLD"))
    message_send_perform(message_id=earlier.pk)
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    attempted = message.send_attempted_at
    assert attempted is not None
    adapter.known["SM-OLD"] = _listed("SM-OLD", at=attempted)  # ours already
    adapter.known["SM-BEFORE"] = _listed("SM-BEFORE", at=attempted - dt.timedelta(minutes=1))
    with _later(settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 + 1):
        assert message_reconcile()["failed"] == 1
    message.refresh_from_db()
    assert not message.provider_message_id and _balance(tenant) == FUNDS - 1  # the earlier one


def test_another_text_to_the_contact_is_not_proof_either_way(
    tenant, owner, adapters, channel, settings
):
    message, adapter = _in_doubt(tenant, owner, adapters, channel, text="Oi")
    # Sent by someone else through the same number: not ours, not absent.
    adapter.known["SM3"] = _listed("SM3", at=message.send_attempted_at, body="Outra coisa")
    with _later(settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 + 1):
        assert message_reconcile()["waiting"] == 1
    message.refresh_from_db()
    assert message.in_doubt and not message.provider_message_id


def test_never_takes_the_id_of_a_send_still_in_flight(tenant, owner, adapters, channel, settings):
    """A is in doubt and was never created; B, to the same number, was created by the provider
    but its task has not recorded the id yet. A must not take B's id."""
    a, adapter = _in_doubt(tenant, owner, adapters, channel)
    b = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    now = timezone.now()
    Message.objects.filter(pk=b.pk).update(  # claimed, as the task does: its call is under way
        send_attempted_at=now, needs_reconciliation=True, reconcile_at=now + dt.timedelta(minutes=2)
    )
    adapter.known["SM-B"] = _listed("SM-B", at=timezone.now())
    with _later(5):
        assert message_reconcile()["waiting"] == 2  # B is due too: it competes for SM-B
    a.refresh_from_db()
    assert not a.provider_message_id and a.in_doubt
    # B's task records its answer; then SM-B is accounted for and A was provably not created.
    b.refresh_from_db()
    from clinicrm.messaging.services import message_send_result_apply

    message_send_result_apply(message=b, result=SendResult.ok("SM-B"))
    with _later(settings.MESSAGING_SEND_DEADLINE_SECONDS / 60 + 1):
        counts = message_reconcile()
    assert counts["failed"] == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.provider_message_id) == (MessageStatus.FAILED, "SM-B")
    assert _balance(tenant) == FUNDS - 1  # B charged, A refunded


def test_a_callback_naming_the_message_settles_it_at_once(tenant, owner, adapters, channel):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    update = StatusUpdate("SM4", "delivered", reference=str(message.pk))
    assert message_status_apply(channel=channel, update=update)
    message.refresh_from_db()
    assert (message.provider_message_id, message.status) == ("SM4", MessageStatus.DELIVERED)
    assert message.settled_by == Evidence.CALLBACK and not message.in_doubt
    assert not StatusBacklog.objects.exists()
    assert adapter.calls[-1][0] == "text"  # the provider was not asked anything


def test_a_reference_to_another_channel_or_garbage_goes_to_the_backlog(
    tenant, owner, adapters, channel
):
    message, _ = _in_doubt(tenant, owner, adapters, channel)
    other = make_channel(tenant, Provider.EVOLUTION, active=False)
    for ref, target in (("99999999", channel), ("1e3", channel), (str(message.pk), other)):
        message_status_apply(channel=target, update=StatusUpdate("SM5", "sent", reference=ref))
    message.refresh_from_db()
    assert not message.provider_message_id
    assert StatusBacklog.objects.count() == 2  # one per channel (same sid and status)


def test_a_waiting_backlog_callback_settles_the_message(tenant, owner, adapters, channel):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    for status in ("sent", "read"):
        StatusBacklog.objects.create(
            tenant=tenant,
            channel=channel,
            provider_message_id="SM6",
            status=status,
            reference=message.pk,
        )
    with _later(5):
        assert message_reconcile()["sent"] == 1
    message.refresh_from_db()
    assert (message.provider_message_id, message.status) == ("SM6", MessageStatus.READ)
    assert message.settled_by == Evidence.BACKLOG
    assert not StatusBacklog.objects.exists()
    assert [name for name, _ in adapter.calls] == ["text"]  # no listing needed


def test_accepted_message_without_callbacks_gets_its_status_fetched(
    tenant, owner, adapters, channel, settings
):
    message = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapter = adapters.script(channel, SendResult.ok("SM7"))
    message_send_perform(message_id=message.pk)
    message.refresh_from_db()
    assert message.reconcile_at is not None
    with _later(5):
        assert message_reconcile()["status"] == 0  # not due before N minutes
    adapter.known["SM7"] = ProviderMessage("SM7", status="pending")
    check = settings.MESSAGING_STATUS_CHECK_AFTER_SECONDS / 60
    with _later(check + 1):
        assert message_reconcile()["waiting"] == 1  # still queued at the provider
    adapter.known["SM7"] = ProviderMessage("SM7", status="read")
    with _later(check * 3 + 1):
        assert message_reconcile()["status"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.READ and message.reconcile_at is None
    with _later(60 * 24):
        assert message_reconcile() == dict.fromkeys(
            ("requeued", "sent", "failed", "status", "waiting", "unreachable"), 0
        )


def test_fetched_failure_refunds_once_naming_the_lookup(tenant, owner, adapters, channel, settings):
    message = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapter = adapters.script(channel, SendResult.ok("SM8"))
    message_send_perform(message_id=message.pk)
    adapter.known["SM8"] = ProviderMessage("SM8", status="failed", error_code="63016")
    with _later(settings.MESSAGING_STATUS_CHECK_AFTER_SECONDS / 60 + 1):
        assert message_reconcile()["failed"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error_code == "63016"
    assert _balance(tenant) == FUNDS
    [note] = _refund_notes(message)
    assert "consulta da mensagem no provedor" in note and "63016" in note


def test_status_polling_ends_at_its_deadline(tenant, owner, adapters, channel, settings):
    message = message_send(tenant=tenant, actor=owner, thread_key=PHONE, text="Oi")
    adapter = adapters.script(channel, SendResult.ok("SM9"))
    message_send_perform(message_id=message.pk)
    adapter.unavailable = True
    with _later(settings.MESSAGING_STATUS_POLL_DEADLINE_SECONDS / 60 + 1):
        assert message_reconcile()["unreachable"] == 1
    message.refresh_from_db()
    assert message.reconcile_at is None and message.status == MessageStatus.PENDING
    assert _balance(tenant) == FUNDS - 1


def test_two_runs_never_work_on_one_message(tenant, owner, adapters, channel):
    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    adapter.known["SM10"] = _listed("SM10", at=message.send_attempted_at)
    from clinicrm.messaging.services.reconcile import _take

    now = timezone.now() + dt.timedelta(minutes=5)
    assert _take(pk=message.pk, now=now) is not None
    assert _take(pk=message.pk, now=now) is None  # leased to the first run


def test_staff_see_verificando_entrega_while_in_doubt(
    tenant, owner, owner_client, adapters, channel
):
    from django.template.loader import render_to_string

    message, adapter = _in_doubt(tenant, owner, adapters, channel)
    ticks = render_to_string("messaging/_ticks.html", {"m": message})
    assert "verificando entrega" in ticks and "tick-doubt" in ticks
    assert message.status_label == "verificando entrega"  # e.g. the reminders log shows it
    page = owner_client.get(thread_url(tenant, PHONE))
    assert "verificando entrega" in page.content.decode()
    adapter.known["SM11"] = _listed("SM11", at=message.send_attempted_at, status="sent")
    with _later(5):
        message_reconcile()
    message.refresh_from_db()
    ticks = render_to_string("messaging/_ticks.html", {"m": message})
    assert "verificando" not in ticks and "✓" in ticks
    assert message.status_label == "Enviada"
