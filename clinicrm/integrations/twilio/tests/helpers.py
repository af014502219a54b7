"""Fixture loading and a Twilio channel matching the fixtures' documented test credentials."""

import json
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.integrations.models import InboundEvent
from clinicrm.integrations.services import inbound_event_process
from clinicrm.messaging.models import Channel, ChannelStatus, Message, Provider

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INDEX: dict[str, Any] = json.loads((FIXTURES / "signatures.json").read_text())
AUTH_TOKEN: str = INDEX["auth_token"]
ACCOUNT_SID: str = INDEX["account_sid"]
CHANNEL_TOKEN: str = INDEX["channel_token"]
PUBLIC_BASE_URL: str = INDEX["public_base_url"]
SENDER = "+551199990002"


def fixture_body(name: str) -> bytes:
    """The raw bytes, exactly as stored (never re-encoded)."""
    return (FIXTURES / f"{name}.form").read_bytes()


def fixture_meta(name: str) -> dict[str, str]:
    return INDEX["fixtures"][name]


def make_twilio_channel(
    tenant: Tenant, *, token: str = CHANNEL_TOKEN, auth_token: str = AUTH_TOKEN, **config: Any
) -> Channel:
    channel = Channel(
        tenant=tenant,
        provider=Provider.TWILIO,
        display_name="Twilio",
        is_active=True,
        status=ChannelStatus.ACTIVE,
        webhook_token=token,
        config={"account_sid": ACCOUNT_SID, "sender": SENDER, **config},
    )
    channel.set_secrets({"auth_token": auth_token})
    channel.save()
    return channel


def post_fixture(client: Client, name: str, *, signature: str | None = "__fixture__", **kw: Any):
    meta = fixture_meta(name)
    path = meta["url"][len(PUBLIC_BASE_URL) :]
    headers = {}
    if signature == "__fixture__":
        headers["X-Twilio-Signature"] = meta["signature"]
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(
        path,
        data=kw.pop("body", None) or fixture_body(name),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def process_pending() -> list[str]:
    ids = InboundEvent.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)
    return [inbound_event_process(event_id=pk) for pk in list(ids)]


def make_outbound(channel: Channel, sid: str, **fields: Any) -> Message:
    return Message.objects.create(
        tenant=channel.tenant,
        channel=channel,
        thread_key="+5511999990001",
        direction="out",
        provider_message_id=sid,
        body="Lembrete da consulta",
        provider_timestamp=timezone.now(),
        **fields,
    )
