"""Shared helpers of the Evolution tests: fixtures as raw bytes, a channel, posting, processing."""

from pathlib import Path
from typing import Any

from django.test import Client

from clinicrm.core.models import Tenant
from clinicrm.devtools.fake_evolution.testing import INSTANCE, INSTANCE_TOKEN
from clinicrm.integrations.models import InboundEvent, InboundEventStatus
from clinicrm.messaging.models import Channel, ChannelStatus, Provider

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APIKEY = INSTANCE_TOKEN


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def make_channel(
    tenant: Tenant,
    *,
    server_url: str | None = None,
    active: bool = True,
    instance: str = INSTANCE,
    apikey: str = APIKEY,
) -> Channel:
    config = {"instance_name": instance}
    if server_url:
        config["server_url"] = server_url
    channel = Channel(
        tenant=tenant,
        provider=Provider.EVOLUTION,
        display_name="WhatsApp pessoal",
        is_active=active,
        status=ChannelStatus.OPEN,
        config=config,
    )
    channel.set_secrets({"apikey": apikey})
    channel.save()
    return channel


def post(
    client: Client,
    channel: Channel,
    body: bytes,
    *,
    apikey: str | None = APIKEY,
    suffix: str | None = None,
    **extra: str,
):
    url = f"/webhooks/evolution/{channel.webhook_token}/"
    if suffix:
        url += f"/{suffix}"  # what Evolution builds from a URL ending in "/" (byEvents)
    headers: dict[str, Any] = dict(extra)
    if apikey is not None:
        headers["HTTP_APIKEY"] = apikey
    return client.post(url, data=body, content_type="application/json", **headers)


def process_pending() -> list[str]:
    from clinicrm.integrations.services import inbound_event_process

    ids = list(
        InboundEvent.objects.filter(status=InboundEventStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [inbound_event_process(event_id=pk) for pk in ids]
