"""Twilio webhooks from byte-exact fixtures: one test per event type, auth, dedup, ordering."""

import pytest
from django.test import Client

from clinicrm.credits.models import CreditTransaction
from clinicrm.credits.services import credits_add, credits_balance_get, credits_deduct
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.twilio.signature import signature_compute
from clinicrm.integrations.twilio.tests.helpers import (
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    fixture_meta,
    make_outbound,
    make_twilio_channel,
    post_fixture,
    process_pending,
)
from clinicrm.messaging.errors import WINDOW_CLOSED_MESSAGE
from clinicrm.messaging.models import MediaStatus, Message, MessageStatus, Thread

pytestmark = pytest.mark.django_db

STATUS_SID = "SM97654ba462114de7a8d9c064e343f9c5"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    # Media URLs in the fixtures point at api.twilio.com: send them nowhere real.
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def channel(tenant):
    return make_twilio_channel(tenant)


INBOUND_CASES = [
    ("inbound_text", "text", "Oi, quero remarcar minha consulta", False),
    ("inbound_image", "image", "Segue o pedido médico", True),
    ("inbound_voice", "voice", "", True),
    ("inbound_document", "document", "exame.pdf", True),
    ("inbound_video", "video", "", True),
    ("inbound_contacts", "contacts", "", True),
    ("inbound_location", "location", "", False),
    ("inbound_button", "text", "Konfirmasi", False),
]


@pytest.mark.parametrize(("name", "kind", "body", "has_media"), INBOUND_CASES)
def test_inbound_fixture_becomes_message(client: Client, channel, name, kind, body, has_media):
    resp = post_fixture(client, name)
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/xml")
    assert b"<Response></Response>" in resp.content
    event = InboundEvent.objects.get()
    assert event.provider == "twilio" and event.event_type == "message.inbound"
    assert event.tenant_id == channel.tenant_id and event.channel_key == str(channel.pk)
    assert event.body_bytes == post_fixture.__globals__["fixture_body"](name)
    assert "x-twilio-signature" not in event.headers
    assert process_pending() == ["processed"]
    msg = Message.objects.get()
    assert msg.direction == "in" and msg.kind == kind and msg.body == body
    assert msg.thread_key == "+5511999990000"
    assert msg.contact_raw_id == "whatsapp:+5511999990000"
    thread = Thread.objects.get(tenant=channel.tenant)
    assert thread.unread_count == 1 and thread.last_inbound_at is not None
    assert thread.contact_name == "Camila Cardoso"
    if has_media:
        assert msg.media_status == MediaStatus.PENDING
        assert msg.media_ref["url"].startswith("https://api.twilio.com/2010-04-01/Accounts/")
        # The download fails (no Twilio here): a placeholder, never a blocked thread.
        from clinicrm.messaging.services.media import message_media_fetch

        assert message_media_fetch(message_id=msg.pk) == MediaStatus.FAILED
        msg.refresh_from_db()
        assert msg.media_status == MediaStatus.FAILED
    else:
        assert msg.media_status == MediaStatus.NONE
    if kind == "location":
        assert msg.extra == {"latitude": "25.018766403198", "longitude": "-77.395950317383"}
    if name == "inbound_button":
        assert msg.quoted_provider_id == "MM5cc4d1e2f3a4b5c6d7e8f90a1b2c3d4e"
        assert msg.extra["button_payload"] == "confirm_appointment"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("status_sent", "sent"), ("status_delivered", "delivered"), ("status_read", "read")],
)
def test_status_fixture_advances_message(client: Client, channel, name, expected):
    msg = make_outbound(channel, STATUS_SID)
    assert post_fixture(client, name).status_code == 200
    event = InboundEvent.objects.get()
    assert event.event_type == f"status.{expected}"
    assert process_pending() == ["processed"]
    msg.refresh_from_db()
    assert msg.status == expected


@pytest.mark.parametrize(
    ("name", "sid", "code", "message"),
    [
        (
            "status_undelivered_63016",
            "SMd5cf0a1b2c3d4e5f60718293a4b5c6d7",
            "63016",
            WINDOW_CLOSED_MESSAGE,
        ),
        (
            "status_failed_63003",
            "SMe6d01a2b3c4d5e6f708192a3b4c5d6e7",
            "63003",
            "Este número não tem WhatsApp.",
        ),
    ],
)
def test_failure_callback_marks_failed_and_refunds_once(
    client: Client, channel, name, sid, code, message
):
    tenant = channel.tenant
    credits_add(tenant=tenant, amount=3, kind="adjustment", note="teste")
    msg = make_outbound(channel, sid, status="sent")
    credits_deduct(tenant=tenant, amount=1, message_id=msg.pk)
    Message.objects.filter(pk=msg.pk).update(credit_charged=True)
    assert credits_balance_get(tenant=tenant).balance == 2
    for _ in range(5):
        assert post_fixture(client, name).status_code == 200
    assert InboundEvent.objects.count() == 1
    process_pending()
    msg.refresh_from_db()
    assert msg.status == MessageStatus.FAILED
    assert msg.error_code == code and msg.error_message == message
    assert credits_balance_get(tenant=tenant).balance == 3
    assert (
        CreditTransaction.objects.filter(conversation_message_id=msg.pk, kind="refund").count() == 1
    )


def test_status_callbacks_out_of_order_never_downgrade(client: Client, channel):
    msg = make_outbound(channel, STATUS_SID)
    for name in ("status_read", "status_delivered", "status_sent", "status_read"):
        assert post_fixture(client, name).status_code == 200
    assert InboundEvent.objects.count() == 3  # (sid, status) dedup
    process_pending()
    msg.refresh_from_db()
    assert msg.status == MessageStatus.READ


def test_status_before_message_waits_in_backlog(client: Client, channel):
    post_fixture(client, "status_delivered")
    process_pending()
    msg = make_outbound(channel, STATUS_SID)
    from clinicrm.messaging.services.status import status_backlog_apply

    assert status_backlog_apply(message=msg) == 1
    msg.refresh_from_db()
    assert msg.status == MessageStatus.DELIVERED


def test_same_inbound_five_times_one_message(client: Client, channel):
    for _ in range(5):
        assert post_fixture(client, "inbound_text").status_code == 200
    assert InboundEvent.objects.count() == 1
    process_pending()
    process_pending()
    assert Message.objects.count() == 1
    assert Thread.objects.get().unread_count == 1


def test_bad_signature_five_times_nothing_stored(client: Client, channel):
    good = fixture_meta("inbound_text")["signature"]
    bad = good[:-2] + ("A=" if good[-2] != "A" else "B=")
    for _ in range(5):
        assert post_fixture(client, "inbound_text", signature=bad).status_code == 403
        assert post_fixture(client, "status_sent", signature=good).status_code == 403
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0


def test_missing_signature_five_times_nothing_stored(client: Client, channel):
    for _ in range(5):
        assert post_fixture(client, "inbound_text", signature=None).status_code == 403
    assert InboundEvent.objects.count() == 0


def test_signature_with_wrong_token_or_host_refused(client: Client, channel, settings):
    # Another account's token signs the same bytes: refused.
    channel.set_secrets({"auth_token": "0" * 32})
    channel.save()
    assert post_fixture(client, "inbound_text").status_code == 403
    channel.set_secrets({"auth_token": AUTH_TOKEN})
    channel.save()
    # Behind a proxy the request host differs; only the configured public URL counts.
    settings.PUBLIC_BASE_URL = "https://other.example.com"
    assert post_fixture(client, "inbound_text").status_code == 403
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    assert post_fixture(client, "inbound_text").status_code == 200


def test_unknown_channel_token_refused(client: Client, channel):
    meta = fixture_meta("inbound_text")
    path = meta["url"][len(PUBLIC_BASE_URL) :].replace(channel.webhook_token, "nao-existe")
    from clinicrm.integrations.twilio.tests.helpers import fixture_body

    resp = client.post(
        path,
        data=fixture_body("inbound_text"),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": meta["signature"]},
    )
    assert resp.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_unknown_event_type_five_times_stored_once_and_ignored(client: Client, channel):
    msg = make_outbound(channel, "SMf7e12b3c4d5e6f708192a3b4c5d6e7f8")
    for _ in range(5):
        assert post_fixture(client, "status_canceled").status_code == 200
    event = InboundEvent.objects.get()
    assert event.event_type == "status.canceled"
    assert process_pending() == ["ignored"]
    msg.refresh_from_db()
    assert msg.status == MessageStatus.PENDING


def _signed_post(client: Client, channel, kind: str, body: bytes):
    path = f"/webhooks/twilio/{channel.webhook_token}/{kind}/"
    from urllib.parse import parse_qsl

    try:
        params = parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        params = []
    sig = signature_compute(url=PUBLIC_BASE_URL + path, params=params, auth_token=AUTH_TOKEN)
    return client.post(
        path,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sig},
    )


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("inbound", b"Body=oi&From=whatsapp%3A%2B5511999990000"),  # no MessageSid
        ("inbound", b"MessageSid=not-a-sid&Body=oi"),
        ("inbound", b"\xff\xfe\x00garbage"),
        ("inbound", b"%%%&&&==="),
        ("status", b"MessageSid=SM97654ba462114de7a8d9c064e343f9c5"),  # no MessageStatus
        (
            "inbound",
            b"MessageSid=SM97654ba462114de7a8d9c064e343f9c5&AccountSid=AC"
            + b"f" * 32
            + b"&From=whatsapp%3A%2B5511999990000",
        ),  # another account
    ],
)
def test_malformed_body_five_times_400_nothing_stored(client: Client, channel, kind, body):
    for _ in range(5):
        resp = _signed_post(client, channel, kind, body)
        assert resp.status_code in (400, 403)
    assert InboundEvent.objects.count() == 0 and Message.objects.count() == 0


def test_malformed_with_valid_signature_is_400(client: Client, channel):
    resp = _signed_post(client, channel, "inbound", b"Body=oi")
    assert resp.status_code == 400


def test_get_not_allowed(client: Client, channel):
    assert client.get(f"/webhooks/twilio/{channel.webhook_token}/inbound/").status_code == 405
