"""`EvolutionAdapter`: messaging's provider interface (messaging/providers.py) over client.py.

Registered through its spec (evolution/provider.py). Channel data:
`config["instance_name"]`, optional `config["server_url"]` (else settings.EVOLUTION_BASE_URL),
`secrets["apikey"]` (the instance token). Sends never raise for provider outcomes: a provable
failure is `SendResult.failed(code)`, an unclear one `SendResult.unknown(reason)`.
Parsing follows docs/providers/evolution.md §3.6-§3.7 and accepts both 2.0/2.1
(`extendedTextMessage`) and 2.2+ (`conversation` + top-level `contextInfo`) shapes, and the @lid key
variants of §3.7.6.
"""

import base64
import binascii
import datetime as dt
import json
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.files.storage import default_storage

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.evolution.client import EvolutionClient, only_digits
from clinicrm.integrations.evolution.errors import EvolutionError
from clinicrm.messaging.errors import ErrorCode
from clinicrm.messaging.models import STATUS_RANK
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

# client error code -> messaging ErrorCode (friendly text comes from messaging.errors).
ERROR_CODES = {
    "not_on_whatsapp": ErrorCode.NOT_ON_WHATSAPP,
    "unauthorized": ErrorCode.AUTH_FAILED,
    "instance_not_found": ErrorCode.DISCONNECTED,
    "disconnected": ErrorCode.DISCONNECTED,
    "rate_limited": ErrorCode.RATE_LIMITED,
    "license_required": ErrorCode.PROVIDER_DOWN,
    "provider_down": ErrorCode.PROVIDER_DOWN,
    "unreachable": ErrorCode.PROVIDER_DOWN,
    "validation": ErrorCode.MEDIA_REJECTED,
    "media_unavailable": ErrorCode.MEDIA_REJECTED,
}

# Download failures worth retrying later (client codes, see errors.py).
_FETCH_TRANSIENT = frozenset(
    {"timeout", "unreachable", "provider_down", "rate_limited", "disconnected"}
)

# Inner fields never needed to re-download media (thumbnails can hold thousands of entries).
_REF_DROP = frozenset({"jpegThumbnail", "waveform", "contextInfo", "streamingSidecar"})

KIND_BY_TYPE = {
    "imageMessage": "image",
    "videoMessage": "video",
    "ptvMessage": "video",
    "documentMessage": "document",
    "stickerMessage": "image",
    "audioMessage": "audio",
}


def _int(value: Any) -> int | None:
    """int64 fields come as number, decimal string or {low, high, unsigned} (§3.6)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, dict) and isinstance(value.get("low"), int):
        return (int(value.get("high") or 0) << 32) + (value["low"] & 0xFFFFFFFF)
    return None


def _timestamp(value: Any) -> dt.datetime:
    seconds = _int(value)
    if seconds is None:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def payload_of(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedEvent("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedEvent("body is not an object")
    return payload


def is_group(key: dict[str, Any]) -> bool:
    remote = str(key.get("remoteJid") or "")
    return remote.endswith(c.JID_GROUP_SUFFIX) or remote == c.JID_BROADCAST


def _unwrap(message: dict[str, Any]) -> dict[str, Any]:
    for wrapper in ("ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2"):
        inner = message.get(wrapper)
        if isinstance(inner, dict) and isinstance(inner.get("message"), dict):
            return _unwrap(inner["message"])
    wrapped = message.get("documentWithCaptionMessage")
    if isinstance(wrapped, dict) and isinstance(wrapped.get("message"), dict):
        return wrapped["message"]
    return message


def _inline(message: dict[str, Any]) -> bytes | None:
    raw = message.get("base64")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None  # truncated or bad: fall back to getBase64FromMediaMessage


def message_from_data(data: dict[str, Any]) -> InboundMessage | None:
    """One `messages.upsert` data object -> InboundMessage (None: nothing to store)."""
    key = data.get("key")
    if not isinstance(key, dict) or not key.get("id") or not key.get("remoteJid"):
        return None
    raw_message = data.get("message")
    message = _unwrap(raw_message) if isinstance(raw_message, dict) else {}
    mtype = str(data.get("messageType") or "")
    if mtype not in message:
        mtype = next((k for k in message if k not in ("base64", "messageContextInfo")), "")
    found = message.get(mtype)
    inner: dict[str, Any] = found if isinstance(found, dict) else {}
    top_context = data.get("contextInfo")
    context: dict[str, Any] | None = top_context if isinstance(top_context, dict) else None
    if context is None and isinstance(inner.get("contextInfo"), dict):
        context = inner["contextInfo"]
    from_me = bool(key.get("fromMe"))
    alt = str(key.get("remoteJidAlt") or key.get("senderPn") or "")
    kind, body = "unsupported", ""
    media: InboundMedia | None = None
    extra: dict[str, Any] = {}
    reaction_target = None
    if mtype == "conversation":
        kind, body = "text", str(message.get("conversation") or "")
    elif mtype == "extendedTextMessage":
        kind, body = "text", str(inner.get("text") or "")
    elif mtype in KIND_BY_TYPE:
        kind = KIND_BY_TYPE[mtype]
        if mtype == "audioMessage" and inner.get("ptt"):
            kind = "voice"
        body = str(inner.get("caption") or "")
        ref_inner = {k: v for k, v in inner.items() if k not in _REF_DROP}
        media = InboundMedia(
            mime=str(inner.get("mimetype") or ""),
            filename=str(inner.get("fileName") or ""),
            size=_int(inner.get("fileLength")),
            ref={"id": key["id"], "key": key, "message": {mtype: ref_inner}},
            inline=_inline(message),
        )
    elif mtype in ("locationMessage", "liveLocationMessage"):
        kind = "location"
        body = " - ".join(str(inner[k]) for k in ("name", "address") if inner.get(k))
        extra = {
            "latitude": inner.get("degreesLatitude"),
            "longitude": inner.get("degreesLongitude"),
        }
    elif mtype == "contactMessage":
        kind, body = "contacts", str(inner.get("displayName") or "")
        extra = {"vcard_count": 1}
    elif mtype == "contactsArrayMessage":
        listed = inner.get("contacts")
        contacts: list[Any] = listed if isinstance(listed, list) else []
        kind, body = "contacts", str(inner.get("displayName") or "")
        extra = {"vcard_count": len(contacts)}
    elif mtype == "reactionMessage":
        target_key = inner.get("key")
        target: dict[str, Any] = target_key if isinstance(target_key, dict) else {}
        kind, body = "reaction", str(inner.get("text") or "")
        reaction_target = str(target.get("id") or "") or None
    quoted = str(context.get("stanzaId") or "") if context else ""
    status = None
    if from_me:
        status = c.STATUS_TO_NEUTRAL.get(str(data.get("status") or ""), "sent")
        if status == "pending":
            status = "sent"  # a phone-typed message seen by the server has left the phone
    return InboundMessage(
        provider_message_id=str(key["id"]),
        contact_raw_id=str(key["remoteJid"]),
        timestamp=_timestamp(data.get("messageTimestamp")),
        kind=kind,
        body=body,
        from_me=from_me,
        contact_alt_id=alt if alt != key["remoteJid"] else "",
        contact_name="" if from_me else str(data.get("pushName") or ""),
        media=media,
        quoted_provider_id=quoted or None,
        reaction_target_id=reaction_target,
        extra=extra,
        status=status,
    )


class EvolutionAdapter:
    provider: ClassVar[str] = c.PROVIDER
    charges_credits: ClassVar[bool] = False
    enforces_window: ClassVar[bool] = False

    def __init__(self, channel: "Channel") -> None:
        self.channel = channel

    def client(self, *, timeout: float | None = None) -> EvolutionClient:
        config = self.channel.config or {}
        default = float(getattr(settings, "EVOLUTION_TIMEOUT_SECONDS", c.TIMEOUT_DEFAULT))
        return EvolutionClient(
            instance=str(config.get("instance_name") or ""),
            apikey=str(self.channel.secrets.get("apikey") or ""),
            base_url=config.get("server_url") or None,
            timeout=timeout or default,
        )

    # --- sending -------------------------------------------------------------------------------
    @staticmethod
    def _number(to: Recipient) -> str:
        raw = to.raw_id or ""
        if raw.endswith((c.JID_USER_SUFFIX, c.JID_LID_SUFFIX)):
            return raw  # the JID WhatsApp resolved last time (§6): never re-derive it
        if to.thread_key.startswith("lid:"):
            return to.thread_key[4:] + c.JID_LID_SUFFIX
        return only_digits(to.thread_key)

    @staticmethod
    def _result(call: Any) -> SendResult:
        try:
            sent = call()
        except EvolutionError as exc:
            if exc.provable:
                return SendResult.failed(ERROR_CODES.get(exc.code, ErrorCode.UNKNOWN))
            return SendResult.unknown(reason=exc.code)
        status = c.STATUS_TO_NEUTRAL.get(sent.status, "pending")
        return SendResult.ok(sent.key_id, status=status, contact_raw_id=sent.remote_jid)

    # `reference` is ignored: Evolution has no per-message callback to echo it in.
    def send_text(
        self,
        *,
        to: Recipient,
        text: str,
        quoted_provider_id: str | None = None,
        reference: str = "",
    ) -> SendResult:
        client = self.client()
        return self._result(
            lambda: client.send_text(
                number=self._number(to), text=text, quoted_key_id=quoted_provider_id
            )
        )

    @staticmethod
    def _read(media: OutboundMedia) -> bytes:
        with default_storage.open(media.storage_path, "rb") as fh:
            data: bytes = fh.read()
            return data

    def send_media(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        try:
            content = self._read(media)
        except OSError:
            return SendResult.failed(ErrorCode.MEDIA_REJECTED)
        mediatype = media.kind if media.kind in ("image", "video", "document") else "audio"
        filename = media.filename or media.storage_path.rsplit("/", 1)[-1]
        client = self.client()
        return self._result(
            lambda: client.send_media(
                number=self._number(to),
                mediatype=mediatype,
                media=content,
                file_name=filename,
                mimetype=media.mime or None,
                caption=media.caption or None,
            )
        )

    def send_voice(self, *, to: Recipient, media: OutboundMedia, reference: str = "") -> SendResult:
        try:
            content = self._read(media)
        except OSError:
            return SendResult.failed(ErrorCode.MEDIA_REJECTED)
        client = self.client()
        return self._result(lambda: client.send_voice(number=self._number(to), audio=content))

    def send_template(
        self, *, to: Recipient, template: TemplateRef, reference: str = ""
    ) -> SendResult:
        return SendResult.failed(ErrorCode.TEMPLATE_UNSUPPORTED)

    # --- media ---------------------------------------------------------------------------------
    def fetch_media(self, *, ref: dict[str, Any]) -> FetchedMedia:
        key_id = str(ref.get("id") or (ref.get("key") or {}).get("id") or "")
        if not key_id:
            raise MediaFetchError("missing_ref", retryable=False)
        full = {"key": ref["key"], "message": ref["message"]} if ref.get("message") else None
        try:
            media = self.client(timeout=60.0).media_download(key_id=key_id, message=full)
        except EvolutionError as exc:
            # A read has no side effect: what may pass (timeout, 5xx, connection, throttling,
            # a phone reconnecting) is worth another attempt, whatever `provable` says.
            raise MediaFetchError(exc.code, retryable=exc.code in _FETCH_TRANSIENT) from exc
        return FetchedMedia(content=media.content, mime=media.mimetype, filename=media.file_name)

    # --- parsing -------------------------------------------------------------------------------
    def parse_inbound(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[InboundMessage]:
        if event_type != c.MESSAGES_UPSERT:
            return []
        data = payload_of(body).get("data")
        items = data if isinstance(data, list) else [data]
        out = []
        for item in items:
            if not isinstance(item, dict) or is_group(item.get("key") or {}):
                continue
            parsed = message_from_data(item)
            if parsed is not None:
                out.append(parsed)
        return out

    def parse_status(
        self, *, body: bytes, event_type: str, received_at: dt.datetime | None = None
    ) -> list[StatusUpdate]:
        if event_type != c.MESSAGES_UPDATE:
            return []
        data = payload_of(body).get("data")
        items = data if isinstance(data, list) else [data]
        out = []
        for item in items:
            if not isinstance(item, dict):
                continue
            key_id = item.get("keyId") or (item.get("key") or {}).get("id")
            status = c.STATUS_TO_NEUTRAL.get(str(item.get("status") or ""))
            if not key_id or status is None or status == "pending":
                continue  # DELETED / unknown fallbacks carry no delivery progress
            if str(item.get("remoteJid") or "").endswith(c.JID_GROUP_SUFFIX):
                continue
            error = "provider_error" if status == "failed" else ""
            out.append(
                StatusUpdate(provider_message_id=str(key_id), status=status, error_code=error)
            )
        return out

    # --- reconciliation ------------------------------------------------------------------------
    def fetch_message(self, *, provider_message_id: str) -> ProviderMessage | None:
        """`findMessages` by key id. An empty answer is None, but a server that does not store
        messages answers the same: the core never treats it as proof."""
        where = {"key": {"id": provider_message_id}}
        try:
            records, _pages = self.client().find_messages(where=where, page_size=10)
        except EvolutionError as exc:
            raise ProviderUnavailable(exc.code) from None
        for record in records:
            found = provider_message(record)
            if found is not None and found.provider_message_id == provider_message_id:
                return found
        return None

    def list_sent(self, *, to: Recipient, since: dt.datetime) -> SentListing:
        """Our messages to the contact, newest first, page after page until one older than
        `since` shows the server keeps messages (a server-wide setting): then what is not
        listed under either JID the contact may have was not sent, and the listing is complete."""
        floor = since.timestamp()
        page_size = int(getattr(settings, "EVOLUTION_FIND_PAGE_SIZE", c.FIND_PAGE_SIZE))
        found: dict[str, ProviderMessage] = {}
        complete = False
        client = self.client()
        for jid in _jids(to):
            where = {"key": {"remoteJid": jid, "fromMe": True}}
            reached = False
            page, pages = 1, 1
            while page <= pages and not reached:
                try:
                    records, pages = client.find_messages(
                        where=where, page=page, page_size=page_size
                    )
                except EvolutionError as exc:
                    raise ProviderUnavailable(exc.code) from None
                for record in records:
                    item = provider_message(record)
                    if item is None or item.created_at is None:
                        continue
                    if item.created_at.timestamp() < floor:
                        reached = True
                    else:
                        found.setdefault(item.provider_message_id, item)
                page += 1
            complete = complete or reached
        return SentListing(messages=tuple(found.values()), complete=complete)


def _jids(to: Recipient) -> list[str]:
    """The JIDs the contact's messages may be stored under: the one WhatsApp resolved last time,
    or the digits, with the other Brazilian mobile form (with / without the ninth digit)."""
    raw = to.raw_id or ""
    if raw.endswith((c.JID_USER_SUFFIX, c.JID_LID_SUFFIX)):
        return [raw]
    if to.thread_key.startswith("lid:"):
        return [to.thread_key[4:] + c.JID_LID_SUFFIX]
    digits = only_digits(to.thread_key)
    forms = [digits]
    if len(digits) == 13 and digits.startswith("55") and digits[4] == "9":
        forms.append(digits[:4] + digits[5:])
    return [f + c.JID_USER_SUFFIX for f in forms]


_MEDIA_TYPES = frozenset(KIND_BY_TYPE) | {"audioMessage"}
_TEXT_TYPES = frozenset({"conversation", "extendedTextMessage"})


def provider_message(record: dict[str, Any]) -> ProviderMessage | None:
    """One `findMessages` record as reconciliation evidence: the best status among the record
    and its stored receipts (`MessageUpdate`), never moving backwards."""
    key = record.get("key")
    if not isinstance(key, dict) or not key.get("id"):
        return None
    statuses = [record.get("status")]
    updates = record.get("MessageUpdate")
    if isinstance(updates, list):
        statuses += [u.get("status") for u in updates if isinstance(u, dict)]
    neutral = [c.STATUS_TO_NEUTRAL.get(str(st or "")) for st in statuses]
    known = [st for st in neutral if st]
    status = max(known, key=lambda st: STATUS_RANK.get(st, 0)) if known else "pending"
    mtype = str(record.get("messageType") or "")
    raw_message = record.get("message")
    message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
    raw_inner = message.get(mtype)
    inner: dict[str, Any] = raw_inner if isinstance(raw_inner, dict) else {}
    if mtype == "conversation":
        kind, body = "text", str(message.get("conversation") or "")
    elif mtype in _TEXT_TYPES:
        kind, body = "text", str(inner.get("text") or "")
    elif mtype in _MEDIA_TYPES:
        kind, body = "media", str(inner.get("caption") or "")
    else:
        kind, body = "", ""
    seconds = _int(record.get("messageTimestamp"))
    return ProviderMessage(
        provider_message_id=str(key["id"]),
        status=status,
        created_at=dt.datetime.fromtimestamp(seconds, tz=dt.UTC) if seconds else None,
        error_code="provider_error" if status == "failed" else "",
        kind=kind,
        body=body,
    )
