"""Timeline media: the failed-download placeholder and its retry (against the fake Evolution over
real HTTP), inline rendering through signed URLs, and refusal of expired, tampered and
other-tenant links."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.devtools.fake_evolution.testing import (  # noqa: F401  (fixture)
    INSTANCE,
    INSTANCE_TOKEN,
    fake_evolution,
)
from clinicrm.integrations.evolution.tests.helpers import (
    fixture_bytes,
    make_channel,
    post,
    process_pending,
)
from clinicrm.messaging.models import MediaStatus, Message
from clinicrm.messaging.services.media import message_media_fetch
from clinicrm.messaging.signing import media_token
from clinicrm.messaging.tests.factories import thread_url
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db

VIDEO_KEY = "AC3C8A1F6E5D4C3B2A1908F7E6D5C4B3"  # key.id of fixtures/messages_upsert_video.json
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture
def private_media(settings, tmp_path):
    private_storage_use(settings, tmp_path)
    return tmp_path


@pytest.fixture
def live_channel(tenant, fake_evolution):  # noqa: F811
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    return make_channel(tenant, server_url=fake_evolution.url)


@pytest.fixture
def failed_video(client, live_channel, fake_evolution, private_media):  # noqa: F811
    """An inbound video whose download failed once at the provider ("bad decrypt")."""
    inst = fake_evolution.state.instance(INSTANCE)
    fake_evolution.state.store_message(
        inst,
        {"key": {"id": VIDEO_KEY}, "messageType": "videoMessage",
         "message": {"videoMessage": {"mimetype": "video/mp4"}}},
        content=MP4, mimetype="video/mp4",
    )  # fmt: skip
    fake_evolution.state.switches.media_fail_next = 1
    assert post(client, live_channel, fixture_bytes("messages_upsert_video")).status_code == 200
    process_pending()
    video = Message.objects.get(kind="video")
    assert message_media_fetch(message_id=video.pk) == MediaStatus.FAILED
    video.refresh_from_db()
    assert video.media_status == MediaStatus.FAILED
    return video


def _fetch_tasks(message: Message) -> int:
    return DBTaskResult.objects.filter(
        task_path__endswith="message_media_fetch_task", args_kwargs__kwargs__message_id=message.pk
    ).count()


def test_failed_download_shows_placeholder_with_retry(failed_video, owner_client):
    url = thread_url(failed_video.tenant_id, failed_video.thread_key)
    html = owner_client.get(url).content.decode()
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": failed_video.pk})
    assert "Não foi possível baixar vídeo." in html
    assert f'hx-post="{retry}"' in html
    assert "Tentar novamente" in html
    # The thread is not blocked: the caption and the rest of the timeline render.
    assert "Como está a cicatrização" in html


def test_retry_queues_download_and_the_worker_stores_it(failed_video, owner_client):
    before = _fetch_tasks(failed_video)
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": failed_video.pk})
    response = owner_client.post(retry, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    # The fragment swapped in is the pending state: spinner, polling itself.
    assert f'id="media-{failed_video.pk}"' in html and "Baixando vídeo" in html
    assert 'class="spinner"' in html and 'hx-trigger="every 3s"' in html
    failed_video.refresh_from_db()
    assert failed_video.media_status == MediaStatus.PENDING
    assert _fetch_tasks(failed_video) == before + 1

    # The worker runs the task: the fake answers this time, over real HTTP.
    assert message_media_fetch(message_id=failed_video.pk) == MediaStatus.STORED
    failed_video.refresh_from_db()
    now = timezone.now()
    assert failed_video.media_path.startswith(f"{failed_video.tenant_id}/{now:%Y}/{now:%m}/")

    fragment = owner_client.get(
        reverse("messaging:message_media", kwargs={"message_id": failed_video.pk})
    ).content.decode()
    assert "<video" in fragment and "every 3s" not in fragment
    src = fragment.split('src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/midia/")
    served = owner_client.get(src)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == MP4
    assert served["Content-Type"] == "video/mp4"


def test_retry_refused_when_not_failed(failed_video, owner_client):
    Message.objects.filter(pk=failed_video.pk).update(media_status=MediaStatus.PENDING)
    before = _fetch_tasks(failed_video)
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": failed_video.pk})
    response = owner_client.post(retry, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Esta mídia não pode ser baixada novamente." in response.content.decode()
    assert _fetch_tasks(failed_video) == before


def test_other_tenant_cannot_retry_or_see_the_fragment(failed_video, other_owner_client):
    before = _fetch_tasks(failed_video)
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": failed_video.pk})
    assert other_owner_client.post(retry).status_code == 404
    fragment = reverse("messaging:message_media", kwargs={"message_id": failed_video.pk})
    assert other_owner_client.get(fragment).status_code == 404
    failed_video.refresh_from_db()
    assert failed_video.media_status == MediaStatus.FAILED
    assert _fetch_tasks(failed_video) == before


def test_retry_needs_login_and_post(failed_video, owner_client):
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": failed_video.pk})
    assert Client().post(retry).status_code == 302
    assert owner_client.get(retry).status_code == 405
    failed_video.refresh_from_db()
    assert failed_video.media_status == MediaStatus.FAILED


def _stored_video(failed_video) -> Message:
    Message.objects.filter(pk=failed_video.pk).update(media_status=MediaStatus.FAILED)
    assert message_media_fetch(message_id=failed_video.pk) == MediaStatus.STORED
    failed_video.refresh_from_db()
    return failed_video


def test_rendered_signed_url_expires_and_is_tenant_bound(
    failed_video, owner_client, other_owner_client
):
    video = _stored_video(failed_video)
    fragment = owner_client.get(
        reverse("messaging:message_media", kwargs={"message_id": video.pk})
    ).content.decode()
    src = fragment.split('src="', 1)[1].split('"', 1)[0]
    assert owner_client.get(src).status_code == 200
    # Another clinic's member holding the link: refused.
    assert other_owner_client.get(src).status_code == 404
    # Tampered: one character of the signature changed.
    token = src.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert owner_client.get(f"/midia/{flipped}/").status_code == 404
    # A token naming another tenant for this message (signed, but the row isn't theirs).
    other = media_token(message_id=video.pk, tenant_id=other_owner_client_tenant(video))
    assert Client().get(reverse("messaging:media", kwargs={"token": other})).status_code == 404
    # Expired after 15 minutes, even for the owner.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert owner_client.get(src).status_code == 404


def other_owner_client_tenant(video: Message) -> str:
    from clinicrm.core.models import Tenant

    return str(Tenant.objects.exclude(pk=video.tenant_id).values_list("pk", flat=True).first())


def test_document_link_shows_name_and_size(failed_video, owner_client):
    video = _stored_video(failed_video)
    Message.objects.filter(pk=video.pk).update(
        kind="document", media_filename="exame-sangue.pdf", media_size=262748
    )
    fragment = owner_client.get(
        reverse("messaging:message_media", kwargs={"message_id": video.pk})
    ).content.decode()
    assert "exame-sangue.pdf" in fragment
    assert "256,6\xa0KB" in fragment or "256,6 KB" in fragment
    assert 'href="/midia/' in fragment
