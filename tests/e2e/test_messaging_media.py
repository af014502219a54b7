"""Media in a conversation, in a real browser: inline image/audio/document through signed URLs,
an "image" whose bytes are HTML offered only as a download,
a failed download's placeholder whose "Tentar novamente" swaps in a spinner and then the video
(fake Evolution over real HTTP), and a photo with caption sent from the send box."""

import datetime as dt
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401  (fixture)
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel
from clinicrm.messaging.errors import media_error_friendly
from clinicrm.messaging.mediatypes import OCTET_STREAM
from clinicrm.messaging.models import Direction, MediaStatus, Message, MessageStatus, Thread
from clinicrm.messaging.services.media import media_save, message_media_fetch
from clinicrm.messaging.tests.factories import thread_url
from conftest import PASSWORD, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"\x00" * 262000


def _png(width: int, height: int, tint: tuple[int, int, int]) -> bytes:
    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((tint[0] * x // width, tint[1] * y // height, tint[2])) for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


def _msg(tenant, channel, key, n, **fields) -> Message:
    now = timezone.now()
    base = {
        "tenant": tenant,
        "channel": channel,
        "thread_key": key,
        "direction": Direction.INBOUND,
        "provider_message_id": f"E2E{n:04d}",
        "status": MessageStatus.DELIVERED,
        "provider_timestamp": now - dt.timedelta(minutes=30 - n),
    }
    return Message.objects.create(**(base | fields))


def _stored(tenant, content: bytes, mime: str, name: str) -> dict:
    path = media_save(tenant=tenant, content=content, mime=mime)
    return {
        "media_status": MediaStatus.STORED,
        "media_path": path,
        "media_mime": mime,
        "media_size": len(content),
        "media_filename": name,
    }


def test_media_in_a_conversation(
    page: Page,
    live_server,
    screenshot_dir: Path,
    private_media,
    fake_evolution,  # noqa: F811
) -> None:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    user = make_user("recepcao@aurora.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.SECRETARY)
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    channel = make_channel(tenant, server_url=fake_evolution.url)
    key = "+5511999999999"
    Thread.objects.create(
        tenant=tenant, thread_key=key, contact_name="Maria Souza",
        contact_raw_id="5511999999999@s.whatsapp.net",
    )  # fmt: skip
    _msg(tenant, channel, key, 1, body="Bom dia! Segue a foto do pedido médico.")
    _msg(tenant, channel, key, 2, kind="image", body="Pedido médico",
         **_stored(tenant, _png(320, 200, (40, 160, 220)), "image/png", "pedido.png"))  # fmt: skip
    _msg(tenant, channel, key, 3, kind="voice",
         **_stored(tenant, b"OggS" + b"\x00" * 400, "audio/ogg", "audio.ogg"))  # fmt: skip
    _msg(tenant, channel, key, 4, kind="document",
         **_stored(tenant, PDF, "application/pdf", "exame-sangue.pdf"))  # fmt: skip
    # An "image" whose bytes are HTML: stored as application/octet-stream, offered as a download.
    page_bytes = b"<html><script>alert(1)</script></html>"
    disguised = _msg(tenant, channel, key, 5, kind="image",
                     **_stored(tenant, page_bytes, OCTET_STREAM, "foto.html"))  # fmt: skip
    video = _msg(
        tenant, channel, key, 6, kind="video", body="Como está a cicatrização",
        media_status=MediaStatus.FAILED, media_ref={"id": "VIDEO0001", "key": {"id": "VIDEO0001"}},
        error_code="provider_down", error_message=media_error_friendly("provider_down"),
    )  # fmt: skip
    Thread.objects.filter(pk=Thread.objects.get(thread_key=key).pk).update(
        last_inbound_at=timezone.now(), last_message_at=timezone.now()
    )

    base = live_server.url
    page.goto(f"{base}/entrar/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r".*/(painel/)?$"))

    page.goto(base + thread_url(tenant, key))
    timeline = page.locator("#timeline")
    expect(timeline.locator("img.bubble-media")).to_have_count(1)
    # The image is loading="lazy": it loads once scrolled near the viewport (the timeline opens
    # at its newest message, so the image may sit above the fold), then
    # decodes asynchronously: scroll to it and wait.
    timeline.locator("img.bubble-media").scroll_into_view_if_needed()
    image_width = page.wait_for_function(
        "() => { const i = document.querySelector('img.bubble-media');"
        " return i && i.complete && i.naturalWidth; }"
    ).json_value()
    assert image_width == 320  # served through the signed URL, decoded as the real PNG
    expect(timeline.locator("audio.bubble-media")).to_have_count(1)
    expect(timeline.get_by_text("exame-sangue.pdf")).to_be_visible()
    expect(page.locator(f"#media-{disguised.pk} a.media-document")).to_contain_text("foto.html")
    expect(page.locator(f"#media-{disguised.pk} img")).to_have_count(0)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.locator(f"#msg-{disguised.pk}").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"media-thread-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})
    page.reload()
    placeholder = page.locator(f"#media-{video.pk}")
    expect(placeholder).to_contain_text("Não foi possível baixar vídeo.")
    expect(placeholder).to_contain_text("O serviço de WhatsApp não respondeu")
    page.locator(f"#msg-{video.pk}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "media-thread-failed.png"))

    # Retry: the fragment swaps to the spinner (the download is queued).
    inst = fake_evolution.state.instance(INSTANCE)
    fake_evolution.state.store_message(
        inst,
        {"key": {"id": "VIDEO0001"}, "messageType": "videoMessage",
         "message": {"videoMessage": {"mimetype": "video/mp4"}}},
        content=MP4, mimetype="video/mp4",
    )  # fmt: skip
    placeholder.get_by_role("button", name="Tentar novamente").click()
    expect(placeholder).to_contain_text("Baixando vídeo")
    page.screenshot(path=str(screenshot_dir / "media-retry-pending.png"))
    # The worker downloads it; the pending fragment polls itself into a player.
    assert message_media_fetch(message_id=video.pk) == MediaStatus.STORED
    expect(page.locator(f"#media-{video.pk} video")).to_have_count(1, timeout=8000)

    # Send a photo with a caption from the send box.
    page.locator("#send-media").set_input_files(
        files=[
            FilePayload(
                name="receita.png", mimeType="image/png", buffer=_png(240, 160, (220, 120, 60))
            )
        ]
    )
    page.locator("#send-text").fill("Sua receita, Maria.")
    page.get_by_role("button", name="Enviar").click()
    expect(timeline.locator(".bubble-out img.bubble-media")).to_have_count(1)
    expect(timeline.locator(".bubble-out")).to_contain_text("Sua receita, Maria.")
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.kind == "image" and sent.media_path.startswith(f"{tenant.pk}/")
    page.locator(f"#msg-{sent.pk}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "media-sent.png"))

    # A refused file: pt-BR error under the file input, nothing sent.
    page.locator("#send-media").set_input_files(
        files=[
            FilePayload(
                name="programa.exe", mimeType="application/octet-stream", buffer=b"MZ\x90\x00"
            )
        ]
    )
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator(".media-attach .field-error")).to_contain_text("Tipo de arquivo não aceito")
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
    page.locator(f"#msg-{sent.pk}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "media-upload-refused.png"))
