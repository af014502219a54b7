"""The one webhook road: limits, bad input and secrets, the same for every provider.

Each test here failed on the code before the road (integrations/webhooks.py): a 64 MB inline
media delivery was a 400 (Django's 2.5 MB default), a deeply nested body a 500, a Twilio
delivery for another account a 400 with the wrong reason, and the envelope's `apikey` was
stored with the body.
"""

import json
from urllib.parse import parse_qsl

import pytest
from django.test import Client

from clinicrm.integrations.asaas.tests.helpers import TOKEN as ASAAS_TOKEN
from clinicrm.integrations.asaas.tests.helpers import post_webhook
from clinicrm.integrations.evolution.tests.helpers import (
    APIKEY,
    fixture_bytes,
    make_channel,
    post,
)
from clinicrm.integrations.evolution.webhooks import apikey_strip
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.twilio.signature import signature_compute
from clinicrm.integrations.twilio.tests.helpers import (
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    fixture_body,
    fixture_meta,
    make_twilio_channel,
    post_fixture,
)
from clinicrm.integrations.webhooks import WEBHOOK_BODY_MAX, channel_by_token

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.ASAAS_WEBHOOK_TOKEN = ASAAS_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


def _inline_image(size: int) -> bytes:
    """messages.upsert of an image with its bytes inline (WEBHOOK_BASE64), `size` bytes long."""
    body = fixture_bytes("messages_upsert_image")
    head, tail = body.split(b'"message":{', 1)
    filler = size - len(body) - len(b'"base64":"",')
    return head + b'"message":{"base64":"' + b"A" * filler + b'",' + tail


def _deep(depth: int = 200_000) -> bytes:
    return b'{"event":"messages.upsert","data":' + b"[" * depth + b"]" * depth + b"}"


def test_authenticated_64_mb_inline_media_is_stored_byte_exact(client: Client, tenant):
    channel = make_channel(tenant)
    body = _inline_image(WEBHOOK_BODY_MAX - 1024)
    assert len(body) > 60 * MB
    response = post(client, channel, body)
    assert response.status_code == 200
    stored = InboundEvent.objects.get().body_bytes
    assert len(stored) == len(body) and stored == body


def test_over_the_route_limit_is_413_and_stores_nothing(client: Client, tenant):
    channel = make_channel(tenant)
    response = post(client, channel, _inline_image(WEBHOOK_BODY_MAX + 1))
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_large_body_proving_itself_in_the_body_gets_only_the_site_default(client, tenant):
    """Unauthenticated by headers: at most the site's default is read before the proof."""
    channel = make_channel(tenant)
    body = _inline_image(4 * MB).replace(b'"apikey":null', f'"apikey":"{APIKEY}"'.encode())
    assert post(client, channel, body, apikey=None).status_code == 413
    assert InboundEvent.objects.count() == 0


def test_other_routes_keep_the_site_default(client: Client, settings, tenant):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * MB
    make_twilio_channel(tenant)
    body = json.dumps({"id": "evt_1", "event": "PAYMENT_CREATED", "pad": "x" * 2 * MB})
    assert post_webhook(client, body.encode()).status_code == 413
    meta = fixture_meta("inbound_text")
    padded = fixture_body("inbound_text") + b"&Pad=" + b"x" * 2 * MB
    path = meta["url"][len(PUBLIC_BASE_URL) :]
    response = client.post(
        path,
        data=padded,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": meta["signature"]},
    )
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_deeply_nested_body_is_400_for_evolution_and_asaas(client: Client, tenant):
    channel = make_channel(tenant)
    response = post(client, channel, _deep())
    assert (response.status_code, response.content) == (400, b"malformed body")
    response = post_webhook(client, _deep())
    assert (response.status_code, response.content) == (400, b"malformed body")
    assert InboundEvent.objects.count() == 0


def test_deeply_nested_body_of_a_stranger_is_refused_before_it_is_parsed(client, tenant):
    channel = make_channel(tenant)
    assert post(client, channel, _deep(), apikey="wrong").status_code == 401
    assert post_webhook(client, _deep(), token="wrong").status_code == 401


def test_twilio_delivery_of_another_account_is_403_with_the_reason(client: Client, tenant):
    channel = make_twilio_channel(tenant)
    meta = fixture_meta("inbound_text")
    body = fixture_body("inbound_text").replace(
        b"AccountSid=AC0123456789abcdef0123456789abcdef",
        b"AccountSid=ACffffffffffffffffffffffffffffffff",
    )
    from urllib.parse import parse_qsl

    signature = signature_compute(
        url=meta["url"], params=parse_qsl(body.decode()), auth_token=AUTH_TOKEN
    )
    path = f"/webhooks/twilio/{channel.webhook_token}/inbound/"
    response = client.post(
        path,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403
    assert b"AccountSid" in response.content
    assert InboundEvent.objects.count() == 0


def test_stored_body_never_holds_the_envelope_apikey(client: Client, tenant):
    channel = make_channel(tenant)
    raw = fixture_bytes("messages_upsert_text")
    body = raw.replace(b'"apikey":null', f'"apikey":"{APIKEY}"'.encode())
    assert post(client, channel, body).status_code == 200
    stored = InboundEvent.objects.get().body_bytes
    assert APIKEY.encode() not in stored
    assert stored == raw  # every other byte as received
    assert json.loads(stored)["apikey"] is None


def test_apikey_strip_keeps_every_other_byte():
    body = b'{"data":{"text":"\\"apikey\\": \\"K\\""},"apikey" : "K","x":1}'
    assert (
        apikey_strip(body, "K")
        == b'{"data":{"text":"\\"apikey\\": \\"K\\""},"apikey" : null,"x":1}'
    )
    assert apikey_strip(body, "other") == body


def test_channel_by_token_reads_the_row_fresh_with_only_what_the_webhook_needs(tenant):
    channel = make_channel(tenant)
    token = str(channel.webhook_token)
    found = channel_by_token(token=token, provider="evolution", active_only=True)
    assert found is not None and found.pk == channel.pk and found.tenant_id == tenant.pk
    assert found.config == channel.config and found.secrets == {"apikey": APIKEY}
    assert "display_name" in found.get_deferred_fields()
    assert channel_by_token(token=token, provider="twilio", active_only=False) is None
    assert channel_by_token(token="x" + token, provider="evolution", active_only=True) is None

    channel.set_secrets({"apikey": "rotated"})
    channel.config = {"instance_name": "renomeada"}
    channel.is_active = False
    channel.save()
    assert channel_by_token(token=token, provider="evolution", active_only=True) is None
    found = channel_by_token(token=token, provider="evolution", active_only=False)
    assert found is not None and found.secrets == {"apikey": "rotated"}
    assert found.config == {"instance_name": "renomeada"}


def test_rotated_twilio_auth_token_is_honoured_at_the_next_delivery(client: Client, tenant):
    channel = make_twilio_channel(tenant)
    assert post_fixture(client, "inbound_text").status_code == 200
    channel.set_secrets({"auth_token": "a-rotated-auth-token"})
    channel.save()
    # Signed with the old token: refused now.
    assert post_fixture(client, "inbound_image").status_code == 403
    meta = fixture_meta("inbound_image")
    body = fixture_body("inbound_image")
    signature = signature_compute(
        url=meta["url"], params=parse_qsl(body.decode()), auth_token="a-rotated-auth-token"
    )
    assert post_fixture(client, "inbound_image", signature=signature).status_code == 200
    assert InboundEvent.objects.count() == 2
