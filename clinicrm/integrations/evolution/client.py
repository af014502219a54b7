"""HTTP client of one Evolution API v2 instance (httpx; contract: docs/providers/evolution.md).

`EvolutionClient(base_url=..., apikey=..., instance=...)`. The `apikey` header is the instance
token for everything but `instance_create` (global key only); `global_apikey` is used there.
Every failure becomes `EvolutionError` (see errors.py) with a pt-BR message and a provable /
unknown classification. Sends pass digits only as `number` (§2.2) and `delay=0`, because the
server blocks the HTTP answer for `delay` ms. Nothing here logs numbers, texts or keys.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from clinicrm.integrations.evolution import constants as c
from clinicrm.integrations.evolution.errors import (
    EvolutionError,
    error_from_response,
    error_from_transport,
)

__all__ = ["EvolutionClient", "EvolutionError", "MediaDownload", "QRCode", "SendResult"]


@dataclass(frozen=True)
class QRCode:
    base64: str | None  # a complete data URI (data:image/png;base64,...)
    code: str | None
    pairing_code: str | None
    count: int | None


@dataclass(frozen=True)
class ConnectResult:
    state: str  # open | connecting | close
    qrcode: QRCode | None


@dataclass(frozen=True)
class SendResult:
    key_id: str
    remote_jid: str
    status: str
    timestamp: int | None
    message_type: str
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class MediaDownload:
    content: bytes
    mimetype: str
    file_name: str
    media_type: str
    caption: str | None


def _qrcode(data: dict[str, Any] | None) -> QRCode | None:
    if not isinstance(data, dict) or not (data.get("base64") or data.get("pairingCode")):
        return None
    count = data.get("count")
    return QRCode(
        base64=data.get("base64"),
        code=data.get("code"),
        pairing_code=data.get("pairingCode"),
        count=count if isinstance(count, int) else None,
    )


def only_digits(number: str) -> str:
    """A JID passes through (the server accepts `...@lid`); anything else becomes digits."""
    if "@" in number:
        return number
    return "".join(ch for ch in number if ch.isdigit())


class EvolutionClient:
    def __init__(
        self,
        *,
        instance: str,
        apikey: str,
        base_url: str | None = None,
        global_apikey: str | None = None,
        timeout: float = c.TIMEOUT_DEFAULT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or settings.EVOLUTION_BASE_URL).rstrip("/")
        self.instance = instance
        self.apikey = apikey
        self.global_apikey = global_apikey
        self.timeout = timeout
        self._transport = transport

    # --- plumbing ------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        apikey: str | None = None,
        timeout: float | None = None,
        is_send: bool = False,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        headers = {"apikey": apikey or self.apikey, "Accept": "application/json"}
        to = httpx.Timeout(timeout or self.timeout, connect=c.TIMEOUT_CONNECT)
        try:
            with httpx.Client(timeout=to, transport=self._transport) as http:
                response = http.request(
                    method, f"{self.base_url}{path}", json=json_body, params=params, headers=headers
                )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, is_send=is_send) from exc
        if response.status_code not in ok:
            raise error_from_response(response, is_send=is_send)
        try:
            return json.loads(response.content) if response.content else None
        except ValueError as exc:
            outcome = "unknown" if is_send else "failed"
            raise EvolutionError(
                "bad_response", status=response.status_code, outcome=outcome
            ) from exc

    @property
    def _i(self) -> str:
        return quote(self.instance, safe="")

    # --- instance lifecycle --------------------------------------------------------------------
    def instance_create(
        self,
        *,
        token: str | None = None,
        qrcode: bool = True,
        number: str | None = None,
        webhook: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST /instance/create (global key). Returns the body; `hash` is the instance key."""
        body: dict[str, Any] = {
            "instanceName": self.instance,
            "integration": c.INTEGRATION_BAILEYS,
            "qrcode": qrcode,
            "groupsIgnore": True,
            # `webhook.events` must always be present: create crashes without it (§2.1).
            "webhook": webhook or {"url": "", "byEvents": False, "base64": False, "events": []},
        }
        if token:
            body["token"] = token
        if number:
            body["number"] = only_digits(number)
        data = self._request(
            "POST",
            "/instance/create",
            json_body=body,
            apikey=self.global_apikey or self.apikey,
            timeout=c.TIMEOUT_CREATE,
        )
        if not isinstance(data, dict):
            raise EvolutionError("bad_response", status=201)
        return data

    def connect(self, *, number: str | None = None) -> ConnectResult:
        """GET /instance/connect: the QR (or pairing code), or state open."""
        params = {"number": only_digits(number)} if number else None
        data = self._request("GET", f"/instance/connect/{self._i}", params=params)
        if not isinstance(data, dict):
            raise EvolutionError("bad_response", status=200)
        if data.get("error") is True:  # errors come back as HTTP 200 here (§2.1)
            raise EvolutionError("bad_request", status=200, detail=str(data.get("message"))[:500])
        inst = data.get("instance")
        if isinstance(inst, dict) and inst.get("state"):
            return ConnectResult(state=str(inst["state"]), qrcode=None)
        return ConnectResult(state=c.STATE_CONNECTING, qrcode=_qrcode(data))

    def connection_state(self) -> str:
        """open | connecting | close; a missing state (not loaded in memory, #2583) is close."""
        data = self._request("GET", f"/instance/connectionState/{self._i}")
        inst = data.get("instance") if isinstance(data, dict) else None
        state = inst.get("state") if isinstance(inst, dict) else None
        return str(state) if state else c.STATE_CLOSE

    def logout(self) -> None:
        try:
            self._request("DELETE", f"/instance/logout/{self._i}")
        except EvolutionError as exc:
            # 2.3.x answers 400 when already closed; the goal (logged out) is reached.
            if exc.status == 400:
                return
            raise

    def delete(self) -> None:
        self._request("DELETE", f"/instance/delete/{self._i}")

    def webhook_set(
        self,
        *,
        url: str,
        events: list[str] | None = None,
        by_events: bool = False,
        base64: bool = False,
        headers: dict[str, str] | None = None,
        enabled: bool = True,
    ) -> dict[str, Any]:
        """POST /webhook/set with the nested body the 2.2+ schema requires (§3.1)."""
        evts = list(c.WEBHOOK_EVENTS if events is None else events)
        bad = [e for e in evts if e not in c.ALLOWED_WEBHOOK_EVENTS]
        if bad:
            raise EvolutionError("validation", detail="unknown events: " + ",".join(bad))
        body = {
            "webhook": {
                "enabled": enabled,
                "url": url,
                "headers": headers or {},
                "byEvents": by_events,
                "base64": base64,
                "events": evts,
            }
        }
        data = self._request("POST", f"/webhook/set/{self._i}", json_body=body)
        return data if isinstance(data, dict) else {}

    def webhook_find(self) -> dict[str, Any] | None:
        data = self._request("GET", f"/webhook/find/{self._i}")
        return data if isinstance(data, dict) else None

    # --- sending -------------------------------------------------------------------------------
    def _send(self, action: str, body: dict[str, Any]) -> SendResult:
        data = self._request("POST", f"/message/{action}/{self._i}", json_body=body, is_send=True)
        key = data.get("key") if isinstance(data, dict) else None
        if not isinstance(key, dict) or not key.get("id"):
            # 201 without a key: it was probably sent, but we cannot link it.
            raise EvolutionError("bad_response", status=201, outcome="unknown")
        ts = data.get("messageTimestamp")
        return SendResult(
            key_id=str(key["id"]),
            remote_jid=str(key.get("remoteJid") or ""),
            status=str(data.get("status") or c.STATUS_PENDING),
            timestamp=ts if isinstance(ts, int) else None,
            message_type=str(data.get("messageType") or ""),
            raw=data,
        )

    def send_text(self, *, number: str, text: str, quoted_key_id: str | None = None) -> SendResult:
        if not text.strip():
            raise EvolutionError("validation", detail="Text is required")
        body: dict[str, Any] = {"number": only_digits(number), "text": text, "delay": 0}
        if quoted_key_id:
            body["quoted"] = {"key": {"id": quoted_key_id}}
        return self._send("sendText", body)

    def send_media(
        self,
        *,
        number: str,
        mediatype: str,
        media: str | bytes,
        file_name: str,
        mimetype: str | None = None,
        caption: str | None = None,
    ) -> SendResult:
        """`media` is an http(s) URL or the raw bytes (sent as base64 without a data: prefix)."""
        if mediatype not in ("image", "video", "document", "audio"):
            raise EvolutionError("validation", detail="mediatype")
        if "." not in file_name:
            # An extension-less name makes the server's mimetype the string "false" (§2.2).
            raise EvolutionError("validation", detail="fileName needs an extension")
        body: dict[str, Any] = {
            "number": only_digits(number),
            "mediatype": mediatype,
            "media": _media_field(media),
            "fileName": file_name,
            "delay": 0,
        }
        if mimetype:
            body["mimetype"] = mimetype
        if caption:
            body["caption"] = caption
        return self._send("sendMedia", body)

    def send_voice(self, *, number: str, audio: str | bytes) -> SendResult:
        """POST /message/sendWhatsAppAudio: a voice note (PTT, transcoded to ogg/opus)."""
        body = {"number": only_digits(number), "audio": _media_field(audio), "delay": 0}
        return self._send("sendWhatsAppAudio", body)

    # --- media and lookups ---------------------------------------------------------------------
    def media_download(
        self, *, key_id: str, message: dict[str, Any] | None = None
    ) -> MediaDownload:
        """POST /chat/getBase64FromMediaMessage. Passing the webhook's full `data` object
        (`message`) works even when the server does not persist messages (§2.3)."""
        payload = message if message else {"key": {"id": key_id}}
        body = {"message": payload, "convertToMp4": False}
        data = self._request("POST", f"/chat/getBase64FromMediaMessage/{self._i}", json_body=body)
        if not isinstance(data, dict) or not isinstance(data.get("base64"), str):
            raise EvolutionError("media_unavailable", status=201)
        try:
            content = base64.b64decode(data["base64"], validate=False)
        except (binascii.Error, ValueError) as exc:
            raise EvolutionError("media_unavailable", status=201) from exc
        return MediaDownload(
            content=content,
            mimetype=str(data.get("mimetype") or "application/octet-stream"),
            file_name=str(data.get("fileName") or key_id),
            media_type=str(data.get("mediaType") or ""),
            caption=data.get("caption") if isinstance(data.get("caption"), str) else None,
        )

    def find_messages(
        self, *, where: dict[str, Any], page: int = 1, page_size: int = 50
    ) -> tuple[list[dict[str, Any]], int]:
        """POST /chat/findMessages: one page, newest first (`offset` is the page size, §2.4).
        Returns (records, number of pages). Needs the server to store messages."""
        body = {"where": where, "page": page, "offset": page_size}
        data = self._request("POST", f"/chat/findMessages/{self._i}", json_body=body)
        found = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(found, dict) or not isinstance(found.get("records"), list):
            raise EvolutionError("bad_response", status=200)
        pages = found.get("pages")
        records = [r for r in found["records"] if isinstance(r, dict)]
        return records, pages if isinstance(pages, int) else 0

    def whatsapp_numbers(self, *, numbers: list[str]) -> list[dict[str, Any]]:
        """POST /chat/whatsappNumbers -> [{jid, exists, number[, name]}]."""
        body = {"numbers": [only_digits(n) for n in numbers]}
        data = self._request("POST", f"/chat/whatsappNumbers/{self._i}", json_body=body)
        if not isinstance(data, list):
            raise EvolutionError("bad_response", status=200)
        return [d for d in data if isinstance(d, dict)]


def _media_field(media: str | bytes) -> str:
    if isinstance(media, bytes):
        return base64.b64encode(media).decode("ascii")
    if media.startswith("data:"):
        # The server rejects data URIs: keep only the raw base64 part.
        return media.split(",", 1)[1] if "," in media else ""
    return media
