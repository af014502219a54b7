"""Oversized uploads are refused before Django spools them, over real HTTP (uvicorn): by
Content-Length before a byte is read, and by counting a chunked body as it arrives."""

import socket
import tempfile
from urllib.parse import urlsplit

import pytest

from clinicrm.core.body_limit import FORM_ROOM_BYTES, body_limit_for, default_body_max
from clinicrm.messaging.services.uploads import upload_body_max
from tests.asgi_server import asgi_server

MB = 1024 * 1024
SEND_PATH = "/conversas/1/enviar/"
SMALL_TABLE = {
    "image": {
        "label": "Imagens",
        "types": {"image/png": (".png",)},
        "max_bytes": 2 * MB,
        "caption": (),
    }
}


@pytest.fixture
def small_uploads(settings):
    settings.MESSAGING_OUTBOUND_MEDIA = SMALL_TABLE
    return 2 * MB + FORM_ROOM_BYTES


@pytest.fixture
def spooled(monkeypatch):
    """Bytes Django's ASGI handler wrote into its body spool file, per request."""
    sizes: list[int] = []
    real = tempfile.SpooledTemporaryFile

    class Recording(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            sizes.append(0)
            self._slot = len(sizes) - 1

        def write(self, data):
            sizes[self._slot] += len(data)
            return super().write(data)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", Recording)
    return sizes


def _post(base: str, path: str, *, length: int | None = None, chunks=()) -> tuple[int, str]:
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        head += "Content-Type: multipart/form-data; boundary=x\r\n"
        head += f"Content-Length: {length}\r\n" if length is not None else ""
        head += "Transfer-Encoding: chunked\r\n" if length is None else ""
        sock.sendall((head + "\r\n").encode())
        try:
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 10:
            part = sock.recv(65536)
            if not part:
                break
            data += part
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1].decode(errors="replace")


def _chunks(total: int, size: int = 256 * 1024) -> list[bytes]:
    out = []
    while total > 0:
        out.append(b"a" * min(size, total))
        total -= size
    return out


def test_limits_per_route(small_uploads):
    assert body_limit_for(SEND_PATH) == upload_body_max() == small_uploads
    assert body_limit_for("/pacientes/novo/") == default_body_max()
    assert body_limit_for("/nao-existe/") == default_body_max()
    assert body_limit_for("/webhooks/evolution/token/") is None  # their own 64 MB road


def test_real_limit_is_the_largest_file_the_table_allows():
    assert upload_body_max() == 100 * MB + FORM_ROOM_BYTES  # Evolution documents


def test_content_length_over_the_cap_is_refused_before_reading(small_uploads, spooled):
    with asgi_server() as base:
        # Only the headers are sent: the answer comes without waiting for a body.
        status, text = _post(base, SEND_PATH, length=200 * MB)
    assert status == 413
    assert text == "Arquivo grande demais: o limite é de 2 MB."
    assert spooled == []


def test_site_default_cap_on_other_routes(spooled):
    with asgi_server() as base:
        status, text = _post(base, "/pacientes/novo/", length=default_body_max() + 1)
    assert status == 413
    assert text == "Arquivo grande demais: o limite é de 2,5 MB."  # DATA_UPLOAD_MAX_MEMORY_SIZE
    assert spooled == []


def test_chunked_body_is_cut_off_at_the_cap(small_uploads, spooled):
    with asgi_server() as base:
        status, text = _post(base, SEND_PATH, chunks=_chunks(small_uploads + 1))
    assert status == 413
    assert "grande demais" in text
    assert spooled and max(spooled) <= small_uploads  # never more than the cap on disk


def test_chunked_body_under_the_cap_reaches_django(small_uploads, spooled):
    with asgi_server() as base:
        status, _ = _post(base, SEND_PATH, chunks=[*_chunks(MB), b""])
    assert status == 403  # Django's CSRF check: the body went through
    assert spooled == [MB]
