"""The fake Asaas's PIX QR code is one a phone can scan: `encodedImage` decodes (with zxing,
as a bank app would) to exactly the copy-paste `payload`, whose CRC16 is right."""

import base64
import datetime as dt
import struct
import zlib
from decimal import Decimal

import zxingcpp

from clinicrm.devtools.fake_asaas.pix import crc16_ccitt
from clinicrm.devtools.fake_asaas.server import FakeAsaasServer
from clinicrm.integrations.asaas.client import AsaasClient

API_KEY = "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY6OmZha2U="


class _Grey:
    """An 8-bit greyscale image zxing reads through the array interface (no numpy needed)."""

    def __init__(self, width: int, height: int, pixels: bytes) -> None:
        self.__array_interface__ = {
            "shape": (height, width),
            "typestr": "|u1",
            "data": pixels,
            "version": 3,
        }


def _png_pixels(png: bytes) -> _Grey:
    """Decode the 1-bit greyscale PNG segno writes (filters None and Up only)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (1, 0)
    stride = (width + 7) // 8
    raw, above, pixels = zlib.decompress(idat), bytes(stride), bytearray()
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        row = bytes(line[1:])
        if line[0] == 2:  # Up: this row adds to the one above
            row = bytes((a + b) & 0xFF for a, b in zip(row, above, strict=True))
        else:
            assert line[0] == 0
        above = row
        pixels.extend(255 if row[x // 8] >> (7 - x % 8) & 1 else 0 for x in range(width))
    return _Grey(width, height, bytes(pixels))


def test_pix_qr_code_scans_to_the_copy_paste_payload():
    server = FakeAsaasServer(api_keys={API_KEY}).start()
    try:
        client = AsaasClient(base_url=server.base_url, api_key=API_KEY)
        customer = client.customer_create(
            name="Clínica QR", cpf_cnpj="24971563792", external_reference="t-qr"
        )
        payment = client.payment_create_pix(
            customer_id=str(customer["id"]),
            value=Decimal("119.90"),
            due_date=dt.date.today() + dt.timedelta(days=1),
            external_reference="p-qr",
            description="QR",
        )
        qr = client.payment_pix_qr(payment_id=str(payment["id"]))
        client.close()
    finally:
        server.stop()

    payload = qr["payload"]
    assert payload.startswith("000201") and "br.gov.bcb.pix" in payload
    assert "5406119.90" in payload  # the amount, EMV tag 54
    assert crc16_ccitt(payload[:-4].encode()) == payload[-4:]
    [found] = zxingcpp.read_barcodes(_png_pixels(base64.b64decode(qr["encodedImage"])))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == payload
