"""Inbound simulation: build a `messages.upsert` the way Evolution 2.3.6/2.3.7/2.4.0 would.

`inbound_message(fake, inst, spec)` with spec keys:
- `type`: text | reply | image | audio | ptt | video | document | location | contact | reaction
- `from`: the patient's number (13-digit BR digits); `jid_form`: "13" (default) | "12" | "lid"
  (LID key with the phone JID in `remoteJidAlt`, rewritten per version) | "lid_only"
- `from_me`: phone-typed clinic message; `group`: sent in a group (`@g.us` + `participant`)
- `text`, `caption`, `file_name`, `mimetype`, `media_base64`, `quoted_id`, `quoted_text`,
  `reaction_to`, `emoji`, `latitude`, `longitude`, `contact_name`, `contact_phone`,
  `push_name`, `id` (force a key id), `timestamp`.
"""

import base64
from typing import TYPE_CHECKING, Any

from clinicrm.devtools.fake_evolution import payloads as p
from clinicrm.devtools.fake_evolution.state import ApiError, Instance

if TYPE_CHECKING:
    from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer

DEFAULT_MEDIA = {
    "image": (p.TINY_JPEG, "image/jpeg"),
    "audio": (p.TINY_OGG, "audio/ogg; codecs=opus"),
    "ptt": (p.TINY_OGG, "audio/ogg; codecs=opus"),
    "video": (p.TINY_MP4, "video/mp4"),
    "document": (p.TINY_PDF, "application/pdf"),
}


def _key(fake: "FakeEvolutionServer", inst: Instance, spec: dict[str, Any]) -> dict[str, Any]:
    number = p.digits(str(spec.get("from") or "5511999999999"))
    form = str(spec.get("jid_form") or "13")
    phone = p.br_twelve(number) if form == "12" else p.br_thirteen(number)
    phone_jid = f"{phone}@s.whatsapp.net"
    lid = p.lid_for(p.br_thirteen(number))
    version = fake.state.switches.version
    key_id = str(spec.get("id") or (p.key_id_web() if spec.get("from_me") else p.key_id_android()))
    key: dict[str, Any]
    if spec.get("group"):
        key = {
            "remoteJid": "120363025486748009@g.us",
            "fromMe": bool(spec.get("from_me")),
            "id": key_id,
            "participant": lid,
            "participantAlt": phone_jid,
            "addressingMode": "lid",
        }
    elif form == "lid_only":
        key = {"remoteJid": lid, "fromMe": bool(spec.get("from_me")), "id": key_id}
        key["addressingMode"] = "lid"
    elif form == "lid":
        if version.startswith("2.4"):
            key = {"remoteJid": phone_jid, "remoteJidAlt": lid, "addressingMode": "pn"}
        elif version == "2.3.7":
            key = {"remoteJid": phone_jid, "remoteJidAlt": phone_jid, "addressingMode": "lid"}
        else:
            key = {"remoteJid": lid, "remoteJidAlt": phone_jid, "addressingMode": "lid"}
        key = {"remoteJid": key["remoteJid"], "remoteJidAlt": key["remoteJidAlt"]} | {
            "fromMe": bool(spec.get("from_me")),
            "id": key_id,
            "addressingMode": key["addressingMode"],
        }
    else:
        key = {"remoteJid": phone_jid, "fromMe": bool(spec.get("from_me")), "id": key_id}
    return key


def _media(spec: dict[str, Any], kind: str) -> tuple[bytes, str]:
    content, mimetype = DEFAULT_MEDIA[kind]
    if spec.get("media_base64"):
        try:
            content = base64.b64decode(str(spec["media_base64"]), validate=True)
        except ValueError as exc:
            raise ApiError(400, ["media_base64 is not base64"]) from exc
    return content, str(spec.get("mimetype") or mimetype)


def inbound_message(
    fake: "FakeEvolutionServer", inst: Instance, spec: dict[str, Any]
) -> dict[str, Any]:
    kind = str(spec.get("type") or "text")
    key = _key(fake, inst, spec)
    from_me = key["fromMe"]
    message: dict[str, Any]
    content: bytes | None = None
    mimetype: str | None = None
    file_name: str | None = None
    context: dict[str, Any] | None = None
    if kind in ("text", "reply"):
        message = {"conversation": str(spec.get("text") or "Olá!")}
        message_type = "conversation"
        if kind == "reply" or spec.get("quoted_id"):
            context = {
                "stanzaId": str(spec.get("quoted_id") or p.key_id_web()),
                "participant": inst.wuid or "5511988887777@s.whatsapp.net",
                "quotedMessage": {"conversation": str(spec.get("quoted_text") or "...")},
            }
    elif kind in DEFAULT_MEDIA:
        content, mimetype = _media(spec, kind)
        name = "audio" if kind == "ptt" else kind
        message_type = f"{name}Message"
        inner = p.media_fields(content, mimetype)
        if kind in ("audio", "ptt"):
            inner |= {"seconds": 4, "ptt": kind == "ptt", "waveform": p.bytes_obj(bytes(64))}
        if kind in ("image", "video"):
            inner |= {"height": 1600, "width": 1200, "jpegThumbnail": p.bytes_obj(p.TINY_JPEG)}
        if kind == "video":
            inner["seconds"] = 9
        if kind == "document":
            file_name = str(spec.get("file_name") or "exame.pdf")
            inner |= {"title": file_name, "fileName": file_name, "pageCount": 1}
        if spec.get("caption") and kind in ("image", "video", "document"):
            inner["caption"] = str(spec["caption"])
        message = {message_type: inner}
        hook = inst.webhook or {}
        if hook.get("webhookBase64"):
            message["base64"] = base64.b64encode(content).decode()
    elif kind == "location":
        message_type = "locationMessage"
        message = {
            message_type: {
                "degreesLatitude": float(spec.get("latitude", -23.561414)),
                "degreesLongitude": float(spec.get("longitude", -46.655881)),
                "name": spec.get("name") or "Clínica",
                "address": spec.get("address") or "Av. Paulista, 1000",
                "jpegThumbnail": p.bytes_obj(p.TINY_JPEG),
            }
        }
    elif kind == "contact":
        name = str(spec.get("contact_name") or "Dra. Paula Reis")
        phone = p.digits(str(spec.get("contact_phone") or "5511977776666"))
        vcard = (
            f"BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\n"
            f"TEL;type=CELL;type=VOICE;waid={phone}:+{phone}\nEND:VCARD"
        )
        message_type = "contactMessage"
        message = {message_type: {"displayName": name, "vcard": vcard}}
    elif kind == "reaction":
        target = str(spec.get("reaction_to") or "")
        if not target:
            raise ApiError(400, ["reaction_to is required"])
        message_type = "reactionMessage"
        target_key = {"remoteJid": key["remoteJid"], "fromMe": True, "id": target}
        ms = p.now_ts() * 1000
        message = {
            message_type: {
                "key": target_key,
                "text": str(spec.get("emoji") or "👍"),
                "senderTimestampMs": p.long_obj(ms, unsigned=False),
            }
        }
    else:
        raise ApiError(400, [f"unknown type {kind}"])
    push_name = spec.get("push_name") or ("Você" if from_me else "Maria Souza")
    data: dict[str, Any] = {
        "key": key,
        "pushName": push_name,
        "status": "SERVER_ACK" if from_me else "DELIVERY_ACK",
        "message": message,
    }
    if context is not None:
        data["contextInfo"] = context
    data |= {
        "messageType": message_type,
        "messageTimestamp": int(spec.get("timestamp") or p.now_ts()),
        "instanceId": inst.id,
        "source": p.source_of(key["id"]),
    }
    fake.state.store_message(inst, data, content=content, mimetype=mimetype, file_name=file_name)
    fake.state.emit(inst, "messages.upsert", data)
    return data
