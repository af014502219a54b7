"""Message text is capped at WhatsApp's 65,536 characters when stored: a 2 MB inbound text (a
hostile or broken delivery) keeps its first 65,536 characters, a message typed on the clinic's
phone (from_me, stored as outbound) too; the send box refuses long texts with a pt-BR message."""

import json

import pytest
from django.urls import reverse

from clinicrm.integrations.evolution.tests.helpers import (
    fixture_bytes,
    make_channel,
    post,
    process_pending,
)
from clinicrm.messaging.models import MESSAGE_TEXT_MAX, Direction, Message, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_thread

pytestmark = pytest.mark.django_db


def test_a_2_mb_inbound_text_is_stored_cut_at_65536_characters(client, tenant):
    channel = make_channel(tenant)
    text = "Bom dia! " + "x" * 2_000_000
    payload = json.loads(fixture_bytes("messages_upsert_text"))
    payload["data"]["message"]["conversation"] = text
    assert post(client, channel, json.dumps(payload).encode()).status_code == 200
    assert process_pending() == ["processed"]
    message = Message.objects.get()
    assert len(message.body) == MESSAGE_TEXT_MAX == 65_536
    assert message.body == text[:65_536]
    thread = Thread.objects.get(tenant=tenant)
    assert thread.last_message_preview.startswith("Bom dia! xxx")
    assert len(thread.last_message_preview) < 200


def test_cap_counts_characters_not_bytes_and_covers_from_me(tenant):
    channel = make_channel(tenant)
    inbound = message_ingest(channel=channel, inbound=inbound_text(body="ç" * 70_000))
    echoed = message_ingest(channel=channel, inbound=inbound_text(body="ã" * 65_537, from_me=True))
    exact = message_ingest(channel=channel, inbound=inbound_text(body="é" * 65_536))
    assert inbound is not None and echoed is not None and exact is not None
    for message in (inbound, echoed, exact):
        message.refresh_from_db()
        assert len(message.body) == 65_536
    assert echoed.direction == Direction.OUTBOUND
    assert exact.body == "é" * 65_536


def test_the_send_box_refuses_a_long_text_in_portuguese(tenant, owner_client):
    make_channel(tenant)
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    response = owner_client.post(url, {"text": "x" * 70_000}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "A mensagem pode ter no máximo 4096 caracteres." in response.content.decode()
    assert not Message.objects.exists()
