"""The Evolution API routes of the fake: instance lifecycle, webhook config, sends, media, lookups.

Each function takes (fake, instance, body, query) and returns (status, json) or raises ApiError.
Shapes and errors follow docs/providers/evolution.md §2 and §5.
"""

import base64
import binascii
import datetime as dt
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from clinicrm.devtools.fake_evolution import payloads as p
from clinicrm.devtools.fake_evolution.state import ALLOWED_EVENTS, ApiError, Instance

if TYPE_CHECKING:
    from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer

Result = tuple[int, Any]

EXT_MIME = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
    "mp4": "video/mp4", "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg",
    "txt": "text/plain", "webp": "image/webp",
}  # fmt: skip
MIME_EXT = {"image/jpeg": "jpeg", "video/mp4": "mp4", "audio/ogg; codecs=opus": "oga"}
MIME_EXT |= {"audio/ogg": "oga", "application/pdf": "pdf", "audio/mpeg": "mp3", "image/png": "png"}


def _qr(inst: Instance) -> dict[str, Any]:
    code = p.qr_code_string()
    inst.qr_count += 1
    inst.qr = {
        "pairingCode": p.pairing_code() if inst.number else None,
        "code": code,
        "base64": p.qr_png(code),
        "count": inst.qr_count,
    }
    return inst.qr


def start_connecting(fake: "FakeEvolutionServer", inst: Instance) -> dict[str, Any]:
    inst.state = "connecting"
    qr = _qr(inst)
    fake.state.emit(inst, "connection.update", _conn(inst, "connecting", 200))
    fake.state.emit(inst, "qrcode.updated", {"qrcode": {"instance": inst.name, **_qr_event(qr)}})
    return qr


def _qr_event(qr: dict[str, Any]) -> dict[str, Any]:
    return {"pairingCode": qr["pairingCode"], "code": qr["code"], "base64": qr["base64"]}


def _conn(inst: Instance, state: str, reason: int) -> dict[str, Any]:
    data: dict[str, Any] = {"instance": inst.name}
    if state in ("open", "refused"):
        data |= {
            "wuid": inst.wuid,
            "profileName": inst.profile_name,
            "profilePictureUrl": "https://pps.whatsapp.net/v/t61.24694-24/fake.jpg",
        }
    return data | {"state": state, "statusReason": reason}


def instance_create(fake: "FakeEvolutionServer", body: dict[str, Any]) -> Result:
    s = fake.state
    name = body.get("instanceName")
    if not isinstance(name, str) or not name:
        raise ApiError(400, [['instance requires property "instanceName"']])
    if name in s.instances:
        raise ApiError(403, f'This name "{name}" is already in use.')
    if body.get("integration") not in ("WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"):
        raise ApiError(400, "Invalid integration")
    hook = body.get("webhook")
    if isinstance(hook, dict) and "events" not in hook:
        # set() reads `.length` of undefined (§2.1).
        raise ApiError(400, ["Cannot read properties of undefined (reading 'length')"])
    token = body.get("token") or str(uuid.uuid4()).upper()
    inst = Instance(name=name, token=token, integration=body["integration"])
    inst.number = p.digits(str(body.get("number") or "")) or None
    keys = ("rejectCall", "msgCall", "groupsIgnore", "alwaysOnline", "readMessages")
    inst.settings = {k: body.get(k, False if k != "msgCall" else "") for k in keys}
    inst.settings |= {"readStatus": False, "syncFullHistory": False, "wavoipToken": ""}
    if isinstance(hook, dict) and hook.get("url"):
        _set_webhook(inst, hook | {"enabled": True})
    s.instances[name] = inst
    qrcode = None
    if body.get("qrcode"):
        qrcode = start_connecting(fake, inst)
    response: dict[str, Any] = {
        "instance": {
            "instanceName": name,
            "instanceId": inst.id,
            "integration": inst.integration,
            "webhookWaBusiness": None,
            "accessTokenWaBusiness": "",
            "status": inst.state,
        },
        "hash": token,
        "webhook": {
            "webhookUrl": (inst.webhook or {}).get("url"),
            "webhookHeaders": (inst.webhook or {}).get("headers"),
            "webhookByEvents": (inst.webhook or {}).get("webhookByEvents", False),
            "webhookBase64": (inst.webhook or {}).get("webhookBase64", False),
        },
        "websocket": {},
        "rabbitmq": {},
        "nats": {},
        "sqs": {},
        "settings": inst.settings,
    }
    if qrcode is not None:
        response["qrcode"] = qrcode
    return 201, response


def connect(fake: "FakeEvolutionServer", inst: Instance, query: dict[str, str]) -> Result:
    if query.get("number"):
        inst.number = p.digits(query["number"])
    if inst.state == "open":
        return 200, {"instance": {"instanceName": inst.name, "state": "open"}}
    if inst.state == "connecting" and inst.qr:
        return 200, inst.qr
    return 200, start_connecting(fake, inst)


def scan(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    """Control: the phone scanned the QR (or typed the pairing code)."""
    if inst.state != "connecting":
        raise ApiError(400, ["Instance is not waiting for a QR scan"])
    number = p.digits(str(body.get("number") or inst.number or "5511988887777"))
    inst.wuid = f"{number}@s.whatsapp.net"
    inst.profile_name = str(body.get("profileName") or "Clínica Demo")
    inst.state = "open"
    inst.qr = None
    fake.state.emit(inst, "connection.update", _conn(inst, "open", 200))
    return 200, {"instance": {"instanceName": inst.name, "state": "open"}}


def refresh_qr(fake: "FakeEvolutionServer", inst: Instance) -> Result:
    """Control: WhatsApp rotated the QR (every ~20 s on a real server); refused past the limit."""
    if inst.state != "connecting":
        raise ApiError(400, ["Instance is not connecting"])
    if inst.qr_count >= fake.state.switches.qr_limit:
        limit = {"message": "QR code limit reached, please login again", "statusCode": 500}
        fake.state.emit(inst, "qrcode.updated", limit)
        fake.state.emit(inst, "connection.update", _conn(inst, "refused", 428))
        inst.state, inst.qr, inst.qr_count = "close", None, 0
        return 200, {"state": "refused"}
    qr = _qr(inst)
    fake.state.emit(inst, "qrcode.updated", {"qrcode": {"instance": inst.name, **_qr_event(qr)}})
    return 200, qr


def drop(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    """Control: the connection dropped. 401/402/403/406 are final (close); others reconnect."""
    reason = int(body.get("statusReason", 401))
    if reason in (401, 402, 403, 406):
        _final_close(fake, inst, reason)
    else:
        inst.state = "connecting"
        fake.state.emit(inst, "connection.update", _conn(inst, "connecting", reason))
        inst.state = "open"
        fake.state.emit(inst, "connection.update", _conn(inst, "open", 200))
    return 200, {"state": inst.state}


def _final_close(fake: "FakeEvolutionServer", inst: Instance, reason: int) -> None:
    inst.state, inst.qr, inst.qr_count = "close", None, 0
    fake.state.emit(inst, "connection.update", _conn(inst, "close", reason))
    fake.state.emit(
        inst,
        "status.instance",
        {
            "instance": inst.name,
            "status": "closed",
            "disconnectionAt": p.date_time(),
            "disconnectionReasonCode": reason,
            "disconnectionObject": None,
        },
    )
    fake.state.emit(inst, "logout.instance", None)


def connection_state(inst: Instance) -> Result:
    return 200, {"instance": {"instanceName": inst.name, "state": inst.state}}


def logout(fake: "FakeEvolutionServer", inst: Instance) -> Result:
    if inst.state == "close":
        raise ApiError(400, ['The "%s" instance is not connected' % inst.name])  # noqa: UP031
    _final_close(fake, inst, 401)
    inst.wuid = None
    done = {"message": "Instance logged out"}
    return 200, {"status": "SUCCESS", "error": False, "response": done}


def delete(fake: "FakeEvolutionServer", inst: Instance) -> Result:
    if inst.state in ("open", "connecting"):
        _final_close(fake, inst, 401)
    fake.state.emit(inst, "remove.instance", {"instance": inst.name})
    fake.state.instances.pop(inst.name, None)
    done = {"message": "Instance deleted"}
    return 200, {"status": "SUCCESS", "error": False, "response": done}


def _set_webhook(inst: Instance, hook: dict[str, Any]) -> dict[str, Any]:
    events = hook.get("events")
    if not isinstance(events, list):
        raise ApiError(400, ["Cannot read properties of undefined (reading 'length')"])
    bad = [e for e in events if e not in ALLOWED_EVENTS]
    if bad:
        raise ApiError(400, [[f"webhook.events[0] is not one of enum values: {bad[0]}"]])
    enabled = bool(hook.get("enabled"))
    now = p.date_time()
    inst.webhook = {
        "id": (inst.webhook or {}).get("id") or p.cuid(),
        "url": hook["url"],
        "headers": hook.get("headers") or {},
        "enabled": enabled,
        "events": list(events) if enabled else [],
        "webhookByEvents": bool(hook.get("byEvents")),
        "webhookBase64": bool(hook.get("base64")),
        "createdAt": (inst.webhook or {}).get("createdAt") or now,
        "updatedAt": now,
        "instanceId": inst.id,
    }
    return inst.webhook


def webhook_set(inst: Instance, body: dict[str, Any]) -> Result:
    hook = body.get("webhook")
    if not isinstance(hook, dict):
        raise ApiError(400, [['instance requires property "webhook"']])
    for prop in ("enabled", "url"):
        if prop not in hook:
            raise ApiError(400, [[f'instance.webhook requires property "{prop}"']])
    return 201, dict(_set_webhook(inst, hook))


# --- sending ----------------------------------------------------------------------------------
def _check_open(fake: "FakeEvolutionServer", inst: Instance) -> None:
    if inst.state != "open":
        form = fake.state.switches.fail_form
        closed = ["Error: Connection Closed"] if form == "array" else "Connection Closed"
        raise ApiError(500, closed)


def _recipient(fake: "FakeEvolutionServer", number: Any) -> str:
    if not isinstance(number, str) or not number.strip():
        raise ApiError(400, [['instance requires property "number"']])
    result = fake.state.resolve(number.strip())
    if not result["exists"]:
        raise ApiError(400, [result])
    return str(result["jid"])


def _decode_media(value: Any) -> tuple[bytes | None, str | None]:
    """(content, url): raw base64 or an http(s) URL; anything else is refused."""
    if not isinstance(value, str) or not value:
        raise ApiError(400, "Owned media must be a url or base64")
    if re.match(r"^https?://", value):
        return None, value
    try:
        return base64.b64decode(value, validate=True), None
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "Owned media must be a url or base64") from exc


def _sent(
    fake: "FakeEvolutionServer",
    inst: Instance,
    jid: str,
    message: dict[str, Any],
    message_type: str,
    *,
    content: bytes | None = None,
    mimetype: str | None = None,
    file_name: str | None = None,
    ptt: bool = False,
    delay: Any = 0,
    quoted_id: str | None = None,
) -> Result:
    key_id = p.key_id_web()
    data: dict[str, Any] = {
        "key": {"remoteJid": jid, "fromMe": True, "id": key_id},
        "pushName": "Você",
        "status": "PENDING",
        "message": message,
        "contextInfo": {
            "mentionedJid": [],
            "groupMentions": [],
            "ephemeralSettingTimestamp": p.long_obj(p.now_ts() - 172800, unsigned=False),
            "disappearingMode": {"initiator": 0},
        },
        "messageType": message_type,
        "messageTimestamp": p.now_ts(),
        "instanceId": inst.id,
        "source": "web",
    }
    if quoted_id:
        data["contextInfo"] |= {"stanzaId": quoted_id, "participant": jid}
    s = fake.state
    s.store_message(inst, data, content=content, mimetype=mimetype, file_name=file_name)
    if isinstance(delay, int) and delay > 0:
        time.sleep(min(delay, 10000) / 1000)
    if s.switches.status_before_send:
        fake.status_update(inst, key_id, "SERVER_ACK")
    s.emit(inst, "send.message", data)
    fake.schedule_statuses(inst, key_id, ptt=ptt)
    return 201, data


def send_text(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    if "text" not in body:
        raise ApiError(400, [['instance requires property "text"']])
    if not isinstance(body["text"], str) or not body["text"].strip():
        raise ApiError(400, "Text is required")
    _check_open(fake, inst)
    jid = _recipient(fake, body.get("number"))
    message: dict[str, Any] = {"conversation": body["text"]}
    quoted = body.get("quoted")
    quoted_id = None
    if isinstance(quoted, dict) and isinstance(quoted.get("key"), dict):
        quoted_id = quoted["key"].get("id")
        if not quoted_id:
            raise ApiError(400, [['instance.quoted.key requires property "id"']])
    return _sent(
        fake, inst, jid, message, "conversation", delay=body.get("delay"), quoted_id=quoted_id
    )


def send_media(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    for prop in ("number", "mediatype"):
        if prop not in body:
            raise ApiError(400, [[f'instance requires property "{prop}"']])
    mediatype = body["mediatype"]
    if mediatype not in ("image", "video", "document", "audio"):
        enum = "instance.mediatype is not one of enum values: image,document,video,audio"
        raise ApiError(400, [[enum]])
    content, url = body.get("_file"), None
    if content is None:
        content, url = _decode_media(body.get("media"))
    file_name = body.get("fileName")
    if url is None and mediatype == "document" and not file_name:
        raise ApiError(400, "For base64 the file name must be informed.")
    _check_open(fake, inst)
    jid = _recipient(fake, body.get("number"))
    mimetype = body.get("mimetype") or "application/octet-stream"
    if file_name:
        ext = file_name.rsplit(".", 1)[1].lower() if "." in file_name else ""
        mimetype = EXT_MIME.get(ext, "false" if not ext else mimetype)
    if mediatype == "image":
        mimetype, file_name = "image/jpeg", file_name or "image.jpg"
    if content is None:
        content = p.TINY_JPEG if mediatype == "image" else p.TINY_PDF
    inner = p.media_fields(content, mimetype)
    if body.get("caption"):
        inner["caption"] = body["caption"]
    if mediatype == "document":
        inner |= {"fileName": file_name, "title": file_name}
    key = f"{mediatype}Message"
    return _sent(
        fake, inst, jid, {key: inner}, key, content=content, mimetype=mimetype,
        file_name=file_name, delay=body.get("delay"),
    )  # fmt: skip


def send_audio(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    if "audio" not in body and "_file" not in body:
        raise ApiError(400, [['instance requires property "audio"']])
    content = body.get("_file")
    if content is None:
        content, _url = _decode_media(body.get("audio"))
    _check_open(fake, inst)
    jid = _recipient(fake, body.get("number"))
    content = content or p.TINY_OGG
    mimetype = "audio/ogg; codecs=opus"
    inner = p.media_fields(content, mimetype) | {"seconds": 3, "ptt": True}
    return _sent(
        fake, inst, jid, {"audioMessage": inner}, "audioMessage", content=content,
        mimetype=mimetype, ptt=True, delay=body.get("delay"),
    )  # fmt: skip


# --- media and lookups ------------------------------------------------------------------------
def get_base64(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    msg = body.get("message")
    key = msg.get("key") if isinstance(msg, dict) else None
    key_id = key.get("id") if isinstance(key, dict) else None
    stored = fake.state.messages.get(str(key_id))
    if stored is None or stored["instance"] != inst.name:
        raise ApiError(400, ["Message not found"])
    sw = fake.state.switches
    if sw.media_fail_next > 0:
        sw.media_fail_next -= 1
        raise ApiError(400, ["Error: bad decrypt"])
    if stored["content"] is None:
        raise ApiError(400, ["The message is not of the media type"])
    data = stored["data"]
    media_type = data["messageType"]
    inner = data["message"].get(media_type, {})
    mimetype = stored["mimetype"] or inner.get("mimetype")
    ext = MIME_EXT.get(mimetype, (mimetype or "bin").split("/")[-1].split(";")[0])
    file_name = stored["file_name"] or inner.get("fileName") or f"{key_id}.{ext}"
    size: dict[str, Any] = {"fileLength": p.long_obj(len(stored["content"]))}
    if "height" in inner:
        size |= {"height": inner["height"], "width": inner["width"]}
    return 201, {
        "mediaType": media_type,
        "fileName": file_name,
        "caption": inner.get("caption"),
        "size": size,
        "mimetype": mimetype,
        "base64": base64.b64encode(stored["content"]).decode(),
        "buffer": None,
    }


def whatsapp_numbers(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or not numbers:
        # Bare exception object, not the envelope (§2.4).
        raise ApiError(
            400,
            None,
            raw={
                "status": 400,
                "error": "Bad Request",
                "message": [['instance requires property "numbers"']],
            },
        )
    return 200, [fake.state.resolve(str(n)) for n in numbers]


def mark_read(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    for key in body.get("readMessages") or []:
        stored = fake.state.messages.get(str(key.get("id")))
        if stored is not None and not stored["data"]["key"].get("fromMe"):
            stored["statuses"].append("READ")
    return 201, {"message": "Read messages", "read": "success"}


def _epoch(value: Any) -> int | None:
    """`where.messageTimestamp.gte/lte` take dates (ISO strings); the server compares epochs."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, [["instance.where.messageTimestamp is not a date"]]) from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp())


def find_messages(fake: "FakeEvolutionServer", inst: Instance, body: dict[str, Any]) -> Result:
    """POST /chat/findMessages (docs/providers/evolution.md §2.4): newest first, `offset` is the
    page size; each record carries its stored `MessageUpdate` rows (the receipts seen so far)."""
    where = body.get("where") or {}
    key = where.get("key") or {}
    stamps = where.get("messageTimestamp") or {}
    gte, lte = _epoch(stamps.get("gte")), _epoch(stamps.get("lte"))

    def matches(data: dict[str, Any]) -> bool:
        k, ts = data["key"], data["messageTimestamp"]
        if key.get("remoteJid") and key["remoteJid"] not in (k["remoteJid"], k.get("remoteJidAlt")):
            return False
        if key.get("id") and k["id"] != key["id"]:
            return False
        # `fromMe: false` is a falsy filter: ignored by the server (§2.4).
        if key.get("fromMe") and k.get("fromMe") is not True:
            return False
        return (gte is None or ts >= gte) and (lte is None or ts <= lte)

    stored = [m for m in fake.state.messages.values() if m["instance"] == inst.name]
    rows = [m for m in stored if matches(m["data"])]
    rows.sort(key=lambda m: m["data"]["messageTimestamp"], reverse=True)
    size = max(1, int(body.get("offset") or 50))
    page = max(1, int(body.get("page") or 1))
    total = len(rows)
    records = [
        {
            "id": m.setdefault("row_id", p.cuid()),
            **m["data"],
            "MessageUpdate": [{"status": st} for st in m["statuses"][1:]],
        }
        for m in rows[(page - 1) * size : page * size]
    ]
    pages = (total + size - 1) // size
    found = {"total": total, "pages": pages, "currentPage": page, "records": records}
    return 200, {"messages": found}
