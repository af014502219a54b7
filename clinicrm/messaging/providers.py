"""The one interface `messaging` knows; Evolution and Twilio implement it as adapters.

An adapter is built per channel (`provider_for(channel)`) and does the provider's HTTP and
payload parsing only: no database writes, no credits, no tenancy. The services in
`messaging.services` decide everything else.

Contract for implementers (see README.md for the whole flow):
- `send_*` never raise for provider outcomes. They return a `SendResult`:
  * `SendResult.ok(provider_message_id, ...)`: the provider accepted the message.
  * `SendResult.failed(code)`: provably NOT sent (HTTP 4xx, connection refused before the request
    was written, instance disconnected): the core marks it failed and refunds the credit once.
    `code` is a provider code (Twilio "63016") or an `errors.ErrorCode`.
  * `SendResult.unknown(reason)`: may or may not have been sent (read timeout, 5xx after the body
    was sent, connection reset): the core keeps the message pending and the credit reserved
    until a status callback or `message_reconcile` settles it.
- `parse_inbound(body=..., event_type=...)` / `parse_status(...)` read a stored delivery (its raw
  body bytes and the event type the webhook gave it; `received_at` when the provider's payload
  carries no time) and return normalized dataclasses; an event of another type returns []. Raise
  `MalformedEvent` for an unreadable body.
- `fetch_media(ref=...)` downloads inbound media named by `InboundMedia.ref` (opaque to the core;
  stored on the message as `media_ref` for a later retry). Raise `MediaFetchError` on failure.
- `fetch_message` / `list_sent` serve reconciliation (`services/reconcile.py`): they report what
  the provider knows and never guess. `fetch_message` returns None only when the provider says it
  has no such message; `list_sent` returns every outbound message to one contact since a time,
  paging through all of them. Both raise `ProviderUnavailable` when the provider cannot be asked
  or does not answer clearly: nothing may be concluded then, and the core asks again later.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from clinicrm.messaging.errors import error_friendly, error_normalize

if TYPE_CHECKING:
    from clinicrm.messaging.models import Channel


class MalformedEvent(Exception):
    """The event body cannot be parsed (the webhook should have answered 400)."""


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, 5xx, credentials): no conclusion is possible.
    `code` is short and technical, for logs (no personal data)."""

    def __init__(self, code: str = "unavailable") -> None:
        super().__init__(code)
        self.code = code


class MediaFetchError(Exception):
    """Media could not be downloaded; `code` is an ErrorCode or provider code (no personal data)."""

    def __init__(self, code: str = "unknown", *, retryable: bool = True) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


# --- inbound --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundMedia:
    mime: str = ""
    filename: str = ""
    size: int | None = None
    # Opaque reference for `fetch_media` (Evolution: {"key": {...}, "message": {...}} or
    # {"id": key_id}; Twilio: {"url": MediaUrl0}). JSON-serialisable.
    ref: dict[str, Any] = field(default_factory=dict)
    # Bytes already in the delivery (Evolution webhook with base64:true); skips fetch_media.
    inline: bytes | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message seen by the provider, in either direction (`from_me` = the clinic's side)."""

    provider_message_id: str
    # Raw contact address: Evolution `key.remoteJid`, Twilio `From` (`whatsapp:+55...`).
    contact_raw_id: str
    timestamp: dt.datetime
    kind: str = "text"  # a MessageKind value
    body: str = ""
    from_me: bool = False
    # Alternative address: Evolution `remoteJidAlt` / `senderPn`, Twilio `WaId`.
    contact_alt_id: str = ""
    contact_name: str = ""
    media: InboundMedia | None = None
    quoted_provider_id: str | None = None
    reaction_target_id: str | None = None
    # Kind details: {"latitude", "longitude"} for location, {"vcard_count"} ... no free text.
    extra: dict[str, Any] = field(default_factory=dict)
    # Initial status for from_me messages (a MessageStatus value), e.g. "sent" for SERVER_ACK.
    status: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # a MessageStatus value: sent, delivered, read, played, failed
    error_code: str = ""
    timestamp: dt.datetime | None = None
    # Our own message id when the provider echoed it back with the status (Twilio: the
    # StatusCallback URL of each send names its message). Text as received; "" when absent.
    reference: str = ""


# --- outbound -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    thread_key: str  # canonical E.164, "+5511988887777"
    # The provider address last seen for this contact (JID / "whatsapp:+..."), or "" when the
    # contact never wrote: the adapter then derives it from thread_key (Evolution: digits).
    raw_id: str = ""


@dataclass(frozen=True)
class OutboundMedia:
    kind: str  # image | video | document | audio | voice
    storage_path: str  # in default storage (private); read bytes or sign a URL from it
    mime: str
    filename: str
    size: int
    caption: str = ""
    # Absolute signed URL that the provider can GET (Twilio MediaUrl), filled by the core.
    public_url: str = ""


@dataclass(frozen=True)
class TemplateRef:
    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)
    name: str = ""
    preview: str = ""  # what the clinic sees in the timeline


class SendOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    provider_message_id: str | None = None
    # For OK: the initial status the provider reported (MessageStatus value; usually pending).
    status: str = "pending"
    # The address the provider resolved (Evolution returns the canonical JID WhatsApp used).
    contact_raw_id: str = ""
    error_code: str = ""
    error_message: str = ""  # friendly pt-BR
    reason: str = ""  # for UNKNOWN: short technical reason for logs (no personal data)

    @classmethod
    def ok(
        cls, provider_message_id: str, *, status: str = "pending", contact_raw_id: str = ""
    ) -> "SendResult":
        return cls(
            SendOutcome.OK,
            provider_message_id=provider_message_id,
            status=status,
            contact_raw_id=contact_raw_id,
        )

    @classmethod
    def failed(cls, code: str | int, message: str | None = None) -> "SendResult":
        normalized = error_normalize(code)
        return cls(
            SendOutcome.FAILED,
            error_code=str(code),
            error_message=message or error_friendly(normalized),
        )

    @classmethod
    def unknown(cls, reason: str = "timeout") -> "SendResult":
        return cls(SendOutcome.UNKNOWN, reason=reason)


@dataclass(frozen=True)
class ProviderMessage:
    """One outbound message as the provider knows it (reconciliation evidence)."""

    provider_message_id: str
    # A MessageStatus value; "pending" while the provider still holds it (queued, accepted).
    status: str
    # When the provider created it (its own clock, often to the second); None if not said.
    created_at: dt.datetime | None = None
    error_code: str = ""
    # "text" | "media" | "template", or "" when the provider does not say (Twilio: text and
    # templates look alike).
    kind: str = ""
    body: str = field(default="", repr=False)  # personal data: never log


@dataclass(frozen=True)
class SentListing:
    """Every outbound message the provider lists for one contact since a time (all pages).

    `complete`: the provider keeps every message, so what is not listed was not created
    (Twilio). Evolution lists only what its server stored; its listing is complete only when it
    reached back past `since` (the server demonstrably kept that period)."""

    messages: tuple[ProviderMessage, ...]
    complete: bool


@dataclass(frozen=True)
class FetchedMedia:
    content: bytes
    mime: str
    filename: str = ""


# --- the interface --------------------------------------------------------------------------


@runtime_checkable
class ProviderAdapter(Protocol):
    provider: ClassVar[str]
    # Does this provider charge credits per outbound message? (Twilio yes, Evolution no.)
    charges_credits: ClassVar[bool]
    # Does it enforce the 24-hour customer service window? (Twilio yes.)
    enforces_window: ClassVar[bool]

    # `reference` is our id of the message being sent: a provider that can echo it back with
    # its statuses (Twilio: in the StatusCallback URL) lets a send in doubt be settled by it.
    def send_text(
        self,
        *,
        to: Recipient,
        text: str,
        quoted_provider_id: str | None = None,
        reference: str = "",
    ) -> SendResult: ...

    def send_media(
        self, *, to: Recipient, media: OutboundMedia, reference: str = ""
    ) -> SendResult: ...

    def send_voice(
        self, *, to: Recipient, media: OutboundMedia, reference: str = ""
    ) -> SendResult: ...

    def send_template(
        self, *, to: Recipient, template: TemplateRef, reference: str = ""
    ) -> SendResult: ...

    def fetch_media(self, *, ref: dict[str, Any]) -> FetchedMedia: ...

    def parse_inbound(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[InboundMessage]: ...

    def parse_status(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[StatusUpdate]: ...

    def fetch_message(self, *, provider_message_id: str) -> ProviderMessage | None: ...

    def list_sent(self, *, to: Recipient, since: dt.datetime) -> SentListing: ...


AdapterFactory = Callable[["Channel"], ProviderAdapter]

# Each provider's adapter, registered at start-up by integrations (its provider registry);
# `_overrides` lets a test or the demo put another in front.
_adapters: dict[str, AdapterFactory] = {}
_overrides: dict[str, AdapterFactory] = {}


def provider_adapter_register(provider: str, factory: AdapterFactory) -> None:
    """The adapter factory of `provider` (integrations registers each provider's at start-up)."""
    _adapters[provider] = factory


def provider_register(provider: str, factory: AdapterFactory | None) -> None:
    """Override (or with None, restore) the adapter factory of `provider` (tests, demo)."""
    if factory is None:
        _overrides.pop(provider, None)
    else:
        _overrides[provider] = factory


def provider_for(channel: "Channel") -> ProviderAdapter:
    """The adapter for `channel` (built per call: adapters hold the channel's credentials)."""
    factory = _overrides.get(channel.provider) or _adapters.get(channel.provider)
    if factory is None:
        raise LookupError(f"no adapter for provider {channel.provider!r}")
    return factory(channel)
