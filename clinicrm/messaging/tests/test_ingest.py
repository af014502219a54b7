import datetime as dt
import json

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from clinicrm.messaging.models import (
    Direction,
    MediaStatus,
    Message,
    MessageKind,
    MessageStatus,
    RealtimeEvent,
    StatusBacklog,
    Thread,
)
from clinicrm.messaging.providers import InboundMedia, StatusUpdate
from clinicrm.messaging.services import (
    channel_event_apply,
    channel_event_parse,
    message_ingest,
    message_status_apply,
)
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db


def test_ingest_creates_message_and_updates_thread(tenant):
    channel = make_channel(tenant)
    msg = message_ingest(
        channel=channel, inbound=inbound_text("A1", body="Bom dia", contact_name="Maria")
    )
    assert msg is not None
    assert (msg.direction, msg.status, msg.thread_key) == ("in", "delivered", "+5511988887777")
    thread = Thread.objects.get(tenant=tenant, thread_key="+5511988887777")
    assert thread.unread_count == 1
    assert thread.last_message_preview == "Bom dia"
    assert thread.last_direction == Direction.INBOUND
    assert thread.last_inbound_at == msg.provider_timestamp
    assert thread.contact_raw_id == "5511988887777@s.whatsapp.net"
    assert thread.contact_name == "Maria"
    event = RealtimeEvent.objects.get(tenant=tenant)
    assert event.kind == "message"
    assert event.payload["thread"] == thread.pk
    assert "Bom dia" not in json.dumps(event.payload)
    assert "5511988887777" not in json.dumps(event.payload)


def test_duplicate_deliveries_have_one_effect(tenant):
    channel = make_channel(tenant)
    for _ in range(5):
        message_ingest(channel=channel, inbound=inbound_text("DUP"))
    assert Message.objects.filter(channel=channel).count() == 1
    assert Thread.objects.get(tenant=tenant).unread_count == 1
    assert RealtimeEvent.objects.filter(tenant=tenant).count() == 1


def test_twelve_and_thirteen_digit_jids_share_one_thread(tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text("X1", jid="551188887777@s.whatsapp.net"))
    message_ingest(channel=channel, inbound=inbound_text("X2", jid="5511988887777@s.whatsapp.net"))
    assert Thread.objects.filter(tenant=tenant).count() == 1
    assert Thread.objects.get(tenant=tenant).unread_count == 2


def test_group_messages_are_ignored(tenant):
    channel = make_channel(tenant)
    assert (
        message_ingest(channel=channel, inbound=inbound_text("G1", jid="1203630254@g.us")) is None
    )
    assert not Message.objects.exists()
    assert not Thread.objects.exists()


def test_from_me_is_outbound_and_not_unread(tenant):
    channel = make_channel(tenant)
    msg = message_ingest(
        channel=channel, inbound=inbound_text("ME1", from_me=True, status=MessageStatus.SENT)
    )
    assert msg is not None
    assert (msg.direction, msg.from_me, msg.status) == ("out", True, "sent")
    thread = Thread.objects.get(tenant=tenant)
    assert thread.unread_count == 0
    assert thread.last_inbound_at is None
    assert thread.last_direction == Direction.OUTBOUND


def test_out_of_order_delivery_does_not_move_the_thread_backwards(tenant):
    channel = make_channel(tenant)
    now = timezone.now()
    message_ingest(channel=channel, inbound=inbound_text("N", body="nova", ts=now))
    message_ingest(
        channel=channel, inbound=inbound_text("O", body="antiga", ts=now - dt.timedelta(minutes=5))
    )
    thread = Thread.objects.get(tenant=tenant)
    assert thread.last_message_at == now
    assert thread.last_message_preview == "nova"
    assert thread.last_inbound_at == now
    timeline = list(
        Message.objects.filter(thread_key=thread.thread_key).values_list("body", flat=True)
    )
    assert timeline == ["antiga", "nova"]


def test_lid_only_delivery_joins_the_thread_that_saw_the_lid(tenant):
    channel = make_channel(tenant)
    message_ingest(
        channel=channel,
        inbound=inbound_text(
            "L1", jid="187263544123456@lid", contact_alt_id="5521998765432@s.whatsapp.net"
        ),
    )
    message_ingest(channel=channel, inbound=inbound_text("L2", jid="187263544123456@lid"))
    assert list(Thread.objects.values_list("thread_key", flat=True)) == ["+5521998765432"]
    assert Message.objects.filter(thread_key="+5521998765432").count() == 2


def test_inline_media_is_stored_under_tenant_year_month(tenant, settings, tmp_path):
    private_storage_use(settings, tmp_path)
    channel = make_channel(tenant)
    media = InboundMedia(mime="image/jpeg", filename="", size=3, inline=b"\xff\xd8\xff")
    msg = message_ingest(
        channel=channel,
        inbound=inbound_text("IMG", body="Pedido médico", kind=MessageKind.IMAGE, media=media),
    )
    assert msg is not None
    msg.refresh_from_db()
    now = timezone.now()
    assert msg.media_status == MediaStatus.STORED
    assert msg.media_path.startswith(f"{tenant.pk}/{now:%Y}/{now:%m}/")
    with default_storage.open(msg.media_path, "rb") as stored:
        assert stored.read() == b"\xff\xd8\xff"
    assert Thread.objects.get().last_message_preview == "📷 Foto: Pedido médico"


def test_status_only_moves_forward(tenant):
    channel = make_channel(tenant)
    msg = message_ingest(channel=channel, inbound=inbound_text("S1", from_me=True, status="sent"))
    assert msg is not None
    for status in ("read", "delivered", "sent", "read", "failed"):
        message_status_apply(channel=channel, update=StatusUpdate("S1", status))
    msg.refresh_from_db()
    assert msg.status == MessageStatus.READ
    assert message_status_apply(channel=channel, update=StatusUpdate("S1", "played"))
    msg.refresh_from_db()
    assert msg.status == MessageStatus.PLAYED


def test_failed_is_terminal(tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text("F1", from_me=True, status="sent"))
    message_status_apply(channel=channel, update=StatusUpdate("F1", "failed", error_code="63016"))
    message_status_apply(channel=channel, update=StatusUpdate("F1", "delivered"))
    msg = Message.objects.get(provider_message_id="F1")
    assert msg.status == MessageStatus.FAILED
    assert msg.error_code == "63016"
    assert msg.error_message.startswith("A janela de 24 horas")


def test_status_before_message_waits_in_the_backlog(tenant):
    channel = make_channel(tenant)
    assert not message_status_apply(channel=channel, update=StatusUpdate("EARLY", "delivered"))
    assert StatusBacklog.objects.count() == 1
    message_ingest(channel=channel, inbound=inbound_text("EARLY", from_me=True, status="sent"))
    assert Message.objects.get(provider_message_id="EARLY").status == MessageStatus.DELIVERED
    assert not StatusBacklog.objects.exists()


def test_channel_event_apply_parses_with_the_adapter(tenant, adapters):
    channel = make_channel(tenant)
    body = json.dumps({"type": "message", "id": "E1", "from": "5511988887777@s.whatsapp.net"})
    parsed = channel_event_parse(channel=channel, body=body.encode(), event_type="messages.upsert")
    assert channel_event_apply(channel=channel, parsed=parsed).messages == 1
    status = json.dumps({"type": "status", "id": "E1", "status": "read"})
    parsed = channel_event_parse(channel=channel, body=status.encode(), event_type="x")
    assert channel_event_apply(channel=channel, parsed=parsed).statuses == 1


def test_same_provider_id_on_another_channel_is_another_message(tenant, other_tenant):
    a, b = make_channel(tenant), make_channel(other_tenant)
    message_ingest(channel=a, inbound=inbound_text("SAME"))
    message_ingest(channel=b, inbound=inbound_text("SAME"))
    assert Message.objects.count() == 2
    assert Thread.objects.filter(tenant=other_tenant).count() == 1
