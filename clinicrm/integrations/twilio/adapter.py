"""`TwilioAdapter`: messaging's provider interface (messaging/providers.py) for Twilio WhatsApp.

Built per channel: credentials come from `channel.config` (account_sid, sender, optional
api_key_sid / messaging_service_sid) and the encrypted `channel.secrets` (auth_token,
api_key_secret). Sends never raise for provider outcomes: a `TwilioError` becomes
`SendResult.failed` when provable (4xx, connection never opened) and `SendResult.unknown`
otherwise (timeout, 5xx). Every send asks for status callbacks on our public status URL.
Inbound and status payloads are parsed from the stored, byte-exact form body.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clinicrm.integrations.twilio import constants as c
from clinicrm.integrations.twilio.client import MessageInfo, TwilioClient
from clinicrm.integrations.twilio.errors import TwilioError
from clinicrm.messaging.errors import ErrorCode
from clinicrm.messaging.providers import (
    FetchedMedia,
    InboundMedia,
    InboundMessage,
    MalformedEvent,
    MediaFetchError,
    OutboundMedia,
    ProviderMessage,
    ProviderUnavailable,
    Recipient,
    SendResult,
    SentListing,
    StatusUpdate,
    TemplateRef,
)

if TYPE_CHECKING:
    from clinicrm.messaging.models import Channel


def form_params(body: bytes) -> list[tuple[str, str]]:
    """Parse a stored form body; MalformedEvent when it is not UTF-8 form data."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent("not a form-encoded body") from exc


# Query parameter of the StatusCallback URL naming the message a send was for: its callbacks then
# name their message (positive evidence for a send in doubt); Twilio signs the whole URL.
REFERENCE_PARAM = "message_id"


def status_callback_url(channel: "Channel", reference: str = "") -> str:
    path = reverse("integrations:twilio_status", kwargs={"channel_token": channel.webhook_token})
    url = f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}{path}"
    return f"{url}?{urlencode({REFERENCE_PARAM: reference})}" if reference else url


def _media_kind(mime: str, message_type: str) -> str:
    base = mime.split(";", 1)[0].strip().lower()
    if base.startswith("image/"):
        return "image"
    if base.startswith("audio/"):
        # WhatsApp voice notes arrive as Opus in OGG; other audio files are plain audio.
        return "voice" if base == "audio/ogg" else "audio"
    if base.startswith("video/"):
        return "video"
    if base in {"text/vcard", "text/x-vcard"} or message_type == "contacts":
        return "contacts"
    return "document"


def inbound_from_params(
    params: list[tuple[str, str]], *, received_at: dt.datetime
) -> list[InboundMessage]:
    p = dict(params)
    sid = p.get("MessageSid") or p.get("SmsMessageSid") or ""
    sender = p.get("From", "")
    if not sid or not sender:
        raise MalformedEvent("inbound without MessageSid or From")
    try:
        num_media = max(0, int(p.get("NumMedia") or 0))
    except ValueError:
        num_media = 0
    message_type = p.get("MessageType", "")
    body = p.get("Body", "")
    extra: dict[str, Any] = {}
    kind = "text"
    if p.get("Latitude") and p.get("Longitude"):
        kind = "location"
        extra = {"latitude": p["Latitude"], "longitude": p["Longitude"]}
        # The place's name and address, as the Evolution adapter keeps them ("name - address").
        body = body or " - ".join(p[k] for k in ("Label", "Address") if p.get(k))
    if p.get("ButtonPayload") or p.get("ButtonText"):
        extra["button_payload"] = p.get("ButtonPayload", "")[:200]
        body = body or p.get("ButtonText", "")
    if p.get("ReferralSourceId"):
        extra["referral_source_id"] = p["ReferralSourceId"][:100]
    common: dict[str, Any] = {
        "contact_raw_id": sender,
        "contact_alt_id": p.get("WaId", ""),
        "contact_name": p.get("ProfileName", ""),
        "timestamp": received_at,
        "quoted_provider_id": p.get("OriginalRepliedMessageSid") or None,
    }
    medias = [
        (p.get(f"MediaUrl{i}", ""), p.get(f"MediaContentType{i}", "")) for i in range(num_media)
    ]
    medias = [(url, mime) for url, mime in medias if url]
    if not medias:
        if kind == "text" and not body:
            kind = "unsupported"
        return [
            InboundMessage(provider_message_id=sid, kind=kind, body=body, extra=extra, **common)
        ]
    out = []
    for i, (url, mime) in enumerate(medias):
        out.append(
            InboundMessage(
                # Twilio can bundle several media in one message; ours holds one each.
                provider_message_id=sid if i == 0 else f"{sid}/{i}",
                kind=_media_kind(mime, message_type),
                body=body if i == 0 else "",
                extra=dict(extra),
                media=InboundMedia(mime=mime, ref={"url": url}),
                **common,
            )
        )
    return out


def status_from_params(
    params: list[tuple[str, str]], *, received_at: dt.datetime
) -> list[StatusUpdate]:
    p = dict(params)
    sid = p.get("MessageSid") or p.get("SmsSid") or ""
    raw_status = (p.get("MessageStatus") or p.get("SmsStatus") or "").lower()
    if not sid or not raw_status:
        raise MalformedEvent("status without MessageSid or MessageStatus")
    status = c.STATUS_MAP.get(raw_status)
    if status is None:
        return []
    code = p.get("ErrorCode", "") if status == "failed" else ""
    if status == "failed" and not code:
        code = ErrorCode.UNDELIVERABLE
    return [
        StatusUpdate(provider_message_id=sid, status=status, error_code=code, timestamp=received_at)
    ]


def _initial_status(info: MessageInfo) -> str:
    return c.STATUS_MAP.get(info.status) or "pending"


class TwilioAdapter:
    provider: ClassVar[str] = c.PROVIDER
    charges_credits: ClassVar[bool] = True
    enforces_window: ClassVar[bool] = True

    def __init__(self, channel: "Channel") -> None:
        self.channel = channel
        self.config: dict[str, Any] = dict(channel.config or {})
        self._client: TwilioClient | None = None

    @property
    def client(self) -> TwilioClient:
        if self._client is None:
            secrets = self.channel.secrets
            self._client = TwilioClient(
                account_sid=str(self.config.get("account_sid", "")),
                auth_token=str(secrets.get("auth_token", "")),
                api_key_sid=str(self.config.get("api_key_sid", "")),
                api_key_secret=str(secrets.get("api_key_secret", "")),
                read_timeout=float(
                    getattr(settings, "TWILIO_READ_TIMEOUT_SECONDS", c.READ_TIMEOUT_SECONDS)
                ),
            )
        return self._client

    @property
    def sender(self) -> str:
        return str(self.config.get("sender", ""))

    # --- sends ---------------------------------------------------------------------------------
    def _create(self, to: Recipient, reference: str, **kwargs: Any) -> SendResult:
        address = to.raw_id if to.raw_id.startswith(c.CHANNEL_PREFIX) else to.thread_key
        if not self.sender and not self.config.get("messaging_service_sid"):
            return SendResult.failed(ErrorCode.SENDER_NOT_CONFIGURED)
        try:
            info = self.client.message_create(
                from_=self.sender,
                to=address,
                status_callback=status_callback_url(self.channel, reference),
                messaging_service_sid=self.config.get("messaging_service_sid") or None,
                **kwargs,
            )
        except TwilioError as err:
            if err.provable:
                code = ErrorCode.PROVIDER_DOWN if err.code == "unreachable" else err.code
                return SendResult.failed(code, err.message_pt_br)
            return SendResult.unknown(err.code)
        return SendResult.ok(
            info.sid, status=_initial_status(info), contact_raw_id=f"whatsapp:{to.thread_key}"
        )

    def send_text(
        self,
        *,
        to: Recipient,
        text: str,
        quoted_provider_id: str | None = None,
        reference: str = "",
    ) -> SendResult:
        # The Messages API has no reply-to: a quoted reply goes out as plain text.
        return self._create(to, reference, body=text)

    def send_media(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        if not media.public_url:
            return SendResult.failed(ErrorCode.MEDIA_REJECTED)
        return self._create(
            to, reference, body=media.caption or None, media_urls=[media.public_url]
        )

    def send_voice(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        return self.send_media(to=to, media=media, reference=reference)

    def send_template(
        self, *, to: Recipient, template: TemplateRef, reference: str = ""
    ) -> SendResult:
        if not template.content_sid:
            return SendResult.failed(ErrorCode.TEMPLATE_UNSUPPORTED)
        return self._create(
            to,
            reference,
            content_sid=template.content_sid,
            content_variables=dict(template.variables),
        )

    # --- inbound -------------------------------------------------------------------------------
    def fetch_media(self, *, ref: dict[str, Any]) -> FetchedMedia:
        url = str(ref.get("url", ""))
        if not url:
            raise MediaFetchError("media_unavailable", retryable=False)
        try:
            media = self.client.media_download(url=url)
        except TwilioError as err:
            retryable = not err.provable or err.code in {"unreachable", "media_unavailable"}
            raise MediaFetchError(err.code, retryable=retryable) from None
        return FetchedMedia(content=media.content, mime=media.content_type, filename=media.filename)

    def parse_inbound(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[InboundMessage]:
        if event_type != c.EVENT_INBOUND:
            return []
        received = received_at or timezone.now()
        return inbound_from_params(form_params(body), received_at=received)

    def parse_status(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[StatusUpdate]:
        if not event_type.startswith(c.EVENT_STATUS_PREFIX):
            return []
        received = received_at or timezone.now()
        return status_from_params(form_params(body), received_at=received)

    # --- reconciliation ------------------------------------------------------------------------
    def fetch_message(self, *, provider_message_id: str) -> ProviderMessage | None:
        try:
            info = self.client.message_fetch(sid=provider_message_id)
        except TwilioError as err:
            if err.status == 404:
                return None  # Twilio says it has no such message
            raise ProviderUnavailable(err.code) from None
        return provider_message(info)

    def list_sent(self, *, to: Recipient, since: dt.datetime) -> SentListing:
        """Every outbound message Twilio lists to this contact since `since` (all pages).

        Twilio filters by the day a message was sent, so the day before `since` is asked for
        and the caller compares creation times. Twilio keeps every message: complete."""
        address = to.raw_id if to.raw_id.startswith(c.CHANNEL_PREFIX) else to.thread_key
        page_size = int(getattr(settings, "TWILIO_LIST_PAGE_SIZE", c.LIST_PAGE_SIZE))
        try:
            rows = self.client.message_list(
                to=address,
                from_=self.sender,
                sent_since=(since - dt.timedelta(days=1)).date(),
                page_size=page_size,
            )
        except TwilioError as err:
            raise ProviderUnavailable(err.code) from None
        sent = tuple(provider_message(r) for r in rows if r.direction.startswith("outbound"))
        return SentListing(messages=sent, complete=True)


def provider_message(info: MessageInfo) -> ProviderMessage:
    """A Twilio Message resource as reconciliation evidence."""
    raw = info.status.lower()
    status = c.STATUS_MAP.get(raw) or ("failed" if raw == "canceled" else "pending")
    code = (info.error_code or ErrorCode.UNDELIVERABLE) if status == "failed" else ""
    return ProviderMessage(
        provider_message_id=info.sid,
        status=status,
        created_at=info.date_created,
        error_code=code,
        # A template and a text look alike in the resource; media do not.
        kind="media" if info.num_media else "",
        body=info.body,
    )
