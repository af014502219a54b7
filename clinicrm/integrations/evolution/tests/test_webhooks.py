"""The Evolution webhook: auth, malformed bodies, dedup, and one test per fixture / event type."""

import json

import pytest
from django_tasks_db.models import DBTaskResult

from clinicrm.integrations.evolution.tests.helpers import (
    APIKEY,
    fixture_bytes,
    make_channel,
    post,
    process_pending,
)
from clinicrm.integrations.models import InboundEvent
from clinicrm.messaging.models import (
    ChannelStatus,
    Direction,
    MediaStatus,
    Message,
    StatusBacklog,
    Thread,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(tenant):
    return make_channel(tenant)


def _deliver(client, channel, name, times=1, **kw):
    body = fixture_bytes(name)
    responses = [post(client, channel, body, **kw) for _ in range(times)]
    return responses, process_pending()


# --- authentication and malformed input, each delivered 5 times ----------------------------


@pytest.mark.parametrize("apikey", [None, "", "wrong-key", APIKEY + "x", APIKEY.lower()])
def test_bad_or_missing_apikey_5_times_is_401_and_stores_nothing(client, channel, apikey):
    for _ in range(5):
        response = post(client, channel, fixture_bytes("messages_upsert_text"), apikey=apikey)
        assert response.status_code == 401
    assert InboundEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert Message.objects.count() == 0


def test_unknown_token_or_inactive_channel_is_401(client, tenant, channel):
    channel.is_active = False
    channel.save()
    response = post(client, channel, fixture_bytes("messages_upsert_text"))
    assert response.status_code == 401
    response = client.post(
        "/webhooks/evolution/not-a-token/", data=fixture_bytes("messages_upsert_text"),
        content_type="application/json", HTTP_APIKEY=APIKEY,
    )  # fmt: skip
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 0


def test_other_channels_apikey_is_refused(client, tenant, other_tenant, channel):
    other = make_channel(other_tenant, apikey="OTHER-KEY", instance="outra")
    assert (
        post(client, channel, fixture_bytes("messages_upsert_text"), apikey="OTHER-KEY").status_code
        == 401
    )
    assert (
        post(client, other, fixture_bytes("messages_upsert_text"), apikey=APIKEY).status_code == 401
    )
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b"[]", b'"text"', b"\xff\xfe", b'{"event": "messages.upsert"}',
     b'{"data": {}}', b'{"event": 12, "data": {}}'],
)  # fmt: skip
def test_malformed_body_5_times_is_400_and_stores_nothing(client, channel, body):
    for _ in range(5):
        assert post(client, channel, body).status_code == 400
    assert InboundEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_unknown_event_5_times_is_stored_once_and_acknowledged(client, channel):
    responses, statuses = _deliver(client, channel, "unknown_event", times=5)
    assert [r.status_code for r in responses] == [200] * 5
    event = InboundEvent.objects.get()
    assert event.event_type == "presence.update" and event.status == "ignored"
    assert statuses == ["ignored"]
    assert Message.objects.count() == 0


def test_body_apikey_and_jwt_are_accepted(client, channel):
    body = fixture_bytes("messages_upsert_text").replace(
        b'"apikey":null', f'"apikey":"{APIKEY}"'.encode()
    )
    assert post(client, channel, body, apikey=None).status_code == 200
    from clinicrm.devtools.fake_evolution.dispatcher import jwt_hs256

    token = jwt_hs256(APIKEY)
    update = fixture_bytes("messages_update")
    response = post(client, channel, update, apikey=None, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    bad = jwt_hs256("other-secret")
    response = post(client, channel, update, apikey=None, HTTP_AUTHORIZATION=f"Bearer {bad}")
    assert response.status_code == 401
    assert InboundEvent.objects.count() == 2


def test_stored_byte_exact_without_secret_headers_and_enqueued(client, channel, tenant):
    body = fixture_bytes("messages_upsert_text")
    assert post(client, channel, body).status_code == 200
    event = InboundEvent.objects.get()
    assert event.body_bytes == body
    assert "apikey" not in event.headers
    assert event.tenant == tenant and event.channel_key == str(channel.pk)
    assert event.event_id == f"{channel.pk}:messages.upsert:AC1AC4B06C307E1F2FA49A1788F7E374"
    assert DBTaskResult.objects.filter(queue_name="webhooks").count() == 1


def test_by_events_suffix_url(client, channel):
    response = post(
        client, channel, fixture_bytes("messages_upsert_text"), suffix="messages-upsert"
    )
    assert response.status_code == 200
    mismatch = post(client, channel, fixture_bytes("messages_update"), suffix="messages-upsert")
    assert mismatch.status_code == 400
    assert InboundEvent.objects.count() == 1


def test_get_is_not_allowed(client, channel):
    assert client.get(f"/webhooks/evolution/{channel.webhook_token}/").status_code == 405


# --- one test per fixture / event type -----------------------------------------------------


def test_text(client, channel, tenant):
    responses, statuses = _deliver(client, channel, "messages_upsert_text", times=5)
    assert all(r.status_code == 200 for r in responses) and statuses == ["processed"]
    message = Message.objects.get()
    assert message.kind == "text" and message.direction == Direction.INBOUND
    assert message.body == "Bom dia! Gostaria de remarcar minha consulta."
    assert message.thread_key == "+5511999999999"
    assert message.provider_timestamp.timestamp() == 1761055509
    thread = Thread.objects.get(tenant=tenant)
    assert thread.unread_count == 1 and thread.contact_name == "Maria Souza"
    assert thread.contact_lid == "187263544123456@lid"


def test_quoted_reply_with_12_digit_jid(client, channel):
    _deliver(client, channel, "messages_upsert_quoted")
    message = Message.objects.get()
    assert message.quoted_provider_id == "3EB0C0BD05DCA97A7C09CB"
    assert message.thread_key == "+5531987654321"
    assert message.contact_raw_id == "553187654321@s.whatsapp.net"


@pytest.mark.parametrize(
    ("name", "kind", "body"),
    [
        ("messages_upsert_image", "image", "Pedido médico"),
        ("messages_upsert_audio", "voice", ""),
        ("messages_upsert_video", "video", "Como está a cicatrização"),
        ("messages_upsert_document", "document", "Resultado"),
    ],
)
def test_media_messages(client, channel, name, kind, body):
    _, statuses = _deliver(client, channel, name, times=2)
    assert statuses == ["processed"]
    message = Message.objects.get()
    assert (message.kind, message.body) == (kind, body)
    # The sender's `mimetype` is not kept: the type is decided from the bytes once stored.
    assert message.media_mime == ""
    assert message.media_status == MediaStatus.PENDING
    assert message.media_ref["id"] == json.loads(fixture_bytes(name))["data"]["key"]["id"]
    assert "jpegThumbnail" not in json.dumps(message.media_ref)
    # The download was enqueued with the message (outbox), not done inline.
    assert DBTaskResult.objects.exclude(queue_name="webhooks").count() == 1


def test_location(client, channel):
    _deliver(client, channel, "messages_upsert_location")
    message = Message.objects.get()
    assert message.kind == "location"
    assert message.extra == {"latitude": -23.561414, "longitude": -46.655881}


def test_contact(client, channel):
    _deliver(client, channel, "messages_upsert_contact")
    message = Message.objects.get()
    assert message.kind == "contacts" and message.body == "Dra. Paula Reis"


def test_reaction(client, channel):
    _deliver(client, channel, "messages_upsert_reaction")
    message = Message.objects.get()
    assert message.kind == "reaction" and message.reaction_target_id == "3EB0C0BD05DCA97A7C09CB"
    assert message.body == "👍"


def test_from_me_is_outbound(client, channel, tenant):
    _deliver(client, channel, "messages_upsert_from_me", times=3)
    message = Message.objects.get()
    assert message.direction == Direction.OUTBOUND and message.from_me
    assert message.status == "sent"
    assert Thread.objects.get(tenant=tenant).unread_count == 0


def test_group_is_stored_as_event_only(client, channel):
    _, statuses = _deliver(client, channel, "messages_upsert_group", times=5)
    assert statuses == ["ignored"]
    assert InboundEvent.objects.get().last_error == "group message"
    assert Message.objects.count() == 0 and Thread.objects.count() == 0


def test_lid_with_phone_alt_threads_on_the_phone(client, channel):
    _deliver(client, channel, "messages_upsert_lid")
    message = Message.objects.get()
    assert message.thread_key == "+5521998765432"
    assert Thread.objects.get().contact_lid == "187263544123456@lid"


def test_messages_update_and_out_of_order(client, channel, tenant):
    # The status beats the message: it waits in the backlog.
    _, statuses = _deliver(client, channel, "messages_update")
    assert statuses == ["processed"]
    assert StatusBacklog.objects.filter(provider_message_id="3EB0C0BD05DCA97A7C09CB").exists()
    read = fixture_bytes("messages_update").replace(b'"DELIVERY_ACK"', b'"READ"')
    server_ack = fixture_bytes("messages_update").replace(b'"DELIVERY_ACK"', b'"SERVER_ACK"')
    from_me = fixture_bytes("messages_upsert_from_me").replace(
        b"3EB0F92CAB0D0C54F4DC65", b"3EB0C0BD05DCA97A7C09CB"
    )
    post(client, channel, from_me)
    post(client, channel, read)
    post(client, channel, server_ack)  # late: must not downgrade
    for _ in range(3):
        post(client, channel, read)  # duplicates: one event
    process_pending()
    message = Message.objects.get(provider_message_id="3EB0C0BD05DCA97A7C09CB")
    assert message.status == "read"
    assert InboundEvent.objects.filter(event_type="messages.update").count() == 3


def test_send_message_echo_is_ignored(client, channel):
    _, statuses = _deliver(client, channel, "send_message", times=2)
    assert statuses == ["ignored"] and Message.objects.count() == 0


def test_connection_update_sets_channel_status(client, channel):
    channel.status = ChannelStatus.CONNECTING
    channel.save()
    _deliver(client, channel, "connection_update", times=3)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.OPEN
    _deliver(client, channel, "connection_update_close")
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED


def test_qrcode_updated_marks_connecting(client, channel):
    channel.status = ChannelStatus.DISCONNECTED
    channel.save()
    _, statuses = _deliver(client, channel, "qrcode_updated", times=2)
    assert statuses == ["processed"]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.CONNECTING


def test_12_and_13_digit_jids_land_in_one_thread(client, channel, tenant):
    _deliver(client, channel, "messages_upsert_quoted")  # 553187654321@s.whatsapp.net
    thirteen = (
        fixture_bytes("messages_upsert_quoted")
        .replace(b"553187654321@", b"5531987654321@")
        .replace(b"3A5F1C2B9D8E7F6A5B4C", b"3A5F1C2B9D8E7F6A5B4D")
    )
    post(client, channel, thirteen)
    process_pending()
    assert Message.objects.count() == 2
    assert Thread.objects.filter(tenant=tenant).count() == 1
    assert Thread.objects.get().unread_count == 2
