"""PIX artefacts of the fake: an EMV "copia e cola" payload with a real CRC16, and its QR code
as a PNG a phone can scan (made with segno), base64-encoded as Asaas sends `encodedImage`.
"""

import base64
import io
from decimal import Decimal

import segno


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


def qr_png(payload: str, *, scale: int = 6, border: int = 4) -> bytes:
    """A real QR code of `payload` (what a bank app scans), as PNG bytes. Error correction M,
    as PIX QR codes usually carry; segno picks the smallest version that holds the payload."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_png_base64(payload: str) -> str:
    """The `encodedImage` of `GET /v3/payments/{id}/pixQrCode`: base64 PNG, no data: prefix."""
    return base64.b64encode(qr_png(payload)).decode()
