"""Messaging's hooks for the credits app: credit changes become `credits` realtime events (ids
only), and the statement learns which conversation a credit paid for."""

from decimal import Decimal

import pytest

from clinicrm.credits.models import CreditPurchase
from clinicrm.credits.purchases import purchase_payment_received
from clinicrm.credits.services import credits_add, credits_adjust, credits_deduct, credits_refund
from clinicrm.credits.statement import MessageRef, _refs
from clinicrm.messaging.models import Message, MessageStatus, Provider, RealtimeEvent
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel, thread_url

pytestmark = pytest.mark.django_db


def _credit_events(tenant) -> list[dict]:
    return list(
        RealtimeEvent.objects.filter(tenant=tenant, kind="credits")
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_a_paid_purchase_announces_its_credit_and_its_status(tenant, other_tenant):
    purchase = CreditPurchase.objects.create(
        tenant=tenant, package_name="P", credits=10, amount_brl=Decimal("9.90")
    )
    purchase_payment_received(purchase=purchase)
    assert _credit_events(tenant) == [{"purchase": str(purchase.pk)}] * 2
    assert _credit_events(other_tenant) == []


def test_staff_movements_are_announced_but_message_charges_are_not(tenant, staff_user):
    credits_add(tenant=tenant, amount=5, kind="topup_manual", admin=staff_user)
    credits_adjust(tenant=tenant, amount=-1, admin=staff_user, note="correção")
    assert _credit_events(tenant) == [{"purchase": None}] * 2
    # A message's charge and refund travel with the message's own events.
    credits_deduct(tenant=tenant, message_id=99)
    credits_refund(tenant=tenant, message_id=99)
    assert len(_credit_events(tenant)) == 2


def test_statement_refs_link_the_conversation_and_the_failure(tenant, other_tenant):
    channel = make_channel(tenant, Provider.TWILIO)
    inbound = message_ingest(
        channel=channel,
        inbound=inbound_text(jid="whatsapp:+5511988887777", contact_name="Maria Souza"),
    )
    assert inbound is not None
    Message.objects.filter(pk=inbound.pk).update(
        status=MessageStatus.FAILED, error_message="O número do destinatário é inválido."
    )
    refs = _refs(tenant, [inbound.pk, 123456])
    assert refs == {
        inbound.pk: MessageRef(
            url=thread_url(tenant, "+5511988887777"),
            label="Conversa com Maria Souza",
            failure="O número do destinatário é inválido.",
        )
    }
    assert _refs(other_tenant, [inbound.pk]) == {}
