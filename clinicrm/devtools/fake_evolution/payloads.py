"""Builders of Evolution 2.3.6/2.3.7 payload shapes (docs/providers/evolution.md §3.6-§3.7): ids,
JIDs, the `prepareMessage` data of sends and inbound messages, byte/int64 field shapes, a QR PNG."""

import base64
import datetime as dt
import hashlib
import secrets
import struct
import time
import zlib
from typing import Any
from zoneinfo import ZoneInfo

SAO_PAULO = ZoneInfo("America/Sao_Paulo")

# A 1x1 JPEG, a minimal PDF, a few bytes of "ogg" and "mp4": enough to round-trip media.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwc"
    "KDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAA"
    "AAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="
)
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TINY_OGG = b"OggS\x00\x02" + bytes(40)
TINY_MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(24)


def key_id_web() -> str:
    """API sends: `3EB0` + 18 hex = 22 chars (Baileys getDevice -> "web")."""
    return "3EB0" + secrets.token_hex(9).upper()


def key_id_android() -> str:
    return secrets.token_hex(16).upper()  # 32 chars -> "android"


def key_id_ios() -> str:
    return "3A" + secrets.token_hex(9).upper()  # 3A + 18 -> "ios"


def source_of(key_id: str) -> str:
    if key_id.startswith("3A") and len(key_id) == 20:
        return "ios"
    if key_id.startswith("3E") and len(key_id) == 22:
        return "web"
    if key_id.startswith("3F"):
        return "desktop"
    if len(key_id) in (21, 32):
        return "android"
    return "unknown"


def cuid() -> str:
    return "cm" + secrets.token_hex(12)[:23]


def date_time() -> str:
    """Local (São Paulo) wall-clock time with a `Z` suffix, as the server builds it (§3.5)."""
    local = dt.datetime.now(SAO_PAULO).replace(tzinfo=None)
    return local.isoformat(timespec="milliseconds") + "Z"


def now_ts() -> int:
    return int(time.time())


def bytes_obj(data: bytes, n: int = 32) -> dict[str, int]:
    """2.3.6+ serialises Buffers as index objects {"0":146,"1":129,...}."""
    return {str(i): b for i, b in enumerate(data[:n])}


def long_obj(value: int, unsigned: bool = True) -> dict[str, Any]:
    return {"low": value & 0xFFFFFFFF, "high": value >> 32, "unsigned": unsigned}


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def br_twelve(number: str) -> str:
    """5531987654321 -> 553187654321 (drop the ninth digit)."""
    if len(number) == 13 and number.startswith("55") and number[4] == "9":
        return number[:4] + number[5:]
    return number


def br_thirteen(number: str) -> str:
    if len(number) == 12 and number.startswith("55") and number[4] in "6789":
        return number[:4] + "9" + number[4:]
    return number


def lid_for(number: str) -> str:
    """A stable fake 15-digit LID for a phone number."""
    h = int(hashlib.sha256(number.encode()).hexdigest(), 16)
    return str(100000000000000 + h % 899999999999999) + "@lid"


def media_fields(content: bytes, mimetype: str) -> dict[str, Any]:
    digest = hashlib.sha256(content).digest()
    ts = now_ts()
    path = "/v/t62.7117-24/" + secrets.token_hex(8)
    return {
        "url": "https://mmg.whatsapp.net" + path + "?ccb=11-4&mms3=true",
        "mimetype": mimetype,
        "fileSha256": bytes_obj(digest),
        "fileLength": long_obj(len(content)),
        "mediaKey": bytes_obj(secrets.token_bytes(32)),
        "fileEncSha256": bytes_obj(hashlib.sha256(digest).digest()),
        "directPath": path,
        "mediaKeyTimestamp": long_obj(ts, unsigned=False),
    }


def qr_png(code: str, modules: int = 29, scale: int = 6) -> str:
    """A QR-looking PNG data URI (deterministic per code; not a scannable QR)."""
    seed = hashlib.sha256(code.encode()).digest()
    bits = "".join(f"{b:08b}" for b in (seed * 40))
    size = modules * scale + 2 * 4 * scale
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            mx, my = x // scale - 4, y // scale - 4
            dark = False
            if 0 <= mx < modules and 0 <= my < modules:
                dark = bits[my * modules + mx] == "1"
                for fx, fy in ((0, 0), (modules - 7, 0), (0, modules - 7)):
                    if fx <= mx < fx + 7 and fy <= my < fy + 7:
                        dark = max(abs(mx - fx - 3), abs(my - fy - 3)) != 2
            row.append(0 if dark else 255)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def qr_code_string() -> str:
    parts = [secrets.token_urlsafe(24) for _ in range(4)]
    return "2@" + ",".join(parts)


def pairing_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))
