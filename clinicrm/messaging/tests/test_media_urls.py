import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinicrm.messaging.models import MediaStatus
from clinicrm.messaging.providers import InboundMedia
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.signing import media_signed_url, media_token
from clinicrm.messaging.tests.factories import inbound_text, make_channel, thread_url
from tests.storage_backends import private_storage_use

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_image(tenant, settings, tmp_path):
    private_storage_use(settings, tmp_path)
    channel = make_channel(tenant)
    media = InboundMedia(mime="image/jpeg", size=3, inline=b"\xff\xd8\xff")
    msg = message_ingest(channel=channel, inbound=inbound_text(kind="image", media=media))
    assert msg is not None
    msg.refresh_from_db()
    assert msg.media_status == MediaStatus.STORED
    return msg


def test_signed_url_serves_the_file_to_members_and_providers(stored_image, owner_client):
    url = media_signed_url(message=stored_image)
    response = owner_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff"
    assert response["Content-Type"] == "image/jpeg"
    # Anonymous (e.g. Twilio fetching an outbound MediaUrl) with a valid token.
    assert Client().get(url).status_code == 200


def test_expired_tampered_and_other_tenant_urls_are_refused(
    stored_image, other_owner_client, owner_client
):
    url = media_signed_url(message=stored_image)
    assert other_owner_client.get(url).status_code == 404
    assert owner_client.get(url[:-3] + "abc/").status_code == 404
    forged = media_token(
        message_id=stored_image.pk, tenant_id="00000000-0000-0000-0000-000000000000"
    )
    assert owner_client.get(reverse("messaging:media", kwargs={"token": forged})).status_code == 404
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert owner_client.get(url).status_code == 404


def test_timeline_shows_inline_media(stored_image, owner_client):
    url = thread_url(stored_image.tenant_id, stored_image.thread_key)
    html = owner_client.get(url).content.decode()
    assert '<img class="bubble-media" src="/midia/' in html
