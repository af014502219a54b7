"""The phone simulator's side of the fake providers: their `/__control/` endpoints over HTTP.

The simulator plays a patient's phone. It never writes CRM tables: a message "typed on the phone"
goes to the fake provider of the clinic's active channel, which delivers it to the CRM's webhook
exactly as the real provider would; the clinic's replies are read back from the fake's records.

- Evolution fake: `POST /__control/inbound/<instance>`, `GET /__control/messages/<instance>`,
  `POST /__control/status/<instance>` (base URL: the channel's `server_url` or
  settings.EVOLUTION_BASE_URL).
- Twilio fake: `POST /__control/inbound` (signed push to our inbound webhook URL),
  `GET /__control/state`, `POST /__control/messages/<sid>/status` (settings.TWILIO_API_BASE_URL).
"""

import base64
import datetime as dt
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.urls import reverse

from clinicrm.messaging.models import Channel, Provider
from clinicrm.people.phones import phone_digits

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
TICKS = {"pending": "◷", "sent": "✓", "delivered": "✓✓", "read": "✓✓", "failed": "⚠"}
STATUS_LABELS = {
    "pending": "Enviando",
    "sent": "Enviada",
    "delivered": "Entregue",
    "read": "Lida",
    "failed": "Falhou",
}
EVOLUTION_STATUS = {
    "PENDING": "pending",
    "SERVER_ACK": "sent",
    "DELIVERY_ACK": "delivered",
    "READ": "read",
    "PLAYED": "read",
    "ERROR": "failed",
}
TWILIO_STATUS = {
    "queued": "pending",
    "accepted": "pending",
    "sending": "pending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
}
KIND_LABELS = {
    "image": "📷 Foto",
    "audio": "🎤 Áudio",
    "video": "🎬 Vídeo",
    "document": "Documento",
    "sticker": "Figurinha",
    "location": "📍 Localização",
}


class SimulatorError(Exception):
    """A pt-BR message for the simulator page (fake unreachable, unknown instance...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reply:
    """A message the clinic sent to the simulated phone, as the fake recorded it."""

    provider_id: str
    text: str
    kind: str
    status: str
    at: dt.datetime

    @property
    def ticks(self) -> str:
        return TICKS.get(self.status, "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "")


@dataclass(frozen=True)
class Upload:
    content: bytes
    mime: str
    filename: str


class PhoneFake(Protocol):
    def send_text(self, *, number: str, text: str, name: str) -> None: ...
    def send_image(self, *, number: str, image: Upload, caption: str, name: str) -> None: ...
    def send_voice(self, *, number: str, name: str) -> None: ...
    def replies(self, *, number: str) -> list[Reply]: ...
    def mark_read(self, *, number: str) -> int: ...


def _request(method: str, url: str, **kwargs: Any) -> Any:
    try:
        response = httpx.request(method, url, timeout=TIMEOUT, **kwargs)
    except httpx.HTTPError as exc:
        raise SimulatorError(
            "Não foi possível falar com o servidor simulado do WhatsApp. Ele está rodando? "
            "(manage.py run_demo inicia todos.)"
        ) from exc
    if response.status_code == 404:
        raise SimulatorError(
            "O servidor simulado não conhece este canal. Refaça a configuração do WhatsApp da "
            "clínica (o servidor simulado pode ter sido reiniciado)."
        )
    if response.status_code >= 400:
        raise SimulatorError(f"O servidor simulado recusou o pedido (HTTP {response.status_code}).")
    return response.json()


class EvolutionPhone:
    provider = Provider.EVOLUTION

    def __init__(self, channel: Channel) -> None:
        config = channel.config or {}
        self.instance = str(config.get("instance_name") or "")
        if not self.instance:
            raise SimulatorError("O canal Evolution da clínica não tem instância configurada.")
        self.base = str(config.get("server_url") or settings.EVOLUTION_BASE_URL).rstrip("/")

    def _inbound(self, spec: dict[str, Any]) -> None:
        _request("POST", f"{self.base}/__control/inbound/{self.instance}", json=spec)

    def send_text(self, *, number: str, text: str, name: str) -> None:
        self._inbound(
            {"type": "text", "from": phone_digits(number), "text": text, "push_name": name}
        )

    def send_image(self, *, number: str, image: Upload, caption: str, name: str) -> None:
        self._inbound(
            {
                "type": "image",
                "from": phone_digits(number),
                "media_base64": base64.b64encode(image.content).decode(),
                "mimetype": image.mime,
                "caption": caption,
                "push_name": name,
            }
        )

    def send_voice(self, *, number: str, name: str) -> None:
        # The fake's default voice note is a tiny real OGG/Opus file.
        self._inbound({"type": "ptt", "from": phone_digits(number), "push_name": name})

    def _records(self, number: str) -> list[dict[str, Any]]:
        url = f"{self.base}/__control/messages/{self.instance}"
        rows = _request("GET", url, params={"number": phone_digits(number)}).get("data") or []
        return [r for r in rows if (r.get("data") or {}).get("key", {}).get("fromMe")]

    def replies(self, *, number: str) -> list[Reply]:
        out = []
        for row in self._records(number):
            data = row["data"]
            statuses = [s for s in row.get("statuses") or [] if s]
            status = EVOLUTION_STATUS.get(statuses[-1] if statuses else "PENDING", "pending")
            # A status can arrive out of order: show the furthest one.
            ranked = [EVOLUTION_STATUS.get(s, "pending") for s in statuses]
            if "failed" not in ranked:
                order = ["pending", "sent", "delivered", "read"]
                status = max(ranked or ["pending"], key=order.index)
            kind, text = _evolution_content(data.get("message") or {})
            at = dt.datetime.fromtimestamp(int(data.get("messageTimestamp") or 0), tz=dt.UTC)
            out.append(Reply(provider_id=row["id"], text=text, kind=kind, status=status, at=at))
        return sorted(out, key=lambda r: r.at)

    def mark_read(self, *, number: str) -> int:
        count = 0
        for reply in self.replies(number=number):
            if reply.status in ("sent", "delivered", "pending"):
                _request(
                    "POST",
                    f"{self.base}/__control/status/{self.instance}",
                    json={"key_id": reply.provider_id, "status": "READ"},
                )
                count += 1
        return count


def _evolution_content(message: dict[str, Any]) -> tuple[str, str]:
    if "conversation" in message:
        return "text", str(message["conversation"])
    if "extendedTextMessage" in message:
        return "text", str(message["extendedTextMessage"].get("text", ""))
    for key, kind in (
        ("imageMessage", "image"),
        ("audioMessage", "audio"),
        ("videoMessage", "video"),
        ("documentMessage", "document"),
        ("stickerMessage", "sticker"),
        ("locationMessage", "location"),
    ):
        if key in message:
            inner = message[key] or {}
            return kind, str(inner.get("caption") or inner.get("fileName") or "")
    return "text", ""


class TwilioPhone:
    provider = Provider.TWILIO

    def __init__(self, channel: Channel) -> None:
        base = getattr(settings, "TWILIO_API_BASE_URL", "")
        if not base:
            raise SimulatorError(
                "O simulador precisa do Twilio simulado: defina TWILIO_API_BASE_URL "
                "(manage.py run_demo já faz isso)."
            )
        config = channel.config or {}
        self.base = base.rstrip("/")
        self.account_sid = str(config.get("account_sid") or "")
        self.sender = str(config.get("sender") or "")
        if not self.account_sid or not self.sender:
            raise SimulatorError("O canal Twilio da clínica não tem conta ou número configurados.")
        path = reverse(
            "integrations:twilio_inbound", kwargs={"channel_token": channel.webhook_token}
        )
        self.inbound_url = settings.PUBLIC_BASE_URL + path

    def _inbound(self, spec: dict[str, Any]) -> None:
        spec = {"account_sid": self.account_sid, "to": self.sender, "url": self.inbound_url} | spec
        result = _request("POST", f"{self.base}/__control/inbound", json=spec)
        statuses = result.get("http_statuses") or [0]
        if not any(200 <= int(s) < 300 for s in statuses):
            raise SimulatorError(
                f"O CRM não aceitou a mensagem entregue pelo Twilio simulado (HTTP {statuses[-1]})."
            )

    def send_text(self, *, number: str, text: str, name: str) -> None:
        self._inbound({"type": "text", "from": number, "body": text, "profile_name": name})

    def send_image(self, *, number: str, image: Upload, caption: str, name: str) -> None:
        media = {
            "content_type": image.mime,
            "data": base64.b64encode(image.content).decode(),
            "filename": image.filename,
        }
        self._inbound(
            {
                "type": "image",
                "from": number,
                "body": caption,
                "profile_name": name,
                "media": [media],
            }
        )

    def send_voice(self, *, number: str, name: str) -> None:
        self._inbound({"type": "audio", "from": number, "body": "", "profile_name": name})

    def replies(self, *, number: str) -> list[Reply]:
        rows = _request("GET", f"{self.base}/__control/state").get("messages") or []
        wanted = phone_digits(number)
        out = []
        for m in rows:
            if not m.get("sid") or m.get("account_sid") != self.account_sid:
                continue
            if not str(m.get("direction", "")).startswith("outbound"):
                continue
            if phone_digits(str(m.get("to", ""))) != wanted:
                continue
            try:
                at = parsedate_to_datetime(str(m.get("date_created")))
            except (TypeError, ValueError):
                at = dt.datetime.now(dt.UTC)
            kind = "image" if int(m.get("num_media") or 0) else "text"
            status = TWILIO_STATUS.get(str(m.get("status")), "pending")
            out.append(
                Reply(
                    provider_id=m["sid"],
                    text=str(m.get("body") or ""),
                    kind=kind,
                    status=status,
                    at=at,
                )
            )
        return sorted(out, key=lambda r: r.at)

    def mark_read(self, *, number: str) -> int:
        count = 0
        for reply in self.replies(number=number):
            if reply.status in ("sent", "delivered"):
                _request(
                    "POST",
                    f"{self.base}/__control/messages/{reply.provider_id}/status",
                    json={"status": "read"},
                )
                count += 1
        return count


def phone_for(channel: Channel) -> PhoneFake:
    if channel.provider == Provider.TWILIO:
        return TwilioPhone(channel)
    return EvolutionPhone(channel)
