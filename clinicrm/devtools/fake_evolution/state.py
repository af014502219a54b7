"""In-memory state of the fake Evolution: instances, webhooks, stored messages, switches.

Every mutation happens under `lock`. Operations raise `ApiError` carrying the exact error body
of the real server (docs/providers/evolution.md §5). Webhook emission goes through `emit`, which the
dispatcher turns into HTTP deliveries.
"""

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from clinicrm.devtools.fake_evolution import payloads as p

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
REASONS |= {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}

ALLOWED_EVENTS = frozenset(
    {
        "APPLICATION_STARTUP", "QRCODE_UPDATED", "MESSAGES_SET", "MESSAGES_UPSERT",
        "MESSAGES_EDITED", "MESSAGES_UPDATE", "MESSAGES_DELETE", "SEND_MESSAGE",
        "SEND_MESSAGE_UPDATE", "CONTACTS_SET", "CONTACTS_UPSERT", "CONTACTS_UPDATE",
        "PRESENCE_UPDATE", "CHATS_SET", "CHATS_UPSERT", "CHATS_UPDATE", "CHATS_DELETE",
        "GROUPS_UPSERT", "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE", "CONNECTION_UPDATE",
        "LABELS_EDIT", "LABELS_ASSOCIATION", "CALL", "TYPEBOT_START", "TYPEBOT_CHANGE_STATUS",
        "REMOVE_INSTANCE", "LOGOUT_INSTANCE", "INSTANCE_CREATE", "INSTANCE_DELETE",
        "STATUS_INSTANCE",
    }
)  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, message: Any, *, raw: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.message = message
        self.raw = raw

    def body(self) -> Any:
        if self.raw is not None:
            return self.raw
        return {
            "status": self.status,
            "error": REASONS.get(self.status, "Error"),
            "response": {"message": self.message},
        }


@dataclass
class Instance:
    name: str
    token: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    integration: str = "WHATSAPP-BAILEYS"
    state: str = "close"
    qr_count: int = 0
    qr: dict[str, Any] | None = None
    wuid: str | None = None
    profile_name: str | None = None
    number: str | None = None
    webhook: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "connectionStatus": self.state,
            "ownerJid": self.wuid,
            "profileName": self.profile_name,
            "profilePicUrl": None,
            "integration": self.integration,
            "number": self.number,
            "token": self.token,
            "clientName": "evolution_exchange",
            "_count": {"Message": 0, "Contact": 0, "Chat": 0},
        }


@dataclass
class Switches:
    """Fault and behaviour switches, set through `/__control/config`."""

    version: str = "2.3.7"
    licensed: bool = True
    expose_apikey: bool = False  # AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES
    duplicates: int = 1  # copies of every webhook delivery
    reorder: bool = False  # deliver newest-first (concurrent, independently retried sends)
    status_before_send: bool = False  # messages.update SERVER_ACK before send.message
    webhook_delay: float = 0.0  # seconds before a delivery is attempted
    response_delay: float = 0.0  # seconds every API answer is delayed
    hang_next: int = 0  # the next n API calls do their work, then hang `hang_seconds`
    hang_seconds: float = 30.0
    # Statuses for the next API calls: 500 = "Connection Closed", other codes a generic error.
    fail_next: list[int] = field(default_factory=list)
    fail_form: str = "string"  # 5xx message as "string" or "array" (#1286 vs #1772)
    auto_status: str = "read"  # none | sent | delivered | read
    status_interval: float = 0.05
    media_fail_next: int = 0
    time_scale: float = 0.01  # applied to the webhook retry backoff
    qr_limit: int = 30
    server_url: str = ""


class FakeEvolutionState:
    def __init__(self, *, global_apikey: str) -> None:
        self.lock = threading.RLock()
        self.global_apikey = global_apikey
        self.switches = Switches()
        self.instances: dict[str, Instance] = {}
        # key id -> {"instance", "data", "content", "mimetype", "file_name"}
        self.messages: dict[str, dict[str, Any]] = {}
        self.not_on_whatsapp: set[str] = {"5511900000000"}
        # 13-digit numbers whose WhatsApp account still uses the 12-digit JID (§6).
        self.legacy_jid: set[str] = set()
        self.global_webhook: dict[str, Any] | None = None
        self.emitter: Any = None  # the dispatcher, set by the server

    def reset(self) -> None:
        with self.lock:
            self.switches = Switches(server_url=self.switches.server_url)
            self.instances.clear()
            self.messages.clear()
            self.not_on_whatsapp = {"5511900000000"}
            self.legacy_jid.clear()
            self.global_webhook = None

    # --- auth and guards (instanceExistsGuard -> apikey) ------------------------------------------
    def instance(self, name: str) -> Instance:
        inst = self.instances.get(name)
        if inst is None:
            raise ApiError(404, [f'The "{name}" instance does not exist'])
        return inst

    def check_key(self, apikey: str | None, inst: Instance | None) -> None:
        if apikey and apikey == self.global_apikey:
            return
        if inst is not None and apikey and apikey == inst.token:
            return
        raise ApiError(401, "Unauthorized")

    # --- webhook emission ---------------------------------------------------------------------
    def emit(self, inst: Instance, event: str, data: Any) -> None:
        if self.emitter is not None:
            self.emitter.emit(inst, event, data)

    # --- JIDs ---------------------------------------------------------------------------------
    def resolve(self, number: str) -> dict[str, Any]:
        """What whatsappNumber answers for one input (canonical JID, exists)."""
        if "@" in number:
            jid = number
            if jid.endswith("@g.us") or jid.endswith("@lid"):
                return {"jid": jid, "exists": True, "number": number}
            local = p.digits(jid.split("@", 1)[0])
            if local in self.not_on_whatsapp or p.br_thirteen(local) in self.not_on_whatsapp:
                return {"jid": jid, "exists": False, "number": number}
            # A full JID is used as given (createJid passes it through).
            return {"jid": f"{local}@s.whatsapp.net", "exists": True, "number": number}
        d = p.digits(number)
        thirteen = p.br_thirteen(d)
        if d in self.not_on_whatsapp or thirteen in self.not_on_whatsapp:
            return {"jid": f"{d}@s.whatsapp.net", "exists": False, "number": number}
        resolved = p.br_twelve(thirteen) if thirteen in self.legacy_jid else thirteen
        return {"jid": f"{resolved}@s.whatsapp.net", "exists": True, "number": number}

    def store_message(
        self,
        inst: Instance,
        data: dict[str, Any],
        *,
        content: bytes | None = None,
        mimetype: str | None = None,
        file_name: str | None = None,
    ) -> None:
        self.messages[data["key"]["id"]] = {
            "instance": inst.name,
            "data": data,
            "content": content,
            "mimetype": mimetype,
            "file_name": file_name,
            "statuses": [data.get("status")],
        }
