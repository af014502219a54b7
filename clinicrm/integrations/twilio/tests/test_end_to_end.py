"""The CRM and the fake Twilio talking over real HTTP: signed inbound pushes, media through the
CDN redirect, sends through the adapter and status callbacks back to our webhook."""

import time

import pytest
from django.core.files.storage import default_storage

from clinicrm.core.models import Notification
from clinicrm.credits.services import credits_add, credits_balance_get
from clinicrm.devtools.fake_twilio.server import FakeTwilioServer
from clinicrm.devtools.fake_twilio.testing import ACCOUNT_SID, AUTH_TOKEN, SENDER
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.twilio.tests.helpers import make_twilio_channel, process_pending
from clinicrm.messaging.models import ChannelStatus, MediaStatus, Message, MessageStatus
from clinicrm.messaging.services import message_send, message_send_perform
from clinicrm.messaging.services.media import message_media_fetch

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT = "+5511988887777"


@pytest.fixture
def wired(settings, live_server, fake_twilio: FakeTwilioServer, tenant):
    settings.PUBLIC_BASE_URL = live_server.url
    channel = make_twilio_channel(
        tenant, token="e2e-token-abc", auth_token=AUTH_TOKEN, sender=SENDER
    )
    fake_twilio.state.inbound_url = (
        f"{live_server.url}/webhooks/twilio/{channel.webhook_token}/inbound/"
    )
    fake_twilio.state.config["step_delay"] = 0.02
    return channel


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process_pending()
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_inbound_image_pushed_signed_and_media_stored(wired, fake_twilio) -> None:
    result = fake_twilio.send_inbound(
        type="image",
        **{"from": PATIENT, "to": SENDER},
        body="foto do exame",
        account_sid=ACCOUNT_SID,
    )
    assert result["http_statuses"] == [200]
    assert process_pending() == ["processed"]
    msg = Message.objects.get()
    assert msg.kind == "image" and msg.body == "foto do exame" and msg.thread_key == PATIENT
    assert message_media_fetch(message_id=msg.pk) == MediaStatus.STORED
    msg.refresh_from_db()
    assert msg.media_path.startswith(f"{wired.tenant_id}/")
    with default_storage.open(msg.media_path) as fh:
        assert fh.read()[:8] == b"\x89PNG\r\n\x1a\n"
    # The CDN got the bytes request without our Basic credentials.
    assert len(fake_twilio.state.cdn_requests) == 1
    assert "authorization" not in fake_twilio.state.cdn_requests[0]["headers"]


def test_duplicate_pushes_make_one_message(wired, fake_twilio) -> None:
    fake_twilio.state.config["duplicates"] = 4
    result = fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")
    assert result["http_statuses"] == [200] * 5
    fake_twilio.control("inbound/" + result["sid"] + "/resend", {})
    assert InboundEvent.objects.count() == 1
    process_pending()
    assert Message.objects.count() == 1


def test_send_then_callbacks_reach_read(wired, fake_twilio, owner) -> None:
    tenant = wired.tenant
    credits_add(tenant=tenant, amount=2, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")  # opens both windows
    process_pending()
    msg = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Olá, Camila!")
    assert message_send_perform(message_id=msg.pk) == "ok"
    msg.refresh_from_db()
    assert (msg.provider_message_id or "").startswith("SM")
    assert _wait(lambda: Message.objects.get(pk=msg.pk).status == MessageStatus.READ)
    assert credits_balance_get(tenant=tenant).balance == 1
    sent = fake_twilio.state.api_requests[-1]["form"]
    # The StatusCallback names the message; the signature over it (query included) held.
    callback = fake_twilio.state.inbound_url.replace("/inbound/", "/status/")
    assert dict(sent)["StatusCallback"] == f"{callback}?message_id={msg.pk}"


def test_reordered_and_duplicated_callbacks_never_downgrade(wired, fake_twilio, owner) -> None:
    tenant = wired.tenant
    credits_add(tenant=tenant, amount=2, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")
    process_pending()
    fake_twilio.state.config.update(reorder=True, duplicates=2)
    msg = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Confirmado")
    message_send_perform(message_id=msg.pk)
    assert fake_twilio.flush(10)
    process_pending()
    msg.refresh_from_db()
    assert msg.status == MessageStatus.READ
    statuses = [d["status"] for d in fake_twilio.dispatcher.deliveries if d["kind"] == "status"]
    assert statuses[0] == "read" and statuses.count("sent") == 3


def test_window_closed_send_fails_async_and_refunds(wired, fake_twilio, owner) -> None:
    """The CRM thinks the window is open (inbound seen) but Twilio's closed: 63016 comes back."""
    tenant = wired.tenant
    credits_add(tenant=tenant, amount=2, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")
    process_pending()
    fake_twilio.control("clock", {"seconds": 25 * 3600})
    msg = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Oi de novo")
    assert credits_balance_get(tenant=tenant).balance == 1
    message_send_perform(message_id=msg.pk)
    assert _wait(lambda: Message.objects.get(pk=msg.pk).status == MessageStatus.FAILED)
    msg.refresh_from_db()
    assert msg.error_code == "63016"
    assert credits_balance_get(tenant=tenant).balance == 2


def test_sync_error_fails_and_refunds(wired, fake_twilio, owner) -> None:
    tenant = wired.tenant
    credits_add(tenant=tenant, amount=2, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")
    process_pending()
    fake_twilio.control("fail_next", {"code": 21610, "status": 400})
    msg = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text="Oi")
    assert message_send_perform(message_id=msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.status == MessageStatus.FAILED
    assert msg.error_message == "Este contato pediu para não receber mensagens."
    assert credits_balance_get(tenant=tenant).balance == 2


def test_refused_credentials_mark_the_channel_and_tell_the_clinic_once(
    wired, fake_twilio, owner
) -> None:
    """A revoked auth token: the send fails and is refunded, the channel turns "Credenciais
    inválidas" (reminders stop at the pre-flight) and the staff get one notification."""
    tenant = wired.tenant
    credits_add(tenant=tenant, amount=2, kind="adjustment", note="teste")
    fake_twilio.send_inbound(**{"from": PATIENT, "to": SENDER}, body="oi")
    process_pending()
    wired.set_secrets({"auth_token": "revoked-token"})
    wired.save()

    for text in ("Olá", "Olá de novo"):
        msg = message_send(tenant=tenant, actor=owner, thread_key=PATIENT, text=text)
        assert message_send_perform(message_id=msg.pk) == "failed"
        msg.refresh_from_db()
        assert msg.status == MessageStatus.FAILED and msg.error_code == "20003"

    wired.refresh_from_db()
    assert wired.status == ChannelStatus.INVALID
    assert credits_balance_get(tenant=tenant).balance == 2  # both refunded
    notices = Notification.objects.filter(tenant=tenant, kind="channel.disconnected")
    assert [(n.user_id, n.title) for n in notices] == [
        (owner.pk, "Credenciais do WhatsApp recusadas")
    ]
