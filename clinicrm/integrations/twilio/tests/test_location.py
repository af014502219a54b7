"""Twilio inbound location keeps the place's `Label` and `Address` (as Evolution keeps name and
address), delivered through the signed webhook and processed like any inbound message."""

from urllib.parse import parse_qsl, urlencode

import pytest
from django.test import Client

from clinicrm.integrations.twilio.signature import signature_compute
from clinicrm.integrations.twilio.tests.helpers import (
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    fixture_body,
    make_twilio_channel,
    process_pending,
)
from clinicrm.messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


def _deliver_location(client: Client, channel, **place: str) -> Message:
    params = parse_qsl(fixture_body("inbound_location").decode(), keep_blank_values=True)
    body = urlencode(params + list(place.items()))
    path = f"/webhooks/twilio/{channel.webhook_token}/inbound/"
    signature = signature_compute(
        url=PUBLIC_BASE_URL + path,
        params=parse_qsl(body, keep_blank_values=True),
        auth_token=AUTH_TOKEN,
    )
    response = client.post(
        path,
        data=body.encode(),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert process_pending() == ["processed"]
    return Message.objects.get()


def test_label_and_address_are_kept(client, tenant):
    channel = make_twilio_channel(tenant)
    message = _deliver_location(
        client, channel, Label="Clínica Bem-Estar", Address="Av. Paulista, 1000 - São Paulo"
    )
    assert message.kind == "location"
    assert message.body == "Clínica Bem-Estar - Av. Paulista, 1000 - São Paulo"
    assert message.extra == {"latitude": "25.018766403198", "longitude": "-77.395950317383"}


def test_address_alone_is_kept(client, tenant):
    message = _deliver_location(client, make_twilio_channel(tenant), Address="Rua Augusta, 500")
    assert (message.kind, message.body) == ("location", "Rua Augusta, 500")
