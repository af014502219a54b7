"""Inbound WhatsApp messages the fake pushes to the CRM, shaped like docs/providers/twilio.md §3.1
captures.

`build_inbound(...)` returns the form params in the key order of the captured sample (order
does not matter for the signature, but keeping it makes the wire bytes realistic) for text,
media (NumMedia/MediaContentType0/MediaUrl0), location, contacts (vCard as media), button /
quick-reply and click-to-WhatsApp referral variants, plus replies (OriginalRepliedMessageSid).
"""

import base64
import json
from typing import Any

from clinicrm.devtools.fake_twilio.state import FakeTwilioState, digits, new_sid

# Tiny but real files, so the CRM's media pipeline stores something of the right type.
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
OGG_STUB = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead\x01\x01" + b"\x00" * 10
DEFAULT_MEDIA = {
    "image": ("image/jpeg", PNG_1PX, "foto.jpg"),
    "audio": ("audio/ogg", OGG_STUB, "audio.ogg"),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16, "video.mp4"),
    "document": ("application/pdf", b"%PDF-1.4\n%fake\n%%EOF\n", "documento.pdf"),
    "contacts": (
        "text/vcard",
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Contato Teste\nTEL:+5511988887777\nEND:VCARD\n",
        "contato.vcf",
    ),
}


def build_inbound(
    state: FakeTwilioState, *, api_url: str, account_sid: str, spec: dict[str, Any]
) -> tuple[str, list[tuple[str, str]]]:
    """(MessageSid, params) for an inbound message described by `spec` (control JSON)."""
    kind = str(spec.get("type", "text"))
    user = "+" + digits(str(spec.get("from", "+5511999990000")))
    sender = "+" + digits(str(spec.get("to", "+5511999990002")))
    body = str(spec.get("body", ""))
    media_specs: list[dict[str, Any]] = list(spec.get("media") or [])
    if kind in DEFAULT_MEDIA and not media_specs:
        ctype, content, name = DEFAULT_MEDIA[kind]
        media_specs = [{"content_type": ctype, "data": content, "filename": name}]
    sid = str(spec.get("sid") or new_sid("MM" if media_specs else "SM"))
    message_type = {
        "text": "text",
        "location": "location",
        "contacts": "contacts",
        "button": "button",
        "interactive": "interactive",
        "reply": "text",
        "referral": "text",
    }.get(kind, kind)
    params: list[tuple[str, str]] = [
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media_specs))),
        ("ProfileName", str(spec.get("profile_name", "Paciente Teste"))),
        ("MessageType", message_type),
        ("SmsSid", sid),
        ("WaId", digits(user)),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", f"whatsapp:{sender}"),
    ]
    if spec.get("messaging_service_sid"):
        params.append(("MessagingServiceSid", str(spec["messaging_service_sid"])))
    params += [("NumSegments", "1"), ("ReferralNumMedia", "0"), ("MessageSid", sid)]
    params += [("AccountSid", account_sid), ("From", f"whatsapp:{user}")]
    for i, media in enumerate(media_specs):
        data = media.get("data")
        raw = base64.b64decode(data) if isinstance(data, str) else bytes(data or b"")
        me = state.media_add(
            message_sid=sid,
            account_sid=account_sid,
            content=raw,
            content_type=str(media.get("content_type", "application/octet-stream")),
            filename=str(media.get("filename", "")),
        )
        url = f"{api_url}/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media/{me}"
        params += [(f"MediaContentType{i}", str(media.get("content_type"))), (f"MediaUrl{i}", url)]
    if kind == "location":
        params += [
            ("Latitude", str(spec.get("latitude", "-23.561414"))),
            ("Longitude", str(spec.get("longitude", "-46.655881"))),
        ]
        if spec.get("address"):
            params.append(("Address", str(spec["address"])))
        if spec.get("label"):
            params.append(("Label", str(spec["label"])))
    if kind in {"button", "interactive"}:
        params += [
            ("ButtonText", str(spec.get("button_text", body))),
            ("ButtonPayload", str(spec.get("button_payload", "confirmar"))),
        ]
    if kind == "referral":
        params += [
            ("ReferralBody", "Agende sua consulta"),
            ("ReferralSourceType", "ad"),
            ("ReferralSourceId", "1234567890"),
            ("ReferralSourceUrl", "https://fb.me/abc"),
        ]
    replied = spec.get("replied_sid")
    if replied:
        params += [
            ("OriginalRepliedMessageSid", str(replied)),
            ("OriginalRepliedMessageSender", f"whatsapp:{sender}"),
            ("Forwarded", "false"),
            ("FrequentlyForwarded", "false"),
            (
                "ChannelMetadata",
                json.dumps({"type": "whatsapp", "data": {"context": {"id": str(replied)}}}),
            ),
        ]
    params.append(("ApiVersion", "2010-04-01"))
    return sid, params
