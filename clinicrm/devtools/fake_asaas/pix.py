"""PIX artefacts of the fake: an EMV "copia e cola" payload with a real CRC16 and a real PNG.

The PNG is a QR-looking pattern (three finder squares and modules derived from the payload's
hash), not a decodable QR code: no QR library is installed and the CRM only displays the image.
"""

import base64
import hashlib
import struct
import zlib
from decimal import Decimal


def crc16_ccitt(data: bytes) -> str:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def emv_payload(*, txid: str, value: Decimal, merchant: str = "CLINICRM FAKE") -> str:
    account = _tlv("00", "br.gov.bcb.pix") + _tlv("25", f"pix.fake-asaas.local/qr/v2/{txid}")
    body = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("26", account)
        + _tlv("52", "0000")
        + _tlv("53", "986")
        + _tlv("54", f"{value:.2f}")
        + _tlv("58", "BR")
        + _tlv("59", merchant[:25])
        + _tlv("60", "SAO PAULO")
        + _tlv("62", _tlv("05", "***"))
        + "6304"
    )
    return body + crc16_ccitt(body.encode())


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def qr_like_png(payload: str, *, modules: int = 29, scale: int = 8, quiet: int = 4) -> bytes:
    bits = "".join(
        f"{b:08b}" for i in range(8) for b in hashlib.sha256(f"{i}:{payload}".encode()).digest()
    )
    grid = [
        [bits[(r * modules + c) % len(bits)] == "1" for c in range(modules)] for r in range(modules)
    ]

    def finder(r0: int, c0: int) -> None:
        for r in range(-1, 8):
            for c in range(-1, 8):
                rr, cc = r0 + r, c0 + c
                if 0 <= rr < modules and 0 <= cc < modules:
                    ring = max(abs(r - 3), abs(c - 3))
                    grid[rr][cc] = ring in (0, 1, 3) if 0 <= r < 7 and 0 <= c < 7 else False

    finder(0, 0)
    finder(0, modules - 7)
    finder(modules - 7, 0)
    size = (modules + 2 * quiet) * scale
    rows: list[bytes] = []
    for y in range(size):
        r = y // scale - quiet
        row = bytearray()
        for x in range(size):
            c = x // scale - quiet
            dark = 0 <= r < modules and 0 <= c < modules and grid[r][c]
            row.append(0 if dark else 255)
        rows.append(bytes(row))
    return _png(size, size, rows)


def qr_like_png_base64(payload: str) -> str:
    return base64.b64encode(qr_like_png(payload)).decode()
