"""The send box's attachment: type/size/content limits enforced server-side with pt-BR messages
(nothing stored, no message), voice notes, captions, and a real send through the fake Evolution."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401  (fixture)
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import make_channel as evolution_channel
from clinicrm.messaging.models import Message, MessageKind, Provider
from clinicrm.messaging.services import message_send_perform
from clinicrm.messaging.services.uploads import MB
from clinicrm.messaging.tests.factories import make_channel, make_thread
from tests.storage_backends import private_storage_use, stored_files

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OGG = b"OggS\x00\x02" + b"\x00" * 100


@pytest.fixture
def private_media(settings, tmp_path):
    private_storage_use(settings, tmp_path)
    return tmp_path


@pytest.fixture
def thread(tenant):
    return make_thread(tenant, thread_key="+5511999999999")


def _files(root: Path) -> list[str]:
    """The files kept in the private storage (`root` locally, or the bucket)."""
    return stored_files()


def _send(client, thread, name: str, content: bytes, mime: str = "", **data):
    upload = SimpleUploadedFile(name, content, content_type=mime or "application/octet-stream")
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    return client.post(url, {"text": "", **data, "media": upload}, HTTP_HX_REQUEST="true")


def _send_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="message_send_task").count()


def test_image_with_caption_is_stored_privately_and_queued(
    tenant, owner, owner_client, thread, private_media
):
    make_channel(tenant)
    response = _send(owner_client, thread, "foto.JPG", JPEG, "image/jpeg", text=" Sua receita ")
    assert response.status_code == 200, response.content.decode()
    assert response["HX-Trigger"] == "timeline-refresh"
    message = Message.objects.get()
    assert (message.kind, message.body, message.media_status) == ("image", "Sua receita", "stored")
    assert (message.media_mime, message.media_filename, message.media_size) == (
        "image/jpeg",
        "foto.JPG",
        len(JPEG),
    )
    assert message.sent_by == owner and message.direction == "out"
    now = timezone.now()
    assert message.media_path.startswith(f"{tenant.pk}/{now:%Y}/{now:%m}/")
    with default_storage.open(message.media_path, "rb") as fh:
        assert fh.read() == JPEG
    assert _send_tasks() == 1
    # Private storage only: the timeline links the file through a signed URL.
    page = owner_client.get(reverse("messaging:thread", kwargs={"thread_id": thread.pk}))
    assert '<img class="bubble-media" src="/midia/' in page.content.decode()
    assert message.media_path not in page.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "mime", "expected"),
    [
        ("programa.exe", b"MZ\x90\x00", "application/x-msdownload", "Tipo de arquivo não aceito"),
        ("animacao.gif", b"GIF89a" + b"\x00" * 20, "image/gif", "Tipo de arquivo não aceito"),
        ("sem-extensao", PDF, "application/pdf", "Tipo de arquivo não aceito"),
        ("foto.jpg", PDF, "image/jpeg", "não corresponde à extensão"),
        ("exame.pdf", JPEG, "application/pdf", "não corresponde à extensão"),
        ("vazio.png", b"", "image/png", "O arquivo está vazio."),
        ("grande.png", PNG + b"\x00" * (5 * MB), "image/png", "no máximo 5 MB"),
        ("audio.ogg", OGG, "audio/ogg", "entregue sem legenda"),  # caption on audio
    ],
)
def test_bad_uploads_are_refused_and_change_nothing(
    tenant, owner_client, thread, private_media, name, content, mime, expected
):
    make_channel(tenant)
    extra = {"text": "Legenda"} if name == "audio.ogg" else {}
    response = _send(owner_client, thread, name, content, mime, **extra)
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html
    assert 'role="alert"' in html
    assert Message.objects.count() == 0
    assert _send_tasks() == 0
    assert _files(private_media) == []


def test_twilio_caps_documents_at_16_mb_evolution_at_100(
    tenant, owner_client, thread, private_media
):
    from clinicrm.messaging.services.uploads import outbound_media_validate

    big = SimpleUploadedFile("laudo.pdf", PDF + b"\x00" * (16 * MB), "application/pdf")
    rule, _ = outbound_media_validate(upload=big, provider=Provider.EVOLUTION)
    assert rule.max_bytes == 100 * MB
    make_channel(tenant, provider=Provider.TWILIO)
    response = _send(owner_client, thread, "laudo.pdf", PDF + b"\x00" * (16 * MB))
    assert response.status_code == 400
    assert "Arquivo grande demais: documentos podem ter no máximo 16 MB" in (
        response.content.decode()
    )
    assert Message.objects.count() == 0 and _files(private_media) == []


def test_refused_send_removes_the_stored_file(tenant, owner_client, thread, private_media):
    # No active channel: the file passed the checks but the send is refused.
    response = _send(owner_client, thread, "exame.pdf", PDF, "application/pdf")
    assert response.status_code == 400
    assert "Nenhum canal de WhatsApp ativo" in response.content.decode()
    assert Message.objects.count() == 0 and _files(private_media) == []


def test_twilio_window_closed_refuses_media_and_keeps_nothing(
    tenant, owner_client, thread, private_media
):
    make_channel(tenant, provider=Provider.TWILIO)
    response = _send(owner_client, thread, "foto.jpg", JPEG, "image/jpeg")
    assert response.status_code == 400
    assert "24 horas" in response.content.decode()
    assert Message.objects.count() == 0 and _files(private_media) == []


def test_voice_note_flag(tenant, owner_client, thread, private_media):
    make_channel(tenant)
    assert _send(owner_client, thread, "recado.ogg", OGG, "audio/ogg", voice="1").status_code == 200
    message = Message.objects.get()
    assert message.kind == MessageKind.VOICE and message.media_mime == "audio/ogg"
    response = _send(owner_client, thread, "receita.pdf", PDF, "application/pdf", voice="1")
    assert response.status_code == 400
    assert "Mensagem de voz precisa ser um arquivo de áudio." in response.content.decode()
    assert Message.objects.count() == 1 and len(_files(private_media)) == 1


def test_text_only_send_still_works_and_empty_is_refused(tenant, owner_client, thread):
    make_channel(tenant)
    url = reverse("messaging:thread_send", kwargs={"thread_id": thread.pk})
    assert owner_client.post(url, {"text": "  "}, HTTP_HX_REQUEST="true").status_code == 400
    assert Message.objects.count() == 0
    assert owner_client.post(url, {"text": "Olá"}, HTTP_HX_REQUEST="true").status_code == 200
    assert Message.objects.get().kind == "text"


def test_document_and_voice_reach_the_fake_evolution(
    tenant,
    owner_client,
    thread,
    private_media,
    fake_evolution,  # noqa: F811
):
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    evolution_channel(tenant, server_url=fake_evolution.url)
    assert _send(owner_client, thread, "receita.pdf", PDF, "application/pdf",
                 text="Sua receita").status_code == 200  # fmt: skip
    assert _send(owner_client, thread, "oi.ogg", OGG, voice="1").status_code == 200
    for message in Message.objects.order_by("pk"):
        assert message_send_perform(message_id=message.pk) == "ok"
    doc, voice = Message.objects.order_by("pk")
    stored = fake_evolution.state.messages[doc.provider_message_id]
    assert stored["content"] == PDF and stored["file_name"] == "receita.pdf"
    inner = stored["data"]["message"]["documentMessage"]
    assert inner.get("caption") == "Sua receita"
    ptt = fake_evolution.state.messages[voice.provider_message_id]["data"]["message"]
    assert ptt["audioMessage"]["ptt"] is True
