"""EvolutionAdapter against the fake over real HTTP: sends through messaging's outbox, media
downloads into private storage, and a full loop fake -> webhook (live server) -> worker."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from clinicrm.devtools.fake_evolution import payloads as fp
from clinicrm.devtools.fake_evolution.testing import INSTANCE, INSTANCE_TOKEN
from clinicrm.integrations.evolution.adapter import EvolutionAdapter
from clinicrm.integrations.evolution.tests.helpers import (
    fixture_bytes,
    make_channel,
    post,
    process_pending,
)
from clinicrm.messaging.models import MediaStatus, Message, Thread
from clinicrm.messaging.providers import Recipient, SendOutcome, provider_for
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_media(settings, tmp_path):
    private_storage_use(settings, tmp_path)
    return tmp_path


@pytest.fixture
def live_channel(tenant, fake_evolution):
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    return make_channel(tenant, server_url=fake_evolution.url)


def test_registered_as_the_evolution_adapter(live_channel):
    assert isinstance(provider_for(live_channel), EvolutionAdapter)


def test_send_text_ok_failed_unknown(live_channel, fake_evolution):
    adapter = EvolutionAdapter(live_channel)
    ok = adapter.send_text(to=Recipient(thread_key="+5511999999999"), text="Olá")
    assert ok.outcome == SendOutcome.OK
    assert (ok.provider_message_id or "").startswith("3EB0")
    assert ok.contact_raw_id == "5511999999999@s.whatsapp.net"
    failed = adapter.send_text(to=Recipient(thread_key="+5511900000000"), text="Olá")
    assert failed.outcome == SendOutcome.FAILED
    assert failed.error_message == "Este número não tem WhatsApp."
    fake_evolution.control("config", {}, {"hang_next": 1, "hang_seconds": 1.5})
    slow = EvolutionAdapter(live_channel)
    slow.client = lambda **kw: EvolutionAdapter.client(slow, timeout=0.4)  # type: ignore[method-assign]
    unknown = slow.send_text(to=Recipient(thread_key="+5511999999999"), text="Olá")
    assert unknown.outcome == SendOutcome.UNKNOWN


def test_send_uses_the_resolved_jid_when_known(live_channel, fake_evolution):
    result = EvolutionAdapter(live_channel).send_text(
        to=Recipient(thread_key="+5531987654321", raw_id="553187654321@s.whatsapp.net"),
        text="Olá",
    )
    assert result.contact_raw_id == "553187654321@s.whatsapp.net"


def test_outbox_send_then_status_webhooks_reach_read(
    client, live_channel, fake_evolution, tenant, owner
):
    from clinicrm.messaging.services import message_send, message_send_perform

    message = message_send(tenant=tenant, actor=owner, thread_key="+5511999999999", text="Olá!")
    assert message_send_perform(message_id=message.pk) == "ok"
    message.refresh_from_db()
    assert message.status in ("pending", "sent") and message.provider_message_id
    # Replay the fake's messages.update webhooks (captured bodies) through the real view.
    key_id = message.provider_message_id
    for status in ("SERVER_ACK", "READ", "DELIVERY_ACK"):
        body = (
            fixture_bytes("messages_update")
            .replace(b"3EB0C0BD05DCA97A7C09CB", key_id.encode())
            .replace(b'"DELIVERY_ACK"', f'"{status}"'.encode())
        )
        assert post(client, live_channel, body).status_code == 200
    process_pending()
    message.refresh_from_db()
    assert message.status == "read"


def test_inbound_media_download_into_private_storage(
    client, live_channel, fake_evolution, tenant, private_media
):
    from clinicrm.messaging.services.media import message_media_fetch

    # The fake holds the media of the fixture's key id (as the real server would).
    inst = fake_evolution.state.instance(INSTANCE)
    fake_evolution.state.store_message(
        inst,
        {"key": {"id": "3A9D8E7F6A5B4C3D2E2A"}, "messageType": "imageMessage",
         "message": {"imageMessage": {"mimetype": "image/jpeg"}}},
        content=fp.TINY_JPEG, mimetype="image/jpeg",
    )  # fmt: skip
    post(client, live_channel, fixture_bytes("messages_upsert_image"))
    process_pending()
    message = Message.objects.get()
    assert message_media_fetch(message_id=message.pk) == MediaStatus.STORED
    message.refresh_from_db()
    now = timezone.now()
    assert message.media_path.startswith(f"{tenant.pk}/{now:%Y}/{now:%m}/")
    with default_storage.open(message.media_path, "rb") as fh:
        assert fh.read() == fp.TINY_JPEG


def test_failed_download_marks_failed_and_keeps_thread(
    client, live_channel, fake_evolution, tenant, private_media
):
    from clinicrm.messaging.services.media import message_media_fetch

    post(client, live_channel, fixture_bytes("messages_upsert_video"))  # unknown to the fake
    post(client, live_channel, fixture_bytes("messages_upsert_text"))
    process_pending()
    video = Message.objects.get(kind="video")
    assert message_media_fetch(message_id=video.pk) == MediaStatus.FAILED
    video.refresh_from_db()
    assert video.media_status == MediaStatus.FAILED
    assert Message.objects.count() == 2 and Thread.objects.get().unread_count == 2


@pytest.mark.django_db(transaction=True)
def test_full_loop_fake_webhooks_to_live_server(live_server, fake_evolution, tenant):
    """fake inbound (dups + reordering on) -> real HTTP webhook -> stored once -> processed."""
    from clinicrm.devtools.fake_evolution.testing import INSTANCE as NAME

    channel = make_channel(tenant, server_url=fake_evolution.url)
    fake_evolution.create_open_instance(NAME, token=INSTANCE_TOKEN)
    adapter = EvolutionAdapter(channel)
    adapter.client().webhook_set(
        url=f"{live_server.url}/webhooks/evolution/{channel.webhook_token}/",
        by_events=True,
        headers={"apikey": INSTANCE_TOKEN},
    )
    fake_evolution.control("config", {}, {"duplicates": 3, "reorder": True})
    first = fake_evolution.inbound(
        NAME,
        type="text",
        text="Primeira",
        jid_form="12",
        **{"from": "5531987654321"},
        timestamp=1761055500,
    )
    fake_evolution.inbound(
        NAME, type="text", text="Segunda", **{"from": "5531987654321"}, timestamp=1761055600
    )
    fake_evolution.inbound(NAME, type="text", text="Grupo", group=True)
    assert fake_evolution.flush(10)
    deliveries = fake_evolution.control("deliveries", {}, {})["data"]
    assert len(deliveries) == 9 and all(d["status"] == 200 for d in deliveries)
    assert deliveries[0]["url"].endswith("/messages-upsert")
    process_pending()
    messages = list(Message.objects.filter(tenant=tenant).order_by("provider_timestamp"))
    assert [m.body for m in messages] == ["Primeira", "Segunda"]
    assert messages[0].provider_message_id == first["key"]["id"]
    assert Thread.objects.filter(tenant=tenant).count() == 1
    assert process_pending() == []
