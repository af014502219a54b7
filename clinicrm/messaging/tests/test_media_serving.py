"""Inbound media can never become a page on our origin: an Evolution delivery claiming
"image/jpeg, text/html" or "image/svg+xml" with HTML/SVG inline is stored as
application/octet-stream and served as a sandboxed attachment; a JPEG/HTML polyglot is only ever
an image/jpeg with nosniff and the sandbox CSP; rows stored with a lying type before the fix are
decided again from their bytes when served (and by the data migration); outbound uploads follow
the same rules."""

import base64
import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clinicrm.integrations.evolution.tests.helpers import (
    fixture_bytes,
    make_channel,
    post,
    process_pending,
)
from clinicrm.messaging.mediatypes import OCTET_STREAM
from clinicrm.messaging.models import Direction, MediaStatus, Message
from clinicrm.messaging.services.media import media_save
from clinicrm.messaging.signing import media_signed_url
from clinicrm.messaging.tests.factories import make_thread, thread_url
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db

SANDBOX = "sandbox; default-src 'none'"
# What the attack delivers: a page that loads our own htmx and reads patients as the member.
HTML_PAYLOAD = (
    b'<!DOCTYPE html><html><head><script src="/static/django_htmx/htmx.min.js"></script>'
    b'</head><body hx-get="/api/v1/patients" hx-trigger="load">carregando</body></html>'
)
SVG_PAYLOAD = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<foreignObject><html xmlns='http://www.w3.org/1999/xhtml'><script>"
    b"fetch('/api/v1/patients')</script></html></foreignObject></svg>"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
POLYGLOT = JPEG + b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def private_media(settings, tmp_path):
    private_storage_use(settings, tmp_path)
    return tmp_path


@pytest.fixture
def channel(tenant):
    return make_channel(tenant)


def deliver_image(client: Client, channel, *, mimetype: str, content: bytes) -> Message:
    """An Evolution `imageMessage` carrying its bytes inline (WEBHOOK_BASE64 on)."""
    payload = json.loads(fixture_bytes("messages_upsert_image"))
    payload["data"]["message"]["imageMessage"]["mimetype"] = mimetype
    payload["data"]["message"]["base64"] = base64.b64encode(content).decode()
    assert post(client, channel, json.dumps(payload).encode()).status_code == 200
    assert process_pending() == ["processed"]
    return Message.objects.get(provider_message_id=payload["data"]["key"]["id"])


def serve(client: Client, message: Message) -> tuple[Any, bytes]:
    response: Any = client.get(media_signed_url(message=message))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def assert_sandboxed_attachment(response) -> None:
    assert response["Content-Type"] == OCTET_STREAM
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


@pytest.mark.parametrize(
    ("claimed", "content"),
    [("image/jpeg, text/html", HTML_PAYLOAD), ("image/svg+xml", SVG_PAYLOAD)],
    ids=["jpeg-comma-html", "svg"],
)
def test_markup_claiming_to_be_an_image_is_a_sandboxed_attachment(
    client, owner_client, channel, private_media, claimed, content
):
    message = deliver_image(client, channel, mimetype=claimed, content=content)
    assert message.kind == "image" and message.media_status == MediaStatus.STORED
    assert message.media_mime == OCTET_STREAM
    assert message.media_path.endswith(".bin")  # no .html/.svg file in storage either
    response, body = serve(owner_client, message)
    assert body == content
    assert_sandboxed_attachment(response)
    # The page offers a download link, not an <img> of it.
    page = owner_client.get(thread_url(message.tenant_id, message.thread_key)).content.decode()
    assert f'id="media-{message.pk}"' in page
    assert 'class="media-document" href="/midia/' in page
    assert '<img class="bubble-media"' not in page


def test_polyglot_jpeg_is_only_an_image_with_nosniff_and_sandbox(
    client, owner_client, channel, private_media
):
    message = deliver_image(client, channel, mimetype="text/html", content=POLYGLOT)
    assert message.media_mime == "image/jpeg"
    response, body = serve(owner_client, message)
    assert body == POLYGLOT
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def test_a_real_image_stays_inline(client, owner_client, channel, private_media):
    message = deliver_image(client, channel, mimetype="image/jpeg", content=JPEG)
    response, _ = serve(owner_client, message)
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"] == SANDBOX


def test_a_row_stored_with_a_lying_type_is_decided_again_when_served(
    tenant, owner_client, channel, private_media
):
    """Rows written before the fix kept the sender's claim: the serve path never trusts it."""
    thread = make_thread(tenant)
    path = media_save(tenant=tenant, content=HTML_PAYLOAD, mime=OCTET_STREAM)
    message = Message.objects.create(
        tenant=tenant, channel=channel, thread_key=thread.thread_key,
        direction=Direction.INBOUND, provider_message_id="OLD-ROW", kind="image",
        provider_timestamp=thread.created_at, media_status=MediaStatus.STORED,
        media_path=path, media_mime="image/jpeg, text/html", media_filename="foto.html",
    )  # fmt: skip
    response, body = serve(owner_client, message)
    assert body == HTML_PAYLOAD
    assert_sandboxed_attachment(response)
    # Anonymous holders of the link (providers) get the same answer.
    response, _ = serve(Client(), message)
    assert_sandboxed_attachment(response)


def test_documents_are_attachments_with_their_exact_type(
    tenant, owner_client, channel, private_media
):
    thread = make_thread(tenant)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    message = Message.objects.create(
        tenant=tenant, channel=channel, thread_key=thread.thread_key,
        direction=Direction.INBOUND, provider_message_id="DOC-1", kind="document",
        provider_timestamp=thread.created_at, media_status=MediaStatus.STORED,
        media_path=media_save(tenant=tenant, content=pdf, mime="application/pdf"),
        media_mime="application/pdf", media_filename="exame.pdf",
    )  # fmt: skip
    response, _ = serve(owner_client, message)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="exame.pdf"'
    assert response["Content-Security-Policy"] == SANDBOX


@pytest.mark.parametrize(
    ("name", "content"),
    [("foto.jpg", SVG_PAYLOAD), ("nota.txt", HTML_PAYLOAD), ("foto.png", HTML_PAYLOAD)],
)
def test_outbound_upload_of_markup_under_a_media_name_is_refused(
    tenant, owner_client, channel, private_media, name, content
):
    thread = make_thread(tenant)
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    response = owner_client.post(url, {"text": "", "media": upload}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "não corresponde à extensão" in response.content.decode()
    assert Message.objects.count() == 0
    assert [p for p in private_media.rglob("*") if p.is_file()] == []


def test_outbound_upload_is_served_by_the_same_rules(tenant, owner_client, channel, private_media):
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    upload = SimpleUploadedFile("receita.jpg", POLYGLOT, content_type="text/html")
    assert owner_client.post(url, {"text": "", "media": upload}).status_code == 200
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.media_mime == "image/jpeg"
    with default_storage.open(sent.media_path, "rb") as fh:
        assert fh.read() == POLYGLOT
    response, _ = serve(owner_client, sent)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "content", "mime", "inline"),
    [
        ("foto.png", PNG, "image/png", True),
        ("exame.pdf", PDF, "application/pdf", False),
        ("nota.txt", b"Receita: 1 comprimido ao dia.", "text/plain", False),
    ],
)
def test_outbound_documents_are_sandboxed_attachments_and_images_inline(
    tenant, owner_client, channel, private_media, name, content, mime, inline
):
    """Outbound files take the same road as inbound ones: MIME from the bytes (allow-list of
    the upload table) and /midia/'s headers: only raster images, audio and video inline."""
    thread = make_thread(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    upload = SimpleUploadedFile(name, content, content_type="text/html")  # the browser's claim
    assert owner_client.post(url, {"text": "", "media": upload}).status_code == 200
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.media_mime == mime
    response, body = serve(owner_client, sent)
    assert body == content
    assert response["Content-Type"].split(";")[0] == mime
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    disposition = response.get("Content-Disposition", "")
    assert disposition.startswith("inline") if inline else disposition.startswith("attachment")


def test_data_migration_decides_stored_types_from_the_bytes(tenant, channel, private_media):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("clinicrm.messaging.migrations.0003_media_mime_from_bytes")
    thread = make_thread(tenant)
    common = {
        "tenant": tenant, "channel": channel, "thread_key": thread.thread_key,
        "direction": Direction.INBOUND, "provider_timestamp": thread.created_at,
    }  # fmt: skip

    def stored(pid: str, kind: str, content: bytes, claimed: str) -> Message:
        return Message.objects.create(
            **common, provider_message_id=pid, kind=kind, media_status=MediaStatus.STORED,
            media_path=media_save(tenant=tenant, content=content, mime=OCTET_STREAM),
            media_mime=claimed,
        )  # fmt: skip

    html = stored("M1", "image", HTML_PAYLOAD, "image/jpeg, text/html")
    svg = stored("M2", "image", SVG_PAYLOAD, "image/svg+xml")
    jpeg = stored("M3", "image", JPEG, "image/jpeg; charset=binary")
    ogg = stored("M4", "voice", b"OggS\x00\x02" + b"\x00" * 40, "audio/ogg; codecs=opus")
    gone = stored("M5", "image", JPEG, "image/svg+xml")
    default_storage.delete(gone.media_path)
    pending = Message.objects.create(
        **common, provider_message_id="M6", kind="image",
        media_status=MediaStatus.FAILED, media_mime="text/html",
    )  # fmt: skip

    migration.forwards(apps, None)

    def mime(message: Message) -> str:
        message.refresh_from_db()
        return message.media_mime

    assert mime(html) == OCTET_STREAM and mime(svg) == OCTET_STREAM
    assert mime(jpeg) == "image/jpeg" and mime(ogg) == "audio/ogg"
    assert mime(gone) == "image/svg+xml"  # no file to decide from; never served (no file)
    assert mime(pending) == ""
