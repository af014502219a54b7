"""Test helpers: channels, threads, inbound messages and a scripted in-test adapter.

`ScriptedAdapter` is a unit-edge fake only (the faithful provider fakes come with the adapters in
clinicrm/devtools/): it returns queued SendResults and records calls.
"""

import datetime as dt
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Channel, ChannelStatus, Provider, Thread
from clinicrm.messaging.providers import (
    FetchedMedia,
    InboundMessage,
    OutboundMedia,
    ProviderMessage,
    ProviderUnavailable,
    Recipient,
    SendResult,
    SentListing,
    StatusUpdate,
    TemplateRef,
    provider_register,
)

_seq = itertools.count(1)


def make_channel(
    tenant: Tenant, provider: str = Provider.EVOLUTION, active: bool = True
) -> Channel:
    channel = Channel(
        tenant=tenant,
        provider=provider,
        display_name=f"Canal {provider}",
        is_active=active,
        status=ChannelStatus.OPEN if provider == Provider.EVOLUTION else ChannelStatus.ACTIVE,
        config={"instance_name": f"inst-{next(_seq)}"},
    )
    channel.set_secrets({"apikey": "segredo-123"})
    channel.save()
    return channel


def unique_phone() -> str:
    return f"+55119{next(_seq) + 80000000:08d}"


def make_thread(tenant: Tenant, thread_key: str | None = None, **fields: Any) -> Thread:
    return Thread.objects.create(tenant=tenant, thread_key=thread_key or unique_phone(), **fields)


def thread_url(tenant: Any, thread_key: str, name: str = "messaging:thread") -> str:
    """A thread page's URL (threads are addressed by id, never by number)."""
    from django.urls import reverse

    thread = Thread.objects.get(tenant=tenant, thread_key=thread_key)
    return reverse(name, kwargs={"thread_id": thread.pk})


def inbound_text(
    pid: str | None = None,
    *,
    jid: str = "5511988887777@s.whatsapp.net",
    body: str = "Olá",
    ts: dt.datetime | None = None,
    from_me: bool = False,
    **kw: Any,
) -> InboundMessage:
    return InboundMessage(
        provider_message_id=pid or f"MSG{next(_seq):06d}",
        contact_raw_id=jid,
        timestamp=ts or timezone.now(),
        body=body,
        from_me=from_me,
        **kw,
    )


@dataclass
class ScriptedAdapter:
    channel: Channel
    provider: ClassVar[str] = "scripted"
    charges_credits: ClassVar[bool] = False
    enforces_window: ClassVar[bool] = False
    results: deque[SendResult] = field(default_factory=deque)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    # What the "provider" knows for reconciliation: its messages by id (fetch_message and
    # list_sent answer from them), whether its listing is complete, or that it cannot be asked.
    known: dict[str, ProviderMessage] = field(default_factory=dict)
    complete: bool = True
    unavailable: bool = False

    def _next(self, name: str, payload: Any) -> SendResult:
        self.calls.append((name, payload))
        if self.results:
            return self.results.popleft()
        return SendResult.ok(f"PID{next(_seq):06d}")

    def send_text(
        self,
        *,
        to: Recipient,
        text: str,
        quoted_provider_id: str | None = None,
        reference: str = "",
    ) -> SendResult:
        return self._next("text", (to, text))

    def send_media(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        return self._next("media", (to, media))

    def send_voice(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        return self._next("voice", (to, media))

    def send_template(
        self, *, to: Recipient, template: TemplateRef, reference: str = ""
    ) -> SendResult:
        return self._next("template", (to, template))

    def fetch_media(self, *, ref: dict[str, Any]) -> FetchedMedia:
        return FetchedMedia(content=b"\xff\xd8\xff", mime="image/jpeg", filename="foto.jpg")

    def parse_inbound(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[InboundMessage]:
        data = json.loads(body)
        if data.get("type") != "message":
            return []
        return [inbound_text(data["id"], jid=data["from"], body=data.get("body", ""))]

    def parse_status(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[StatusUpdate]:
        data = json.loads(body)
        if data.get("type") != "status":
            return []
        return [StatusUpdate(provider_message_id=data["id"], status=data["status"])]

    def fetch_message(self, *, provider_message_id: str) -> ProviderMessage | None:
        self.calls.append(("fetch_message", provider_message_id))
        if self.unavailable:
            raise ProviderUnavailable("scripted")
        return self.known.get(provider_message_id)

    def list_sent(self, *, to: Recipient, since: dt.datetime) -> SentListing:
        self.calls.append(("list_sent", (to, since)))
        if self.unavailable:
            raise ProviderUnavailable("scripted")
        listed = [m for m in self.known.values() if m.created_at is None or m.created_at >= since]
        return SentListing(messages=tuple(listed), complete=self.complete)


class AdapterScope:
    """Installs one ScriptedAdapter instance for both providers; restores defaults on exit."""

    def __init__(self) -> None:
        self.adapter: ScriptedAdapter | None = None

    def factory(self, channel: Channel) -> ScriptedAdapter:
        if self.adapter is None:
            self.adapter = ScriptedAdapter(channel=channel)
        return self.adapter

    def __enter__(self) -> "AdapterScope":
        for name in (Provider.EVOLUTION, Provider.TWILIO):
            provider_register(name, self.factory)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in (Provider.EVOLUTION, Provider.TWILIO):
            provider_register(name, None)

    def script(self, channel: Channel, *results: SendResult) -> ScriptedAdapter:
        adapter = self.factory(channel)
        adapter.results.extend(results)
        return adapter
