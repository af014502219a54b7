"""A media download that fails for a transient reason is retried by the task with backoff (3
attempts at 0, +200 s and +600 s) before the placeholder appears with the error code and a pt-BR
reason; a permanent error fails at once; "Tentar novamente" is one attempt. Real worker, real
database transactions, the fake Evolution over real HTTP, time travelled with time-machine."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinicrm.core.tasks_utils import RETRY_ATTEMPT_KWARG
from clinicrm.core.tests.worker import run_worker
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
from clinicrm.messaging.tests.factories import thread_url
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db(transaction=True)

VIDEO_KEY = "AC3C8A1F6E5D4C3B2A1908F7E6D5C4B3"  # key.id of fixtures/messages_upsert_video.json
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
RETRIED_REASON = "O serviço de WhatsApp não respondeu"


@pytest.fixture
def private_media(settings, tmp_path):
    private_storage_use(settings, tmp_path)
    return tmp_path


@pytest.fixture
def pending_video(client, tenant, fake_evolution, private_media):  # noqa: F811
    """An inbound video whose download task is queued (the fake holds its bytes)."""
    fake_evolution.create_open_instance(INSTANCE, token=INSTANCE_TOKEN)
    channel = make_channel(tenant, server_url=fake_evolution.url)
    fake_evolution.state.store_message(
        fake_evolution.state.instance(INSTANCE),
        {"key": {"id": VIDEO_KEY}, "messageType": "videoMessage",
         "message": {"videoMessage": {"mimetype": "video/mp4"}}},
        content=MP4, mimetype="video/mp4",
    )  # fmt: skip
    assert post(client, channel, fixture_bytes("messages_upsert_video")).status_code == 200
    assert process_pending() == ["processed"]
    video = Message.objects.get(kind="video")
    assert video.media_status == MediaStatus.PENDING
    return video


def attempts(message: Message) -> list[DBTaskResult]:
    rows = DBTaskResult.objects.filter(
        task_path__endswith="message_media_fetch_task", args_kwargs__kwargs__message_id=message.pk
    )
    return sorted(rows, key=lambda r: (r.enqueued_at, r.args_kwargs["kwargs"].get("_attempt", 1)))


def media_of(message: Message) -> tuple[str, str, str]:
    message.refresh_from_db()
    return message.media_status, message.error_code, message.error_message


def test_transient_failures_are_retried_over_ten_minutes_then_explained(
    pending_video,
    fake_evolution,  # noqa: F811
    owner_client,
):
    switches = fake_evolution.state.switches
    switches.fail_next = [503, 503, 503, 503]  # the provider answers 5xx for a while
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        run_worker(queue_names=("default",))
        assert len(switches.fail_next) == 3  # attempt 1 reached the provider
        assert media_of(pending_video) == (MediaStatus.PENDING, "", "")  # still "Baixando"
        second = attempts(pending_video)[1]
        assert second.args_kwargs["kwargs"][RETRY_ATTEMPT_KWARG] == 2
        assert second.run_after == start + dt.timedelta(seconds=200)

        traveller.shift(dt.timedelta(seconds=199))
        run_worker(queue_names=("default",))
        assert len(switches.fail_next) == 3  # not due yet

        traveller.shift(dt.timedelta(seconds=1))
        run_worker(queue_names=("default",))
        assert len(switches.fail_next) == 2
        assert media_of(pending_video)[0] == MediaStatus.PENDING
        third = attempts(pending_video)[2]
        assert third.run_after == start + dt.timedelta(seconds=600)

        traveller.shift(dt.timedelta(seconds=400))
        run_worker(queue_names=("default",))
        assert len(switches.fail_next) == 1
        traveller.shift(dt.timedelta(hours=1))
        run_worker(queue_names=("default",))

    assert len(switches.fail_next) == 1  # three attempts, no fourth
    assert len(attempts(pending_video)) == 3
    status, code, reason = media_of(pending_video)
    assert (status, code) == (MediaStatus.FAILED, "provider_down")
    assert reason.startswith(RETRIED_REASON)
    page = owner_client.get(
        thread_url(pending_video.tenant_id, pending_video.thread_key)
    ).content.decode()
    assert "Não foi possível baixar vídeo." in page and reason in page
    assert "Tentar novamente" in page

    # "Tentar novamente": one attempt, the reason at once if the provider still fails.
    retry = reverse("messaging:message_media_retry", kwargs={"message_id": pending_video.pk})
    assert owner_client.post(retry, HTTP_HX_REQUEST="true").status_code == 200
    assert media_of(pending_video) == (MediaStatus.PENDING, "", "")
    run_worker(queue_names=("default",))
    assert switches.fail_next == []
    assert media_of(pending_video)[:2] == (MediaStatus.FAILED, "provider_down")
    assert len(attempts(pending_video)) == 4


def test_a_transient_failure_then_success_stores_the_file(pending_video, fake_evolution):  # noqa: F811
    fake_evolution.state.switches.fail_next = [503]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        run_worker(queue_names=("default",))
        assert media_of(pending_video)[0] == MediaStatus.PENDING
        traveller.shift(dt.timedelta(seconds=200))
        run_worker(queue_names=("default",))
    assert media_of(pending_video) == (MediaStatus.STORED, "", "")
    assert pending_video.media_mime == "video/mp4"
    assert [r.status for r in attempts(pending_video)] == ["FAILED", "SUCCESSFUL"]


def test_a_permanent_error_fails_at_once_with_its_reason(pending_video, fake_evolution):  # noqa: F811
    fake_evolution.state.switches.media_fail_next = 1  # 400 "bad decrypt": not worth retrying
    run_worker(queue_names=("default",))
    status, code, reason = media_of(pending_video)
    assert (status, code) == (MediaStatus.FAILED, "bad_request")
    assert reason == "Não foi possível baixar o arquivo do WhatsApp."
    assert len(attempts(pending_video)) == 1
