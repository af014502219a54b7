"""LGPD opt-out and opt-in: one acknowledgement, then no automated message of any kind."""

import pytest

from clinicrm.automation import reasons
from clinicrm.automation.models import OptOut, OptOutKeyword, OptOutSource
from clinicrm.automation.services import (
    automated_send,
    optout_keyword_add,
    optout_keyword_delete,
    optout_keywords_ensure,
    optout_manual_close,
    optout_manual_create,
)
from clinicrm.automation.services.gate import OPTOUT_ACK, REMINDER
from clinicrm.automation.tests.helpers import automated, new_number, patient_writes
from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.messaging.hooks import SendNeedsConfirmation
from clinicrm.messaging.models import MessageStatus, Provider
from clinicrm.messaging.services import message_send, message_send_perform
from clinicrm.messaging.tests.factories import make_channel, thread_url

pytestmark = pytest.mark.django_db


def test_pare_opts_out_with_one_acknowledgement(tenant, adapters):
    channel = make_channel(tenant)
    number = new_number()
    message = patient_writes(channel, number, "PARE!")

    row = OptOut.objects.get(tenant=tenant)
    assert (row.thread_key, row.source, row.keyword, row.message) == (
        number,
        OptOutSource.KEYWORD,
        "pare",
        message,
    )
    (ack,) = automated(tenant, OPTOUT_ACK)
    assert row.acknowledgement == ack
    assert "não receberá mais mensagens automáticas de Clínica Alfa" in ack.body
    assert AuditLog.objects.filter(action="optout.create", object_id=str(row.pk)).exists()

    # Asking again: still opted out, no second acknowledgement.
    patient_writes(channel, number, "sair")
    assert OptOut.objects.count() == 1 and len(automated(tenant)) == 1


def test_a_keyword_in_a_long_sentence_changes_nothing(tenant, adapters):
    channel = make_channel(tenant)
    patient_writes(channel, new_number(), "vou sair mais cedo do trabalho, posso remarcar?")
    assert not OptOut.objects.exists() and not automated(tenant)


def test_no_automated_message_after_opt_out_not_even_a_queued_one(tenant, adapters):
    channel = make_channel(tenant, Provider.TWILIO)
    credits_add(tenant=tenant, amount=5, kind="adjustment", note="teste")
    number = new_number()
    patient_writes(channel, number, "Oi, tudo bem?")  # opens the 24-hour window
    queued = automated_send(tenant=tenant, thread_key=number, purpose=REMINDER, text="Lembrete")
    assert queued.sent and credits_balance_get(tenant=tenant).balance == 4

    patient_writes(channel, number, "Não quero receber")
    (ack,) = automated(tenant, OPTOUT_ACK)
    assert credits_balance_get(tenant=tenant).balance == 3  # the acknowledgement costs one

    # The reminder queued before the opt-out is failed, not sent, and refunded.
    reminder = queued.message
    assert reminder is not None
    assert message_send_perform(message_id=reminder.pk) == "refused"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.error_code) == (MessageStatus.FAILED, "opted_out")
    assert credits_balance_get(tenant=tenant).balance == 4
    # The acknowledgement itself goes.
    assert message_send_perform(message_id=ack.pk) == "ok"
    # Nothing new goes through the gate...
    later = automated_send(tenant=tenant, thread_key=number, purpose=REMINDER, text="Lembrete")
    assert (later.sent, later.reason) == (False, reasons.OPTED_OUT)
    # ...nor around it.
    with pytest.raises(ApplicationError, match="pediu para não receber"):
        message_send(tenant=tenant, actor=None, thread_key=number, text="x", automation="test")
    assert [c[0] for c in adapters.adapter.calls] == ["text"]


def test_staff_writing_to_an_opted_out_number_confirms_and_is_audited(tenant, owner, adapters):
    channel = make_channel(tenant)
    number = new_number()
    patient_writes(channel, number, "stop")
    with pytest.raises(SendNeedsConfirmation) as excinfo:
        message_send(tenant=tenant, actor=owner, thread_key=number, text="Posso ligar?")
    assert "pediu para não receber mensagens (LGPD)" in excinfo.value.message
    assert not AuditLog.objects.filter(action="optout.manual_send_confirmed").exists()

    sent = message_send(
        tenant=tenant,
        actor=owner,
        thread_key=number,
        text="Posso ligar?",
        confirmed=True,
        ip="203.0.113.9",
    )
    assert sent.sent_by == owner
    audit = AuditLog.objects.get(action="optout.manual_send_confirmed")
    assert (audit.user, audit.object_type, audit.ip_address) == (owner, "optout", "203.0.113.9")


def test_voltar_opts_back_in_and_is_acknowledged(tenant, adapters):
    channel = make_channel(tenant)
    number = new_number()
    patient_writes(channel, number, "pare")
    patient_writes(channel, number, "Voltar")
    row = OptOut.objects.get()
    assert row.opted_in_at is not None and row.opted_in_keyword == "voltar"
    assert len(automated(tenant, "optin_ack")) == 1
    assert automated_send(tenant=tenant, thread_key=number, purpose=REMINDER, text="x").sent
    # A later "PARE" opens a new period (with its own acknowledgement).
    patient_writes(channel, number, "pare")
    assert OptOut.objects.filter(opted_in_at__isnull=True).count() == 1
    assert len(automated(tenant, OPTOUT_ACK)) == 2


def test_voltar_from_a_number_that_never_opted_out_is_ordinary_text(tenant, adapters):
    channel = make_channel(tenant)
    patient_writes(channel, new_number(), "voltar")
    assert not OptOut.objects.exists() and not automated(tenant)


def test_manual_opt_out_and_opt_in_need_a_reason(tenant, owner, adapters):
    with pytest.raises(ApplicationError) as excinfo:
        optout_manual_create(tenant=tenant, actor=owner, number="11988887777", reason="  ")
    assert (excinfo.value.field, excinfo.value.message) == ("reason", "Informe o motivo.")
    with pytest.raises(ApplicationError) as excinfo:
        optout_manual_create(tenant=tenant, actor=owner, number="123", reason="pediu")
    assert excinfo.value.field == "number"
    assert not OptOut.objects.exists()

    row = optout_manual_create(
        tenant=tenant, actor=owner, number="(11) 98888-7777", reason="Pediu por telefone"
    )
    assert (row.thread_key, row.source, row.created_by) == ("+5511988887777", "manual", owner)
    assert not automated(tenant)  # no acknowledgement for a manual opt-out
    with pytest.raises(ApplicationError, match="já está descadastrado"):
        optout_manual_create(tenant=tenant, actor=owner, number="11988887777", reason="de novo")
    with pytest.raises(ApplicationError):
        optout_manual_close(row=row, actor=owner, reason="")
    optout_manual_close(row=row, actor=owner, reason="Pediu para voltar")
    row.refresh_from_db()
    assert (row.opted_in_by, row.opted_in_reason) == (owner, "Pediu para voltar")


def test_keywords_system_ones_are_seeded_and_custom_ones_validated(tenant, owner, adapters):
    optout_keywords_ensure(tenant=tenant)
    optout_keywords_ensure(tenant=tenant)  # idempotent
    system = OptOutKeyword.objects.filter(tenant=tenant, is_system=True)
    assert system.filter(kind="optout").count() == 10
    assert system.filter(kind="optin").count() == 4
    for bad, message in [
        ("", "Digite uma palavra"),
        ("!!! ...", "Digite uma palavra"),
        ("😡😡", "Digite uma palavra"),
        ("pare", "já é uma palavra-chave"),
        ("PARE!", "já é uma palavra-chave"),
        ("não me mande mais nada", "no máximo 4 palavras"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            optout_keyword_add(tenant=tenant, actor=owner, keyword=bad, kind="optout")
    with pytest.raises(ApplicationError):
        optout_keyword_add(tenant=tenant, actor=owner, keyword="chega", kind="other")
    assert OptOutKeyword.objects.filter(tenant=tenant).count() == 14

    custom = optout_keyword_add(tenant=tenant, actor=owner, keyword=" Chega! ", kind="optout")
    assert custom.keyword == "chega"
    patient_writes(make_channel(tenant), new_number(), "Chega de mensagem")
    assert OptOut.objects.filter(keyword="chega").exists()
    with pytest.raises(ApplicationError, match="do sistema"):
        optout_keyword_delete(keyword=system.order_by("pk")[0], actor=owner)
    optout_keyword_delete(keyword=custom, actor=owner)
    assert not OptOutKeyword.objects.filter(keyword="chega").exists()


def test_media_and_our_own_messages_are_never_opt_outs(tenant, adapters):
    from clinicrm.messaging.services import message_ingest
    from clinicrm.messaging.tests.factories import inbound_text

    channel = make_channel(tenant)
    message_ingest(
        channel=channel,
        inbound=inbound_text(jid="5511988887777@s.whatsapp.net", body="pare", from_me=True),
    )
    assert not OptOut.objects.exists()


def test_the_send_box_asks_to_confirm_a_message_to_an_opted_out_number(tenant, owner, adapters):
    from django.test import Client

    channel = make_channel(tenant)
    number = new_number()
    patient_writes(channel, number, "sair")
    client = Client()
    client.force_login(owner)
    url = thread_url(tenant, number, "messaging:thread_send")
    resp = client.post(url, {"text": "Bom dia, podemos conversar?"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "pediu para não receber mensagens (LGPD)" in html
    assert 'name="confirmed" value="1"' in html and "Bom dia, podemos conversar?" in html
    assert not [m for m in automated(tenant) if m.sent_by_id]
    resp = client.post(
        url, {"text": "Bom dia, podemos conversar?", "confirmed": "1"}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 200
    confirmed = AuditLog.objects.get(action="optout.manual_send_confirmed", user=owner)
    assert confirmed.ip_address == "127.0.0.1"  # the request's address
